//! Releases (gitlab-behaviour.md §7): what links hang on. One deliberate difference from GitLab:
//! a release for a tag relinks has not recorded is accepted with or without `ref`, and the tag
//! is recorded then (relinks hosts no git; semantic-release sends no `ref`).

use std::collections::HashSet;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::link::{self, LinkCandidate, LinkConflicts, LinkType};
use crate::domain::names::is_valid_tag_name;
use crate::http::auth::{authenticate, Caller, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{ReleaseContext, ReleaseEntity, ReleaseUrls};
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::{Declared, Field};
use crate::http::rendered::{memoized, LinksJson};
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{
    NewLink, NewRelease, NewTag, ProtectedTag, Release, ReleaseChanges, ReleaseOrder, ReleaseQuery,
    Store, StoreError,
};

/// GitLab's `MAX_TEXT_SIZE_LIMIT` for release descriptions.
pub const MAX_DESCRIPTION_LENGTH: usize = 1_000_000;

/// The caller and the project of a releases request, once the caller may read its releases.
async fn scope<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<(Caller, ProjectScope)> {
    let caller = authenticate(app, request, RouteAuth::RELEASES).await?;
    let scope = find_project(app, &caller, request, request.path("id")).await?;
    scope.require_read_releases()?;
    Ok((caller, scope))
}

/// Release entities for several releases, with their authors and links fetched in two queries.
async fn present<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    releases: &[Release],
    include_html: bool,
) -> ApiResult<Vec<ReleaseEntity>> {
    let protected = app.store.protected_tags(scope.project.id).await?;
    let mut author_ids: Vec<i64> = releases.iter().filter_map(|r| r.author_id).collect();
    author_ids.sort_unstable();
    author_ids.dedup();
    let authors = app.store.users_by_ids(&author_ids).await?;
    let links = links_json(app, scope, releases).await?;
    let can_read_code = scope.can_read_code();
    Ok(releases
        .iter()
        .zip(links)
        .map(|(release, links)| {
            let ctx = ReleaseContext {
                urls: &app.urls,
                project: &scope.project,
                can_read_code,
                can_update: scope.can_write_release(&release.tag, &protected),
                include_html,
            };
            let author = authors.iter().find(|a| Some(a.id) == release.author_id);
            ReleaseEntity::new(&ctx, release, author, links)
        })
        .collect())
}

/// Each release's `assets.links`, rendered (or taken from the memo), in the order of `releases`.
async fn links_json<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    releases: &[Release],
) -> ApiResult<Vec<LinksJson>> {
    let release_ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
    let key = || {
        let path = scope.project.full_path();
        format!("release-links-json:{path}:{release_ids:?}")
    };
    let size = |all: &Vec<LinksJson>| all.iter().map(LinksJson::size).sum();
    memoized(&app.store, key, size, async {
        let links = app.store.links_of_releases(&release_ids).await?;
        releases
            .iter()
            .map(|release| {
                let urls = ReleaseUrls::new(&app.urls, &scope.project, &release.tag);
                let own = links.iter().filter(|l| l.release_id == release.id);
                LinksJson::render(&urls, own)
            })
            .collect()
    })
    .await
}

