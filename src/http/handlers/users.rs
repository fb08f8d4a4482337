//! Users: `GET /user`, `GET /users`, `GET /users/:id`, `POST /users` (administrators).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::names::{is_reserved_top_level, is_valid_path, PATH_FORMAT_MESSAGE};
use crate::http::auth::{authenticate, Caller, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, UserBasic, UserEntity};
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::find_user;
use crate::http::App;
use crate::store::{NewUser, Store, StoreError, User};

/// Private fields are shown to the user themself and to administrators.
fn present<S: Store>(app: &App<S>, caller: &Caller, user: &User) -> serde_json::Value {
    let private = caller.is_admin() || caller.user_id() == Some(user.id);
    to_value(&UserEntity::new(&app.urls, user, private))
}

#[utoipa::path(
    get,
    path = "/api/v4/user",
    tag = "users",
    summary = "The current user",
    responses((status = 200, description = "The caller", body = UserEntity))
)]
pub async fn current<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    let user = caller.require_user()?;
    Ok(json_response(StatusCode::OK, &present(&app, &caller, user)))
}

#[utoipa::path(
    get,
    path = "/api/v4/users",
    tag = "users",
    summary = "List users",
    params(("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20"), ("username" = Option<String>, Query)),
    responses((status = 200, description = "The users", body = [UserEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let username = d.string("username").value();
    let page = d.page();
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    let (users, total) = app.store.users(username.as_deref(), page).await?;
    let items: Vec<_> = users
        .iter()
        .map(|u| {
            if caller.is_admin() {
                present(&app, &caller, u)
            } else {
                to_value(&UserBasic::new(&app.urls, u))
            }
        })
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/users/{user_id}",
    tag = "users",
    summary = "Get a user",
    params(("user_id" = i64, Path)),
    responses((status = 200, description = "The user", body = UserEntity), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("user_id");
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    let user = find_user(&app, id).await?;
    Ok(json_response(
        StatusCode::OK,
        &present(&app, &caller, &user),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v4/users",
    tag = "users",
    summary = "Create a user (administrators)",
    request_body = UserCreate,
    responses((status = 201, description = "The user", body = UserEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 409, description = "Already exists", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let email = d.required_string("email");
    let name = d.required_string("name");
    let username = d.required_string("username");
    let admin = d.boolean("admin");
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    caller.require_admin()?;

    let email = email.value().unwrap_or_default();
    let name = name.value().unwrap_or_default();
    let username = username.value().unwrap_or_default();
    if crate::domain::link::is_blank(&name) {
        return Err(ApiError::field("name", "can't be blank"));
    }
    if !is_valid_path(&username) {
        return Err(ApiError::field("username", PATH_FORMAT_MESSAGE));
    }
    if is_reserved_top_level(&username) {
        return Err(ApiError::field(
            "username",
            &format!("{username} is a reserved name"),
        ));
    }
    if !email.contains('@') || email.chars().any(char::is_whitespace) {
        return Err(ApiError::field("email", "is invalid"));
    }
    // GitLab checks the username before the email.
    if app.store.user_by_username(&username).await?.is_some() {
        return Err(ApiError::message(
            StatusCode::CONFLICT,
            "Username has already been taken",
        ));
    }
    let new = NewUser {
        username,
        name,
        email,
        is_admin: admin.value().unwrap_or(false),
    };
    let user = app.store.create_user(&new).await.map_err(|e| match e {
        StoreError::Conflict(crate::store::Constraint::Email) => {
            ApiError::message(StatusCode::CONFLICT, "Email has already been taken")
        }
        StoreError::Conflict(_) => {
            ApiError::message(StatusCode::CONFLICT, "Username has already been taken")
        }
        other => other.into(),
    })?;
    Ok(json_response(
        StatusCode::CREATED,
        &present(&app, &caller, &user),
    ))
}
