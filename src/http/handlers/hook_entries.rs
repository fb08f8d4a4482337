//! A hook's URL variables and custom headers one by one (GitLab's `API::Hooks::UrlVariables`
//! and `CustomHeaders`): set one (204), or remove one (204; a key it does not have is a 404).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::webhooks;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{no_content, ApiError, ApiResult};
use crate::http::handlers::hooks::{find_hook, project_owner};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::webhooks::Secrets;
use crate::http::App;
use crate::store::{HookOwner, HookSettings, Store};

/// Which of a hook's lists a route changes.
#[derive(Clone, Copy)]
pub(crate) enum Entries {
    UrlVariables,
    CustomHeaders,
}

impl Entries {
    fn of(self, secrets: &mut Secrets) -> &mut std::collections::BTreeMap<String, String> {
        match self {
            Self::UrlVariables => &mut secrets.url_variables,
            Self::CustomHeaders => &mut secrets.custom_headers,
        }
    }

    fn valid(self, secrets: &Secrets) -> bool {
        match self {
            Self::UrlVariables => webhooks::valid_url_variables(&secrets.url_variables),
            Self::CustomHeaders => webhooks::valid_custom_headers(&secrets.custom_headers),
        }
    }

    fn resource(self) -> &'static str {
        match self {
            Self::UrlVariables => "URL variable",
            Self::CustomHeaders => "Custom header",
        }
    }
}

/// Seals the secrets into the settings and writes them: 204.
async fn save<S: Store>(
    app: &App<S>,
    owner: HookOwner,
    id: i64,
    mut settings: HookSettings,
    secrets: &Secrets,
) -> ApiResult<Response> {
    secrets.seal_into(&app.sealing, &mut settings);
    app.store
        .update_hook(owner, id, &settings)
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    Ok(no_content())
}

pub(crate) async fn set<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: HookOwner,
    which: Entries,
) -> ApiResult<Response> {
    let hook = find_hook(app, owner, request).await?;
    let mut d = Declared::new(&request.params);
    let value = d.required_string("value");
    d.finish()?;
    let settings = hook.settings.clone();
    let mut secrets = Secrets::open(&app.sealing, &settings);
    which.of(&mut secrets).insert(
        request.path("key").to_owned(),
        value.value().unwrap_or_default(),
    );
    // GitLab saves the whole hook: any of its validations failing is this answer.
    let saved_valid = crate::http::handlers::hook_params::validate(app, &settings, &secrets)
        .await
        .is_ok();
    if !which.valid(&secrets) || !saved_valid {
        return Err(ApiError::Error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Illegal key or value".into(),
        ));
    }
    save(app, owner, hook.id, settings, &secrets).await
}

pub(crate) async fn unset<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: HookOwner,
    which: Entries,
) -> ApiResult<Response> {
    let hook = find_hook(app, owner, request).await?;
    let settings = hook.settings.clone();
    let mut secrets = Secrets::open(&app.sealing, &settings);
    if which.of(&mut secrets).remove(request.path("key")).is_none() {
        return Err(ApiError::not_found(which.resource()));
    }
    save(app, owner, hook.id, settings, &secrets).await
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/url_variables/{key}",
    tag = "hooks",
    summary = "Set a webhook's URL variable",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path), ("value" = String, Query)),
    responses((status = 204, description = "Set"), (status = 400, description = "value is missing", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError), (status = 422, description = "Illegal key or value (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn set_url_variable<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    set(&app, &request, owner, Entries::UrlVariables).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/url_variables/{key}",
    tag = "hooks",
    summary = "Remove a webhook's URL variable",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project, hook or variable", body = MessageError))
)]
pub async fn unset_url_variable<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    unset(&app, &request, owner, Entries::UrlVariables).await
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/custom_headers/{key}",
    tag = "hooks",
    summary = "Set a webhook's custom header",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path), ("value" = String, Query)),
    responses((status = 204, description = "Set"), (status = 400, description = "value is missing", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError), (status = 422, description = "Illegal key or value (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn set_custom_header<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    set(&app, &request, owner, Entries::CustomHeaders).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/custom_headers/{key}",
    tag = "hooks",
    summary = "Remove a webhook's custom header",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project, hook or header", body = MessageError))
)]
pub async fn unset_custom_header<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    unset(&app, &request, owner, Entries::CustomHeaders).await
}
