//! What a release is created with, read and checked as GitLab does: its asset links
//! (`Releases::Links::Params`), milestones (relinks keeps none), and the tag it records.

use axum::http::StatusCode;

use crate::domain::link::{self, LinkCandidate, LinkType};
use crate::domain::link_digest;
use crate::domain::names::is_valid_tag_name;
use crate::domain::release;
use crate::http::error::{ApiError, ApiResult};
use crate::http::params::{Declared, Field};
use crate::http::scope::ProjectScope;
use crate::store::{NewLink, NewTag};

/// One link of `assets[links]`, read as GitLab's `Releases::Links::Params` reads it.
pub(crate) fn read_asset_link(d: &mut Declared<'_>) -> NewLink {
    let name = d.required_string("name");
    let url = d.required_string("url");
    let direct_asset_path = d.string("direct_asset_path");
    let filepath = d.string("filepath");
    let link_type = d.one_of("link_type", &LinkType::VALUES);
    let digest = d.string("digest");
    let filepath = match (direct_asset_path, filepath) {
        (Field::Value(path), _) => Some(path),
        (_, other) => other.value(),
    };
    NewLink {
        name: name.value().unwrap_or_default(),
        url: link::ruby_strip(&url.value().unwrap_or_default()).to_owned(),
        filepath,
        link_type: link_type
            .value()
            .and_then(|t| LinkType::parse(&t))
            .unwrap_or_default(),
        digest: digest.value().map(|d| link_digest::normalized(&d)),
        size: None,
    }
}

/// `Validation failed: …` for the links of a new release.
pub(super) fn validate_asset_links(links: &[NewLink], limits: &release::Limits) -> Option<String> {
    let candidates: Vec<LinkCandidate<'_>> = links
        .iter()
        .map(|l| LinkCandidate {
            name: Some(&l.name),
            url: Some(&l.url),
            filepath: l.filepath.as_deref(),
            digest: l.digest.as_deref(),
        })
        .collect();
    let messages = release::asset_link_messages(&candidates, limits);
    (!messages.is_empty()).then(|| format!("Validation failed: {}", messages.join(", ")))
}

pub(super) fn milestones_not_found(d: &mut Declared<'_>) -> Option<String> {
    d.mutually_exclusive(&["milestones", "milestone_ids"]);
    let titles = d.string_array("milestones").value().unwrap_or_default();
    let ids = d.string_array("milestone_ids").value().unwrap_or_default();
    // relinks keeps no milestones, so any named one is missing, as GitLab would say.
    if !titles.is_empty() {
        Some(format!("Milestone(s) not found: {}", titles.join(", ")))
    } else if !ids.is_empty() {
        Some(format!("Milestone id(s) not found: {}", ids.join(", ")))
    } else {
        None
    }
}

/// A tag relinks records for a release, with GitLab's checks on its name and `ref`.
pub(super) fn new_tag_for_release(
    scope: &ProjectScope,
    tag: &str,
    git_ref: Option<String>,
    message: Option<String>,
) -> ApiResult<NewTag> {
    if !is_valid_tag_name(tag) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "Tag name invalid",
        ));
    }
    if git_ref.as_deref().is_some_and(|r| r.trim().is_empty()) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "Target is empty",
        ));
    }
    Ok(NewTag {
        project_id: scope.project.id,
        name: tag.to_owned(),
        target: git_ref,
        message: message.filter(|m| !m.is_empty()),
    })
}

pub(super) fn looks_like_sha(text: &str) -> bool {
    (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}
