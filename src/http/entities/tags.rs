//! Tags and protected tags.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::access::ProtectedTagRule;
use crate::domain::time::format_micros;
use serde_json::Value;

use crate::store::{ProtectedTag, Release, Tag};

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
