//! A hook's events (GitLab's `API::Hooks::Events`, `TriggerTest`): the last seven days of
//! them, each with its delivery's outcome, and a test event sent at once.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{json, Value};

use crate::domain::time::now_micros;
use crate::http::entities::WebHookLogEntity;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, ApiError, ApiResult};
use crate::http::handlers::hooks::{find_hook, project_owner};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::webhooks::Secrets;
use crate::http::App;
use crate::store::{EventFilter, EventState, HookEvent, Store};

/// The triggers a hook may be tested with (GitLab's `ProjectHook.triggers`).
const TRIGGERS: [&str; 18] = [
    "confidential_issues_events",
    "confidential_note_events",
    "deployment_events",
    "emoji_events",
    "feature_flag_events",
    "issues_events",
    "job_events",
    "merge_requests_events",
    "milestone_events",
    "note_events",
    "pipeline_events",
    "push_events",
    "releases_events",
    "resource_access_token_events",
    "resource_deploy_token_events",
    "tag_push_events",
    "vulnerability_events",
    "wiki_page_events",
];

const DAY: i64 = 86_400_000_000;

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/events",
    tag = "hooks",
    summary = "List a webhook's events of the last seven days",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("status" = Option<String>, Query, description = "Status codes, or successful, client_failure, server_failure; comma-separated"), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query, description = "1 to 20")),
    responses((status = 200, description = "The events, newest first", body = [WebHookLogEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("Link" = String))), (status = 400, description = "Parameter errors", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    list_events(&app, &request, owner).await
}

pub(crate) async fn list_events<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: crate::store::HookOwner,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let statuses = d.string("status");
    let per_page = d.integer("per_page");
    let page = d.page();
    d.finish()?;
    if per_page
        .clone()
        .value()
        .is_some_and(|n| !(1..=20).contains(&n))
    {
        return Err(ApiError::params("per_page does not have a valid value"));
    }
    let mut filter = EventFilter {
        since: start_of_day(now_micros()) - 7 * DAY,
        ..EventFilter::default()
    };
    for status in statuses
        .value()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match status {
            "successful" => filter.ranges.push((200, 299)),
            "client_failure" => filter.ranges.push((400, 499)),
            "server_failure" => {
                filter.ranges.push((500, 599));
                filter.internal_errors = true;
            }
            code if code.len() == 3
                && code.parse::<u16>().is_ok_and(|c| (100..600).contains(&c)) =>
            {
                filter.statuses.push(code.to_owned());
            }
            _ => return Err(ApiError::params("status does not have a valid value")),
        }
    }
    let hook = find_hook(app, owner, request).await?;
    // As GitLab's logs show it: credentials in the URL masked.
    let url = crate::http::webhooks::masked_url(&Secrets::open(&app.sealing, &hook.settings).url);
    let (events, total) = app.store.hook_events(hook.id, &filter, page).await?;
    let items: Vec<Value> = events
        .iter()
        .map(|e| serde_json::to_value(WebHookLogEntity::new(e, &url)).unwrap_or(Value::Null))
        .collect();
    Ok(paginated(&app.urls, request, page, total, &items))
}

fn start_of_day(micros: i64) -> i64 {
    micros - micros.rem_euclid(DAY)
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/test/{trigger}",
    tag = "hooks",
    summary = "Send a test event to a webhook now",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("trigger" = String, Path, description = "releases_events or tag_push_events (the others have nothing to send here)")),
    responses((status = 201, description = "The receiver answered 2xx", body = CreatedMessage), (status = 400, description = "Unknown trigger", body = ParamError), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project or hook", body = MessageError), (status = 422, description = "Nothing to send, or the receiver's answer was not 2xx (its body)", body = MessageError))
)]
pub async fn test<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    test_hook(&app, &request, owner).await
}

