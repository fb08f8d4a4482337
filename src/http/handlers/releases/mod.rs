//! Releases: what links hang on. One deliberate difference from GitLab:
//! a release for a tag relinks has not recorded is accepted with or without `ref`, and the tag
//! is recorded then (relinks hosts no git; semantic-release sends no `ref`).

pub(super) mod input;
mod present;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::release;
use crate::domain::time::now_micros;
use crate::http::auth::{authenticate, Caller, RouteAuth};
use crate::http::entities::ReleaseEntity;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{memoized, rendered};
use crate::http::error::{json_response, rendered_json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{
    NewRelease, ProtectedTag, Release, ReleaseChanges, ReleaseOrder, ReleaseQuery, Store,
    StoreError,
};

use super::links::require_mutable;
use input::{
    looks_like_sha, milestones_not_found, new_tag_for_release, read_asset_link,
    validate_asset_links,
};
use present::{present, present_one};

/// The caller and the project of a releases request, once the caller may read its releases.
async fn scope<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<(Caller, ProjectScope)> {
    let caller = authenticate(app, request, RouteAuth::RELEASES).await?;
    let scope = find_project(app, &caller, request, request.path("id")).await?;
    scope.require_read_releases()?;
    Ok((caller, scope))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases",
    tag = "releases",
    summary = "List releases",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20"), ("order_by" = Option<String>, Query, description = "released_at (default), created_at, or semver (extension: tags that are semantic versions in version order, then the others by released_at)"), ("sort" = Option<String>, Query, description = "desc (default) or asc"), ("include_html_description" = Option<bool>, Query)),
    responses((status = 200, description = "The releases", body = [ReleaseEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let order_by = d.one_of("order_by", &["released_at", "created_at", "semver"]);
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
            Some("semver") => ReleaseOrder::Semver,
            _ => ReleaseOrder::ReleasedAt,
        },
        ascending: sort.value().as_deref() == Some("asc"),
        updated_before,
        updated_after,
    };
    let (releases, total) = app.store.releases(scope.project.id, &query, page).await?;
    let items = present(&app, &scope, &releases, include_html, now_micros()).await?;
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}",
    tag = "releases",
    summary = "Get a release",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("include_html_description" = Option<bool>, Query)),
    responses((status = 200, description = "The release", body = ReleaseEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
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
    // Rendered once for each way it can look to a caller (what the caller may do, whether the
    // release is out yet) and kept with the links' JSON, whose writes and every other that
    // could change it start anew.
    let now = now_micros();
    let protected = app.store.protected_tags(scope.project.id).await?;
    let key = || {
        let flags = [
            scope.can_read_code(),
            scope.can_write_release(&release.tag, &protected),
            include_html,
            release.released_at <= now,
        ]
        .map(|flag| if flag { "1" } else { "0" })
        .concat();
        let path = scope.project.full_path();
        crate::store::cached::key(&[&"release-json:", &release.id, &":", &flags, &":", &path])
    };
    let (body, digest) = memoized(&app.store, key, |(body, _)| body.len(), async {
        rendered(&present_one(&app, &scope, &release, include_html, now).await?)
    })
    .await?;
    let mut response = rendered_json_response(StatusCode::OK, body);
    response.extensions_mut().insert(digest);
    Ok(response)
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/releases",
    tag = "releases",
    summary = "Create a release (and record its tag when new)",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = ReleaseCreate,
    responses((status = 201, description = "The new release", body = ReleaseEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 409, description = "Already exists", body = MessageError))
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
    let limits = app.config.release_limits();
    if let Some(message) = validate_asset_links(&links, &limits) {
        return Err(ApiError::message(StatusCode::BAD_REQUEST, message));
    }
    for link in &mut links {
        if !crate::http::hosted::describe(&app, &scope, link).await? {
            return Err(ApiError::message(
                StatusCode::BAD_REQUEST,
                "Validation failed: Links digest does not match the hosted file",
            ));
        }
    }
    let release_name = name.value();
    if let Some(problem) = release::name_problem(release_name.as_deref(), &limits) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            format!("Validation failed: Name {problem}"),
        ));
    }
    if let Some(problem) = release::description_problem(description.as_deref()) {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            format!("Validation failed: Description {problem}"),
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
        &present_one(&app, &scope, &release, false, now_micros()).await?,
    ))
}

fn release_exists() -> ApiError {
    ApiError::message(StatusCode::CONFLICT, "Release already exists")
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
    responses((status = 200, description = "The updated release", body = ReleaseEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
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
    // An immutable release keeps its date (moved ahead, it would be editable again); its name
    // and description stay editable. Dates are shown to the millisecond: the one a client read
    // and sends back is the same date.
    if changes
        .released_at
        .is_some_and(|at| at / 1_000 != release.released_at / 1_000)
    {
        require_mutable(&scope, &release)?;
    }
    let new_name = changes.name.as_ref().and_then(Option::as_deref);
    if let Some(problem) = release::name_problem(new_name, &app.config.release_limits()) {
        return Err(ApiError::field("name", &problem));
    }
    let new_description = changes.description.as_ref().and_then(Option::as_deref);
    if let Some(problem) = release::description_problem(new_description) {
        return Err(ApiError::field("description", &problem));
    }
    let updated = app.store.update_release(release.id, &changes).await?;
    Ok(json_response(
        StatusCode::OK,
        &present_one(&app, &scope, &updated, false, now_micros()).await?,
    ))
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/releases/{tag_name}",
    tag = "releases",
    summary = "Delete a release and its links",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    responses((status = 200, description = "The deleted release", body = ReleaseEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let (_, scope) = scope(&app, &request).await?;
    let (release, _) = writable_release(&app, &scope, request.path("tag_name")).await?;
    require_mutable(&scope, &release)?;
    let body = present_one(&app, &scope, &release, false, now_micros()).await?;
    app.store.delete_release(release.id).await?;
    Ok(json_response(StatusCode::OK, &body))
}
