//! The JSON clients see, in GitLab's field order. Entities are built from store records plus
//! context (the external URL, the project, what the caller may see); records are never
//! serialised directly.

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::rendered::LinksJson;
use super::urls::Urls;
use crate::domain::access::{AccessLevel, ProtectedTagRule};
use crate::domain::time::{format_micros, now_micros};
use crate::store::{
    Link, Member, MemberLevels, Namespace, NamespaceKind, PersonalToken, Project, ProtectedTag,
    Release, Tag, User,
};

/// Serialises an entity; entities are plain data, so this cannot fail in practice.
pub fn to_value<T: Serialize>(entity: &T) -> Value {
    serde_json::to_value(entity).unwrap_or(Value::Null)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkEntity {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub direct_asset_url: String,
    /// Deprecated in GitLab, kept as the seed documents it: the URL is outside the project.
    pub external: bool,
    #[schema(value_type = LinkTypeName)]
    pub link_type: &'static str,
}

/// The kinds of link GitLab knows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkTypeName {
    Other,
    Runbook,
    Image,
    Package,
}

/// What every link of one release shares, computed once per answer rather than per link.
pub struct ReleaseUrls {
    /// The project's `web_url`: links under it are not external.
    project_url: String,
    /// `…/-/releases/<tag>/downloads/`, the start of every permanent link of the release.
    downloads: String,
}

impl ReleaseUrls {
    pub fn new(urls: &Urls, project: &Project, tag: &str) -> Self {
        let full_path = project.full_path();
        Self {
            project_url: urls.project(&full_path),
            downloads: format!("{}/downloads/", urls.release(&full_path, tag)),
        }
    }
}