async fn present_one<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
    include_html: bool,
) -> ApiResult<ReleaseEntity> {
    let mut all = present(app, scope, std::slice::from_ref(release), include_html).await?;
    all.pop().ok_or_else(ApiError::not_found_plain)
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases",
    tag = "releases",
    summary = "List releases",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20"), ("order_by" = Option<String>, Query, description = "released_at (default) or created_at"), ("sort" = Option<String>, Query, description = "desc (default) or asc"), ("include_html_description" = Option<bool>, Query)),
    responses((status = 200, description = "The releases", body = [ReleaseEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = "default", description = "GitLab's error bodies: 400 parameters, 401, 413, 503, …", body = AnyError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let order_by = d.one_of("order_by", &["released_at", "created_at"]);
    let sort = d.one_of("sort", &["asc", "desc"]);
    let include_html = d
        .boolean("include_html_description")
        .value()
        .unwrap_or(false);
    let updated_before = d.datetime("updated_before").value();
    let updated_after = d.datetime("updated_after").value();
    let page = d.page();
    d.finish()?;
    let (_, scope) = scope(&app, &request).await?;
    let query = ReleaseQuery {
        order: match order_by.value().as_deref() {
            Some("created_at") => ReleaseOrder::CreatedAt,
            _ => ReleaseOrder::ReleasedAt,
        },
        ascending: sort.value().as_deref() == Some("asc"),
        updated_before,
        updated_after,
    };
    let (releases, total) = app.store.releases(scope.project.id, &query, page).await?;
    let items = present(&app, &scope, &releases, include_html).await?;
    Ok(paginated(&app.urls, &request, page, total, items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}",
    tag = "releases",
    summary = "Get a release",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("include_html_description" = Option<bool>, Query)),
    responses((status = 200, description = "The release", body = ReleaseEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = "default", description = "GitLab's error bodies: 400 parameters, 401, 413, 503, …", body = AnyError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let include_html = d
        .boolean("include_html_description")
        .value()
        .unwrap_or(false);
    d.finish()?;
    let (_, scope) = scope(&app, &request).await?;
    scope.require(scope.can_read_code())?;
    let release = app
        .store
        .release(scope.project.id, request.path("tag_name"))
        .await?
        .ok_or_else(ApiError::not_found_plain)?;
    Ok(json_response(
        StatusCode::OK,
        &present_one(&app, &scope, &release, include_html).await?,
    ))
}

/// One link of `assets[links]`, read as GitLab's `Releases::Links::Params` reads it.
fn read_asset_link(d: &mut Declared<'_>) -> NewLink {
    let name = d.required_string("name");
    let url = d.required_string("url");
    let direct_asset_path = d.string("direct_asset_path");
    let filepath = d.string("filepath");
    let link_type = d.one_of("link_type", &LinkType::VALUES);
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
    }
}

/// `Validation failed: …` for the links of a new release: each link's own rules, then
/// duplicates among them (`NestedAttributesDuplicatesValidator`).
fn validate_asset_links(links: &[NewLink], config: &crate::http::HttpConfig) -> Option<String> {
    let mut messages: Vec<String> = Vec::new();
    if links.len() as i64 > config.max_links_per_release {
        messages.push(format!(
            "Links are too many (maximum is {})",
            config.max_links_per_release
        ));
    }
    for link in links {
        let candidate = LinkCandidate {
            name: Some(&link.name),
            url: Some(&link.url),
            filepath: link.filepath.as_deref(),
        };
        let mut own = link::validation_messages(&candidate, &LinkConflicts::default());
        if link.name.chars().count() > config.max_name_length {
            own.push(format!(
                "Name is too long (maximum is {} characters)",
                config.max_name_length
            ));
        }
        for message in own {
            let nested = format!("Links {}{}", message[..1].to_lowercase(), &message[1..]);
            if !messages.contains(&nested) {
                messages.push(nested);
            }
        }
    }
    if messages.is_empty() {
        type Attribute = fn(&NewLink) -> Option<&str>;
        let attributes: [Attribute; 3] = [
            |l| Some(&l.name),
            |l| Some(&l.url),
            |l| l.filepath.as_deref(),
        ];
        for value_of in attributes {
            let mut seen = HashSet::new();
            let mut duplicates: Vec<&str> = Vec::new();
            for value in links.iter().filter_map(value_of) {
                if !seen.insert(value) && !duplicates.contains(&value) {
                    duplicates.push(value);
                }
            }
            if !duplicates.is_empty() {
                messages.push(format!(
                    "Links have duplicate values ({})",
                    duplicates.join(", ")
                ));
            }
        }
    }
    (!messages.is_empty()).then(|| format!("Validation failed: {}", messages.join(", ")))
}

fn milestones_not_found(d: &mut Declared<'_>) -> Option<String> {
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

/// relinks' own guard on names (GitLab sets no limit).
fn name_too_long(name: Option<&String>, config: &crate::http::HttpConfig) -> bool {
    name.is_some_and(|n| n.chars().count() > config.max_name_length)
}

fn description_too_long(description: Option<&String>) -> bool {
    description.is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LENGTH)
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/releases",
    tag = "releases",
    summary = "Create a release (and record its tag when new)",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = ReleaseCreate,
    responses((status = 201, description = "The new release", body = ReleaseEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 409, description = "Already exists", body = MessageError), (status = "default", description = "GitLab's error bodies: 400 parameters, 401, 413, 503, …", body = AnyError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let tag_name = d.required_string("tag_name");
    let tag_message = d.string("tag_message");
    let name = d.string("name");
    let description = d.string("description");
    let git_ref = d.string("ref");
    let mut links = Vec::new();
    if let Some(assets) = d.hash("assets") {
        let mut assets_reader = Declared::within(assets, "assets".into());
        for (i, entry) in assets_reader
            .hash_array("links")
            .unwrap_or_default()
            .into_iter()
            .enumerate()
        {
            let mut link_reader = Declared::within(entry, format!("assets[links][{i}]"));
            links.push(read_asset_link(&mut link_reader));
            assets_reader.absorb(link_reader);
        }
        d.absorb(assets_reader);
    }
    let missing_milestones = milestones_not_found(&mut d);
    let released_at = d.datetime("released_at");
    d.finish()?;

    let (caller, scope) = scope(&app, &request).await?;
    scope.require(scope.can_write_releases())?;
    let author = caller.require_user()?.id;
    let tag = tag_name.value().unwrap_or_default();
    let protected = app.store.protected_tags(scope.project.id).await?;
    if !scope.can_create_tag(&tag, &protected) {
        return Err(ApiError::message(
            StatusCode::FORBIDDEN,
            "You are not allowed to create this tag as it is protected.",
        ));
    }
    if app.store.release(scope.project.id, &tag).await?.is_some() {
        return Err(release_exists());
    }
    if let Some(message) = missing_milestones {
        return Err(ApiError::message(StatusCode::BAD_REQUEST, message));
    }
    let existing_tag = app.store.tag(scope.project.id, &tag).await?;
    let new_tag = match &existing_tag {
        Some(_) => None,
        None => Some(new_tag_for_release(
            &scope,
            &tag,
            git_ref.value(),
            tag_message.value(),
        )?),
    };
    let description = description.value();
    if let Some(message) = validate_asset_links(&links, &app.config) {
        return Err(ApiError::message(StatusCode::BAD_REQUEST, message));
    }
    let release_name = name.value();
    if name_too_long(release_name.as_ref(), &app.config) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            format!(
                "Validation failed: Name is too long (maximum is {} characters)",
                app.config.max_name_length
            ),
        ));
    }
    if description_too_long(description.as_ref()) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            format!("Validation failed: Description is too long (maximum is {MAX_DESCRIPTION_LENGTH} characters)"),
        ));
    }
    let sha = existing_tag
        .as_ref()
        .and_then(|t| t.target.clone())
        .or_else(|| new_tag.as_ref().and_then(|t| t.target.clone()));
    let release = app
        .store
        .create_release(&NewRelease {
            project_id: scope.project.id,
            tag: tag.clone(),
            name: release_name.or_else(|| Some(tag.clone())),
            description,
            author_id: author,
            released_at: released_at.value(),
            new_tag,
            sha: sha.filter(|s| looks_like_sha(s)),
            links,
        })
        .await
        .map_err(|e| match e {
            StoreError::Conflict(crate::store::Constraint::ReleaseTag) => release_exists(),
            StoreError::Conflict(_) => ApiError::message(
                StatusCode::BAD_REQUEST,
                "Validation failed: Links have duplicate values",
            ),
            other => other.into(),
        })?;
    Ok(json_response(
        StatusCode::CREATED,
        &present_one(&app, &scope, &release, false).await?,
    ))
}

