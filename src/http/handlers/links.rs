//! The Release links API: `GET|POST /projects/:id/releases/:tag_name/assets/links` and
//! `GET|PUT|DELETE …/assets/links/:link_id`, as GitLab's API answers them.
//!
//! Each handler is the request path of ARCHITECTURE.md in order, because the order is behaviour:
//! parameters (400) → caller (401) → project (404 Project Not Found) → read releases (403) →
//! release (404 Not found) → link (404 Not found) → write permission (403) → validation (400).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::domain::link::{self, LinkCandidate, LinkConflicts, LinkType};
use crate::domain::link_digest;
use crate::domain::time::now_micros;
use crate::domain::{release, release_policy};
use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{memoized, rendered, LinksJson};
use crate::http::entities::{LinkEntity, ReleaseUrls};
use crate::http::error::{json_response, rendered_json_response, ApiError, ApiResult};
use crate::http::hosted;
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated_rendered;
use crate::http::params::{Declared, Field};
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{Link, LinkChanges, NewLink, Release, Store, StoreError};

/// The link's attributes as a POST or PUT declares them.
struct LinkInput {
    name: Field<String>,
    url: Field<String>,
    /// `direct_asset_path`, else its deprecated alias `filepath`; `None` when neither was sent.
    filepath: Option<Option<String>>,
    link_type: Field<String>,
    /// relinks' extension: `sha256:<hex>`, kept in lower case; `null` on PUT clears it.
    digest: Field<String>,
}

impl LinkInput {
    fn read(d: &mut Declared<'_>, required: bool) -> Self {
        let (name, url) = if required {
            (d.required_string("name"), d.required_string("url"))
        } else {
            (d.string("name"), d.string("url"))
        };
        let direct_asset_path = d.string("direct_asset_path");
        let filepath = d.string("filepath");
        let link_type = d.one_of("link_type", &LinkType::VALUES);
        let digest = d.string("digest");
        // A change of the digest alone is a change too; without one, GitLab's rule and message.
        if !required && !digest.is_present() {
            d.at_least_one_of(&["name", "url"]);
        }
        Self {
            name,
            url,
            filepath: resolve_filepath(direct_asset_path, filepath),
            link_type,
            digest,
        }
    }

    fn link_type(&self) -> Option<LinkType> {
        match &self.link_type {
            Field::Value(v) => LinkType::parse(v),
            _ => None,
        }
    }

    /// The link a POST describes. A nil name or URL becomes an empty string: both are blank to
    /// GitLab's validators.
    fn new_link(&self) -> NewLink {
        NewLink {
            name: self.name.clone().value().unwrap_or_default(),
            url: stripped(&self.url).unwrap_or_default(),
            filepath: self.filepath.clone().flatten(),
            link_type: self.link_type().unwrap_or_default(),
            digest: self
                .digest
                .as_ref()
                .value()
                .map(|d| link_digest::normalized(d)),
            size: None,
        }
    }

    /// What a PUT changes. relinks keeps the stored type when PUT omits it (GitLab resets it
    /// to `other`).
    fn changes(&self) -> LinkChanges {
        LinkChanges {
            name: self
                .name
                .is_present()
                .then(|| self.name.clone().value().unwrap_or_default()),
            url: self
                .url
                .is_present()
                .then(|| stripped(&self.url).unwrap_or_default()),
            filepath: self.filepath.clone(),
            link_type: self.link_type(),
            digest: match &self.digest {
                Field::Value(d) => Some(Some(link_digest::normalized(d))),
                Field::Null => Some(None),
                Field::Missing => None,
            },
            size: None,
        }
    }
}

/// GitLab strips whitespace around a URL and saves the stripped value.
fn stripped(url: &Field<String>) -> Option<String> {
    url.as_ref().value().map(|u| link::ruby_strip(u).to_owned())
}

/// `params[:direct_asset_path] || params[:filepath]`, only when either was supplied.
fn resolve_filepath(
    direct_asset_path: Field<String>,
    filepath: Field<String>,
) -> Option<Option<String>> {
    match (direct_asset_path, filepath) {
        (Field::Value(path), _) => Some(Some(path)),
        (Field::Missing, Field::Missing) => None,
        (_, other) => Some(other.value()),
    }
}

