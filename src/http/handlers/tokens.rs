//! Personal access tokens: made by administrators for a user (the secret is in that answer
//! only), inspected and revoked by their owner or an administrator.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::token::{self, KNOWN_SCOPES, PERSONAL_PREFIX};
use crate::http::auth::{authenticate, Caller, RouteAuth, Via};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, PersonalTokenEntity};
use crate::http::error::no_content;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::find_user;
use crate::http::App;
use crate::store::{NewPersonalToken, PersonalToken, Store};

#[utoipa::path(
    post,
    path = "/api/v4/users/{user_id}/personal_access_tokens",
    tag = "tokens",
    summary = "Create a personal access token for a user (administrators); the secret is in this answer only",
    params(("user_id" = i64, Path)),
    request_body = TokenCreate,
    responses((status = 201, description = "The token, with its secret", body = PersonalTokenEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id");
    let name = d.required_string("name");
    let scopes = d.string_array("scopes");
    if !scopes.is_present() {
        d.fail("scopes", "is missing");
    }
    if let Some(scopes) = scopes.as_ref().value() {
        if scopes.iter().any(|s| !KNOWN_SCOPES.contains(&s.as_str())) {
            d.fail("scopes", "does not have a valid value");
        }
    }
    let expires_at = d.date("expires_at");
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    caller.require_admin()?;
    let user = find_user(&app, user_id).await?;

    let name = name.value().unwrap_or_default();
    if crate::domain::link::is_blank(&name) {
        return Err(ApiError::field("name", "can't be blank"));
    }
    let scopes = scopes.value().unwrap_or_default();
    if scopes.is_empty() {
        return Err(ApiError::field("scopes", "can't be blank"));
    }
    let secret = token::generate(PERSONAL_PREFIX);
    let created = app
        .store
        .create_personal_token(&NewPersonalToken {
            user_id: user.id,
            name,
            digest: app.config.token_key.digest(&secret),
            scopes,
            expires_at: expires_at.value(),
        })
        .await?;
    let mut response = json_response(
        StatusCode::CREATED,
        &to_value(&PersonalTokenEntity::new(&created, Some(secret))),
    );
    response
        .extensions_mut()
        .insert(crate::http::idempotency::HoldsSecret);
    Ok(response)
}

/// The token the request was made with.
async fn current_token<S: Store>(app: &App<S>, caller: &Caller) -> ApiResult<PersonalToken> {
    match caller.via {
        Via::PersonalToken { id, .. } => app
            .store
            .personal_token(id)
            .await?
            .ok_or_else(ApiError::unauthorized),
        _ => Err(ApiError::unauthorized()),
    }
}

/// The token the route names, if it exists (whoever owns it: see [`may_handle`]).
async fn token_named<S: Store>(
    app: &App<S>,
    caller: &Caller,
    request: &ApiRequest,
) -> ApiResult<Option<PersonalToken>> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("token_id").value();
    d.finish()?;
    caller.require_user()?;
    Ok(match id {
        Some(id) => app.store.personal_token(id).await?,
        None => None,
    })
}

/// Whether the caller may see or revoke `token`: its owner or an administrator.
fn may_handle(caller: &Caller, token: &PersonalToken) -> bool {
    caller
        .user
        .as_ref()
        .is_some_and(|user| user.is_admin || token.user_id == user.id)
}

#[utoipa::path(
    get,
    path = "/api/v4/personal_access_tokens/self",
    tag = "tokens",
    summary = "The token of this request",
    responses((status = 200, description = "The token", body = PersonalTokenEntity))
)]
pub async fn show_self<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::OWN_TOKEN).await?;
    let token = current_token(&app, &caller).await?;
    Ok(json_response(
        StatusCode::OK,
        &to_value(&PersonalTokenEntity::new(&token, None)),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/personal_access_tokens/self",
    tag = "tokens",
    summary = "Revoke the token of this request",
    responses((status = 204, description = "Done"))
)]
pub async fn revoke_self<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::OWN_TOKEN).await?;
    let token = current_token(&app, &caller).await?;
    app.store.revoke_personal_token(token.id).await?;
    Ok(no_content())
}

#[utoipa::path(
    get,
    path = "/api/v4/personal_access_tokens/{token_id}",
    tag = "tokens",
    summary = "Get a token (its owner or an administrator)",
    params(("token_id" = i64, Path)),
    responses((status = 200, description = "The token", body = PersonalTokenEntity), (status = 401, description = "Not the caller's token (or none such), for anyone but an administrator; or bad credentials", body = AnyError), (status = 404, description = "No such token (administrators)", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    let token = match token_named(&app, &caller, &request).await? {
        Some(token) if may_handle(&caller, &token) => token,
        // GitLab tells only administrators that a token does not exist.
        _ if caller.is_admin() => return Err(ApiError::not_found_plain()),
        _ => return Err(ApiError::unauthorized()),
    };
    Ok(json_response(
        StatusCode::OK,
        &to_value(&PersonalTokenEntity::new(&token, None)),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/personal_access_tokens/{token_id}",
    tag = "tokens",
    summary = "Revoke a token (its owner or an administrator)",
    params(("token_id" = i64, Path)),
    responses((status = 204, description = "Done"), (status = 400, description = "Not the caller's token (`message`), or a parameter error (`error`)", body = AnyError), (status = 404, description = "No such token", body = MessageError))
)]
pub async fn revoke<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let token = token_named(&app, &caller, &request)
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    // GitLab's RevokeService refuses, and the API answers `bad_request!(nil)`.
    if !may_handle(&caller, &token) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "400 Bad request",
        ));
    }
    app.store.revoke_personal_token(token.id).await?;
    Ok(no_content())
}
