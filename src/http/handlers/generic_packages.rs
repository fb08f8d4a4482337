//! The Generic Packages API: `PUT|GET|HEAD /projects/:id/packages/generic/:package_name/
//! :package_version/[path/]:file_name`, as GitLab's `lib/api/generic_packages.rb` answers it.
//!
//! PUT: caller (401 with a Basic challenge) → parameters (400) → project (401 anonymous, 404
//! signed in) → `create_package` (403) → size (400) → the body, streamed into the storage →
//! the row → `201 {"message":"201 Created"}`, or `200` and the file's record with
//! `select=package_file`. GET: parameters → caller → project → `read_package` (403) → package
//! and newest file of that name (404 `Not found`) → the bytes.

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::json;

use crate::blobs::BodyLimits;
use crate::domain::packages::{
    can_create_package, can_read_packages, check_generic_path, GenericPath, UPLOAD_STATUSES,
};
use crate::domain::time::now_micros;
use crate::http::auth::{authenticate, Caller, RouteAuth};
use crate::http::entities::PackageFileRecord;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::transfer::{receive_error, TransferRequest};
use crate::http::App;
use crate::store::{NewPackageFile, Store};

/// The realm GitLab's package routes name in their Basic challenge.
pub const REALM: &str = "GitLab Packages Registry";

/// A 401 of a package route carries the Basic challenge.
pub fn challenged(error: ApiError) -> ApiError {
    match error {
        ApiError::Message(StatusCode::UNAUTHORIZED, _) => ApiError::Challenge(REALM),
        other => other,
    }
}

/// `400 Bad request - File is too large` (a 400, not a 413: GitLab's answer, which
/// semantic-release does not retry).
fn too_large() -> ApiError {
    ApiError::message(
        StatusCode::BAD_REQUEST,
        "400 Bad request - File is too large",
    )
}

/// The path's parts, checked. Each segment of the path as sent is decoded on its own (a `%2F`
/// stays inside its segment, as Grape matches the path before decoding it): the segments after
/// the version are `[dir/…/]file_name`, or `path=` gives the directory.
fn generic_path(request: &ApiRequest, d: &mut Declared<'_>) -> ApiResult<GenericPath> {
    let segments: Vec<&str> = request
        .raw_path
        .split('/')
        .skip_while(|s| *s != "generic")
        .skip(1)
        .collect();
    let decode = |segment: &str| {
        percent_encoding::percent_decode_str(segment)
            .decode_utf8()
            .map(std::borrow::Cow::into_owned)
            .map_err(|_| ApiError::params("invalid byte sequence in UTF-8"))
    };
    let (Some(name), Some(version), Some((file, directories))) = (
        segments.first(),
        segments.get(1),
        segments.get(2..).and_then(<[&str]>::split_last),
    ) else {
        return Err(ApiError::route_not_found());
    };
    let directory = if directories.is_empty() {
        d.string("path").value().filter(|p| !p.is_empty())
    } else {
        let parts: Result<Vec<String>, ApiError> = directories.iter().map(|s| decode(s)).collect();
        Some(parts?.join("/"))
    };
    check_generic_path(
        &decode(name)?,
        &decode(version)?,
        directory.as_deref(),
        &decode(file)?,
    )
    .map_err(|errors| ApiError::params(errors.join(", ")))
}

/// GitLab's `authorized_project_find!`: a project the caller cannot see is a 401 for anonymous
/// callers (so that clients send credentials) and a plain `404 Not Found` for the others.
async fn project<S: Store>(
    app: &App<S>,
    caller: &Caller,
    request: &ApiRequest,
) -> ApiResult<ProjectScope> {
    match find_project(app, caller, request, request.path("id")).await {
        Err(ApiError::Message(StatusCode::NOT_FOUND, _)) if caller.user.is_none() => {
            Err(ApiError::Challenge(REALM))
        }
        Err(ApiError::Message(StatusCode::NOT_FOUND, _)) => Err(ApiError::not_found_plain()),
        other => other,
    }
}

/// A refusal of what the caller may not do: anonymous callers are asked for credentials.
fn refuse(caller: &Caller) -> ApiError {
    if caller.user.is_none() {
        ApiError::Challenge(REALM)
    } else {
        ApiError::forbidden()
    }
}

