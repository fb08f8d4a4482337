//! Project hooks (GitLab's `API::ProjectHooks`): maintainers and up list, read, create, change,
//! delete and test them. Create errors are GitLab's `{"error": …}` (422 `Invalid url given`
//! for a URL that is not http(s), misses a variable or leads to a non-public address).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::domain::time::now_micros;
use crate::http::auth::{authenticate, RouteAuth};
use crate::http::entities::HookEntity;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, no_content, ApiError, ApiResult};
use crate::http::handlers::hook_params::{defaults, validate, HookParams};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::find_project;
use crate::http::webhooks::Secrets;
use crate::http::App;
use crate::store::{HookOwner, Store, WebHook};

/// The project's hooks may be handled by the caller (maintainer and up): the owner, or the
/// error GitLab answers.
pub(crate) async fn project_owner<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
) -> ApiResult<HookOwner> {
    let caller = authenticate(app, request, RouteAuth::DEFAULT).await?;
    // GitLab's `authenticate!` comes first: no one anonymous learns whether the project exists.
    caller.require_user()?;
    let scope = find_project(app, &caller, request, request.path("id")).await?;
    scope.require(scope.can_admin())?;
    Ok(HookOwner::Project(scope.project.id))
}

/// The hook named by the path, or GitLab's `404 Not found`.
pub(crate) async fn find_hook<S: Store>(
    app: &App<S>,
    owner: HookOwner,
    request: &ApiRequest,
) -> ApiResult<WebHook> {
    let id = request
        .path("hook_id")
        .parse::<i64>()
        .map_err(|_| ApiError::params("hook_id is invalid"))?;
    app.store
        .hook(owner, id)
        .await?
        .ok_or_else(ApiError::record_not_found)
}

pub(crate) fn present(
    app_key: &crate::domain::sealed::SealingKey,
    hook: &WebHook,
    lists: bool,
) -> Value {
    let secrets = Secrets::open(app_key, &hook.settings);
    serde_json::to_value(HookEntity::new(hook, &secrets, lists, now_micros()))
        .unwrap_or(Value::Null)
}

pub(crate) async fn list_hooks<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: HookOwner,
    lists: bool,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let (hooks, total) = app.store.hooks(owner, page).await?;
    let items: Vec<Value> = hooks
        .iter()
        .map(|h| present(&app.sealing, h, lists))
        .collect();
    Ok(paginated(&app.urls, request, page, total, &items))
}

pub(crate) async fn create_hook<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: HookOwner,
) -> ApiResult<Response> {
    let params = HookParams::read(request, true, matches!(owner, HookOwner::Group(_)))?;
    let mut settings = defaults();
    let mut secrets = Secrets::default();
    params.apply(&mut settings, &mut secrets)?;
    validate(app, &settings, &secrets).await?;
    secrets.seal_into(&app.sealing, &mut settings);
    let hook = app.store.create_hook(owner, &settings).await?;
    Ok(json_response(
        StatusCode::CREATED,
        &present(&app.sealing, &hook, true),
    ))
}

pub(crate) async fn update_hook<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: HookOwner,
) -> ApiResult<Response> {
    let hook = find_hook(app, owner, request).await?;
    let params = HookParams::read(request, false, matches!(owner, HookOwner::Group(_)))?;
    if params.is_empty() {
        return Err(ApiError::params("No parameters provided"));
    }
    let mut settings = hook.settings.clone();
    let mut secrets = Secrets::open(&app.sealing, &settings);
    params.apply(&mut settings, &mut secrets)?;
    validate(app, &settings, &secrets).await?;
    secrets.seal_into(&app.sealing, &mut settings);
    let updated = app
        .store
        .update_hook(owner, hook.id, &settings)
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &present(&app.sealing, &updated, true),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/hooks",
    tag = "hooks",
    summary = "List a project's webhooks",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, description = "The hooks, without their URL variables and custom headers", body = [HookEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("Link" = String))), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    list_hooks(&app, &request, owner, false).await
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/hooks/{hook_id}",
    tag = "hooks",
    summary = "Get a project's webhook",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path)),
    responses((status = 200, description = "The hook", body = HookEntity), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    let hook = find_hook(&app, owner, &request).await?;
    Ok(json_response(
        StatusCode::OK,
        &present(&app.sealing, &hook, true),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/hooks",
    tag = "hooks",
    summary = "Add a webhook to a project",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = HookCreate,
    responses((status = 201, description = "The hook", body = HookEntity), (status = 400, description = "Parameter errors", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project", body = MessageError), (status = 422, description = "Invalid url given, and GitLab's other validations (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    create_hook(&app, &request, owner).await
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/hooks/{hook_id}",
    tag = "hooks",
    summary = "Change a project's webhook",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path)),
    request_body = HookCreate,
    responses((status = 200, description = "The hook", body = HookEntity), (status = 400, description = "No parameters provided, parameter errors", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError), (status = 422, description = "Invalid url given, and GitLab's other validations (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn update<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    update_hook(&app, &request, owner).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/hooks/{hook_id}",
    tag = "hooks",
    summary = "Delete a project's webhook (and its events)",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    let hook = find_hook(&app, owner, &request).await?;
    if !app.store.delete_hook(owner, hook.id).await? {
        return Err(ApiError::record_not_found());
    }
    Ok(no_content())
}