impl LinkEntity {
    pub fn new(release: &ReleaseUrls, link: &Link) -> Self {
        let direct_asset_url = match &link.filepath {
            Some(filepath) => format!(
                "{}{}",
                release.downloads,
                super::urls::escape_path(filepath.trim_start_matches('/'))
            ),
            None => link.url.clone(),
        };
        Self {
            id: link.id,
            name: link.name.clone(),
            url: link.url.clone(),
            direct_asset_url,
            external: !link.url.starts_with(&release.project_url),
            link_type: link.link_type.as_str(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserBasic {
    pub id: i64,
    pub username: String,
    pub public_email: Option<String>,
    pub name: String,
    pub state: String,
    pub locked: bool,
    pub avatar_url: Option<String>,
    pub web_url: String,
}

impl UserBasic {
    pub fn new(urls: &Urls, user: &User) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            public_email: None,
            name: user.name.clone(),
            state: user.state.clone(),
            locked: false,
            avatar_url: None,
            web_url: urls.user(&user.username),
        }
    }
}

/// GitLab's `User` entity, with the private fields (`email`, `is_admin`, …) only for the user
/// themself and for administrators.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserEntity {
    #[serde(flatten)]
    pub basic: UserBasic,
    pub created_at: String,
    pub bio: String,
    pub location: String,
    pub website_url: String,
    pub organization: String,
    pub job_title: String,
    pub bot: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub private: Option<UserPrivate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPrivate {
    pub email: String,
    pub commit_email: String,
    pub projects_limit: i64,
    pub can_create_group: bool,
    pub can_create_project: bool,
    pub two_factor_enabled: bool,
    pub external: bool,
    pub private_profile: bool,
    pub is_admin: bool,
}

impl UserEntity {
    pub fn new(urls: &Urls, user: &User, show_private: bool) -> Self {
        Self {
            basic: UserBasic::new(urls, user),
            created_at: format_micros(user.created_at),
            bio: String::new(),
            location: String::new(),
            website_url: String::new(),
            organization: String::new(),
            job_title: String::new(),
            bot: false,
            private: show_private.then(|| UserPrivate {
                email: user.email.clone(),
                commit_email: user.email.clone(),
                projects_limit: 100_000,
                can_create_group: true,
                can_create_project: true,
                two_factor_enabled: false,
                external: false,
                private_profile: false,
                is_admin: user.is_admin,
            }),
        }
    }
}

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

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseSummary {
    pub tag_name: String,
    pub description: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TagEntity {
    pub name: String,
    pub message: Option<String>,
    pub target: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub commit: Option<Value>,
    /// Only for callers who may read the project's releases (GitLab's `can_read_release?`):
    /// absent for the others, `null` when the tag has no release.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ReleaseSummary>)]
    pub release: Option<Option<ReleaseSummary>>,
    pub protected: bool,
    pub created_at: String,
}

impl TagEntity {
    /// `release` is the tag's release as the caller may see it: `None` when the caller may not
    /// read releases, `Some(None)` when the tag has none.
    pub fn new(tag: &Tag, release: Option<Option<&Release>>, protected: &[ProtectedTag]) -> Self {
        Self {
            name: tag.name.clone(),
            message: tag.message.clone(),
            target: tag.target.clone(),
            commit: None,
            release: release.map(|release| {
                release.map(|r| ReleaseSummary {
                    tag_name: r.tag.clone(),
                    description: r.description.clone(),
                })
            }),
            protected: protected
                .iter()
                .any(|p| crate::domain::access::wildcard_matches(&p.name, &tag.name)),
            created_at: format_micros(tag.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessLevelEntity {
    pub id: i64,
    pub access_level: i64,
    pub access_level_description: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProtectedTagEntity {
    pub name: String,
    pub create_access_levels: Vec<AccessLevelEntity>,
}

impl ProtectedTagEntity {
    pub fn new(tag: &ProtectedTag) -> Self {
        Self {
            name: tag.name.clone(),
            create_access_levels: vec![AccessLevelEntity {
                id: tag.id,
                access_level: tag.create_access_level.0,
                access_level_description: ProtectedTagRule::level_description(
                    tag.create_access_level,
                ),
            }],
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AssetsEntity {
    pub count: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<Object>>)]
    pub sources: Option<Vec<Value>>,
    #[schema(value_type = Vec<LinkEntity>)]
    pub links: LinksJson,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseLinksEntity {
    #[serde(rename = "self")]
    pub self_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub edit_url: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReleaseEntity {
    pub name: String,
    pub tag_name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub released_at: String,
    pub upcoming_release: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description_html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<UserBasic>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_path: Option<String>,
    pub assets: AssetsEntity,
    #[schema(value_type = Vec<Object>)]
    pub evidences: Vec<Value>,
    #[serde(rename = "_links")]
    pub links: ReleaseLinksEntity,
}

/// What a release entity needs beyond the release itself.
pub struct ReleaseContext<'a> {
    pub urls: &'a Urls,
    pub project: &'a Project,
    pub can_read_code: bool,
    pub can_update: bool,
    pub include_html: bool,
}

impl ReleaseEntity {
    /// `links` must be the release's links, newest first.
    pub fn new(
        ctx: &ReleaseContext<'_>,
        release: &Release,
        author: Option<&User>,
        links: LinksJson,
    ) -> Self {
        let full_path = ctx.project.full_path();
        let self_url = ctx.urls.release(&full_path, &release.tag);
        Self {
            name: release.name.clone().unwrap_or_else(|| release.tag.clone()),
            tag_name: release.tag.clone(),
            description: release.description.clone(),
            created_at: format_micros(release.created_at),
            released_at: format_micros(release.released_at),
            upcoming_release: release.released_at > now_micros(),
            description_html: ctx.include_html.then(|| {
                super::markdown::to_html(release.description.as_deref().unwrap_or_default())
            }),
            author: author.map(|a| UserBasic::new(ctx.urls, a)),
            commit_path: match (&release.sha, ctx.can_read_code) {
                (Some(sha), true) => Some(format!("/{full_path}/-/commit/{sha}")),
                _ => None,
            },
            tag_path: ctx.can_read_code.then(|| {
                format!(
                    "/{full_path}/-/tags/{}",
                    super::urls::escape_segment(&release.tag)
                )
            }),
            assets: AssetsEntity {
                count: links.count(),
                sources: ctx.can_read_code.then(Vec::new),
                links,
            },
            evidences: Vec::new(),
            links: ReleaseLinksEntity {
                edit_url: ctx.can_update.then(|| format!("{self_url}/edit")),
                self_url,
            },
        }
    }
}

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
