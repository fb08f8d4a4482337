//! Projects, their namespaces and the caller's permissions in them.

use serde::Serialize;
use utoipa::ToSchema;

use super::UserBasic;
use crate::domain::access::AccessLevel;
use crate::domain::release_policy::LatestOrder;
use crate::domain::time::format_micros;
use crate::http::urls::Urls;
use crate::store::{Member, MemberLevels, Namespace, NamespaceKind, PersonalToken, Project, User};

#[derive(Debug, Serialize, ToSchema)]
pub struct NamespaceEntity {
    pub id: i64,
    pub name: String,
    pub path: String,
    pub kind: &'static str,
    pub full_path: String,
    pub parent_id: Option<i64>,
    pub avatar_url: Option<String>,
    pub web_url: String,
}

impl NamespaceEntity {
    pub fn new(urls: &Urls, namespace: &Namespace) -> Self {
        let web_url = match namespace.kind {
            NamespaceKind::User => urls.user(&namespace.full_path),
            NamespaceKind::Group => urls.group(&namespace.full_path),
        };
        Self {
            id: namespace.id,
            name: namespace.name.clone(),
            path: namespace.path.clone(),
            kind: namespace.kind.as_str(),
            full_path: namespace.full_path.clone(),
            parent_id: namespace.parent_id,
            avatar_url: None,
            web_url,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessEntity {
    pub access_level: i64,
    pub notification_level: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Permissions {
    pub project_access: Option<AccessEntity>,
    pub group_access: Option<AccessEntity>,
}

impl Permissions {
    pub fn new(levels: MemberLevels) -> Self {
        let entity = |level: Option<AccessLevel>| {
            level.map(|l| AccessEntity {
                access_level: l.0,
                notification_level: 3,
            })
        };
        Self {
            project_access: entity(levels.project),
            group_access: entity(levels.group),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectLinks {
    #[serde(rename = "self")]
    pub self_url: String,
    pub members: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectEntity {
    pub id: i64,
    pub description: Option<String>,
    pub name: String,
    pub name_with_namespace: String,
    pub path: String,
    pub path_with_namespace: String,
    pub created_at: String,
    pub default_branch: Option<String>,
    pub tag_list: Vec<String>,
    pub topics: Vec<String>,
    pub ssh_url_to_repo: String,
    pub http_url_to_repo: String,
    pub web_url: String,
    pub readme_url: Option<String>,
    pub forks_count: i64,
    pub avatar_url: Option<String>,
    pub star_count: i64,
    pub last_activity_at: String,
    pub namespace: NamespaceEntity,
    #[serde(rename = "_links")]
    pub links: ProjectLinks,
    pub empty_repo: bool,
    pub archived: bool,
    pub visibility: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<UserBasic>,
    pub releases_access_level: &'static str,
    pub creator_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Permissions>,
    /// Extension, only when set: `released_at` or `semver`, how the plain latest permalinks
    /// choose the latest release.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases_latest_order: Option<&'static str>,
    /// Extension, only when on: published releases keep their links and tag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub releases_immutable: Option<bool>,
}

impl ProjectEntity {
    /// `owner` is the namespace's user for personal projects; `levels` adds GitLab's
    /// `permissions` block (single-project answers).
    pub fn new(
        urls: &Urls,
        project: &Project,
        owner: Option<&User>,
        levels: Option<MemberLevels>,
    ) -> Self {
        let full_path = project.full_path();
        let web_url = urls.project(&full_path);
        let api = urls.absolute(&format!("/api/v4/projects/{}", project.id));
        Self {
            id: project.id,
            description: project.description.clone(),
            name: project.name.clone(),
            name_with_namespace: project.name_with_namespace(),
            path: project.path.clone(),
            path_with_namespace: full_path.clone(),
            created_at: format_micros(project.created_at),
            default_branch: None,
            tag_list: Vec::new(),
            topics: Vec::new(),
            ssh_url_to_repo: format!("git@{}:{full_path}.git", urls.host()),
            http_url_to_repo: format!("{web_url}.git"),
            readme_url: None,
            forks_count: 0,
            avatar_url: None,
            star_count: 0,
            last_activity_at: format_micros(project.updated_at),
            namespace: NamespaceEntity::new(urls, &project.namespace),
            links: ProjectLinks {
                members: format!("{api}/members"),
                self_url: api,
            },
            web_url,
            empty_repo: true,
            archived: false,
            visibility: project.visibility.as_str(),
            owner: owner.map(|u| UserBasic::new(urls, u)),
            releases_access_level: project.releases_access.as_str(),
            creator_id: project.creator_id,
            permissions: levels.map(Permissions::new),
            releases_latest_order: project.releases_latest_order.map(LatestOrder::as_str),
            releases_immutable: project.releases_immutable.then_some(true),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GroupEntity {
    pub id: i64,
    pub web_url: String,
    pub name: String,
    pub path: String,
    pub description: String,
    pub visibility: &'static str,
    pub project_creation_level: &'static str,
    pub subgroup_creation_level: &'static str,
    pub avatar_url: Option<String>,
    pub full_name: String,
    pub full_path: String,
    pub created_at: String,
    pub parent_id: Option<i64>,
}

impl GroupEntity {
    pub fn new(urls: &Urls, group: &Namespace) -> Self {
        Self {
            id: group.id,
            web_url: urls.group(&group.full_path),
            name: group.name.clone(),
            path: group.path.clone(),
            description: group.description.clone(),
            visibility: group.visibility.as_str(),
            project_creation_level: "developer",
            subgroup_creation_level: "maintainer",
            avatar_url: None,
            full_name: group.full_name.clone(),
            full_path: group.full_path.clone(),
            created_at: format_micros(group.created_at),
            parent_id: group.parent_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MemberEntity {
    #[serde(flatten)]
    pub user: UserBasic,
    pub access_level: i64,
    pub created_at: String,
    pub expires_at: Option<String>,
}

impl MemberEntity {
    pub fn new(urls: &Urls, member: &Member) -> Self {
        Self {
            user: UserBasic::new(urls, &member.user),
            access_level: member.access_level.0,
            created_at: format_micros(member.created_at),
            expires_at: member.expires_at.map(|d| d.format("%Y-%m-%d").to_string()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PersonalTokenEntity {
    pub id: i64,
    pub name: String,
    pub revoked: bool,
    pub created_at: String,
    pub description: Option<String>,
    pub scopes: Vec<String>,
    pub user_id: i64,
    pub last_used_at: Option<String>,
    pub active: bool,
    pub expires_at: Option<String>,
    /// Only in the answer that creates the token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

impl PersonalTokenEntity {
    pub fn new(token: &PersonalToken, secret: Option<String>) -> Self {
        let expired = token
            .expires_at
            .is_some_and(|d| d <= crate::domain::time::today());
        Self {
            id: token.id,
            name: token.name.clone(),
            revoked: token.revoked,
            created_at: format_micros(token.created_at),
            description: None,
            scopes: token.scopes.clone(),
            user_id: token.user_id,
            last_used_at: token.last_used_at.map(format_micros),
            active: !token.revoked && !expired,
            expires_at: token.expires_at.map(|d| d.format("%Y-%m-%d").to_string()),
            token: secret,
        }
    }
}
