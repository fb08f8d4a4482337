//! A project's packages, as pages: `/<project>/-/packages` (newest first, 20 a page) and
//! `/<project>/-/packages/<id>` (one package and its files, each with its size, SHA-256 and
//! download link), the `web_path` the Packages API hands out. Who may see them is who may read
//! the project's packages (the API's rule); the others get the 404 page.

use maud::{html, Markup};

use super::pages::{date, layout, Frame};
use super::{html as page, WebError, WebResult};
use crate::domain::hosted::human_size;
use crate::domain::packages::{can_read_packages, is_displayable};
use crate::domain::pagination::{PageInfo, PageRequest};
use crate::http::auth::Caller;
use crate::http::params::Params;
use crate::http::scope::{scope_for, ProjectScope};
use crate::http::urls::escape_segment;
use crate::http::App;
use crate::store::{Package, PackageFile, PackageOrder, PackageQuery, Store};

const PAGE_SIZE: i64 = 20;

/// `/<project>/-/packages[/<id>]`: the project's path, and the package's id if one is named.
pub fn parse(path: &str) -> Option<(String, Option<i64>)> {
    let (project, rest) = path.split_once("/-/packages")?;
    let project = percent_encoding::percent_decode_str(project.trim_start_matches('/'))
        .decode_utf8()
        .ok()?
        .into_owned();
    if project.is_empty() || project.contains('\0') {
        return None;
    }
    match rest.trim_end_matches('/') {
        "" => Some((project, None)),
        id => Some((project, Some(id.strip_prefix('/')?.parse().ok()?))),
    }
}

async fn scope<S: Store>(
    app: &App<S>,
    caller: &Caller,
    path: &str,
) -> Result<ProjectScope, WebError> {
    let project = app
        .store
        .project_by_full_path(path)
        .await?
        .ok_or(WebError::NotFound)?;
    let scope = scope_for(app, caller, project)
        .await
        .map_err(|_| WebError::NotFound)?;
    if can_read_packages(&scope.actor, &scope.settings()) {
        Ok(scope)
    } else {
        Err(WebError::NotFound)
    }
}

/// A file's download URL: the generic package route, its directory (stored `%2F`-encoded)
/// given back as path segments.
fn download_url<S>(app: &App<S>, project_id: i64, package: &Package, file: &PackageFile) -> String {
    let file_path: Vec<String> = file
        .file_name
        .split("%2F")
        .map(|segment| {
            escape_segment(&percent_encoding::percent_decode_str(segment).decode_utf8_lossy())
        })
        .collect();
    app.urls.absolute(&format!(
        "/api/v4/projects/{project_id}/packages/generic/{}/{}/{}",
        escape_segment(&package.name),
        escape_segment(&package.version),
        file_path.join("/")
    ))
}

fn files_table<S>(
    app: &App<S>,
    project_id: i64,
    package: &Package,
    files: &[&PackageFile],
) -> Markup {
    html! {
        @if files.is_empty() {
            p.meta { "No files." }
        } @else {
            ul.assets aria-label={ "Files of " (package.name) " " (package.version) } {
                @for file in files {
                    @let name = file.file_name.replace("%2F", "/");
                    li {
                        a href=(download_url(app, project_id, package, file)) { (name) }
                        span.hosted {
                            (human_size(file.blob.size)) " · SHA-256 "
                            code.digest { (file.blob.sha256) }
                            button type="button" data-copy=(file.blob.sha256) aria-label={ "Copy the SHA-256 of " (name) } { "Copy" }
                        }
                    }
                }
            }
        }
    }
}

fn package_article<S>(
    app: &App<S>,
    scope: &ProjectScope,
    package: &Package,
    files: &[&PackageFile],
    heading_link: bool,
) -> Markup {
    let project = &scope.project;
    let page = format!("/{}/-/packages/{}", project.full_path(), package.id);
    html! {
        article.release aria-labelledby={ "package-" (package.id) } {
            h2 id={ "package-" (package.id) } {
                @if heading_link { a href=(page) { (package.name) " " (package.version) } } @else { (package.name) " " (package.version) }
            }
            p.meta { (package.package_type) " package · published " (date(package.created_at)) }
            (files_table(app, project.id, package, files))
        }
    }
}

/// Serves `/<project>/-/packages[/<id>]` for `caller`.
pub async fn serve_path<S: Store>(
    app: &App<S>,
    caller: &Caller,
    frame: &Frame<'_>,
    params: &Params,
) -> WebResult {
    let (path, id) = parse(frame.here).ok_or(WebError::NotFound)?;
    let scope = scope(app, caller, &path).await?;
    let project = &scope.project;
    let full_path = project.full_path();
    let crumbs = html! {
        nav.crumbs aria-label="Breadcrumb" {
            a href={ "/" (full_path) "/-/releases" } { (full_path) " releases" }
            " · " a href={ "/" (full_path) "/-/packages" } { "packages" }
        }
    };
    if let Some(id) = id {
        let package = app
            .store
            .package(project.id, id)
            .await?
            .filter(|p| is_displayable(&p.status))
            .ok_or(WebError::NotFound)?;
        let files = app.store.files_of_packages(&[package.id]).await?;
        let files: Vec<&PackageFile> = files.iter().collect();
        let content = html! { (crumbs) h1 { (package.name) " " (package.version) } (package_article(app, &scope, &package, &files, false)) };
        let title = format!("{} {} · {}", package.name, package.version, project.name);
        return Ok(page(
            axum::http::StatusCode::OK,
            layout(frame, &title, &content),
        ));
    }
    let number = params.str("page").and_then(|p| p.parse().ok());
    let request = PageRequest::new(number, Some(PAGE_SIZE));
    let query = PackageQuery {
        order: PackageOrder::CreatedAt,
        ascending: false,
        ..PackageQuery::default()
    };
    let (packages, total) = app.store.packages(project.id, &query, request).await?;
    let ids: Vec<i64> = packages.iter().map(|p| p.id).collect();
    let files = app.store.files_of_packages(&ids).await?;
    let info = PageInfo::new(request, total);
    let base = format!("/{full_path}/-/packages");
    let content = html! {
        (crumbs)
        h1 { "Packages of " (project.name) }
        @if packages.is_empty() { p.notice { "No packages yet." } }
        @for package in &packages {
            @let own: Vec<&PackageFile> = files.iter().filter(|f| f.package_id == package.id).collect();
            (package_article(app, &scope, package, &own, true))
        }
        @if info.total_pages > 1 {
            nav.pages aria-label="Pages" {
                @if let Some(prev) = info.prev_page { a rel="prev" href={ (base) "?page=" (prev) } { "← Newer" } } @else { span {} }
                span { "Page " (info.page) " of " (info.total_pages) }
                @if let Some(next) = info.next_page { a rel="next" href={ (base) "?page=" (next) } { "Older →" } } @else { span {} }
            }
        }
    };
    Ok(page(
        axum::http::StatusCode::OK,
        layout(frame, &format!("Packages · {}", project.name), &content),
    ))
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn package_paths() {
        assert_eq!(parse("/g/p/-/packages"), Some(("g/p".into(), None)));
        assert_eq!(parse("/g/p/-/packages/12"), Some(("g/p".into(), Some(12))));
        assert_eq!(parse("/g/p/-/packages/x"), None);
        assert_eq!(parse("/-/packages"), None);
    }
}
