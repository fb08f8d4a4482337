//! Projects: create (in the caller's namespace or a group), show (with GitLab's `permissions`
//! block that semantic-release reads), list, update and delete.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::domain::access::{self, FeatureAccess, Visibility};
use crate::domain::names::{is_valid_path, parameterize, PATH_FORMAT_MESSAGE};
use crate::domain::release_policy::LatestOrder;
use crate::domain::time::{now_micros, today};
use crate::http::auth::{authenticate, Caller, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, ProjectEntity};
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::{Declared, Field};
use crate::http::request::ApiRequest;
use crate::http::scope::{find_group, find_user};
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{
    MemberLevels, Namespace, NamespaceKind, NewProject, Project, ProjectChanges, ProjectFilter,
    Store, StoreError, User,
};

/// The user whose personal namespace holds the project.
fn personal_owner(project: &Project) -> Option<i64> {
    match project.namespace.kind {
        NamespaceKind::User => project.namespace.owner_id,
        NamespaceKind::Group => None,
    }
}

async fn present<S: Store>(
    app: &App<S>,
    project: &Project,
    levels: Option<MemberLevels>,
) -> ApiResult<serde_json::Value> {
    let owner = match personal_owner(project) {
        Some(id) => app.store.user(id).await?,
        None => None,
    };
    Ok(to_value(&ProjectEntity::new(
        &app.urls,
        project,
        owner.as_ref(),
        levels,
    )))
}

/// The project attributes POST and PUT share.
struct ProjectInput {
    name: Field<String>,
    path: Field<String>,
    description: Field<String>,
    visibility: Option<Visibility>,
    releases_access: Option<FeatureAccess>,
    /// `Some(None)`: sent as null, back to GitLab's order.
    releases_latest_order: Option<Option<LatestOrder>>,
    releases_immutable: Option<bool>,
}

impl ProjectInput {
    fn read(d: &mut Declared<'_>) -> Self {
        Self {
            name: d.string("name"),
            path: d.string("path"),
            description: d.string("description"),
            visibility: d
                .one_of("visibility", &Visibility::VALUES)
                .value()
                .and_then(|v| Visibility::parse(&v)),
            releases_access: d
                .one_of("releases_access_level", &FeatureAccess::VALUES)
                .value()
                .and_then(|v| FeatureAccess::parse(&v)),
            releases_latest_order: d
                .one_of("releases_latest_order", &LatestOrder::VALUES)
                .into_change()
                .map(|order| order.and_then(|v| LatestOrder::parse(&v))),
            releases_immutable: d.boolean("releases_immutable").value(),
        }
    }
}

fn check_name_and_path(name: &str, path: &str) -> ApiResult<()> {
    if crate::domain::link::is_blank(name) {
        return Err(ApiError::field("name", "can't be blank"));
    }
    if !is_valid_path(path) {
        return Err(ApiError::field("path", PATH_FORMAT_MESSAGE));
    }
    Ok(())
}

/// A project may not be more visible than the group it is in.
fn check_visibility(visibility: Visibility, namespace: &Namespace) -> ApiResult<()> {
    if namespace.kind == NamespaceKind::Group && visibility > namespace.visibility {
        return Err(ApiError::field(
            "visibility_level",
            &format!(
                "{visibility} is not allowed in a {} group.",
                namespace.visibility
            ),
        ));
    }
    Ok(())
}

/// GitLab's `{"message": {"name": […], "path": […]}}` for names and paths already taken in the
/// namespace, checked before writing (the unique indexes catch a racing request).
async fn check_taken<S: Store>(
    app: &App<S>,
    namespace_id: i64,
    name: &str,
    path: &str,
    except: Option<i64>,
) -> ApiResult<()> {
    let (name_taken, path_taken) = app
        .store
        .project_name_conflicts(namespace_id, name, path, except)
        .await?;
    let mut fields = serde_json::Map::new();
    if name_taken {
        fields.insert("name".into(), json!(["has already been taken"]));
    }
    if path_taken {
        fields.insert("path".into(), json!(["has already been taken"]));
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(StatusCode::BAD_REQUEST, fields.into()))
    }
}

fn conflict_error(error: StoreError) -> ApiError {
    match error {
        StoreError::Conflict(crate::store::Constraint::ProjectName) => {
            ApiError::field("name", "has already been taken")
        }
        StoreError::Conflict(_) => ApiError::field("path", "has already been taken"),
        other => other.into(),
    }
}

