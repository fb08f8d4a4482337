//! Protected tags: name or wildcard patterns whose releases (and tags) only the allowed roles
//! may create, change or delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::access::{AccessLevel, ProtectedTagRule};
use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, ProtectedTagEntity};
use crate::http::error::no_content;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{ProtectedTag, Store, StoreError};

async fn scope<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<ProjectScope> {
    let caller = authenticate(app, request, RouteAuth::DEFAULT).await?;
    find_project(app, &caller, request, request.path("id")).await
}

async fn find<S: Store>(app: &App<S>, scope: &ProjectScope, name: &str) -> ApiResult<ProtectedTag> {
    app.store
        .protected_tags(scope.project.id)
        .await?
        .into_iter()
        .find(|p| p.name == name)
        .ok_or_else(ApiError::record_not_found)
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/protected_tags",
    tag = "tags",
    summary = "List protected tags",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "The protected tags", body = [ProtectedTagEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_read_code())?;
    let all = app.store.protected_tags(scope.project.id).await?;
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    let items: Vec<_> = all
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit()).unwrap_or(0))
        .map(|p| to_value(&ProtectedTagEntity::new(p)))
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/protected_tags/{name}",
    tag = "tags",
    summary = "Get a protected tag",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("name" = String, Path)),
    responses((status = 200, description = "The protected tag", body = ProtectedTagEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_read_code())?;
    let tag = find(&app, &scope, request.path("name")).await?;
    Ok(json_response(
        StatusCode::OK,
        &to_value(&ProtectedTagEntity::new(&tag)),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/protected_tags",
    tag = "tags",
    summary = "Protect tags by name or wildcard",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = ProtectedTagCreate,
    responses((status = 201, description = "The protected tag", body = ProtectedTagEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 409, description = "Already exists", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let name = d.required_string("name");
    let level = d.integer_one_of("create_access_level", &ProtectedTagRule::LEVEL_VALUES);
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_admin())?;
    let name = name.value().unwrap_or_default();
    if crate::domain::link::is_blank(&name) {
        return Err(ApiError::field("name", "can't be blank"));
    }
    let level = AccessLevel(level.value().unwrap_or(AccessLevel::MAINTAINER.0));
    let created = app
        .store
        .create_protected_tag(scope.project.id, &name, level)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::message(
                StatusCode::CONFLICT,
                format!("Protected tag '{name}' already exists"),
            ),
            other => other.into(),
        })?;
    Ok(json_response(
        StatusCode::CREATED,
        &to_value(&ProtectedTagEntity::new(&created)),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/protected_tags/{name}",
    tag = "tags",
    summary = "Unprotect tags",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("name" = String, Path)),
    responses((status = 204, description = "Done"), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_admin())?;
    let tag = find(&app, &scope, request.path("name")).await?;
    app.store
        .delete_protected_tag(scope.project.id, &tag.name)
        .await?;
    Ok(no_content())
}
