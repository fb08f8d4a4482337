//! Permanent links through the API, as GitLab's Releases API has them: a release asset by its
//! `direct_asset_path`, and the latest release by `permalink/latest`. Both answer 302.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::super::urls::escape_segment;
use crate::domain::downloads::Subject;
use crate::domain::release_policy::{Channel, LatestOrder, LatestPick};
use crate::domain::time::now_micros;
use crate::http::auth::{authenticate, RouteAuth};
use crate::http::error::{link_redirect, redirect, with_repr_digest, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::request::ApiRequest;
use crate::http::scope::find_project;
use crate::http::App;
use crate::store::{Project, Store};

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}/downloads/{direct_asset_path}",
    tag = "releases",
    summary = "Follow a release asset's permanent link",
    params(
        ("id" = String, Path, description = "The project's numeric id or URL-encoded full path"),
        ("tag_name" = String, Path),
        ("direct_asset_path" = String, Path, description = "The link's filepath without its leading `/`; may contain `/`")
    ),
    responses(
        (status = 302, description = "To the link's URL (`Location`)"),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such release or link", body = MessageError)
    )
)]
pub async fn asset<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::RELEASES).await?;
    let scope = find_project(&app, &caller, &request, request.path("id")).await?;
    scope.require_read_releases()?;
    scope.require(scope.can_read_code())?;
    let release = app
        .store
        .release(scope.project.id, request.path("tag_name"))
        .await?
        .ok_or_else(ApiError::not_found_plain)?;
    let filepath = format!("/{}", request.path("direct_asset_path"));
    let link = app
        .store
        .link_by_filepath(release.id, &filepath)
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    if request.method == axum::http::Method::GET {
        app.count_download(Subject::Link, link.id, &scope.project.full_path());
    }
    Ok(link_redirect(&link))
}

/// The digest of the link a latest-release suffix leads to (`/downloads/<filepath>`, still
/// percent-encoded), for the redirect to carry it as the link's own redirect does.
pub(crate) async fn suffix_digest<S: Store>(
    store: &S,
    release_id: i64,
    suffix: &str,
) -> crate::store::StoreResult<Option<String>> {
    let Some(encoded) = suffix.trim_start_matches('/').strip_prefix("downloads/") else {
        return Ok(None);
    };
    let Ok(filepath) = percent_encoding::percent_decode_str(encoded).decode_utf8() else {
        return Ok(None);
    };
    let link = store
        .link_by_filepath(release_id, &format!("/{filepath}"))
        .await?;
    Ok(link.and_then(|l| l.digest))
}

/// The query string without `order_by` (GitLab leaves it out) and without a `channel` that
/// picked the release (relinks' extension; any other value is not relinks', and stays).
pub(crate) fn query_without_pick(query: Option<&str>, order_by: bool) -> String {
    let kept: Vec<&str> = query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .filter(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "order_by" => !order_by,
                "channel" => Channel::parse(value).is_none(),
                _ => true,
            }
        })
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// What the latest permalinks look for, from the query string and the project's setting:
/// `order_by=semver|released_at` and `channel=stable|prerelease` (extensions). Other values of
/// either are ignored, as GitLab ignores parameters it does not know.
pub(crate) fn latest_pick(query: Option<&str>, project: &Project) -> LatestPick {
    let mut order = None;
    let mut channel = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match &*name {
            "order_by" => order = LatestOrder::parse(&value),
            "channel" => channel = Channel::parse(&value),
            _ => {}
        }
    }
    LatestPick::new(order, channel, project.releases_latest_order)
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/permalink/latest",
    tag = "releases",
    summary = "Redirect to the latest release",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("order_by" = Option<String>, Query, description = "Extension: semver (the highest semantic version) or released_at (GitLab's, the default unless the project's releases_latest_order says semver); other values are ignored, as GitLab ignores order_by here"), ("channel" = Option<String>, Query, description = "Extension: stable (semantic versions without a pre-release part) or prerelease (every semantic version); other values are ignored")),
    responses(
        (status = 302, description = "To `/api/v4/projects/<id>/releases/<tag>`, query kept without `order_by` and a known `channel`"),
        (status = 404, description = "No release yet", body = MessageError)
    )
)]
pub async fn latest<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    latest_with_suffix(app, request).await
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/permalink/latest/{suffix}",
    tag = "releases",
    summary = "Redirect into the latest release (e.g. `downloads/bin/app`)",
    params(
        ("id" = String, Path, description = "The project's numeric id or URL-encoded full path"),
        ("suffix" = String, Path, description = "Appended to the latest release's path; may contain `/`"),
        ("order_by" = Option<String>, Query, description = "Extension: semver (the highest semantic version) or released_at (GitLab's, the default unless the project's releases_latest_order says semver); other values are ignored, as GitLab ignores order_by here"), ("channel" = Option<String>, Query, description = "Extension: stable (semantic versions without a pre-release part) or prerelease (every semantic version); other values are ignored")
    ),
    responses(
        (status = 302, description = "To `/api/v4/projects/<id>/releases/<tag>/<suffix>`"),
        (status = 404, description = "No release yet", body = MessageError)
    )
)]
pub async fn latest_suffix<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    latest_with_suffix(app, request).await
}

async fn latest_with_suffix<S: Store>(app: App<S>, request: ApiRequest) -> ApiResult<Response> {
    let caller = authenticate(&app, &request, RouteAuth::RELEASES).await?;
    let scope = find_project(&app, &caller, &request, request.path("id")).await?;
    scope.require_read_releases()?;
    // It leads to `GET /releases/:tag`: GitLab's `authorize_read_code!`, as there.
    scope.require(scope.can_read_code())?;
    let pick = latest_pick(request.raw_query.as_deref(), &scope.project);
    let release = app
        .store
        .latest_release(scope.project.id, now_micros(), pick)
        .await?
        .ok_or_else(ApiError::not_found_plain)?;
    let suffix = request
        .raw_path
        .split_once("/permalink/latest")
        .map(|(_, rest)| rest.trim_start_matches('/'))
        .filter(|rest| !rest.is_empty())
        .map(|rest| format!("/{rest}"))
        .unwrap_or_default();
    let location = app.urls.absolute(&format!(
        "/api/v4/projects/{}/releases/{}{suffix}{}",
        scope.project.id,
        escape_segment(&release.tag),
        query_without_pick(request.raw_query.as_deref(), true)
    ));
    let digest = suffix_digest(&app.store, release.id, &suffix).await?;
    Ok(with_repr_digest(
        redirect(StatusCode::FOUND, &location),
        digest.as_deref(),
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn order_by_and_a_known_channel_are_dropped_from_the_query() {
        let query = Some("order_by=released_at&a=1&channel=stable");
        assert_eq!(super::query_without_pick(query, true), "?a=1");
        assert_eq!(
            super::query_without_pick(query, false),
            "?order_by=released_at&a=1"
        );
        assert_eq!(
            super::query_without_pick(Some("channel=beta&order_by=x"), true),
            "?channel=beta"
        );
        assert_eq!(super::query_without_pick(None, true), "");
    }
}
