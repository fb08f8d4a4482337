//! The Packages API of a project: list, show, a package's files, delete a package or one file,
//! as GitLab's `lib/api/project_packages.rb` and `package_files.rb` answer them.
//!
//! Each route: parameters (400) → caller (401) → project (404 Project Not Found) →
//! `read_package` (403) → for deletes `destroy_package` (403) → the package among the
//! displayable ones (404 Not found) → the file.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::Response;

use crate::domain::content::{content_disposition, Disposition};
use crate::domain::downloads::Subject;
use crate::domain::packages::{
    can_destroy_package, can_read_packages, is_displayable, PACKAGE_TYPES, STATUSES,
};
use crate::domain::time::parse_http_date;
use crate::http::auth::{authenticate, RouteAuth};
use crate::http::download::Download;
use crate::http::download_counter::Counted;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, PackageEntity, PackageFileEntity};
use crate::http::error::{json_response, no_content, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::transfer::TransferRequest;
use crate::http::App;
use crate::store::{Package, PackageFile, PackageFileOrder, PackageOrder, PackageQuery, Store};

/// The project, readable, and its packages readable by the caller.
async fn scope<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<ProjectScope> {
    let caller = authenticate(app, request, RouteAuth::FILES).await?;
    let scope = find_project(app, &caller, request, request.path("id")).await?;
    scope.require(can_read_packages(&scope.actor, &scope.settings()))?;
    Ok(scope)
}

/// A displayable package of the project (GitLab's `PackageFinder`): `404 Not found` otherwise.
async fn package<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    id: Option<i64>,
) -> ApiResult<Package> {
    let Some(id) = id else {
        return Err(ApiError::record_not_found());
    };
    app.store
        .package(scope.project.id, id)
        .await?
        .filter(|p| is_displayable(&p.status))
        .ok_or_else(ApiError::record_not_found)
}

fn present<S: Store>(app: &App<S>, scope: &ProjectScope, package: &Package) -> PackageEntity {
    PackageEntity::new(
        &app.urls,
        &scope.project,
        package,
        can_destroy_package(&scope.actor),
    )
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/packages",
    tag = "packages",
    summary = "List a project's packages",
    params(
        ("id" = String, Path, description = "The project's numeric id or URL-encoded full path"),
        ("order_by" = Option<String>, Query, description = "`created_at` (default), `name`, `version` or `type`"),
        ("sort" = Option<String>, Query, description = "`asc` (default) or `desc`"),
        ("package_type" = Option<String>, Query, description = "`generic`, …"),
        ("package_name" = Option<String>, Query, description = "Part of the name, any case"),
        ("package_version" = Option<String>, Query, description = "The exact version"),
        ("include_versionless" = Option<bool>, Query),
        ("status" = Option<String>, Query, description = "One status; by default `default`, `error` and `deprecated` (hidden packages are listed only with `status=hidden`)"),
        ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)
    ),
    responses(
        (status = 200, description = "The packages", body = [PackageEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))),
        (status = 400, description = "Invalid parameters", body = ParamError),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such project", body = MessageError)
    )
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let order = d.one_of("order_by", &["created_at", "name", "version", "type"]);
    let sort = d.one_of("sort", &["asc", "desc"]);
    let package_type = d.one_of("package_type", &PACKAGE_TYPES);
    let name = d.string("package_name").value().filter(|n| !n.is_empty());
    let version = d
        .string("package_version")
        .value()
        .filter(|v| !v.is_empty());
    d.boolean("include_versionless");
    let status = d.one_of("status", &STATUSES);
    let page = d.page();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    let query = PackageQuery {
        order: match order.value().as_deref() {
            Some("name") => PackageOrder::Name,
            Some("version") => PackageOrder::Version,
            Some("type") => PackageOrder::Type,
            _ => PackageOrder::CreatedAt,
        },
        ascending: sort.value().as_deref() != Some("desc"),
        package_type: package_type.value(),
        name,
        version,
        status: status.value(),
    };
    let (packages, total) = app.store.packages(scope.project.id, &query, page).await?;
    let items: Vec<_> = packages
        .iter()
        .map(|p| to_value(&present(&app, &scope, p)))
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/packages/{package_id}",
    tag = "packages",
    summary = "Get a package",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("package_id" = i64, Path)),
    responses(
        (status = 200, description = "The package, with its other versions", body = PackageEntity),
        (status = 400, description = "Invalid id", body = ParamError),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such project or package", body = MessageError)
    )
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("package_id").value();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    let package = package(&app, &scope, id).await?;
    let versions = app
        .store
        .package_versions(scope.project.id, &package.package_type, &package.name)
        .await?;
    let entity = present(&app, &scope, &package).with_versions(&versions);
    Ok(json_response(StatusCode::OK, &entity))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/packages/{package_id}/package_files",
    tag = "packages",
    summary = "List a package's files",
    params(
        ("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("package_id" = i64, Path),
        ("order_by" = Option<String>, Query, description = "`id` (default), `created_at` or `file_name`"),
        ("sort" = Option<String>, Query, description = "`asc` (default) or `desc`"),
        ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)
    ),
    responses(
        (status = 200, description = "The files", body = [PackageFileEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))),
        (status = 400, description = "Invalid parameters", body = ParamError),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such project or package", body = MessageError)
    )
)]
pub async fn files<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("package_id").value();
    let order = d.one_of("order_by", &["id", "created_at", "file_name"]);
    let sort = d.one_of("sort", &["asc", "desc"]);
    let page = d.page();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    let package = package(&app, &scope, id).await?;
    let order = match order.value().as_deref() {
        Some("created_at") => PackageFileOrder::CreatedAt,
        Some("file_name") => PackageFileOrder::FileName,
        _ => PackageFileOrder::Id,
    };
    let ascending = sort.value().as_deref() != Some("desc");
    let (files, total) = app
        .store
        .package_files(package.id, order, ascending, page)
        .await?;
    let items: Vec<_> = files.iter().map(PackageFileEntity::from).collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/packages/{package_id}/package_files/{package_file_id}/download",
    tag = "packages",
    summary = "Download a package file by id",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("package_id" = i64, Path), ("package_file_id" = i64, Path)),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = FileBytes),
        (status = 206, description = "Part of the file", content_type = "application/octet-stream", body = FileBytes),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such project, package or file", body = MessageError)
    )
)]
pub async fn download_file<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("package_id").value();
    let file_id = d.required_integer("package_file_id").value();
    d.finish()?;
    let scope = scope(&app, request).await?;
    let package = package(&app, &scope, id).await?;
    let files = app.store.files_of_packages(&[package.id]).await?;
    let file = files
        .iter()
        .find(|f| Some(f.id) == file_id)
        .ok_or_else(ApiError::record_not_found)?;
    let name = file
        .file_name
        .rsplit("%2F")
        .next()
        .unwrap_or(&file.file_name);
    send_file(
        &app,
        (&request.method, &transfer.headers),
        &scope,
        file,
        name,
    )
    .await
}

