//! Tags as relinks records them, and the rules protecting who may create them.

use crate::domain::access::AccessLevel;
use crate::domain::time::Micros;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedTag {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub create_access_level: AccessLevel,
    pub created_at: Micros,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub target: Option<String>,
    pub message: Option<String>,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewTag {
    pub project_id: i64,
    pub name: String,
    pub target: Option<String>,
    pub message: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOrder {
    Name,
    Updated,
}

#[derive(Debug, Clone)]
pub struct TagQuery {
    pub search: Option<String>,
    pub order: TagOrder,
    pub ascending: bool,
}
