//! Project uploads through the API, as GitLab's `lib/api/markdown_uploads.rb` answers them:
//! `POST /projects/:id/uploads` (what semantic-release, release-it, glab and gitbeaker upload
//! release files with), and listing, fetching and deleting uploads. The web route that serves
//! an upload's `full_path` is `web::uploads`.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::blobs::BodyLimits;
use crate::domain::content::{content_disposition, Disposition};
use crate::domain::downloads::Subject;
use crate::domain::uploads::{
    can_admin_uploads, can_upload, is_secret, new_secret, sanitize_filename,
};
use crate::http::auth::{authenticate, RouteAuth};
use crate::http::download::Download;
use crate::http::download_counter::Counted;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{ProjectUploadEntity, UploadListEntity};
use crate::http::error::{json_response, no_content, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::transfer::{
    entity_too_large, multipart_file, receive_error, TransferRequest, MULTIPART_OVERHEAD,
};
use crate::http::App;
use crate::store::{NewUpload, Store, Upload};

async fn scope<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<ProjectScope> {
    let caller = authenticate(app, request, RouteAuth::FILES).await?;
    find_project(app, &caller, request, request.path("id")).await
}

/// Serves an upload as the API does: always an attachment, as a byte stream.
async fn send<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    method: &axum::http::Method,
    headers: &axum::http::HeaderMap,
    upload: &Upload,
) -> ApiResult<Response> {
    let download = Download {
        sha256: &upload.blob.sha256,
        size: u64::try_from(upload.blob.size).unwrap_or_default(),
        content_type: "application/octet-stream",
        disposition: content_disposition(Disposition::Attachment, &upload.filename),
    };
    let counted = Counted {
        subject: Subject::Upload,
        subject_id: upload.id,
        project_path: &scope.project.full_path(),
    };
    app.serve_counted((method, headers), &download, counted)
        .await
}

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/uploads",
    tag = "uploads",
    summary = "Upload a file to a project",
    description = "The file is served at `full_path` (`/-/project/<id>/uploads/<secret>/<name>`), to whoever may read the project.",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Stored", body = ProjectUploadEntity),
        (status = 400, description = "No `file` part", body = ParamError),
        (status = 401, description = "Not signed in", body = MessageError),
        (status = 404, description = "No such project", body = MessageError),
        (status = 413, description = "Larger than allowed", body = MessageError),
        (status = 507, description = "The storage is full", body = MessageError)
    )
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let caller = authenticate(&app, request, RouteAuth::FILES).await?;
    caller.require_user()?;
    let scope = find_project(&app, &caller, request, request.path("id")).await?;
    scope.require(can_upload(&scope.actor, &scope.settings()))?;
    let limit = app.config.transfers.max_upload_bytes;
    let limit = if limit == 0 { u64::MAX } else { limit };
    if transfer
        .content_length()
        .is_some_and(|n| n > limit.saturating_add(MULTIPART_OVERHEAD))
    {
        return Err(entity_too_large());
    }
    let TransferRequest { api, headers, body } = transfer;
    let idle = app.config.transfers.idle_timeout;
    let (given_name, file) = multipart_file(&headers, body, limit, idle).await?;
    let filename =
        sanitize_filename(&given_name).ok_or_else(|| ApiError::params("file is invalid"))?;
    let limits = BodyLimits::new(limit, idle);
    let received = app
        .files
        .receive(&app.store, file, limits)
        .await
        .map_err(|e| receive_error(e, entity_too_large))?;
    let upload = app
        .store
        .create_upload(&NewUpload {
            project_id: scope.project.id,
            secret: new_secret(),
            filename,
            uploaded_by_id: caller.user_id(),
            sha256: received.blob.sha256.clone(),
            pin: received.pin,
        })
        .await
        .map_err(|e| receive_error(e.into(), entity_too_large))?;
    received.committed();
    drop(api);
    Ok(json_response(
        StatusCode::CREATED,
        &ProjectUploadEntity::new(&upload),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/uploads",
    tag = "uploads",
    summary = "List a project's uploads",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses(
        (status = 200, description = "The uploads, newest first", body = [UploadListEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))),
        (status = 403, description = "Not allowed (maintainers and up)", body = AuthError),
        (status = 404, description = "No such project", body = MessageError)
    )
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(can_admin_uploads(&scope.actor))?;
    let (uploads, total) = app.store.uploads(scope.project.id, page).await?;
    let mut uploaders = HashMap::new();
    for id in uploads.iter().filter_map(|u| u.uploaded_by_id) {
        if let std::collections::hash_map::Entry::Vacant(slot) = uploaders.entry(id) {
            slot.insert(app.store.user(id).await?);
        }
    }
    let items: Vec<_> = uploads
        .iter()
        .map(|u| {
            let uploader = u
                .uploaded_by_id
                .and_then(|id| uploaders.get(&id))
                .and_then(Option::as_ref);
            UploadListEntity::new(u, uploader)
        })
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/uploads/{upload_id}",
    tag = "uploads",
    summary = "Download an upload by id",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("upload_id" = i64, Path)),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = FileBytes),
        (status = 403, description = "Not allowed (maintainers and up)", body = AuthError),
        (status = 404, description = "No such project or upload", body = MessageError)
    )
)]
pub async fn show<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("upload_id").value();
    d.finish()?;
    let scope = scope(&app, request).await?;
    scope.require(can_admin_uploads(&scope.actor))?;
    let upload = match id {
        Some(id) => app.store.upload(scope.project.id, id).await?,
        None => None,
    }
    .ok_or_else(ApiError::record_not_found)?;
    send(&app, &scope, &request.method, &transfer.headers, &upload).await
}