/// The link id route capture: an Integer in Grape, so anything else is `link_id is invalid`.
fn link_id(d: &mut Declared<'_>) -> Option<i64> {
    d.required_integer("link_id").value()
}

async fn release_of<S: Store>(app: &App<S>, scope: &ProjectScope, tag: &str) -> ApiResult<Release> {
    app.store
        .release(scope.project.id, tag)
        .await?
        .ok_or_else(ApiError::record_not_found)
}

async fn link_of<S: Store>(app: &App<S>, release: &Release, id: i64) -> ApiResult<Link> {
    app.store
        .link(release.id, id)
        .await?
        .ok_or_else(ApiError::record_not_found)
}

/// `create/update/destroy_release` on the release: developers and up, unless a protected tag
/// matching the release's tag keeps them out.
pub(super) async fn require_write<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
) -> ApiResult<()> {
    scope.require(may_write(app, scope, release).await?)
}

/// A project with immutable releases keeps a published release's links as they are, for
/// everyone (administrators too): 403, after the permission check.
pub(super) fn require_mutable(scope: &ProjectScope, release: &Release) -> ApiResult<()> {
    if release_policy::is_immutable(
        scope.project.releases_immutable,
        release.released_at,
        now_micros(),
    ) {
        return Err(ApiError::message(
            StatusCode::FORBIDDEN,
            release_policy::immutable_message(&release.tag),
        ));
    }
    Ok(())
}

/// [`require_mutable`] for a write to one link: a link that is not there is a 404 first, as
/// it is on a release that may change.
async fn require_mutable_link<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
    id: i64,
) -> ApiResult<()> {
    if require_mutable(scope, release).is_err() {
        link_of(app, release, id).await?;
    }
    require_mutable(scope, release)
}

async fn may_write<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
) -> ApiResult<bool> {
    let protected = app.store.protected_tags(scope.project.id).await?;
    Ok(scope.can_write_release(&release.tag, &protected))
}

/// Whether an update's changed fields pass the rules of one field (relinks' name length
/// included); the fields it leaves are not looked at.
fn changes_are_valid(changes: &LinkChanges, max_name: usize) -> bool {
    link::changes_are_valid(
        changes.name.as_deref(),
        changes.url.as_deref(),
        changes.filepath.as_ref().map(Option::as_deref),
    ) && changes
        .name
        .as_deref()
        .is_none_or(|name| release::too_long(Some(name), max_name).is_none())
        && changes
            .digest
            .as_ref()
            .and_then(Option::as_deref)
            .is_none_or(link_digest::is_valid)
}

/// A declared digest that is not the hosted file's: GitLab's messages for the link first (its
/// taken name, URL or filepath, read now), then `Digest does not match the hosted file`.
async fn digest_mismatch<S: Store>(
    app: &App<S>,
    release_id: i64,
    candidate: &NewLink,
    except: Option<i64>,
) -> ApiError {
    let max_name = app.config.max_name_length;
    let mut found = match app
        .store
        .link_conflicts(release_id, candidate, except)
        .await
    {
        Ok(conflicts) => messages(candidate, &conflicts, max_name),
        Err(error) => return error.into(),
    };
    found.push(hosted::DIGEST_MISMATCH.to_owned());
    ApiError::Validation(StatusCode::BAD_REQUEST, found.into())
}

/// A link's digest and size describe what its URL serves. A new URL naming a file hosted here
/// gives the link the file's digest and size; any other new URL leaves both unknown, unless the
/// request declares the digest. A digest declared for a hosted file must be the file's own.
async fn describe_changes<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
    id: i64,
    changes: &mut LinkChanges,
) -> ApiResult<()> {
    let declared = changes.digest.clone().flatten();
    if changes.url.is_none() && declared.is_none() {
        return Ok(());
    }
    let link = link_of(app, release, id).await?;
    let url = changes.url.clone().unwrap_or_else(|| link.url.clone());
    let facts = hosted::hosted_facts(app, scope, &url).await?;
    if url != link.url {
        changes.size = Some(None);
        if changes.digest.is_none() {
            changes.digest = Some(None);
        }
    }
    let Some((digest, size)) = facts else {
        return Ok(());
    };
    if declared.is_some_and(|declared| declared != digest) {
        let candidate = NewLink::from(link.with_changes(changes));
        return Err(digest_mismatch(app, release.id, &candidate, Some(id)).await);
    }
    changes.digest = Some(Some(digest));
    changes.size = Some(Some(size));
    Ok(())
}

