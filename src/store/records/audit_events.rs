//! Audit events: the writes the database's triggers recorded, and how to list them.

use crate::domain::time::Micros;

/// One recorded write (see `migrations/*/0006_audit_events.sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub created_at: Micros,
    pub author_id: Option<i64>,
    pub author_name: Option<String>,
    pub ip_address: Option<String>,
    pub request_id: Option<String>,
    pub entity_type: String,
    pub entity_id: i64,
    pub target_type: String,
    pub target_id: i64,
    pub event_name: String,
    /// The row before the write, as JSON text (none for a creation).
    pub old_value: Option<String>,
    /// The row after the write, as JSON text (none for a deletion).
    pub new_value: Option<String>,
}

/// Which audit events to list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub created_after: Option<Micros>,
    pub created_before: Option<Micros>,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
}
