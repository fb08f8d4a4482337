//! Rows as both engines return them (the same column types on each: integers, text, booleans),
//! the column lists that select them, and their conversion into store records.

use chrono::NaiveDate;
use sqlx::FromRow;

use crate::domain::access::{AccessLevel, FeatureAccess, Visibility};
use crate::domain::link::LinkType;
use crate::domain::membership::Grant;
use crate::domain::release_policy::LatestOrder;
use crate::store::{
    JobToken, Link, Member, Namespace, NamespaceKind, PersonalToken, Project, ProtectedTag,
    Release, StoreError, Tag, User,
};

pub const USER_COLUMNS: &str =
    "u.id, u.username, u.name, u.email, u.is_admin, u.state, u.created_at";

#[derive(FromRow)]
pub struct UserRow {
    id: i64,
    username: String,
    name: String,
    email: String,
    is_admin: bool,
    state: String,
    created_at: i64,
}

impl From<UserRow> for User {
    fn from(r: UserRow) -> Self {
        User {
            id: r.id,
            username: r.username,
            name: r.name,
            email: r.email,
            is_admin: r.is_admin,
            state: r.state,
            created_at: r.created_at,
        }
    }
}

pub const TOKEN_COLUMNS: &str =
    "id, user_id, name, scopes, expires_at, revoked, created_at, last_used_at";

#[derive(FromRow)]
pub struct TokenRow {
    id: i64,
    user_id: i64,
    name: String,
    scopes: String,
    expires_at: Option<String>,
    revoked: bool,
    created_at: i64,
    last_used_at: Option<i64>,
}

impl TryFrom<TokenRow> for PersonalToken {
    type Error = StoreError;
    fn try_from(r: TokenRow) -> Result<Self, StoreError> {
        let expires_at = r.expires_at.as_deref().map(parse_date).transpose()?;
        Ok(PersonalToken {
            id: r.id,
            user_id: r.user_id,
            name: r.name,
            scopes: r.scopes.split_whitespace().map(str::to_owned).collect(),
            expires_at,
            revoked: r.revoked,
            created_at: r.created_at,
            last_used_at: r.last_used_at,
        })
    }
}

pub fn parse_date(value: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| StoreError::Corrupt(format!("bad date {value:?}")))
}