/// Sends a package file as GitLab does, an attachment of `name` as a byte stream, counted as
/// a download of the file (the packages API's route and the generic packages' one).
pub(super) async fn send_file<S: Store>(
    app: &App<S>,
    request: (&axum::http::Method, &axum::http::HeaderMap),
    scope: &ProjectScope,
    file: &PackageFile,
    name: &str,
) -> ApiResult<Response> {
    let download = Download {
        sha256: &file.blob.sha256,
        size: u64::try_from(file.blob.size).unwrap_or_default(),
        content_type: "application/octet-stream",
        disposition: content_disposition(Disposition::Attachment, name),
    };
    app.serve_counted(
        request,
        &download,
        Counted {
            subject: Subject::PackageFile,
            subject_id: file.id,
            project_path: &scope.project.full_path(),
        },
    )
    .await
}

/// GitLab's `check_unmodified_since!`: a client's copy older than the package's last change
/// deletes nothing (412).
fn check_unmodified_since(request_headers: Option<&str>, package: &Package) -> ApiResult<()> {
    let Some(since) = request_headers.and_then(parse_http_date) else {
        return Ok(());
    };
    // HTTP dates have whole seconds: a change within the same second is not "later".
    if package.updated_at / 1_000_000 > since / 1_000_000 {
        return Err(ApiError::message(
            StatusCode::PRECONDITION_FAILED,
            "412 Precondition Failed",
        ));
    }
    Ok(())
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/packages/{package_id}",
    tag = "packages",
    summary = "Delete a package and its files",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("package_id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed (maintainers and up)", body = AuthError),
        (status = 404, description = "No such project or package", body = MessageError),
        (status = 412, description = "Changed since `If-Unmodified-Since`", body = MessageError)
    )
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("package_id").value();
    d.finish()?;
    let scope = scope(&app, request).await?;
    scope.require(can_destroy_package(&scope.actor))?;
    let package = package(&app, &scope, id).await?;
    let since = transfer
        .headers
        .get(header::IF_UNMODIFIED_SINCE)
        .and_then(|v| v.to_str().ok());
    check_unmodified_since(since, &package)?;
    if !app.store.delete_package(package.id).await? {
        return Err(ApiError::record_not_found());
    }
    app.files.removed();
    Ok(no_content())
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/packages/{package_id}/package_files/{package_file_id}",
    tag = "packages",
    summary = "Delete a package file",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("package_id" = i64, Path), ("package_file_id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed (maintainers and up)", body = AuthError),
        (status = 404, description = "No such project, package or file", body = MessageError)
    )
)]
pub async fn destroy_file<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("package_id").value();
    let file_id = d.required_integer("package_file_id").value();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(can_destroy_package(&scope.actor))?;
    let package = package(&app, &scope, id).await?;
    let deleted = match file_id {
        Some(file_id) => app.store.delete_package_file(package.id, file_id).await?,
        None => false,
    };
    if !deleted {
        return Err(ApiError::record_not_found());
    }
    app.files.removed();
    Ok(no_content())
}
