//! Releases, with their assets (links pre-rendered, see `links`) and what the caller may do.

use serde::Serialize;
use utoipa::ToSchema;

use serde_json::Value;

use super::{LinkEntity, LinksJson, UserBasic};
use crate::domain::time::{format_micros, Micros};
use crate::http::urls::Urls;
use crate::store::{Project, Release, User};

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
    /// For callers who may read code: the commit the tag points at (`null` when relinks knows
    /// no commit id for it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<CommitEntity>)]
    pub commit: Option<Option<CommitEntity>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit_path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag_path: Option<String>,
    pub assets: AssetsEntity,
    #[schema(value_type = Vec<Object>)]
    pub evidences: Vec<Value>,
    #[serde(rename = "_links")]
    pub links: ReleaseLinksEntity,
    /// Extension, only when true: the project's releases are immutable and this one is
    /// published, so its links and tag stay as they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
}

/// GitLab's `API::Entities::Commit`, as far as relinks knows a commit: its id (the tag's
/// target), and the release's time and author's name for the rest (relinks hosts no
/// repository).
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitEntity {
    pub id: String,
    pub short_id: String,
    pub created_at: String,
    pub parent_ids: Vec<String>,
    pub title: String,
    pub message: String,
    pub author_name: String,
    pub author_email: String,
    pub authored_date: String,
    pub committer_name: String,
    pub committer_email: String,
    pub committed_date: String,
    #[schema(value_type = Object)]
    pub trailers: Value,
    #[schema(value_type = Object)]
    pub extended_trailers: Value,
    pub web_url: String,
}

impl CommitEntity {
    pub fn new(
        urls: &Urls,
        full_path: &str,
        sha: &str,
        release: &Release,
        author: Option<&User>,
    ) -> Self {
        let when = format_micros(release.created_at);
        let name = author.map(|a| a.name.clone()).unwrap_or_default();
        // An account's address is not a commit's: it is never shown here.
        let email = String::new();
        Self {
            id: sha.to_owned(),
            short_id: sha.chars().take(8).collect(),
            created_at: when.clone(),
            parent_ids: Vec::new(),
            title: String::new(),
            message: String::new(),
            author_name: name.clone(),
            author_email: email.clone(),
            authored_date: when.clone(),
            committer_name: name,
            committer_email: email,
            committed_date: when,
            trailers: Value::Object(serde_json::Map::new()),
            extended_trailers: Value::Object(serde_json::Map::new()),
            web_url: urls.absolute(&format!("/{full_path}/-/commit/{sha}")),
        }
    }
}

/// What a release entity needs beyond the release itself.
pub struct ReleaseContext<'a> {
    pub urls: &'a Urls,
    pub project: &'a Project,
    pub can_read_code: bool,
    pub can_update: bool,
    pub include_html: bool,
    /// The moment the answer is for (whether the release is upcoming, immutable).
    pub now: Micros,
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
        let now = ctx.now;
        let immutable = crate::domain::release_policy::is_immutable(
            ctx.project.releases_immutable,
            release.released_at,
            now,
        );
        Self {
            name: release.name.clone().unwrap_or_else(|| release.tag.clone()),
            tag_name: release.tag.clone(),
            description: release.description.clone(),
            created_at: format_micros(release.created_at),
            released_at: format_micros(release.released_at),
            upcoming_release: release.released_at > now,
            description_html: ctx.include_html.then(|| {
                crate::http::markdown::to_html(release.description.as_deref().unwrap_or_default())
            }),
            author: author.map(|a| UserBasic::new(ctx.urls, a)),
            commit: ctx.can_read_code.then(|| {
                release
                    .sha
                    .as_deref()
                    .map(|sha| CommitEntity::new(ctx.urls, &full_path, sha, release, author))
            }),
            commit_path: match (&release.sha, ctx.can_read_code) {
                (Some(sha), true) => Some(format!("/{full_path}/-/commit/{sha}")),
                _ => None,
            },
            tag_path: ctx.can_read_code.then(|| {
                format!(
                    "/{full_path}/-/tags/{}",
                    crate::http::urls::escape_segment(&release.tag)
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
            immutable: immutable.then_some(true),
        }
    }
}