/// Where a new project goes: `namespace_id` (id or full path) when given, else the user's own.
async fn target_namespace<S: Store>(
    app: &App<S>,
    caller: &Caller,
    owner: &User,
    namespace_id: Option<String>,
) -> ApiResult<Namespace> {
    let Some(id) = namespace_id else {
        return app
            .store
            .user_namespace(owner.id)
            .await?
            .ok_or_else(|| ApiError::not_found("Namespace"));
    };
    let namespace = match id.parse::<i64>() {
        Ok(n) => app.store.namespace(n).await?,
        Err(_) => app.store.namespace_by_full_path(&id).await?,
    }
    .ok_or_else(|| ApiError::not_found("Namespace"))?;
    match namespace.kind {
        NamespaceKind::User if namespace.owner_id == Some(owner.id) || caller.is_admin() => {
            Ok(namespace)
        }
        NamespaceKind::User => Err(ApiError::not_found("Namespace")),
        NamespaceKind::Group => {
            let (group, actor) = find_group(app, caller, &namespace.id.to_string()).await?;
            if access::can_create_project_in_group(&actor) {
                Ok(group)
            } else {
                Err(ApiError::forbidden())
            }
        }
    }
}

async fn create_in<S: Store>(
    app: &App<S>,
    caller: &Caller,
    owner: &User,
    input: ProjectInput,
    namespace_id: Option<String>,
) -> ApiResult<Response> {
    let namespace = target_namespace(app, caller, owner, namespace_id).await?;
    let (name, path) = match (input.name.value(), input.path.value()) {
        (Some(name), Some(path)) => (name, path),
        (Some(name), None) => {
            let path = parameterize(&name);
            (name, path)
        }
        (None, Some(path)) => (path.clone(), path),
        (None, None) => (String::new(), String::new()),
    };
    check_name_and_path(&name, &path)?;
    let visibility = input.visibility.unwrap_or(Visibility::Private);
    check_visibility(visibility, &namespace)?;
    check_taken(app, namespace.id, &name, &path, None).await?;
    let project = app
        .store
        .create_project(&NewProject {
            namespace,
            name,
            path,
            description: input.description.value(),
            visibility,
            releases_access: input.releases_access.unwrap_or(FeatureAccess::Enabled),
            releases_latest_order: input.releases_latest_order.flatten(),
            releases_immutable: input.releases_immutable.unwrap_or(false),
            creator_id: caller.user_id().unwrap_or(owner.id),
        })
        .await
        .map_err(conflict_error)?;
    let levels = app
        .store
        .member_grants(owner.id, &project)
        .await?
        .on(today());
    let body = present(app, &project, Some(levels)).await?;
    Ok(json_response(StatusCode::CREATED, &body))
}

fn namespace_param(d: &mut Declared<'_>) -> Option<String> {
    d.string("namespace_id")
        .value()
        .or_else(|| d.string("namespace").value())
}

