//! Releases, their changes and orders, and how much the instance holds.

use super::{NewLink, NewTag};
use crate::domain::time::Micros;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub id: i64,
    pub project_id: i64,
    pub tag: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub author_id: Option<i64>,
    pub sha: Option<String>,
    pub released_at: Micros,
    pub created_at: Micros,
    pub updated_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewRelease {
    pub project_id: i64,
    pub tag: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub author_id: i64,
    pub released_at: Option<Micros>,
    /// The tag to record with the release when relinks has not seen it yet.
    pub new_tag: Option<NewTag>,
    /// The sha of the tag's target, when known.
    pub sha: Option<String>,
    pub links: Vec<NewLink>,
}

/// Changes to a release; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ReleaseChanges {
    pub name: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub released_at: Option<Micros>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseOrder {
    ReleasedAt,
    CreatedAt,
    /// Tags that are semantic versions in version order, then the others by `released_at`
    /// (extension).
    Semver,
}

#[derive(Debug, Clone)]
pub struct ReleaseQuery {
    pub order: ReleaseOrder,
    pub ascending: bool,
    pub updated_before: Option<Micros>,
    pub updated_after: Option<Micros>,
}

/// How much the instance holds (for metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub projects: i64,
    pub releases: i64,
    pub links: i64,
}
