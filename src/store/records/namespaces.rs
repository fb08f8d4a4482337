//! Namespaces: users' personal ones and groups, which may nest.

use crate::domain::access::Visibility;
use crate::domain::time::Micros;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceKind {
    User,
    Group,
}

impl NamespaceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Group => "group",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Namespace {
    pub id: i64,
    pub kind: NamespaceKind,
    pub name: String,
    pub path: String,
    pub full_path: String,
    pub full_name: String,
    pub parent_id: Option<i64>,
    /// Ids from the root group down to this namespace (this one included).
    pub traversal_ids: Vec<i64>,
    pub owner_id: Option<i64>,
    pub visibility: Visibility,
    pub description: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewGroup {
    pub name: String,
    pub path: String,
    pub parent: Option<Namespace>,
    pub visibility: Visibility,
    pub description: String,
    /// Becomes the group's first owner.
    pub creator_id: i64,
}
