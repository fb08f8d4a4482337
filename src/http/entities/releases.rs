//! Releases, with their assets (links pre-rendered, see `links`) and what the caller may do.

use serde::Serialize;
use utoipa::ToSchema;

use serde_json::Value;

use super::{LinkEntity, LinksJson, UserBasic};
use crate::domain::time::{format_micros, now_micros};
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
                crate::http::markdown::to_html(release.description.as_deref().unwrap_or_default())
            }),
            author: author.map(|a| UserBasic::new(ctx.urls, a)),
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
        }
    }
}