pub fn format_date(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

#[derive(FromRow)]
pub struct JobTokenRow {
    id: i64,
    project_id: i64,
    user_id: i64,
    expires_at: i64,
    created_at: i64,
}

impl From<JobTokenRow> for JobToken {
    fn from(r: JobTokenRow) -> Self {
        JobToken {
            id: r.id,
            project_id: r.project_id,
            user_id: r.user_id,
            expires_at: r.expires_at,
            created_at: r.created_at,
        }
    }
}

pub const NAMESPACE_COLUMNS: &str = "n.id AS ns_id, n.kind AS ns_kind, n.name AS ns_name, \
     n.path AS ns_path, n.full_path AS ns_full_path, n.full_name AS ns_full_name, \
     n.parent_id AS ns_parent_id, n.traversal_ids AS ns_traversal_ids, n.owner_id AS ns_owner_id, \
     n.visibility AS ns_visibility, n.description AS ns_description, n.created_at AS ns_created_at";

#[derive(FromRow)]
pub struct NamespaceRow {
    ns_id: i64,
    ns_kind: String,
    ns_name: String,
    ns_path: String,
    ns_full_path: String,
    ns_full_name: String,
    ns_parent_id: Option<i64>,
    ns_traversal_ids: String,
    ns_owner_id: Option<i64>,
    ns_visibility: String,
    ns_description: String,
    ns_created_at: i64,
}

impl TryFrom<NamespaceRow> for Namespace {
    type Error = StoreError;
    fn try_from(r: NamespaceRow) -> Result<Self, StoreError> {
        let kind = match r.ns_kind.as_str() {
            "user" => NamespaceKind::User,
            "group" => NamespaceKind::Group,
            other => return Err(StoreError::Corrupt(format!("namespace kind {other:?}"))),
        };
        let traversal_ids = r
            .ns_traversal_ids
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<i64>()
                    .map_err(|_| StoreError::Corrupt("traversal ids".into()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Namespace {
            id: r.ns_id,
            kind,
            name: r.ns_name,
            path: r.ns_path,
            full_path: r.ns_full_path,
            full_name: r.ns_full_name,
            parent_id: r.ns_parent_id,
            traversal_ids,
            owner_id: r.ns_owner_id,
            visibility: visibility(&r.ns_visibility)?,
            description: r.ns_description,
            created_at: r.ns_created_at,
        })
    }
}

fn visibility(value: &str) -> Result<Visibility, StoreError> {
    Visibility::parse(value).ok_or_else(|| StoreError::Corrupt(format!("visibility {value:?}")))
}

pub const PROJECT_COLUMNS: &str = "p.id, p.name, p.path, p.description, p.visibility, \
     p.releases_access_level, p.releases_latest_order, p.releases_immutable, p.creator_id, \
     p.created_at, p.updated_at";

#[derive(FromRow)]
pub struct ProjectRow {
    id: i64,
    name: String,
    path: String,
    description: Option<String>,
    visibility: String,
    releases_access_level: String,
    releases_latest_order: Option<String>,
    releases_immutable: bool,
    creator_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    #[sqlx(flatten)]
    namespace: NamespaceRow,
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;
    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        let releases_access = FeatureAccess::parse(&r.releases_access_level).ok_or_else(|| {
            StoreError::Corrupt(format!(
                "releases_access_level {:?}",
                r.releases_access_level
            ))
        })?;
        Ok(Project {
            id: r.id,
            name: r.name,
            path: r.path,
            description: r.description,
            visibility: visibility(&r.visibility)?,
            releases_access,
            releases_latest_order: r
                .releases_latest_order
                .as_deref()
                .map(|order| {
                    LatestOrder::parse(order).ok_or_else(|| {
                        StoreError::Corrupt(format!("releases_latest_order {order:?}"))
                    })
                })
                .transpose()?,
            releases_immutable: r.releases_immutable,
            creator_id: r.creator_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            namespace: std::sync::Arc::new(r.namespace.try_into()?),
        })
    }
}

#[derive(FromRow)]
pub struct MemberRow {
    access_level: i64,
    expires_at: Option<String>,
    member_created_at: i64,
    #[sqlx(flatten)]
    user: UserRow,
}

impl TryFrom<MemberRow> for Member {
    type Error = StoreError;
    fn try_from(r: MemberRow) -> Result<Self, StoreError> {
        Ok(Member {
            user: r.user.into(),
            access_level: AccessLevel(r.access_level),
            expires_at: r.expires_at.as_deref().map(parse_date).transpose()?,
            created_at: r.member_created_at,
        })
    }
}

/// A membership with whether it is the project's own (`direct`) or a group's.
#[derive(FromRow)]
pub struct MembershipRow {
    #[sqlx(flatten)]
    member: MemberRow,
    direct: bool,
}

impl TryFrom<MembershipRow> for (Member, bool) {
    type Error = StoreError;
    fn try_from(r: MembershipRow) -> Result<Self, StoreError> {
        Ok((r.member.try_into()?, r.direct))
    }
}

/// A membership's `access_level, expires_at`: what it grants, and until when.
pub fn grant((level, expires_at): (i64, Option<String>)) -> Result<Grant, StoreError> {
    Ok(Grant {
        level: AccessLevel(level),
        expires_at: expires_at.as_deref().map(parse_date).transpose()?,
    })
}

#[derive(FromRow)]
pub struct ProtectedTagRow {
    id: i64,
    project_id: i64,
    name: String,
    create_access_level: i64,
    created_at: i64,
}

impl From<ProtectedTagRow> for ProtectedTag {
    fn from(r: ProtectedTagRow) -> Self {
        ProtectedTag {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            create_access_level: AccessLevel(r.create_access_level),
            created_at: r.created_at,
        }
    }
}

#[derive(FromRow)]
pub struct TagRow {
    id: i64,
    project_id: i64,
    name: String,
    target: Option<String>,
    message: Option<String>,
    created_at: i64,
}

impl From<TagRow> for Tag {
    fn from(r: TagRow) -> Self {
        Tag {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            target: r.target,
            message: r.message,
            created_at: r.created_at,
        }
    }
}

pub const RELEASE_COLUMNS: &str = "id, project_id, tag, name, description, author_id, sha, \
     released_at, created_at, updated_at";

#[derive(FromRow)]
pub struct ReleaseRow {
    id: i64,
    project_id: i64,
    tag: String,
    name: Option<String>,
    description: Option<String>,
    author_id: Option<i64>,
    sha: Option<String>,
    released_at: i64,
    created_at: i64,
    updated_at: i64,
}

impl From<ReleaseRow> for Release {
    fn from(r: ReleaseRow) -> Self {
        Release {
            id: r.id,
            project_id: r.project_id,
            tag: r.tag,
            name: r.name,
            description: r.description,
            author_id: r.author_id,
            sha: r.sha,
            released_at: r.released_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub const LINK_COLUMNS: &str =
    "id, release_id, name, url, filepath, link_type, digest, size, created_at, updated_at";

/// `LINK_COLUMNS` of `release_links l`, for queries that join it.
pub const ALIASED_LINK_COLUMNS: &str =
    "l.id, l.release_id, l.name, l.url, l.filepath, l.link_type, l.digest, l.size, \
     l.created_at, l.updated_at";

#[derive(FromRow)]
pub struct LinkRow {
    id: i64,
    release_id: i64,
    name: String,
    url: String,
    filepath: Option<String>,
    link_type: i64,
    digest: Option<String>,
    size: Option<i64>,
    created_at: i64,
    updated_at: i64,
}

impl From<LinkRow> for Link {
    fn from(r: LinkRow) -> Self {
        Link {
            id: r.id,
            release_id: r.release_id,
            name: r.name,
            url: r.url,
            filepath: r.filepath,
            link_type: LinkType::from_code(r.link_type),
            digest: r.digest,
            size: r.size,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

pub const AUDIT_COLUMNS: &str = "id, created_at, author_id, author_name, ip_address, request_id, \
    entity_type, entity_id, target_type, target_id, event_name, old_value, new_value";

#[derive(sqlx::FromRow)]
pub struct AuditRow {
    id: i64,
    created_at: i64,
    author_id: Option<i64>,
    author_name: Option<String>,
    ip_address: Option<String>,
    request_id: Option<String>,
    entity_type: String,
    entity_id: i64,
    target_type: String,
    target_id: i64,
    event_name: String,
    old_value: Option<String>,
    new_value: Option<String>,
}

impl From<AuditRow> for crate::store::AuditEvent {
    fn from(r: AuditRow) -> Self {
        crate::store::AuditEvent {
            id: r.id,
            created_at: r.created_at,
            author_id: r.author_id,
            author_name: r.author_name,
            ip_address: r.ip_address,
            request_id: r.request_id,
            entity_type: r.entity_type,
            entity_id: r.entity_id,
            target_type: r.target_type,
            target_id: r.target_id,
            event_name: r.event_name,
            old_value: r.old_value,
            new_value: r.new_value,
        }
    }
}
