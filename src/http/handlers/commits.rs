//! The one commits route release tools call after releasing: the merge requests of a commit.
//! relinks hosts no repository and no merge requests, so the answer is always an empty list
//! (semantic-release comments on them, and fails on a 404).

use axum::extract::State;
use axum::response::Response;

use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::ApiResult;
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::find_project;
use crate::http::App;
use crate::store::Store;

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/repository/commits/{sha}/merge_requests",
    tag = "tags",
    summary = "Merge requests of a commit (always none)",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("sha" = String, Path), ("state" = Option<String>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, description = "An empty list", body = [Object], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "No such project", body = MessageError))
)]
pub async fn merge_requests<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    d.string("state");
    let page = d.page();
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::RELEASES).await?;
    let scope = find_project(&app, &caller, &request, request.path("id")).await?;
    scope.require(scope.can_read_code())?;
    let none: [serde_json::Value; 0] = [];
    Ok(paginated(&app.urls, &request, page, 0, &none))
}
