//! `POST /projects/:id/releases/:tag_name/assets/links/:link_id/verify` (relinks' extension):
//! relinks fetches what the link leads to and hashes it. A file hosted here is read from its
//! record; any other URL is downloaded, within the administrator's limits and never from a
//! non-public address unless the local network is allowed. A link without a digest is given the
//! one found (and the size); one whose digest differs is answered 422 and left as it is.
//!
//! The request path is the links API's: parameters (400) → caller (401) → project (404) → read
//! releases (403) → release and link (404) → write permission, protected tags included (403) →
//! the download (422 when it cannot be made) → the comparison (422 on a mismatch).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::links::{locate, require_mutable, require_write};
use crate::domain::time::{format_micros, now_micros};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{LinkEntity, ReleaseUrls, VerifiedLink};
use crate::http::error::{json_response, ApiError, ApiResult};
use crate::http::hosted;
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::{LinkChanges, Store};

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}/verify",
    tag = "release links",
    summary = "Verify a link's file (relinks extension)",
    description = "Fetches the link's file (a file hosted here is read from its record) and computes its SHA-256. A link without a digest is given the one found, and the file's size (unless its release is immutable: it is then checked, never changed); a link whose digest differs is answered 422. Downloads follow at most 5 redirects, are limited in size and time, and never reach loopback, private or other non-public addresses unless the server allows the local network.",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("link_id" = i64, Path)),
    responses((status = 200, description = "The link, with its digest and size, and when it was verified", body = VerifiedLink), (status = 400, description = "`link_id` invalid", body = ParamError), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 422, description = "The digest differs, or the file could not be downloaded (a blocked address, too large, too slow, an error answer)", body = MessageError))
)]
pub async fn verify<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("link_id").value();
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    let link = app
        .store
        .link(release.id, id.unwrap_or_default())
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    require_write(&app, &scope, &release).await?;

    let found = match hosted::hosted_facts(&app, &scope, &link.url).await? {
        Some(facts) => facts,
        None => app
            .outbound
            .digest(&link.url)
            .await
            .map_err(|failure| unprocessable(failure.message()))?,
    };
    let (digest, size) = found;
    if let Some(expected) = link.digest.as_ref().filter(|expected| **expected != digest) {
        return Err(unprocessable(format!(
            "Digest mismatch: expected {expected}, got {digest}"
        )));
    }
    let verified_at = format_micros(now_micros());
    let mut verified = link.clone();
    // An immutable release's link is checked, never changed.
    let recordable = require_mutable(&scope, &release).is_ok();
    if recordable && (link.digest.is_none() || link.size != Some(size)) {
        // Changed while it was downloaded: what was hashed may not be what it leads to now.
        let now = app.store.link(release.id, link.id).await?;
        if now.as_ref().map(|l| &l.url) != Some(&link.url) {
            return Err(unprocessable(
                "The link changed while it was verified".into(),
            ));
        }
        let changes = LinkChanges {
            digest: Some(Some(digest)),
            size: Some(Some(size)),
            ..LinkChanges::default()
        };
        verified = app
            .store
            .update_link(release.id, link.id, &changes)
            .await?
            .ok_or_else(ApiError::record_not_found)?;
    }
    let urls = ReleaseUrls::new(&app.urls, &scope.project, &release.tag);
    Ok(json_response(
        StatusCode::OK,
        &VerifiedLink {
            link: LinkEntity::new(&urls, &verified),
            verified_at,
        },
    ))
}

fn unprocessable(message: String) -> ApiError {
    ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, message)
}
