//! Audit events, in GitLab's shape.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::time::format_micros;

/// GitLab's `AuditEvent` entity. `details` carries who (name, address, request id), what
/// (target type, id and name) and the change (`from` and `to`: the row before and after, keys
/// sorted, so that both engines give the same text).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventEntity {
    pub id: i64,
    /// `-1` when no user made the write (GitLab's unauthenticated author).
    pub author_id: i64,
    pub entity_id: i64,
    pub entity_type: String,
    pub event_name: String,
    pub details: AuditDetails,
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditDetails {
    pub author_name: Option<String>,
    pub ip_address: Option<String>,
    pub request_id: Option<String>,
    pub target_id: i64,
    pub target_type: String,
    pub target_details: Option<String>,
    pub custom_message: String,
    #[schema(value_type = Option<Object>)]
    pub from: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub to: Option<serde_json::Value>,
}

/// A stored row (JSON text) with its keys in order.
fn sorted_row(text: Option<&String>) -> Option<serde_json::Value> {
    let value: serde_json::Value = serde_json::from_str(text?).ok()?;
    let object = value.as_object()?;
    let mut keys: Vec<&String> = object.keys().collect();
    keys.sort();
    Some(serde_json::Value::Object(
        keys.into_iter()
            .map(|k| (k.clone(), object[k].clone()))
            .collect(),
    ))
}

impl AuditEventEntity {
    pub fn new(event: &crate::store::AuditEvent) -> Self {
        let from = sorted_row(event.old_value.as_ref());
        let to = sorted_row(event.new_value.as_ref());
        let latest = to.as_ref().or(from.as_ref());
        let target_details = latest
            .and_then(|row| row.get("name").or_else(|| row.get("tag")))
            .and_then(|v| v.as_str())
            .map(str::to_owned);
        let what = event.target_type.replace("::", " ").to_lowercase();
        let custom_message = match (&from, &to) {
            (None, _) => format!("Created {what}"),
            (_, None) => format!("Deleted {what}"),
            _ => format!("Changed {what}"),
        };
        Self {
            id: event.id,
            author_id: event.author_id.unwrap_or(-1),
            entity_id: event.entity_id,
            entity_type: event.entity_type.clone(),
            event_name: event.event_name.clone(),
            details: AuditDetails {
                author_name: event.author_name.clone(),
                ip_address: event.ip_address.clone(),
                request_id: event.request_id.clone(),
                target_id: event.target_id,
                target_type: event.target_type.clone(),
                target_details,
                custom_message,
                from,
                to,
            },
            created_at: format_micros(event.created_at),
        }
    }
}
