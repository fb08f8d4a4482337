//! `PUT /projects/:id/releases/:tag_name/assets/links/order` (relinks' extension): the order
//! in which a release's links are listed from now on, wherever they appear (the links list and
//! its pages, the release entities, the release pages). Links created afterwards go to the end.
//! Without it, links are listed newest first, as GitLab lists them.
//!
//! The request path is the links API's: parameters (400) → caller (401) → project (404) → read
//! releases (403) → release (404) → write permission, protected tags included (403) → the
//! order names every link of the release exactly once (400).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::links::{locate, require_mutable, require_write};
use crate::domain::link_order::INCOMPLETE_ORDER;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{rendered_links, ReleaseUrls};
use crate::http::error::{ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::Store;

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/order",
    tag = "release links",
    summary = "Order the links of a release (relinks extension)",
    description = "Lists the release's links in the order of `ids` from now on, everywhere they appear; links created afterwards go to the end. `ids` must name every link of the release exactly once.",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`")),
    request_body = LinkOrder,
    responses((status = 200, description = "Every link of the release, in its new order", body = [LinkEntity]), (status = 400, description = "`ids` missing or invalid (`error`), or not every link exactly once (`message`)", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn order<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let ids = d.required_integer_array("ids");
    d.finish()?;
    let (scope, release) = locate(&app, &request).await?;
    require_write(&app, &scope, &release).await?;
    require_mutable(&scope, &release)?;
    let ids = ids.value().unwrap_or_default();
    if !app.store.order_links(release.id, &ids).await? {
        return Err(ApiError::message(StatusCode::BAD_REQUEST, INCOMPLETE_ORDER));
    }
    let links = app.store.links_of_releases(&[release.id]).await?;
    let urls = ReleaseUrls::new(&app.urls, &scope.project, &release.tag);
    rendered_links(&urls, &links)
}
