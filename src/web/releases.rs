//! The release pages and the permanent links under `/<project>/-/releases`: the paths, the
//! project they name (old paths of renamed projects included), and the views the pages show.

use axum::http::StatusCode;
use percent_encoding::percent_decode_str;

use std::collections::HashMap;

use super::pages::{self, Frame, HostedView, LinkView, ReleaseView};
use super::{html, WebError, WebResult};
use crate::domain::access::{can_read_release, read_releases_decision, Decision};
use crate::domain::downloads::{self, Subject};
use crate::domain::pagination::{PageInfo, PageRequest};
use crate::domain::time::{now_micros, today};
use crate::http::auth::Caller;
use crate::http::entities::{LinkEntity, ReleaseUrls};
use crate::http::error::{link_redirect, redirect, with_repr_digest};
use crate::http::handlers::downloads::{latest_pick, query_without_pick, suffix_digest};
use crate::http::markdown;
use crate::http::params::Params;
use crate::http::scope::{scope_for, ProjectScope};
use crate::http::urls::escape_segment;
use crate::http::App;
use crate::store::{Link, Project, Release, ReleaseOrder, ReleaseQuery, Store, User};

const PAGE_SIZE: i64 = 20;

/// The paths under `/<project>/-/releases`.
enum WebPath {
    Releases,
    Release(String),
    Download { tag: String, filepath: String },
    Latest(String),
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        // No path holds a NUL: such a request finds nothing (PostgreSQL cannot compare one).
        .filter(|s| !s.contains('\0'))
        .map(std::borrow::Cow::into_owned)
}

/// Splits `/<full path>/-/releases/…` into the project's path and what follows.
fn parse(path: &str) -> Option<(String, WebPath)> {
    let (project, rest) = path.split_once("/-/releases")?;
    let project = decode(project.trim_start_matches('/'))?;
    if project.is_empty() || !(rest.is_empty() || rest.starts_with('/')) {
        return None;
    }
    let rest = rest.trim_start_matches('/');
    if rest.is_empty() {
        return Some((project, WebPath::Releases));
    }
    if let Some(suffix) = rest.strip_prefix("permalink/latest") {
        if suffix.is_empty() || suffix.starts_with('/') {
            return Some((
                project,
                WebPath::Latest(suffix.trim_start_matches('/').to_owned()),
            ));
        }
    }
    let (tag, after) = rest.split_once('/').unwrap_or((rest, ""));
    let tag = decode(tag)?;
    if after.is_empty() {
        return Some((project, WebPath::Release(tag)));
    }
    let filepath = decode(after.strip_prefix("downloads/")?)?;
    Some((project, WebPath::Download { tag, filepath }))
}

/// The project a page names, visible to the viewer with its releases, or the 404 page. An old
/// path of a renamed project still leads to it, so old permanent links keep working.
async fn project_scope<S: Store>(
    app: &App<S>,
    caller: &Caller,
    path: &str,
) -> Result<ProjectScope, WebError> {
    let project = match app.store.project_by_full_path(path).await? {
        Some(project) => project,
        None => app
            .store
            .project_by_redirect(path)
            .await?
            .ok_or(WebError::NotFound)?,
    };
    let scope = scope_for(app, caller, project)
        .await
        .map_err(|_| WebError::NotFound)?;
    match read_releases_decision(&scope.actor, &scope.settings()) {
        Decision::Allow => Ok(scope),
        _ => Err(WebError::NotFound),
    }
}

fn release_view<S: Store>(
    app: &App<S>,
    project: &Project,
    release: &Release,
    author: Option<&User>,
    links: &[&Link],
    hosted: &mut HashMap<i64, HostedView>,
    downloads: &HashMap<i64, i64>,
) -> ReleaseView {
    let full_path = project.full_path();
    let release_urls = ReleaseUrls::new(&app.urls, project, &release.tag);
    ReleaseView {
        name: release.name.clone().unwrap_or_else(|| release.tag.clone()),
        tag: release.tag.clone(),
        page_url: format!("/{full_path}/-/releases/{}", escape_segment(&release.tag)),
        released_at: release.released_at,
        upcoming: release.released_at > now_micros(),
        immutable: crate::domain::release_policy::is_immutable(
            project.releases_immutable,
            release.released_at,
            now_micros(),
        ),
        author: author.map(|a| a.name.clone()),
        description_html: markdown::to_html(release.description.as_deref().unwrap_or_default()),
        links: links
            .iter()
            .map(|link| {
                let entity = LinkEntity::new(&release_urls, link);
                LinkView {
                    permanent: link
                        .filepath
                        .as_ref()
                        .map(|_| entity.direct_asset_url.clone()),
                    name: entity.name,
                    url: entity.url,
                    link_type: entity.link_type,
                    external: entity.external,
                    hosted: hosted.remove(&link.id),
                    downloads: downloads.get(&link.id).copied().unwrap_or_default(),
                }
            })
            .collect(),
        chart: None,
    }
}

/// The downloads through the release's links of each of the last days, oldest first.
async fn recent_downloads<S: Store>(
    app: &App<S>,
    release_id: i64,
) -> Result<Vec<(chrono::NaiveDate, i64)>, WebError> {
    let links = app.store.links_of_releases(&[release_id]).await?;
    let ids: Vec<i64> = links.iter().map(|l| l.id).collect();
    let to = downloads::day_of_date(today());
    let from = to - (downloads::DEFAULT_DAYS - 1);
    let per_day = app.downloads_per_day(Subject::Link, &ids, from, to).await?;
    Ok((from..=to)
        .map(|day| {
            let count = per_day.get(&day).copied().unwrap_or_default();
            (downloads::date_of_day(day), count)
        })
        .collect())
}