/// The upload a secret and file name name in the project, if the secret can be one.
async fn by_secret<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    request: &ApiRequest,
) -> ApiResult<Option<Upload>> {
    let secret = request.path("secret");
    if !is_secret(secret) {
        return Ok(None);
    }
    Ok(app
        .store
        .upload_by_secret(scope.project.id, secret, request.path("filename"))
        .await?)
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/uploads/{secret}/{filename}",
    tag = "uploads",
    summary = "Download an upload by its secret",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("secret" = String, Path), ("filename" = String, Path)),
    responses(
        (status = 200, description = "The file", content_type = "application/octet-stream", body = FileBytes),
        (status = 404, description = "No such project or upload", body = MessageError)
    )
)]
pub async fn show_by_secret<S: Store>(
    State(app): State<App<S>>,
    transfer: TransferRequest,
) -> ApiResult<Response> {
    let request = &transfer.api;
    let scope = scope(&app, request).await?;
    let upload = by_secret(&app, &scope, request)
        .await?
        .ok_or_else(|| ApiError::not_found("Upload"))?;
    send(&app, &scope, &request.method, &transfer.headers, &upload).await
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/uploads/{upload_id}",
    tag = "uploads",
    summary = "Delete an upload",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("upload_id" = i64, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Not allowed (maintainers and up)", body = AuthError),
        (status = 404, description = "No such project or upload", body = MessageError)
    )
)]
pub async fn destroy<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("upload_id").value();
    d.finish()?;
    let scope = scope(&app, &request).await?;
    scope.require(can_admin_uploads(&scope.actor))?;
    let deleted = match id {
        Some(id) => app.store.delete_upload(scope.project.id, id).await?,
        None => false,
    };
    if !deleted {
        return Err(ApiError::record_not_found());
    }
    app.files.removed();
    Ok(no_content())
}

#[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/uploads/{secret}/{filename}",
    tag = "uploads",
    summary = "Delete an upload by its secret",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("secret" = String, Path), ("filename" = String, Path)),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "No such upload", body = MessageError),
        (status = 403, description = "Not allowed (maintainers and up)", body = AuthError),
        (status = 404, description = "No such project", body = MessageError)
    )
)]
pub async fn destroy_by_secret<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let scope = scope(&app, &request).await?;
    scope.require(can_admin_uploads(&scope.actor))?;
    let upload = by_secret(&app, &scope, &request).await?;
    let deleted = match upload {
        Some(upload) => app.store.delete_upload(scope.project.id, upload.id).await?,
        None => false,
    };
    if !deleted {
        return Err(ApiError::message(
            StatusCode::BAD_REQUEST,
            "400 Bad request - The resource that you are attempting to access does not exist or you don't have permission to perform this action.",
        ));
    }
    app.files.removed();
    Ok(no_content())
}