#[utoipa::path(
    post,
    path = "/api/v4/projects",
    tag = "projects",
    summary = "Create a project",
    request_body = ProjectBody,
    responses((status = 201, description = "The project", body = ProjectEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let input = ProjectInput::read(&mut d);
    let namespace_id = namespace_param(&mut d);
    d.at_least_one_of(&["name", "path"]);
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let user = caller.require_user()?.clone();
    create_in(&app, &caller, &user, input, namespace_id).await
}

/// `POST /projects/user/:user_id`: an administrator creates a project for a user.
#[utoipa::path(
    post,
    path = "/api/v4/projects/user/{user_id}",
    tag = "projects",
    summary = "Create a project for a user (administrators)",
    params(("user_id" = i64, Path)),
    request_body = ProjectBody,
    responses((status = 201, description = "The project", body = ProjectEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn create_for_user<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id");
    let input = ProjectInput::read(&mut d);
    let namespace_id = namespace_param(&mut d);
    if !input.name.is_present() {
        d.fail("name", "is missing");
    }
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    caller.require_admin()?;
    let owner = find_user(&app, user_id).await?;
    create_in(&app, &caller, &owner, input, namespace_id).await
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}",
    tag = "projects",
    summary = "Get a project, with the caller's permissions",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    responses((status = 200, description = "The project", body = ProjectEntity), (status = 301, description = "Moved: the project's old path"), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let scope = find_project(&app, &caller, &request, request.path("id")).await?;
    let body = present(&app, &scope.project, Some(scope.levels)).await?;
    Ok(json_response(StatusCode::OK, &body))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects",
    tag = "projects",
    summary = "List the projects the caller can see",
    params(("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20"), ("membership" = Option<bool>, Query), ("owned" = Option<bool>, Query), ("search" = Option<String>, Query), ("visibility" = Option<String>, Query), ("order_by" = Option<String>, Query), ("sort" = Option<String>, Query)),
    responses((status = 200, description = "The projects", body = [ProjectEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let membership = d.boolean("membership").value().unwrap_or(false);
    let owned = d.boolean("owned").value().unwrap_or(false);
    let search = d.string("search").value().filter(|s| !s.is_empty());
    let visibility = d
        .one_of("visibility", &Visibility::VALUES)
        .value()
        .and_then(|v| Visibility::parse(&v));
    let order_by = d.one_of(
        "order_by",
        &[
            "id",
            "name",
            "path",
            "created_at",
            "updated_at",
            "last_activity_at",
        ],
    );
    let sort = d.one_of("sort", &["asc", "desc"]);
    let page = d.page();
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let filter = ProjectFilter {
        user_id: caller.user_id(),
        today: today(),
        all: caller.is_admin(),
        membership: membership && caller.user.is_some(),
        owned: owned && caller.user.is_some(),
        search,
        visibility,
        order_by_id: order_by.value().as_deref() == Some("id"),
        ascending: sort.value().as_deref() == Some("asc"),
    };
    let (projects, total) = app.store.projects(&filter, page).await?;
    // Owners of personal projects are fetched in one query, not one per project.
    let owner_ids: Vec<i64> = projects.iter().filter_map(personal_owner).collect();
    let owners = app.store.users_by_ids(&owner_ids).await?;
    let items: Vec<_> = projects
        .iter()
        .map(|p| {
            let owner = personal_owner(p).and_then(|id| owners.iter().find(|u| u.id == id));
            to_value(&ProjectEntity::new(&app.urls, p, owner, None))
        })
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}",
    tag = "projects",
    summary = "Update a project",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = ProjectBody,
    responses((status = 200, description = "The project", body = ProjectEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn update<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let input = ProjectInput::read(&mut d);
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let scope: ProjectScope = find_project(&app, &caller, &request, request.path("id")).await?;
    scope.require(scope.can_admin())?;
    let project = &scope.project;
    let name = input
        .name
        .clone()
        .value()
        .unwrap_or_else(|| project.name.clone());
    let path = input
        .path
        .clone()
        .value()
        .unwrap_or_else(|| project.path.clone());
    check_name_and_path(&name, &path)?;
    if let Some(visibility) = input.visibility {
        check_visibility(visibility, &project.namespace)?;
    }
    check_taken(&app, project.namespace.id, &name, &path, Some(project.id)).await?;
    if input.releases_immutable == Some(false)
        && project.releases_immutable
        && !caller.is_admin()
        && app
            .store
            .has_published_releases(project.id, now_micros())
            .await?
    {
        return Err(ApiError::message(
            StatusCode::FORBIDDEN,
            "403 Forbidden - releases_immutable can be turned off only by an administrator \
             while the project has immutable releases",
        ));
    }
    let changes = ProjectChanges {
        name: input.name.value(),
        path: input.path.value(),
        description: input.description.into_change(),
        visibility: input.visibility,
        releases_access: input.releases_access,
        releases_latest_order: input.releases_latest_order,
        releases_immutable: input.releases_immutable,
    };
    let updated = app
        .store
        .update_project(project.id, &changes)
        .await
        .map_err(conflict_error)?;
    let body = present(&app, &updated, Some(scope.levels)).await?;
    Ok(json_response(StatusCode::OK, &body))
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}",
    tag = "projects",
    summary = "Delete a project and everything in it",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    responses((status = 202, description = "Deleted", body = Accepted), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    let scope = find_project(&app, &caller, &request, request.path("id")).await?;
    scope.require(access::can_remove_project(&scope.actor))?;
    app.store.delete_project(scope.project.id).await?;
    // Its packages and uploads went with it: their bytes are the sweep's now.
    app.files.removed();
    Ok(json_response(
        StatusCode::ACCEPTED,
        &json!({ "message": "202 Accepted" }),
    ))
}