/// Finds the project and release a links request names, checking read access on the way.
pub(super) async fn locate<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
) -> ApiResult<(ProjectScope, Release)> {
    let caller = authenticate(app, request, RouteAuth::RELEASES).await?;
    let scope = find_project(app, &caller, request, request.path("id")).await?;
    scope.require_read_releases()?;
    let release = release_of(app, &scope, request.path("tag_name")).await?;
    Ok((scope, release))
}

fn present<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
    link: &Link,
) -> LinkEntity {
    LinkEntity::new(
        &ReleaseUrls::new(&app.urls, &scope.project, &release.tag),
        link,
    )
}

/// GitLab's validation messages for the link (relinks' name length among them).
/// A nil name or URL arrives here as an empty string: both are blank to GitLab's validators.
fn messages(candidate: &NewLink, conflicts: &LinkConflicts, max_name: usize) -> Vec<String> {
    let link = LinkCandidate {
        name: Some(candidate.name.as_str()),
        url: Some(candidate.url.as_str()),
        filepath: candidate.filepath.as_deref(),
        digest: candidate.digest.as_deref(),
    };
    let mut messages = link::validation_messages(&link, conflicts);
    // relinks' own guard (GitLab sets no limit), listed with the other name messages.
    if let Some(problem) = release::too_long(Some(&candidate.name), max_name) {
        let at = messages
            .iter()
            .position(|m| m.starts_with("Filepath"))
            .unwrap_or(messages.len());
        messages.insert(at, format!("Name {problem}"));
    }
    messages
}

/// Rejects the link with GitLab's validation messages, or lets it through.
fn validate(candidate: &NewLink, conflicts: &LinkConflicts, max_name: usize) -> ApiResult<()> {
    let messages = messages(candidate, conflicts, max_name);
    if messages.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(
            StatusCode::BAD_REQUEST,
            messages.into(),
        ))
    }
}

/// GitLab's validation before a write. A link that breaks a rule of its own gets every message,
/// taken names and URLs included (one read); a valid one goes straight to the store, whose
/// unique indexes report what is taken (no read on the common path).
async fn check<S: Store>(
    app: &App<S>,
    release_id: i64,
    candidate: &NewLink,
    except: Option<i64>,
) -> ApiResult<()> {
    let max_name = app.config.max_name_length;
    if validate(candidate, &LinkConflicts::default(), max_name).is_ok() {
        return Ok(());
    }
    let conflicts = app
        .store
        .link_conflicts(release_id, candidate, except)
        .await?;
    validate(candidate, &conflicts, max_name)
}

