//! `PUT /projects/:id/releases/:tag_name/assets/links` (relinks' extension): the release's
//! links become exactly the given set, in its order, all at once. A link whose name matches
//! an existing one keeps its id and its permanent links; links not named are deleted; the rest
//! are created. The set must be valid as a whole (two links may swap URLs); one invalid entry
//! changes nothing.
//!
//! The request path is the links API's: parameters (400) → caller (401) → project (404) → read
//! releases (403) → release (404) → write permission, protected tags included (403) → the set's
//! validation, each message prefixed by its entry (400).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::links::{locate, require_mutable, require_write};
use super::releases::input::read_asset_link;
use crate::domain::link_order::{replacement_messages, WantedLink};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{rendered_links, ReleaseUrls};
use crate::http::error::{ApiError, ApiResult};
use crate::http::hosted;
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::{NewLink, Store};

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links",
    tag = "release links",
    summary = "Replace the links of a release (relinks extension)",
    description = "Afterwards the release has exactly these links, in this order. A link whose `name` matches an existing one keeps its id (and its old permanent links); existing links not named are deleted; the rest are created. The set must satisfy the unique rules as a whole; any invalid entry changes nothing.",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    request_body = LinksReplace,
    responses((status = 200, description = "Every link of the release, in its new order", body = [LinkEntity]), (status = 400, description = "Parameter errors (`error`), or validation errors prefixed by the entry (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn replace<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    // A null set is a mistake, not "no links": only `[]` deletes them all.
    match d.raw("links") {
        None => d.fail("links", "is missing"),
        Some(serde_json::Value::Null) => d.fail("links", "is invalid"),
        Some(_) => {}
    }
    let mut links = Vec::new();
    for (i, entry) in d
        .hash_array("links")
        .unwrap_or_default()
        .into_iter()
        .enumerate()
    {
        let mut entry_reader = Declared::within(entry, format!("links[{i}]"));
        links.push(read_asset_link(&mut entry_reader));
        d.absorb(entry_reader);
    }
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    require_write(&app, &scope, &release).await?;
    require_mutable(&scope, &release)?;
    validate(&links, app.config.max_name_length)?;
    let mut mismatched = Vec::new();
    for (i, link) in links.iter_mut().enumerate() {
        if !hosted::describe(&app, &scope, link).await? {
            mismatched.push(format!("links[{i}]: {}", hosted::DIGEST_MISMATCH));
        }
    }
    if !mismatched.is_empty() {
        return Err(ApiError::Validation(
            StatusCode::BAD_REQUEST,
            mismatched.into(),
        ));
    }
    let links = app
        .store
        .replace_links(release.id, &links, app.config.max_links_per_release)
        .await?;
    let urls = ReleaseUrls::new(&app.urls, &scope.project, &release.tag);
    rendered_links(&urls, &links)
}

fn validate(links: &[NewLink], max_name: usize) -> ApiResult<()> {
    let wanted: Vec<WantedLink<'_>> = links.iter().map(NewLink::wanted).collect();
    let messages = replacement_messages(&wanted, max_name);
    if messages.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(
            StatusCode::BAD_REQUEST,
            messages.into(),
        ))
    }
}
