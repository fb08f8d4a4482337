//! Webhooks and their events, as stored. The secrets a hook sends on (its URL, token, signing
//! token, URL variables and custom headers) come and go sealed (`domain::sealed`): the store
//! never sees them in clear.

use crate::domain::time::Micros;
use crate::domain::webhooks::HookHealth;

/// Whose hook it is: a project's, or a group's (for every project below the group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookOwner {
    Project(i64),
    Group(i64),
}

/// A hook's settings, as a create or an update writes them (the secrets sealed).
#[derive(Debug, Clone, Default)]
pub struct HookSettings {
    pub url: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub token: Option<String>,
    pub signing_token: Option<String>,
    pub url_variables: Option<String>,
    pub custom_headers: Option<String>,
    pub releases_events: bool,
    pub tag_push_events: bool,
    /// The other event flags GitLab accepts, as a JSON object (relinks sends none of them).
    pub other_events: String,
    pub enable_ssl_verification: bool,
    pub push_events_branch_filter: Option<String>,
    pub branch_filter_strategy: String,
    pub custom_webhook_template: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebHook {
    pub id: i64,
    pub owner: HookOwner,
    pub settings: HookSettings,
    pub health: HookHealth,
    pub created_at: Micros,
    pub updated_at: Micros,
}

/// Where an event is on its way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventState {
    Pending,
    Delivered,
    /// No more attempts: out of tries, or its hook disabled for good.
    Failed,
}

impl EventState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One event for one hook: what changed, and how its sending went.
#[derive(Debug, Clone)]
pub struct HookEvent {
    pub id: i64,
    pub hook_id: i64,
    /// GitLab's trigger: `release_hooks` or `tag_push_hooks`.
    pub trigger: String,
    pub project_id: i64,
    /// The release's or the tag's id.
    pub subject_id: i64,
    /// `create`, `update` or `delete`.
    pub action: String,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    /// What a deleted release or a tag was, as JSON.
    pub snapshot: Option<String>,
    /// The body and key, fixed when first sent.
    pub payload: Option<String>,
    pub idempotency_key: Option<String>,
    pub state: EventState,
    pub attempts: i64,
    pub next_attempt_at: Micros,
    pub request_headers: Option<String>,
    pub response_status: Option<String>,
    pub response_headers: Option<String>,
    pub response_body: Option<String>,
    pub execution_duration: Option<f64>,
    pub created_at: Micros,
    pub sent_at: Option<Micros>,
}

/// How one attempt at sending an event went.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub payload: String,
    pub idempotency_key: String,
    pub request_headers: String,
    /// The answer's status code, or GitLab's `internal error` when none came.
    pub response_status: String,
    pub response_headers: String,
    pub response_body: String,
    pub execution_duration: f64,
    pub sent_at: Micros,
    /// Where the event goes next: delivered, failed, or pending again at `next_attempt_at`.
    pub state: EventState,
    pub next_attempt_at: Micros,
    /// The hook's health after this attempt (`None`: unchanged, as for a disabled hook's
    /// forced test).
    pub health: Option<HookHealth>,
}

/// Which of a hook's events a listing shows (GitLab's events API).
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Status codes, as text; empty: any.
    pub statuses: Vec<String>,
    /// Ranges of codes (`successful` 200–299, and so on).
    pub ranges: Vec<(i64, i64)>,
    /// `server_failure` also takes attempts that got no answer (`internal error`).
    pub internal_errors: bool,
    /// Only events created since then.
    pub since: Micros,
}
