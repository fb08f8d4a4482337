//! Projects, their changes, and which of them a listing shows.

use std::sync::Arc;

use chrono::NaiveDate;

use super::Namespace;
use crate::domain::access::{FeatureAccess, Visibility};
use crate::domain::release_policy::LatestOrder;
use crate::domain::time::Micros;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub visibility: Visibility,
    pub releases_access: FeatureAccess,
    /// Which release the plain latest permalinks lead to; `None`: GitLab's (extension).
    pub releases_latest_order: Option<LatestOrder>,
    /// Published releases keep their links and tag (extension).
    pub releases_immutable: bool,
    pub creator_id: Option<i64>,
    pub created_at: Micros,
    pub updated_at: Micros,
    /// Shared: a project is read from the cache on most requests, and its namespace's text
    /// need not be copied each time.
    pub namespace: Arc<Namespace>,
}

impl Project {
    pub fn full_path(&self) -> String {
        // Joined by hand: every answer that names its project makes this string.
        [self.namespace.full_path.as_str(), "/", self.path.as_str()].concat()
    }

    pub fn name_with_namespace(&self) -> String {
        format!("{} / {}", self.namespace.full_name, self.name)
    }
}

#[derive(Debug, Clone)]
pub struct NewProject {
    pub namespace: Namespace,
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub visibility: Visibility,
    pub releases_access: FeatureAccess,
    pub releases_latest_order: Option<LatestOrder>,
    pub releases_immutable: bool,
    pub creator_id: i64,
}

/// Changes to a project; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub path: Option<String>,
    pub description: Option<Option<String>>,
    pub visibility: Option<Visibility>,
    pub releases_access: Option<FeatureAccess>,
    /// `Some(None)` unsets it.
    pub releases_latest_order: Option<Option<LatestOrder>>,
    pub releases_immutable: Option<bool>,
}

/// Which projects a listing shows. No `Default`: a default day would judge memberships on
/// 1970-01-01, when none had expired.
#[derive(Debug, Clone)]
pub struct ProjectFilter {
    /// The caller; `None` is anonymous.
    pub user_id: Option<i64>,
    /// The day memberships are judged on (the caller's today): expired ones show nothing.
    pub today: NaiveDate,
    /// Administrators see every project.
    pub all: bool,
    /// Only projects the caller is a member of (directly or through a group).
    pub membership: bool,
    /// Only projects in the caller's personal namespace.
    pub owned: bool,
    pub search: Option<String>,
    pub visibility: Option<Visibility>,
    pub order_by_id: bool,
    pub ascending: bool,
}
