//! The rows of `web_hooks` and `web_hook_events`, and the records they make.

use sqlx::FromRow;

use crate::domain::webhooks::HookHealth;
use crate::store::{EventState, HookEvent, HookOwner, HookSettings, WebHook};

pub const HOOK_COLUMNS: &str = "id, project_id, group_id, url, name, description, token, \
     signing_token, url_variables, custom_headers, releases_events, tag_push_events, \
     other_events, enable_ssl_verification, push_events_branch_filter, branch_filter_strategy, \
     custom_webhook_template, recent_failures, disabled_until, created_at, updated_at";

pub const EVENT_COLUMNS: &str = "id, hook_id, trigger, project_id, subject_id, action, \
     author_id, author_name, snapshot, payload, idempotency_key, state, attempts, \
     next_attempt_at, request_headers, response_status, response_headers, response_body, \
     execution_duration, created_at, sent_at";

#[derive(FromRow)]
pub struct HookRow {
    id: i64,
    project_id: Option<i64>,
    group_id: Option<i64>,
    url: String,
    name: Option<String>,
    description: Option<String>,
    token: Option<String>,
    signing_token: Option<String>,
    url_variables: Option<String>,
    custom_headers: Option<String>,
    releases_events: bool,
    tag_push_events: bool,
    other_events: String,
    enable_ssl_verification: bool,
    push_events_branch_filter: Option<String>,
    branch_filter_strategy: String,
    custom_webhook_template: Option<String>,
    recent_failures: i64,
    disabled_until: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<HookRow> for WebHook {
    fn from(r: HookRow) -> Self {
        let owner = match (r.project_id, r.group_id) {
            (Some(project), _) => HookOwner::Project(project),
            (None, group) => HookOwner::Group(group.unwrap_or_default()),
        };
        WebHook {
            id: r.id,
            owner,
            settings: HookSettings {
                url: r.url,
                name: r.name,
                description: r.description,
                token: r.token,
                signing_token: r.signing_token,
                url_variables: r.url_variables,
                custom_headers: r.custom_headers,
                releases_events: r.releases_events,
                tag_push_events: r.tag_push_events,
                other_events: r.other_events,
                enable_ssl_verification: r.enable_ssl_verification,
                push_events_branch_filter: r.push_events_branch_filter,
                branch_filter_strategy: r.branch_filter_strategy,
                custom_webhook_template: r.custom_webhook_template,
            },
            health: HookHealth {
                recent_failures: u32::try_from(r.recent_failures.max(0)).unwrap_or(u32::MAX),
                disabled_until: r.disabled_until,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(FromRow)]
pub struct EventRow {
    id: i64,
    hook_id: i64,
    trigger: String,
    project_id: i64,
    subject_id: i64,
    action: String,
    author_id: Option<i64>,
    author_name: Option<String>,
    snapshot: Option<String>,
    payload: Option<String>,
    idempotency_key: Option<String>,
    state: String,
    attempts: i64,
    next_attempt_at: i64,
    request_headers: Option<String>,
    response_status: Option<String>,
    response_headers: Option<String>,
    response_body: Option<String>,
    execution_duration: Option<f64>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl From<EventRow> for HookEvent {
    fn from(r: EventRow) -> Self {
        HookEvent {
            id: r.id,
            hook_id: r.hook_id,
            trigger: r.trigger,
            project_id: r.project_id,
            subject_id: r.subject_id,
            action: r.action,
            author_id: r.author_id,
            author_name: r.author_name,
            snapshot: r.snapshot,
            payload: r.payload,
            idempotency_key: r.idempotency_key,
            state: EventState::parse(&r.state),
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            request_headers: r.request_headers,
            response_status: r.response_status,
            response_headers: r.response_headers,
            response_body: r.response_body,
            execution_duration: r.execution_duration,
            created_at: r.created_at,
            sent_at: r.sent_at,
        }
    }
}