/// Views of several releases, with their authors and links fetched in two queries.
async fn release_views<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    releases: &[Release],
) -> Result<Vec<ReleaseView>, WebError> {
    let project = &scope.project;
    let ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
    let links = app.store.links_of_releases(&ids).await?;
    let mut hosted = super::hosted::hosted_views(app, scope, &links).await?;
    let link_ids: Vec<i64> = links.iter().map(|l| l.id).collect();
    let downloads = app.download_totals(Subject::Link, &link_ids).await?;
    let author_ids: Vec<i64> = releases.iter().filter_map(|r| r.author_id).collect();
    let authors = app.store.users_by_ids(&author_ids).await?;
    Ok(releases
        .iter()
        .map(|release| {
            let own: Vec<&Link> = links
                .iter()
                .filter(|l| l.release_id == release.id)
                .collect();
            let author = authors.iter().find(|a| Some(a.id) == release.author_id);
            release_view(app, project, release, author, &own, &mut hosted, &downloads)
        })
        .collect())
}

/// A page or a permanent link under `/<project>/-/releases`, for `caller`. Each follows the
/// API's rule for the same thing: the list is `GET /releases` (reading releases), a release,
/// its permanent links and the latest-release permalinks are `GET /releases/:tag` (reading
/// releases and code); what the caller may not see is the 404 page.
pub(super) async fn serve_path<S: Store>(
    app: &App<S>,
    caller: &Caller,
    frame: &Frame<'_>,
    query: Option<&str>,
    params: &Params,
    get: bool,
) -> WebResult {
    let (project_path, what) = parse(frame.here).ok_or(WebError::NotFound)?;
    let scope = project_scope(app, caller, &project_path).await?;
    let project = &scope.project;
    if !matches!(what, WebPath::Releases) && !can_read_release(&scope.actor, &scope.settings()) {
        return Err(WebError::NotFound);
    }
    match what {
        WebPath::Releases => {
            let page = params.str("page").and_then(|p| p.parse().ok());
            let request = PageRequest::new(page, Some(PAGE_SIZE));
            let order = ReleaseQuery {
                order: ReleaseOrder::ReleasedAt,
                ascending: false,
                updated_before: None,
                updated_after: None,
            };
            let (releases, total) = app.store.releases(project.id, &order, request).await?;
            let views = release_views(app, &scope, &releases).await?;
            let info = PageInfo::new(request, total);
            Ok(html(
                StatusCode::OK,
                pages::releases_page(frame, &project.name, &project.full_path(), &views, &info),
            ))
        }
        WebPath::Release(tag) => {
            let release = app
                .store
                .release(project.id, &tag)
                .await?
                .ok_or(WebError::NotFound)?;
            let mut views = release_views(app, &scope, std::slice::from_ref(&release)).await?;
            let mut view = views.pop().ok_or(WebError::NotFound)?;
            view.chart = Some(recent_downloads(app, release.id).await?);
            Ok(html(
                StatusCode::OK,
                pages::release_page(frame, &project.name, &project.full_path(), &view),
            ))
        }
        WebPath::Download { tag, filepath } => {
            let release = app
                .store
                .release(project.id, &tag)
                .await?
                .ok_or(WebError::NotFound)?;
            let link = app
                .store
                .link_by_filepath(release.id, &format!("/{filepath}"))
                .await?
                .ok_or(WebError::NotFound)?;
            if get {
                app.count_download(Subject::Link, link.id, &project.full_path());
            }
            Ok(link_redirect(&link))
        }
        WebPath::Latest(suffix) => {
            let pick = latest_pick(query, project);
            let release = app
                .store
                .latest_release(project.id, now_micros(), pick)
                .await?
                .ok_or(WebError::NotFound)?;
            let suffix = if suffix.is_empty() {
                String::new()
            } else {
                format!("/{suffix}")
            };
            // The query as it came, but for a channel that picked the release.
            let query = query_without_pick(query, false);
            let location = format!(
                "{}/-/releases/{}{suffix}{query}",
                app.urls.project(&project.full_path()),
                escape_segment(&release.tag)
            );
            let digest = suffix_digest(&app.store, release.id, &suffix).await?;
            Ok(with_repr_digest(
                redirect(StatusCode::FOUND, &location),
                digest.as_deref(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_under_releases_are_recognised() {
        assert!(matches!(parse("/g/p/-/releases"), Some((p, WebPath::Releases)) if p == "g/p"));
        assert!(
            matches!(parse("/g/p/-/releases/release%2F1.0"), Some((_, WebPath::Release(t))) if t == "release/1.0")
        );
        assert!(matches!(
            parse("/a/b/c/-/releases/v1/downloads/bin/app.exe"),
            Some((p, WebPath::Download { tag, filepath })) if p == "a/b/c" && tag == "v1" && filepath == "bin/app.exe"
        ));
        assert!(
            matches!(parse("/g/p/-/releases/permalink/latest/downloads/x"), Some((_, WebPath::Latest(s))) if s == "downloads/x")
        );
        assert!(parse("/g/p/-/releasesX").is_none());
        assert!(parse("/-/releases").is_none());
        assert!(parse("/g/p/-/releases/v1/other/x").is_none());
    }
}