/// A unique-rule violation found while writing becomes the same 400 as one found before.
fn conflict_to_error(candidate: &NewLink, error: StoreError, max_name: usize) -> ApiError {
    match error {
        StoreError::LinkConflict(conflicts) => match validate(candidate, &conflicts, max_name) {
            Err(e) => e,
            Ok(()) => ApiError::Store(StoreError::LinkConflict(conflicts)),
        },
        other => other.into(),
    }
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links",
    tag = "release links",
    summary = "List links of a release",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "The links, newest first", body = [LinkEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    let key = || {
        let path = scope.project.full_path();
        format!(
            "links-json:{}:{path}:{}:{}",
            release.id, page.page, page.per_page
        )
    };
    let size = |(links, _): &(LinksJson, i64)| links.size();
    let (links, total) = memoized(&app.store, key, size, async {
        let (links, total) = app.store.links(release.id, page).await?;
        let urls = ReleaseUrls::new(&app.urls, &scope.project, &release.tag);
        Ok((LinksJson::render(&urls, &links)?, total))
    })
    .await?;
    let mut response = paginated_rendered(&app.urls, &request, page, total, links.body());
    response.extensions_mut().insert(links.digest());
    Ok(response)
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}",
    tag = "release links",
    summary = "Get a release link",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("link_id" = i64, Path)),
    responses((status = 200, description = "The link", body = LinkEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = link_id(&mut d);
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    let id = id.unwrap_or_default();
    // Rendered once per link, as the lists are: the hot read of CI scripts.
    let key = || {
        let project = &scope.project;
        let (namespace, path) = (project.namespace.full_path.as_str(), project.path.as_str());
        let parts: [&dyn crate::store::cached::KeyPart; 8] = [
            &"link-json:",
            &release.id,
            &":",
            &id,
            &":",
            &namespace,
            &"/",
            &path,
        ];
        crate::store::cached::key(&parts)
    };
    let (body, digest) = memoized(&app.store, key, |(body, _)| body.len(), async {
        let link = link_of(&app, &release, id).await?;
        rendered(&present(&app, &scope, &release, &link))
    })
    .await?;
    let mut response = rendered_json_response(StatusCode::OK, body);
    response.extensions_mut().insert(digest);
    Ok(response)
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links",
    tag = "release links",
    summary = "Create a release link",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    request_body = LinkCreate,
    responses((status = 201, description = "The new link", body = LinkEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let input = LinkInput::read(&mut d, true);
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    require_write(&app, &scope, &release).await?;
    require_mutable(&scope, &release)?;

    let mut candidate = input.new_link();
    check(&app, release.id, &candidate, None).await?;
    if !hosted::describe(&app, &scope, &mut candidate).await? {
        return Err(digest_mismatch(&app, release.id, &candidate, None).await);
    }
    let created = app
        .store
        .create_link(release.id, &candidate, app.config.max_links_per_release)
        .await
        .map_err(|e| conflict_to_error(&candidate, e, app.config.max_name_length))?;
    Ok(json_response(
        StatusCode::CREATED,
        &present(&app, &scope, &release, &created),
    ))
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}",
    tag = "release links",
    summary = "Update a release link",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("link_id" = i64, Path)),
    request_body = LinkUpdate,
    responses((status = 200, description = "The updated link", body = LinkEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn update<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = link_id(&mut d);
    let input = LinkInput::read(&mut d, false);
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    let id = id.unwrap_or_default();
    let mut changes = input.changes();
    let max_name = app.config.max_name_length;
    // A writer's valid change goes straight to the store, without reading the link first: its
    // stored fields passed these rules when they were stored, so the changed ones decide, the
    // unique indexes report what is taken, and a link that is not there changes nothing (404).
    // Anything else takes GitLab's order (link 404, then 403, then every 400 message).
    if !may_write(&app, &scope, &release).await? || !changes_are_valid(&changes, max_name) {
        let existing = link_of(&app, &release, id).await?;
        require_write(&app, &scope, &release).await?;
        let candidate = NewLink::from(existing.with_changes(&changes));
        check(&app, release.id, &candidate, Some(existing.id)).await?;
    }
    require_mutable_link(&app, &scope, &release, id).await?;
    describe_changes(&app, &scope, &release, id, &mut changes).await?;
    let updated = match app.store.update_link(release.id, id, &changes).await {
        Ok(updated) => updated.ok_or_else(ApiError::record_not_found)?,
        Err(error @ StoreError::LinkConflict(_)) => {
            // Every message of a taken name, URL or filepath needs the link as it would be.
            let existing = link_of(&app, &release, id).await?;
            let candidate = NewLink::from(existing.with_changes(&changes));
            return Err(conflict_to_error(&candidate, error, max_name));
        }
        Err(error) => return Err(error.into()),
    };
    Ok(json_response(
        StatusCode::OK,
        &present(&app, &scope, &release, &updated),
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}",
    tag = "release links",
    summary = "Delete a release link",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("link_id" = i64, Path)),
    responses((status = 200, description = "The deleted link", body = LinkEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = link_id(&mut d);
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    let id = id.unwrap_or_default();
    // A writer's delete needs no read first: a link that is not there deletes nothing (404).
    if !may_write(&app, &scope, &release).await? {
        link_of(&app, &release, id).await?;
        return Err(ApiError::forbidden());
    }
    require_mutable_link(&app, &scope, &release, id).await?;
    let deleted = app
        .store
        .delete_link(release.id, id)
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    Ok(json_response(StatusCode::OK, &present(&app, &scope, &release, &deleted)).into_response())
}
