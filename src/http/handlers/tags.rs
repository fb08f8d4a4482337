//! Tags as records. relinks hosts no git repository: a tag is a name, a target and a message,
//! recorded when a client creates it or when a release names a tag not seen before.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::names::is_valid_tag_name;
use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, TagEntity};
use crate::http::error::no_content;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{NewTag, Store, StoreError, TagOrder, TagQuery};

async fn scope<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<ProjectScope> {
    let caller = authenticate(app, request, RouteAuth::DEFAULT).await?;
    find_project(app, &caller, request, request.path("id")).await
}

fn tag_not_found() -> ApiError {
    ApiError::not_found("Tag")
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/repository/tags",
    tag = "tags",
    summary = "List tags",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20"), ("order_by" = Option<String>, Query), ("sort" = Option<String>, Query), ("search" = Option<String>, Query)),
    responses((status = 200, description = "The tags", body = [TagEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let order = d.one_of("order_by", &["name", "updated", "version"]);
    let sort = d.one_of("sort", &["asc", "desc"]);
    let search = d.string("search").value().filter(|s| !s.is_empty());
    let page = d.page();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_read_code())?;
    let query = TagQuery {
        search,
        order: match order.value().as_deref() {
            Some("name" | "version") => TagOrder::Name,
            _ => TagOrder::Updated,
        },
        ascending: sort.value().as_deref() == Some("asc"),
    };
    let (tags, total) = app.store.tags(scope.project.id, &query, page).await?;
    // Releases are embedded only for callers who may read them: nothing is fetched otherwise.
    let releases = if scope.can_read_releases() {
        let names: Vec<String> = tags.iter().map(|t| t.name.clone()).collect();
        Some(
            app.store
                .releases_for_tags(scope.project.id, &names)
                .await?,
        )
    } else {
        None
    };
    let protected = app.store.protected_tags(scope.project.id).await?;
    let items: Vec<_> = tags
        .iter()
        .map(|t| {
            let release = releases
                .as_ref()
                .map(|all| all.iter().find(|r| r.tag == t.name));
            to_value(&TagEntity::new(t, release, &protected))
        })
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/repository/tags/{tag_name}",
    tag = "tags",
    summary = "Get a tag",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    responses((status = 200, description = "The tag", body = TagEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_read_code())?;
    let tag = app
        .store
        .tag(scope.project.id, request.path("tag_name"))
        .await?
        .ok_or_else(tag_not_found)?;
    let release = if scope.can_read_releases() {
        Some(app.store.release(scope.project.id, &tag.name).await?)
    } else {
        None
    };
    let protected = app.store.protected_tags(scope.project.id).await?;
    Ok(json_response(
        StatusCode::OK,
        &to_value(&TagEntity::new(
            &tag,
            release.as_ref().map(Option::as_ref),
            &protected,
        )),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/repository/tags",
    tag = "tags",
    summary = "Record a tag",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = TagCreate,
    responses((status = 201, description = "The tag", body = TagEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 409, description = "Already exists", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let name = d.required_string("tag_name");
    let target = d.required_string("ref");
    let message = d.string("message");
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_write_releases())?;
    let name = name.value().unwrap_or_default();
    let target = target.value().unwrap_or_default();
    if !is_valid_tag_name(&name) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "Tag name invalid",
        ));
    }
    if target.trim().is_empty() {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "Target is empty",
        ));
    }
    let protected = app.store.protected_tags(scope.project.id).await?;
    if !scope.can_create_tag(&name, &protected) {
        return Err(ApiError::message(
            StatusCode::FORBIDDEN,
            "You are not allowed to create this tag as it is protected.",
        ));
    }
    let tag = app
        .store
        .create_tag(&NewTag {
            project_id: scope.project.id,
            name: name.clone(),
            target: Some(target),
            message: message.value().filter(|m| !m.is_empty()),
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => {
                ApiError::message(StatusCode::CONFLICT, format!("Tag {name} already exists"))
            }
            other => other.into(),
        })?;
    Ok(json_response(
        StatusCode::CREATED,
        &to_value(&TagEntity::new(
            &tag,
            scope.can_read_releases().then_some(None),
            &protected,
        )),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/repository/tags/{tag_name}",
    tag = "tags",
    summary = "Delete a tag and its release",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    responses((status = 204, description = "Done"), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let scope = scope(&app, &request).await?;
    scope.require(scope.can_write_releases())?;
    let tag = app
        .store
        .tag(scope.project.id, request.path("tag_name"))
        .await?
        .ok_or_else(tag_not_found)?;
    let protected = app.store.protected_tags(scope.project.id).await?;
    scope.require(scope.can_create_tag(&tag.name, &protected))?;
    if let Some(release) = app.store.release(scope.project.id, &tag.name).await? {
        super::links::require_mutable(&scope, &release)?;
    }
    app.store.delete_tag(scope.project.id, &tag.name).await?;
    Ok(no_content())
}