#[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/packages/generic/{package_name}/{package_version}/{file_name}",
    tag = "packages",
    summary = "Publish a generic package file",
    description = "The body is the file, whatever its `Content-Type`. A file of the same name may be uploaded again: downloads serve the newest.",
    params(
        ("id" = String, Path, description = "The project's numeric id or URL-encoded full path"),
        ("package_name" = String, Path, description = "Letters, digits, `.`, `_`, `-`, `+`"),
        ("package_version" = String, Path, description = "Letters, digits, `.`, `_`, `-`, `+`; no `..`"),
        ("file_name" = String, Path, description = "The file's name, optionally after a directory path (`dir/sub/file.tar.gz`)"),
        ("status" = Option<String>, Query, description = "`default` or `hidden`"),
        ("select" = Option<String>, Query, description = "`package_file`: answer with the file's record"),
        ("path" = Option<String>, Query, description = "A directory path, instead of one in the URL")
    ),
    request_body(content = FileBytes, content_type = "application/octet-stream"),
    responses(
        (status = 201, description = "Stored", body = CreatedMessage),
        (status = 200, description = "Stored (`select=package_file`)", body = PackageFileRecord),
        (status = 400, description = "Invalid name, version or file name, or the file is too large", body = BadRequest),
        (status = 401, description = "No valid credentials (`WWW-Authenticate: Basic`)", body = MessageError),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such project", body = MessageError),
        (status = 507, description = "The storage is full", body = MessageError)
    )
)]
pub async fn upload<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let caller = authenticate(&app, request, RouteAuth::PACKAGES)
        .await
        .map_err(challenged)?;
    if caller.user.is_none() {
        return Err(ApiError::Challenge(REALM));
    }
    let mut d = Declared::new(&request.params);
    let path = generic_path(request, &mut d);
    let status = d.one_of("status", &UPLOAD_STATUSES);
    let select = d.one_of("select", &["package_file"]);
    let path = match (path, d.finish()) {
        (Ok(path), Ok(())) => path,
        (Err(ApiError::Error(status, first)), Err(ApiError::Error(_, more))) => {
            return Err(ApiError::Error(status, format!("{first}, {more}")))
        }
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let scope = project(&app, &caller, request).await?;
    if !can_create_package(&scope.actor, &scope.settings()) {
        return Err(refuse(&caller));
    }
    let limit = app.config.transfers.max_generic_file_bytes;
    if limit > 0 && transfer.content_length().is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let limits = BodyLimits::new(
        if limit == 0 { u64::MAX } else { limit },
        app.config.transfers.idle_timeout,
    );
    let received = app
        .files
        .receive(&app.store, transfer.body.into_data_stream(), limits)
        .await
        .map_err(|e| receive_error(e, too_large))?;
    let (_, file) = app
        .store
        .add_package_file(&NewPackageFile {
            project_id: scope.project.id,
            name: path.name.clone(),
            version: path.version.clone(),
            status: status.value(),
            file_name: path.stored_file_name(),
            creator_id: caller.user_id(),
            sha256: received.blob.sha256.clone(),
            pin: received.pin,
        })
        .await
        .map_err(|e| receive_error(e.into(), too_large))?;
    received.committed();
    if select.value().is_some() {
        let record = PackageFileRecord::new(&file, !app.files.blobs.is_local());
        return Ok(json_response(StatusCode::OK, &record));
    }
    Ok(json_response(
        StatusCode::CREATED,
        &json!({ "message": "201 Created" }),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/packages/generic/{package_name}/{package_version}/{file_name}",
    tag = "packages",
    summary = "Download a generic package file",
    description = "The newest file of that name. `HEAD` answers the headers only; one `Range` is served (206).",
    params(
        ("id" = String, Path, description = "The project's numeric id or URL-encoded full path"),
        ("package_name" = String, Path),
        ("package_version" = String, Path),
        ("file_name" = String, Path, description = "The file's name, optionally after a directory path")
    ),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = FileBytes),
        (status = 206, description = "Part of the file", content_type = "application/octet-stream", body = FileBytes),
        (status = 302, description = "To the storage (when downloads are redirected)"),
        (status = 304, description = "The client has this file (`If-None-Match`)"),
        (status = 400, description = "Invalid name, version or file name", body = ParamError),
        (status = 401, description = "A private project, without credentials", body = MessageError),
        (status = 403, description = "Not allowed", body = AuthError),
        (status = 404, description = "No such project, package or file", body = MessageError),
        (status = 416, description = "The range is beyond the file")
    )
)]
pub async fn download<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let mut d = Declared::new(&request.params);
    let path = generic_path(request, &mut d)?;
    let caller = authenticate(&app, request, RouteAuth::PACKAGES)
        .await
        .map_err(challenged)?;
    let scope = project(&app, &caller, request).await?;
    if !can_read_packages(&scope.actor, &scope.settings()) {
        return Err(refuse(&caller));
    }
    let (package, file) = app
        .store
        .generic_package_file(
            scope.project.id,
            &path.name,
            &path.version,
            &path.stored_file_name(),
        )
        .await?
        .ok_or_else(ApiError::record_not_found)?;
    if app.files.record_download(package.id) {
        let store = app.store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.touch_package(package.id, now_micros()).await {
                tracing::warn!(%error, "could not record a package download");
            }
        });
    }
    let mut response = super::packages::send_file(
        &app,
        (&request.method, &transfer.headers),
        &scope,
        &file,
        &path.file_name,
    )
    .await?;
    response.headers_mut().insert(
        "content-transfer-encoding",
        HeaderValue::from_static("binary"),
    );
    Ok(response)
}
