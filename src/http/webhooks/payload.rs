//! The bodies of GitLab's Release Hook and Tag Push Hook, key for key in GitLab's order
//! (`Gitlab::HookData::ReleaseBuilder`, `Gitlab::DataBuilder::Push`, `Project#hook_attrs`;
//! docs/research/gitlab-hooks.md §5). Times are the newest GitLab's: ISO 8601 with
//! milliseconds.

use serde_json::{json, Value};

use crate::domain::link::LinkType;
use crate::domain::time::{format_micros, Micros};
use crate::http::urls::Urls;
use crate::store::{Project, User};

/// GitLab's archive formats: each release lists one source per format.
const ARCHIVE_FORMATS: [&str; 4] = ["zip", "tar.gz", "tar.bz2", "tar"];

/// A release as a payload shows it (from the database, or from a deleted release's snapshot).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReleaseData {
    pub id: i64,
    pub tag: String,
    pub name: Option<String>,
    pub description: Option<String>,
    pub sha: Option<String>,
    pub released_at: Micros,
    pub created_at: Micros,
    #[serde(default)]
    pub links: Vec<LinkData>,
}

#[derive(Debug, Clone, serde::Deserialize)]
pub struct LinkData {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub link_type: i64,
}

/// A tag as a Tag Push Hook shows it (the triggers' snapshot).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct TagData {
    pub name: String,
    pub target: Option<String>,
    pub message: Option<String>,
}

/// `Project#hook_attrs` (with the backward-compatible keys).
pub fn project_attrs(urls: &Urls, project: &Project) -> Value {
    let full_path = project.full_path();
    let web_url = urls.project(&full_path);
    let ssh = format!("git@{}:{full_path}.git", urls.host());
    let http = format!("{web_url}.git");
    json!({
        "id": project.id,
        "name": project.name,
        "description": project.description.clone().unwrap_or_default(),
        "web_url": web_url,
        "avatar_url": null,
        "git_ssh_url": ssh,
        "git_http_url": http,
        "namespace": project.namespace.name,
        "visibility_level": project.visibility.level(),
        "path_with_namespace": full_path,
        "default_branch": null,
        "ci_config_path": null,
        "homepage": web_url,
        "url": ssh,
        "ssh_url": ssh,
        "http_url": http,
    })
}

/// Markdown whose `/uploads/…` images and links are made absolute (GitLab's
/// `absolute_image_urls`).
fn absolute_uploads(urls: &Urls, project: &Project, markdown: &str) -> String {
    let base = urls.project(&project.full_path());
    markdown.replace("](/uploads/", &format!("]({base}/uploads/"))
}

/// The commit a release was made from, as far as relinks knows it (a tag is a record here):
/// `null` when it knows no commit id.
fn commit_attrs(
    urls: &Urls,
    project: &Project,
    sha: Option<&str>,
    message: Option<&str>,
    when: Micros,
    author: Option<&User>,
) -> Value {
    let Some(sha) = sha.filter(|s| !s.is_empty()) else {
        return Value::Null;
    };
    let message = message.unwrap_or_default();
    let title = message.lines().next().unwrap_or_default();
    json!({
        "id": sha,
        "message": message,
        "title": title,
        "timestamp": crate::domain::time::format_micros_xmlschema(when),
        "url": urls.absolute(&format!("/{}/-/commit/{sha}", project.full_path())),
        "author": {
            "name": author.map(|a| a.name.clone()).unwrap_or_default(),
            "email": "",
        },
    })
}

/// A Release Hook's body: `id, created_at, description, name, released_at, tag, object_kind,
/// project, url, action, assets {count, links, sources}, commit`.
pub fn release(
    urls: &Urls,
    project: &Project,
    release: &ReleaseData,
    action: &str,
    tag_message: Option<&str>,
    author: Option<&User>,
) -> Value {
    let full_path = project.full_path();
    let web_url = urls.project(&full_path);
    let archive = format!("{}-{}", project.path, release.tag.replace('/', "-"));
    let sources: Vec<Value> = ARCHIVE_FORMATS
        .iter()
        .map(|format| {
            json!({
                "format": format,
                "url": format!("{web_url}/-/archive/{}/{archive}.{format}", release.tag),
            })
        })
        .collect();
    let links: Vec<Value> = release
        .links
        .iter()
        .map(|link| {
            json!({
                "id": link.id,
                "link_type": LinkType::from_code(link.link_type).as_str(),
                "name": link.name,
                "url": link.url,
            })
        })
        .collect();
    json!({
        "id": release.id,
        "created_at": format_micros(release.created_at),
        "description": release
            .description
            .as_deref()
            .map(|d| absolute_uploads(urls, project, d)),
        "name": release.name,
        "released_at": format_micros(release.released_at),
        "tag": release.tag,
        "object_kind": "release",
        "project": project_attrs(urls, project),
        "url": urls.release(&full_path, &release.tag),
        "action": action,
        "assets": {
            "count": links.len() + sources.len(),
            "links": links,
            "sources": sources,
        },
        "commit": commit_attrs(
            urls,
            project,
            release.sha.as_deref(),
            tag_message,
            release.created_at,
            author,
        ),
    })
}

const BLANK_REF: &str = "0000000000000000000000000000000000000000";

/// A Tag Push Hook's body, for a tag created (`action` `create`) or deleted.
pub fn tag_push(
    urls: &Urls,
    project: &Project,
    tag: &TagData,
    action: &str,
    when: Micros,
    user: Option<&User>,
    ref_protected: bool,
) -> Value {
    let created = action == "create";
    let target = tag.target.clone().filter(|t| !t.is_empty());
    let after = if created {
        target.clone().unwrap_or_else(|| BLANK_REF.to_owned())
    } else {
        BLANK_REF.to_owned()
    };
    let commits: Vec<Value> = match (&target, created) {
        (Some(sha), true) => {
            let mut commit =
                commit_attrs(urls, project, Some(sha), tag.message.as_deref(), when, user);
            if let Value::Object(fields) = &mut commit {
                fields.insert("added".into(), json!([]));
                fields.insert("modified".into(), json!([]));
                fields.insert("removed".into(), json!([]));
            }
            vec![commit]
        }
        _ => Vec::new(),
    };
    let project_attrs = project_attrs(urls, project);
    let repository = json!({
        "name": project_attrs["name"],
        "url": project_attrs["url"],
        "description": project_attrs["description"],
        "homepage": project_attrs["homepage"],
        "git_http_url": project_attrs["git_http_url"],
        "git_ssh_url": project_attrs["git_ssh_url"],
        "visibility_level": project_attrs["visibility_level"],
    });
    json!({
        "object_kind": "tag_push",
        "event_name": "tag_push",
        "before": if created { BLANK_REF.to_owned() } else { target.clone().unwrap_or_else(|| BLANK_REF.to_owned()) },
        "after": after,
        "ref": format!("refs/tags/{}", tag.name),
        "ref_protected": ref_protected,
        "checkout_sha": if created { target } else { None },
        "message": if created { tag.message.clone() } else { None },
        "user_id": user.map(|u| u.id),
        "user_name": user.map(|u| u.name.clone()),
        "user_username": user.map(|u| u.username.clone()),
        "user_email": null,
        "user_avatar": null,
        "project_id": project.id,
        "project": project_attrs,
        "commits": commits,
        "total_commits_count": commits.len(),
        "push_options": {},
        "repository": repository,
    })
}
