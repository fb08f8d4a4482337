//! Groups: `POST /groups` (top level or under a parent) and `GET /groups/:id`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::access::{self, Visibility};
use crate::domain::names::{is_reserved_top_level, is_valid_path, PATH_FORMAT_MESSAGE};
use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, GroupEntity};
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::find_group;
use crate::http::App;
use crate::store::{NewGroup, Store, StoreError};

#[utoipa::path(
    post,
    path = "/api/v4/groups",
    tag = "groups",
    summary = "Create a group or subgroup",
    request_body = GroupCreate,
    responses((status = 201, description = "The group", body = GroupEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let name = d.required_string("name");
    let path = d.required_string("path");
    let description = d.string("description");
    let visibility = d.one_of("visibility", &Visibility::VALUES);
    let parent_id = d.integer("parent_id");
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let user = caller.require_user()?.clone();

    let parent = match parent_id.value() {
        Some(id) => {
            let (parent, actor) = find_group(&app, &caller, &id.to_string()).await?;
            if !access::can_create_subgroup(&actor) {
                return Err(ApiError::forbidden());
            }
            Some(parent)
        }
        None => None,
    };
    let name = name.value().unwrap_or_default();
    let path = path.value().unwrap_or_default();
    if crate::domain::link::is_blank(&name) {
        return Err(ApiError::field("name", "can't be blank"));
    }
    if !is_valid_path(&path) {
        return Err(ApiError::field("path", PATH_FORMAT_MESSAGE));
    }
    if parent.is_none() && is_reserved_top_level(&path) {
        return Err(ApiError::field(
            "path",
            &format!("{path} is a reserved name"),
        ));
    }
    let visibility = visibility
        .value()
        .and_then(|v| Visibility::parse(&v))
        .unwrap_or(Visibility::Private);
    if let Some(parent) = &parent {
        if visibility > parent.visibility {
            return Err(ApiError::field(
                "visibility_level",
                &format!(
                    "{visibility} is not allowed since the parent group has a {} visibility.",
                    parent.visibility
                ),
            ));
        }
    }
    let group = app
        .store
        .create_group(&NewGroup {
            name,
            path,
            parent,
            visibility,
            description: description.value().unwrap_or_default(),
            creator_id: user.id,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => ApiError::field("path", "has already been taken"),
            other => other.into(),
        })?;
    Ok(json_response(
        StatusCode::CREATED,
        &to_value(&GroupEntity::new(&app.urls, &group)),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v4/groups/{id}",
    tag = "groups",
    summary = "Get a group",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path")),
    responses((status = 200, description = "The group", body = GroupEntity), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let (group, _) = find_group(&app, &caller, request.path("id")).await?;
    Ok(json_response(
        StatusCode::OK,
        &to_value(&GroupEntity::new(&app.urls, &group)),
    ))
}
