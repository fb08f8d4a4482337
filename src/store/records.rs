//! What the store hands out and takes in: plain records, independent of any engine. The JSON a
//! client sees is built from these in `http::entities`, never by serialising them.

use chrono::NaiveDate;

use crate::domain::access::{AccessLevel, FeatureAccess, Visibility};
use crate::domain::link::LinkType;
use crate::domain::membership::{self, Grant};
use crate::domain::time::Micros;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
    pub state: String,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub name: String,
    pub email: String,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<NaiveDate>,
    pub revoked: bool,
    pub created_at: Micros,
    pub last_used_at: Option<Micros>,
}

#[derive(Debug, Clone)]
pub struct NewPersonalToken {
    pub user_id: i64,
    pub name: String,
    pub digest: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobToken {
    pub id: i64,
    pub project_id: i64,
    pub user_id: i64,
    pub expires_at: Micros,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewJobToken {
    pub digest: String,
    pub project_id: i64,
    pub user_id: i64,
    pub expires_at: Micros,
}

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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub description: Option<String>,
    pub visibility: Visibility,
    pub releases_access: FeatureAccess,
    pub creator_id: Option<i64>,
    pub created_at: Micros,
    pub updated_at: Micros,
    pub namespace: Namespace,
}

impl Project {
    pub fn full_path(&self) -> String {
        format!("{}/{}", self.namespace.full_path, self.path)
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

/// Where a membership lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberSource {
    Project(i64),
    Group(i64),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: User,
    pub access_level: AccessLevel,
    pub expires_at: Option<NaiveDate>,
    pub created_at: Micros,
}

/// A user's memberships that bear on one project, as stored: which of them count depends on
/// the day ([`MemberGrants::on`]), so this, not a decision, is what may be kept between requests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemberGrants {
    pub project: Option<Grant>,
    /// In the project's group and each of its ancestors.
    pub groups: Vec<Grant>,
}

impl MemberGrants {
    /// The roles these memberships grant on `day`: expired ones grant nothing.
    pub fn on(&self, day: NaiveDate) -> MemberLevels {
        MemberLevels {
            project: self.project.and_then(|g| g.level_on(day)),
            group: membership::strongest(&self.groups, day),
        }
    }
}

/// A user's roles in one project on one day, from the memberships in force then.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemberLevels {
    pub project: Option<AccessLevel>,
    /// The highest membership in the project's group or any of its ancestors.
    pub group: Option<AccessLevel>,
}

impl MemberLevels {
    pub fn effective(&self) -> Option<AccessLevel> {
        self.project.max(self.group)
    }
}

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
}

#[derive(Debug, Clone)]
pub struct ReleaseQuery {
    pub order: ReleaseOrder,
    pub ascending: bool,
    pub updated_before: Option<Micros>,
    pub updated_after: Option<Micros>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: i64,
    pub release_id: i64,
    pub name: String,
    pub url: String,
    pub filepath: Option<String>,
    pub link_type: LinkType,
    pub created_at: Micros,
    pub updated_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewLink {
    pub name: String,
    pub url: String,
    pub filepath: Option<String>,
    pub link_type: LinkType,
}

/// Changes to a link; `None` keeps the stored value (`filepath: Some(None)` clears it).
#[derive(Debug, Clone, Default)]
pub struct LinkChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub filepath: Option<Option<String>>,
    pub link_type: Option<LinkType>,
}

impl From<Link> for NewLink {
    fn from(link: Link) -> Self {
        NewLink {
            name: link.name,
            url: link.url,
            filepath: link.filepath,
            link_type: link.link_type,
        }
    }
}

impl Link {
    /// The link as it would be after `changes`.
    pub fn with_changes(&self, changes: &LinkChanges) -> Link {
        Link {
            name: changes.name.clone().unwrap_or_else(|| self.name.clone()),
            url: changes.url.clone().unwrap_or_else(|| self.url.clone()),
            filepath: changes
                .filepath
                .clone()
                .unwrap_or_else(|| self.filepath.clone()),
            link_type: changes.link_type.unwrap_or(self.link_type),
            ..self.clone()
        }
    }
}

/// A browser session: who signed in, with which token, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub token_id: i64,
    pub created_at: Micros,
    pub expires_at: Micros,
}

/// How much the instance holds (for metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub projects: i64,
    pub releases: i64,
    pub links: i64,
}

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
