//! Webhooks (`API::Entities::ProjectHook`, `GroupHook`) and their events (`WebHookLog`), in
//! GitLab's field order. Secrets are never shown: the URL variables' and custom headers' keys
//! only, whether a token and a signing token are set.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::time::{format_micros, Micros};
use crate::http::webhooks::Secrets;
use crate::store::{HookEvent, HookOwner, WebHook};

/// The event flags GitLab's project hooks accept besides `releases_events` and
/// `tag_push_events` (relinks keeps them as given), with their defaults.
pub const PROJECT_EVENT_FLAGS: [&str; 17] = [
    "push_events",
    "issues_events",
    "confidential_issues_events",
    "merge_requests_events",
    "note_events",
    "confidential_note_events",
    "job_events",
    "pipeline_events",
    "wiki_page_events",
    "deployment_events",
    "feature_flag_events",
    "milestone_events",
    "emoji_events",
    "resource_access_token_events",
    "resource_deploy_token_events",
    "vulnerability_events",
    "repository_update_events",
];

/// What group hooks accept besides the project flags.
pub const GROUP_EVENT_FLAGS: [&str; 3] = ["subgroup_events", "member_events", "project_events"];

#[derive(Debug, Serialize, ToSchema)]
pub struct KeyEntity {
    pub key: String,
}

/// A project's or a group's hook. Key order is GitLab's: the `Hook` part, then the owner's.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProjectHook)]
pub struct HookEntity {
    #[schema(value_type = Object)]
    #[serde(flatten)]
    pub fields: Map<String, Value>,
}

fn flag(other: &Map<String, Value>, name: &str) -> Value {
    match other.get(name) {
        Some(Value::Bool(b)) => Value::Bool(*b),
        _ if name == "push_events" => Value::Bool(true),
        _ if name == "confidential_note_events" => Value::Null,
        _ => Value::Bool(false),
    }
}

impl HookEntity {
    /// `with_lists`: whether `url_variables` and `custom_headers` are shown (not in a project's
    /// list of hooks, as GitLab's).
    pub fn new(hook: &WebHook, secrets: &Secrets, with_lists: bool, now: Micros) -> Self {
        let s = &hook.settings;
        let other: Map<String, Value> = serde_json::from_str(&s.other_events).unwrap_or_default();
        let keys = |map: &std::collections::BTreeMap<String, String>| {
            Value::Array(
                map.keys()
                    .map(|key| serde_json::json!({ "key": key }))
                    .collect(),
            )
        };
        let mut f = Map::new();
        let mut put = |name: &str, value: Value| {
            f.insert(name.to_owned(), value);
        };
        put("id", hook.id.into());
        put("url", secrets.url.clone().into());
        put("name", s.name.clone().into());
        put("description", s.description.clone().into());
        put("created_at", format_micros(hook.created_at).into());
        put("push_events", flag(&other, "push_events"));
        put("tag_push_events", s.tag_push_events.into());
        put(
            "merge_requests_events",
            flag(&other, "merge_requests_events"),
        );
        put(
            "repository_update_events",
            flag(&other, "repository_update_events"),
        );
        put("enable_ssl_verification", s.enable_ssl_verification.into());
        put(
            "alert_status",
            hook.health.alert_status(now).as_str().into(),
        );
        put(
            "disabled_until",
            hook.health.disabled_until.map(format_micros).into(),
        );
        if with_lists {
            put("url_variables", keys(&secrets.url_variables));
        }
        put(
            "push_events_branch_filter",
            s.push_events_branch_filter.clone().into(),
        );
        put(
            "branch_filter_strategy",
            s.branch_filter_strategy.clone().into(),
        );
        put(
            "custom_webhook_template",
            s.custom_webhook_template.clone().into(),
        );
        if with_lists {
            put("custom_headers", keys(&secrets.custom_headers));
        }
        put("token_present", secrets.token.is_some().into());
        put(
            "signing_token_present",
            secrets.signing_token.is_some().into(),
        );
        let owned: &[&str] = match hook.owner {
            HookOwner::Project(id) => {
                put("project_id", id.into());
                &[
                    "issues_events",
                    "confidential_issues_events",
                    "note_events",
                    "confidential_note_events",
                    "pipeline_events",
                    "wiki_page_events",
                    "deployment_events",
                    "feature_flag_events",
                    "job_events",
                    "releases_events",
                    "milestone_events",
                    "emoji_events",
                    "resource_access_token_events",
                    "vulnerability_events",
                    "resource_deploy_token_events",
                ]
            }
            HookOwner::Group(id) => {
                put("group_id", id.into());
                &[
                    "issues_events",
                    "confidential_issues_events",
                    "note_events",
                    "confidential_note_events",
                    "pipeline_events",
                    "wiki_page_events",
                    "job_events",
                    "deployment_events",
                    "feature_flag_events",
                    "releases_events",
                    "milestone_events",
                    "subgroup_events",
                    "emoji_events",
                    "resource_access_token_events",
                    "member_events",
                    "vulnerability_events",
                    "project_events",
                    "resource_deploy_token_events",
                ]
            }
        };
        for name in owned {
            let value = if *name == "releases_events" {
                s.releases_events.into()
            } else {
                flag(&other, name)
            };
            put(name, value);
        }
        put(
            "duo_flow_callback_enabled",
            flag(&other, "duo_flow_callback_enabled"),
        );
        Self { fields: f }
    }
}

/// One of a hook's events (`API::Entities::WebHookLog`), with how far its sending got
/// (extensions: `state`, `attempts`).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebHookLogEntity {
    pub id: i64,
    pub url: String,
    pub trigger: String,
    #[schema(value_type = Object)]
    pub request_headers: Value,
    #[schema(value_type = Object)]
    pub request_data: Value,
    #[schema(value_type = Object)]
    pub response_headers: Value,
    pub response_body: Option<String>,
    pub execution_duration: Option<f64>,
    pub response_status: Option<String>,
    pub created_at: String,
    /// `pending`, `delivered` or `failed` (extension).
    pub state: &'static str,
    /// Attempts made so far (extension).
    pub attempts: i64,
}

impl WebHookLogEntity {
    pub fn new(event: &HookEvent, url: &str) -> Self {
        let json = |text: &Option<String>| {
            text.as_deref()
                .and_then(|t| serde_json::from_str(t).ok())
                .unwrap_or_else(|| Value::Object(Map::new()))
        };
        Self {
            id: event.id,
            url: url.to_owned(),
            trigger: event.trigger.clone(),
            request_headers: json(&event.request_headers),
            request_data: json(&event.payload),
            response_headers: json(&event.response_headers),
            response_body: event.response_body.clone(),
            execution_duration: event.execution_duration,
            response_status: event.response_status.clone(),
            created_at: format_micros(event.created_at),
            state: event.state.as_str(),
            attempts: event.attempts,
        }
    }
}
