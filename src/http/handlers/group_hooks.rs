//! Group hooks (GitLab Premium's `API::GroupHooks`): a group's owners keep hooks that get the
//! release and tag events of every project below the group. The same rules as project hooks,
//! but lists show URL variables and custom headers (keys only), as GitLab's do.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::access;
use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, no_content, ApiError, ApiResult};
use crate::http::handlers::hook_entries::{set, unset, Entries};
use crate::http::handlers::hook_events::{list_events, resend_by_path, test_hook};
use crate::http::handlers::hooks::{create_hook, find_hook, list_hooks, present, update_hook};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::request::ApiRequest;
use crate::http::scope::find_group;
use crate::http::App;
use crate::store::{HookOwner, Store};

/// The group's hooks may be handled by the caller (owners): the owner, or GitLab's error.
async fn group_owner<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<HookOwner> {
    let caller = authenticate(app, request, RouteAuth::DEFAULT).await?;
    caller.require_user()?;
    let (group, actor) = find_group(app, &caller, request.path("id")).await?;
    if !access::can_admin_group(&actor) {
        return Err(ApiError::forbidden());
    }
    Ok(HookOwner::Group(group.id))
}

#[utoipa::path(
    get,
    path = "/api/v4/groups/{id}/hooks",
    tag = "hooks",
    summary = "List a group's webhooks",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, description = "The hooks", body = [HookEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("Link" = String))), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    list_hooks(&app, &request, owner, true).await
}

#[utoipa::path(
    get,
    path = "/api/v4/groups/{id}/hooks/{hook_id}",
    tag = "hooks",
    summary = "Get a group's webhook",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path)),
    responses((status = 200, description = "The hook", body = HookEntity), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    let hook = find_hook(&app, owner, &request).await?;
    Ok(json_response(
        StatusCode::OK,
        &present(&app.sealing, &hook, true),
    ))
}

#[utoipa::path(
    post,
    path = "/api/v4/groups/{id}/hooks",
    tag = "hooks",
    summary = "Add a webhook to a group (its projects' events)",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path")),
    request_body = HookCreate,
    responses((status = 201, description = "The hook", body = HookEntity), (status = 400, description = "Parameter errors", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group", body = MessageError), (status = 422, description = "Invalid url given, and GitLab's other validations (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    create_hook(&app, &request, owner).await
}

#[utoipa::path(
    put,
    path = "/api/v4/groups/{id}/hooks/{hook_id}",
    tag = "hooks",
    summary = "Change a group's webhook",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path)),
    request_body = HookCreate,
    responses((status = 200, description = "The hook", body = HookEntity), (status = 400, description = "No parameters provided, parameter errors", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError), (status = 422, description = "Invalid url given, and GitLab's other validations (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn update<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    update_hook(&app, &request, owner).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/groups/{id}/hooks/{hook_id}",
    tag = "hooks",
    summary = "Delete a group's webhook (and its events)",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path)),
    responses((status = 204, description = "Deleted"), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    let hook = find_hook(&app, owner, &request).await?;
    if !app.store.delete_hook(owner, hook.id).await? {
        return Err(ApiError::record_not_found());
    }
    Ok(no_content())
}

#[utoipa::path(
    get,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/events",
    tag = "hooks",
    summary = "List a group webhook's events of the last seven days",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("status" = Option<String>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, description = "The events, newest first", body = [WebHookLogEntity]), (status = 400, description = "Parameter errors", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError))
)]
pub async fn events<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    list_events(&app, &request, owner).await
}

#[utoipa::path(
    post,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/test/{trigger}",
    tag = "hooks",
    summary = "Test a group's webhook (nothing to send here: GitLab's 422)",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("trigger" = String, Path)),
    responses((status = 400, description = "Unknown trigger", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError), (status = 422, description = "Testing not available for this hook", body = MessageError))
)]
pub async fn test<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    test_hook(&app, &request, owner).await
}

#[utoipa::path(
    post,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/events/{hook_log_id}/resend",
    tag = "hooks",
    summary = "Send one of a group webhook's events again, now",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("hook_log_id" = i64, Path)),
    responses((status = 201, description = "Sent: the receiver's status code", body = ResendAnswer), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group, hook or event", body = MessageError), (status = 422, description = "The hook is disabled, or no answer came", body = MessageError))
)]
pub async fn resend<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    resend_by_path(&app, &request, owner).await
}

#[utoipa::path(
    put,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/url_variables/{key}",
    tag = "hooks",
    summary = "Set a group webhook's URL variable",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path), ("value" = String, Query)),
    responses((status = 204, description = "Set"), (status = 400, description = "value is missing", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError), (status = 422, description = "Illegal key or value (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn set_url_variable<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    set(&app, &request, owner, Entries::UrlVariables).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/url_variables/{key}",
    tag = "hooks",
    summary = "Remove a group webhook's URL variable",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group, hook or key", body = MessageError))
)]
pub async fn unset_url_variable<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    unset(&app, &request, owner, Entries::UrlVariables).await
}

#[utoipa::path(
    put,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/custom_headers/{key}",
    tag = "hooks",
    summary = "Set a group webhook's custom header",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path), ("value" = String, Query)),
    responses((status = 204, description = "Set"), (status = 400, description = "value is missing", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group or hook", body = MessageError), (status = 422, description = "Illegal key or value (`error`); an Idempotency-Key reused (`message`)", body = BadRequest))
)]
pub async fn set_custom_header<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    set(&app, &request, owner, Entries::CustomHeaders).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/groups/{id}/hooks/{hook_id}/custom_headers/{key}",
    tag = "hooks",
    summary = "Remove a group webhook's custom header",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("key" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not an owner", body = AuthError), (status = 404, description = "No such group, hook or key", body = MessageError))
)]
pub async fn unset_custom_header<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = group_owner(&app, &request).await?;
    unset(&app, &request, owner, Entries::CustomHeaders).await
}