fn release_exists() -> ApiError {
    ApiError::message(StatusCode::CONFLICT, "Release already exists")
}

/// A tag relinks records for a release, with GitLab's checks on its name and `ref`.
fn new_tag_for_release(
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

fn looks_like_sha(text: &str) -> bool {
    (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The release a write names, or 403: GitLab authorizes against a missing release, which its
/// policy denies, so a missing release reads as forbidden here.
async fn writable_release<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    tag: &str,
) -> ApiResult<(Release, Vec<ProtectedTag>)> {
    let release = app
        .store
        .release(scope.project.id, tag)
        .await?
        .ok_or_else(ApiError::forbidden)?;
    let protected = app.store.protected_tags(scope.project.id).await?;
    scope.require(scope.can_write_release(&release.tag, &protected))?;
    Ok((release, protected))
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/releases/{tag_name}",
    tag = "releases",
    summary = "Update a release",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    request_body = ReleaseUpdate,
    responses((status = 200, description = "The updated release", body = ReleaseEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = "default", description = "GitLab's error bodies: 400 parameters, 401, 413, 503, …", body = AnyError))
)]
pub async fn update<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let name = d.string("name");
    let description = d.string("description");
    let released_at = d.datetime("released_at");
    let has_milestones = d.raw("milestones").is_some() || d.raw("milestone_ids").is_some();
    let missing_milestones = milestones_not_found(&mut d);
    d.finish()?;
    let (_, scope) = scope(&app, &request).await?;
    let (release, _) = writable_release(&app, &scope, request.path("tag_name")).await?;
    if !name.is_present()
        && !description.is_present()
        && !released_at.is_present()
        && !has_milestones
    {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "params is empty",
        ));
    }
    if let Some(message) = missing_milestones {
        return Err(ApiError::message(StatusCode::BAD_REQUEST, message));
    }
    let changes = ReleaseChanges {
        name: name.into_change(),
        description: description.into_change(),
        released_at: released_at.value(),
    };
    if name_too_long(changes.name.as_ref().and_then(Option::as_ref), &app.config) {
        return Err(ApiError::field(
            "name",
            &format!(
                "is too long (maximum is {} characters)",
                app.config.max_name_length
            ),
        ));
    }
    if description_too_long(changes.description.as_ref().and_then(Option::as_ref)) {
        return Err(ApiError::field(
            "description",
            &format!("is too long (maximum is {MAX_DESCRIPTION_LENGTH} characters)"),
        ));
    }
    let updated = app.store.update_release(release.id, &changes).await?;
    Ok(json_response(
        StatusCode::OK,
        &present_one(&app, &scope, &updated, false).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/releases/{tag_name}",
    tag = "releases",
    summary = "Delete a release and its links",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    responses((status = 200, description = "The deleted release", body = ReleaseEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = "default", description = "GitLab's error bodies: 400 parameters, 401, 413, 503, …", body = AnyError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let (_, scope) = scope(&app, &request).await?;
    let (release, _) = writable_release(&app, &scope, request.path("tag_name")).await?;
    let body = present_one(&app, &scope, &release, false).await?;
    app.store.delete_release(release.id).await?;
    Ok(json_response(StatusCode::OK, &body))
}
