//! Release entities as the releases API answers them: authors and links fetched in two queries,
//! the links' JSON taken from the memo when it is there.

use crate::domain::time::Micros;
use crate::http::entities::{memoized, LinksJson, ReleaseContext, ReleaseEntity, ReleaseUrls};
use crate::http::error::{ApiError, ApiResult};
use crate::http::scope::ProjectScope;
use crate::http::App;
use crate::store::{Release, Store};

/// Release entities for several releases, with their authors and links fetched in two queries.
pub(super) async fn present<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    releases: &[Release],
    include_html: bool,
    now: Micros,
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
                now,
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

pub(super) async fn present_one<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    release: &Release,
    include_html: bool,
    now: Micros,
) -> ApiResult<ReleaseEntity> {
    let mut all = present(app, scope, std::slice::from_ref(release), include_html, now).await?;
    all.pop().ok_or_else(ApiError::not_found_plain)
}