pub(crate) async fn test_hook<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: crate::store::HookOwner,
) -> ApiResult<Response> {
    let trigger = request.path("trigger").to_owned();
    if !TRIGGERS.contains(&trigger.as_str()) {
        return Err(ApiError::params("trigger does not have a valid value"));
    }
    let hook = find_hook(app, owner, request).await?;
    let unavailable = |text: &str| ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, text);
    let project_id = match owner {
        crate::store::HookOwner::Project(id) => id,
        crate::store::HookOwner::Group(_) => {
            return Err(unavailable("Testing not available for this hook"))
        }
    };
    let (hook_trigger, subject, snapshot) = match trigger.as_str() {
        "releases_events" => {
            let newest = app
                .store
                .releases(
                    project_id,
                    &crate::store::ReleaseQuery {
                        order: crate::store::ReleaseOrder::CreatedAt,
                        ascending: false,
                        updated_before: None,
                        updated_after: None,
                    },
                    crate::domain::pagination::PageRequest::new(Some(1), Some(1)),
                )
                .await?
                .0
                .into_iter()
                .next()
                .ok_or_else(|| unavailable("Ensure the project has releases."))?;
            (
                "release_hooks",
                newest.id,
                json!({"tag": newest.tag}).to_string(),
            )
        }
        "tag_push_events" => {
            let newest = app
                .store
                .tags(
                    project_id,
                    &crate::store::TagQuery {
                        search: None,
                        order: crate::store::TagOrder::Name,
                        ascending: false,
                    },
                    crate::domain::pagination::PageRequest::new(Some(1), Some(1)),
                )
                .await?
                .0
                .into_iter()
                .next();
            let (id, snapshot) = match newest {
                Some(tag) => (
                    tag.id,
                    json!({"name": tag.name, "target": tag.target, "message": tag.message}),
                ),
                None => (
                    0,
                    json!({"name": "v1.0.0", "target": null, "message": null}),
                ),
            };
            ("tag_push_hooks", id, snapshot.to_string())
        }
        "issues_events" | "confidential_issues_events" => {
            return Err(unavailable("Ensure the project has issues."))
        }
        "note_events" => return Err(unavailable("Ensure the project has notes.")),
        "merge_requests_events" => {
            return Err(unavailable("Ensure the project has merge requests."))
        }
        "job_events" => return Err(unavailable("Ensure the project has CI jobs.")),
        "pipeline_events" => return Err(unavailable("Ensure the project has CI pipelines.")),
        "wiki_page_events" => return Err(unavailable("Ensure the wiki is enabled and has pages.")),
        _ => return Err(unavailable("Testing not available for this hook")),
    };
    let event = HookEvent {
        id: 0,
        hook_id: hook.id,
        trigger: hook_trigger.to_owned(),
        project_id,
        subject_id: subject,
        action: "create".to_owned(),
        author_id: None,
        author_name: None,
        snapshot: Some(snapshot),
        payload: None,
        idempotency_key: None,
        state: EventState::Pending,
        attempts: 0,
        next_attempt_at: now_micros(),
        request_headers: None,
        response_status: None,
        response_headers: None,
        response_body: None,
        execution_duration: None,
        created_at: now_micros(),
        sent_at: None,
    };
    let body = app
        .event_body(&event)
        .await?
        .ok_or_else(|| unavailable("Testing not available for this hook"))?;
    let key = crate::http::middleware::random_uuid();
    let outcome = app.send_now(&hook, &event, &body, &key).await?;
    if outcome.succeeded && outcome.status.is_some_and(|s| (200..300).contains(&s)) {
        Ok(json_response(
            StatusCode::CREATED,
            &json!({"message": "201 Created"}),
        ))
    } else {
        let message = match outcome.status {
            Some(_) => outcome.response_body,
            None => outcome.error.unwrap_or_default(),
        };
        Err(ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, message))
    }
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/hooks/{hook_id}/events/{hook_log_id}/resend",
    tag = "hooks",
    summary = "Send one of a webhook's events again, now",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("hook_id" = i64, Path), ("hook_log_id" = i64, Path)),
    responses((status = 201, description = "Sent: the receiver's status code, whatever it was", body = ResendAnswer), (status = 401, description = "Not signed in", body = MessageError), (status = 403, description = "Not a maintainer", body = AuthError), (status = 404, description = "No such project, hook or event", body = MessageError), (status = 422, description = "The hook is disabled, or no answer came", body = MessageError))
)]
pub async fn resend<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let owner = project_owner(&app, &request).await?;
    resend_by_path(&app, &request, owner).await
}

pub(crate) async fn resend_by_path<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    owner: crate::store::HookOwner,
) -> ApiResult<Response> {
    let hook = find_hook(app, owner, request).await?;
    let id = request
        .path("hook_log_id")
        .parse::<i64>()
        .map_err(|_| ApiError::params("hook_log_id is invalid"))?;
    let event = app
        .store
        .hook_event(hook.id, id)
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    resend_event(app, &hook, event).await
}

/// GitLab's `ResendService`: the event's body again, with its `Idempotency-Key` (so that a
/// receiver sees a redelivery), unless the hook is disabled; recorded as an event of its own.
pub(crate) async fn resend_event<S: Store>(
    app: &App<S>,
    hook: &crate::store::WebHook,
    event: HookEvent,
) -> ApiResult<Response> {
    let now = now_micros();
    if !hook.health.is_executable(now) {
        return Err(ApiError::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            "Hook disabled",
        ));
    }
    let body = match event.payload.as_deref().filter(|p| !p.is_empty()) {
        Some(payload) => payload.to_owned(),
        None => app.event_body(&event).await?.ok_or_else(|| {
            ApiError::message(
                StatusCode::UNPROCESSABLE_ENTITY,
                "What the event was about is gone",
            )
        })?,
    };
    let key = event
        .idempotency_key
        .clone()
        .filter(|k| !k.is_empty())
        .unwrap_or_else(|| crate::http::webhooks::event_key(&event));
    let outcome = app.send_now(hook, &event, &body, &key).await?;
    match outcome.status {
        Some(status) => Ok(json_response(
            StatusCode::CREATED,
            &json!({"response_status": status}),
        )),
        None => Err(ApiError::message(
            StatusCode::UNPROCESSABLE_ENTITY,
            outcome.error.unwrap_or_default(),
        )),
    }
}
