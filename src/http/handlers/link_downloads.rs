//! Download statistics (relinks' extension; GitLab counts nothing): `GET …/assets/links/:link_id/
//! downloads?from=&to=`, a link's downloads per UTC day, and `GET …/releases/:tag_name/
//! downloads`, each link's total, in the release's link order. Whoever may read the release's
//! links may read them. The counts are the database's plus what this instance counted and has
//! not stored yet (`http::download_counter`).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use super::links::locate;
use crate::domain::downloads::{self, date_of_day, Subject};
use crate::domain::time::today;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{DayCount, LinkDownloads, LinkTotal};
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::Store;

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}/downloads",
    tag = "release links",
    summary = "A link's downloads per day (relinks extension)",
    description = "Downloads through the link's permanent link (web and API, the latest permalinks included), per UTC day from `from` to `to` (every day, zero or not; by default the last 30 days), and the link's total since counting began. Counts reach the database within 5 seconds; the instance that counted them shows them at once.",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("link_id" = i64, Path), ("from" = Option<String>, Query, description = "First day, `YYYY-MM-DD` (UTC)"), ("to" = Option<String>, Query, description = "Last day, `YYYY-MM-DD` (UTC); at most 365 days after `from` (366 days in all)")),
    responses((status = 200, description = "The link's downloads", body = LinkDownloads), (status = 400, description = "`link_id`, `from` or `to` invalid", body = ParamError), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn link<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("link_id").value();
    let from = d.date("from").value();
    let to = d.date("to").value();
    d.finish()?;
    let (from, to) = downloads::range(from, to, today()).map_err(ApiError::params)?;
    let (_, release) = locate(&app, &request).await?;
    let link = app
        .store
        .link(release.id, id.unwrap_or_default())
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    let per_day = app
        .downloads_per_day(Subject::Link, &[link.id], from, to)
        .await?;
    let total = app
        .download_totals(Subject::Link, &[link.id])
        .await?
        .get(&link.id)
        .copied()
        .unwrap_or_default();
    let days = (from..=to)
        .map(|day| DayCount {
            date: date_of_day(day).to_string(),
            count: per_day.get(&day).copied().unwrap_or_default(),
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &LinkDownloads {
            link_id: link.id,
            total,
            days,
        },
    ))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/releases/{tag_name}/downloads",
    tag = "releases",
    summary = "Each link's total downloads (relinks extension)",
    description = "The release's links in the order the links list gives them (paginated as it is), each with its total downloads through its permanent link.",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("tag_name" = String, Path, description = "The tag; a `/` in it is sent as `%2F`"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "Each link's total", body = [LinkTotal], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn release<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let (_, release) = locate(&app, &request).await?;
    let (links, total) = app.store.links(release.id, page).await?;
    let ids: Vec<i64> = links.iter().map(|l| l.id).collect();
    let totals = app.download_totals(Subject::Link, &ids).await?;
    let items: Vec<LinkTotal> = links
        .into_iter()
        .map(|link| LinkTotal {
            total: totals.get(&link.id).copied().unwrap_or_default(),
            link_id: link.id,
            name: link.name,
        })
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}
