//! Project uploads where their links point: `/-/project/<id>/uploads/<secret>/<file>` (the
//! `full_path` GitLab 17.1 and later answer with) and `/<project>/uploads/<secret>/<file>`
//! (the older form release-it still builds by default; GitLab refuses it for new uploads,
//! relinks serves both so that every tool's links work).
//!
//! Who may fetch one is who may read the project, as GitLab enforces by default: a browser
//! signs in (an anonymous visitor of a private project is sent to the sign-in page, and so is
//! one of a project that does not exist: the answer tells nothing of which), and a script sends
//! one of the API's credentials (`PRIVATE-TOKEN`, `private_token`, a job token, Basic). A
//! signed-in caller who may not read the project gets the 404 page. Media and PDFs
//! are shown in the browser; everything else is a download, and nothing is ever served as a
//! page of this site (see `domain::content`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use serde_json::Map;

use super::{render_error, PageForms, WebError};
use crate::domain::content::{content_disposition, upload_presentation};
use crate::domain::downloads::Subject;
use crate::domain::hosted::ProjectRef;
use crate::domain::uploads::is_secret;
use crate::http::auth::{authenticate, Caller, RouteAuth};
use crate::http::download::Download;
use crate::http::download_counter::Counted;
use crate::http::error::{redirect, ApiError};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::request::ApiRequest;
use crate::http::scope::scope_for;
use crate::http::urls::escape_segment;
use crate::http::App;
use crate::store::{Project, Store, StoreResult};

/// Credentials a script may follow an upload's link with (the API's, sessions included).
const UPLOAD_AUTH: RouteAuth = RouteAuth::PACKAGES;

#[utoipa::path(get, path = "/-/project/{project_id}/uploads/{secret}/{filename}", tag = "uploads",
    summary = "An uploaded file (its `full_path`)",
    params(("project_id" = i64, Path), ("secret" = String, Path), ("filename" = String, Path)),
    responses(
        (status = 200, description = "The file: media and PDFs inline, anything else as an attachment"),
        (status = 302, description = "To the sign-in page (a private project, not signed in)"),
        (status = 401, description = "A credential that is not valid", body = MessageError),
        (status = 404, description = "No such upload, or not visible", content_type = "text/html")))]
pub async fn by_project_id<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let mut parts = path.trim_start_matches("/-/project/").split('/');
    let (Some(id), Some("uploads"), Some(secret), Some(filename), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return not_found(&app, &request, None);
    };
    let project = ProjectRef::Id(id.parse().unwrap_or(-1));
    serve_upload(&app, request, project, secret, filename).await
}

/// `/<project>/uploads/<secret>/<file>`: the project path and the upload, when `path` has
/// that form.
pub fn legacy_path(path: &str) -> Option<(&str, &str, &str)> {
    let (rest, filename) = path.rsplit_once('/')?;
    let (rest, secret) = rest.rsplit_once('/')?;
    let project = rest.strip_suffix("/uploads")?.trim_start_matches('/');
    let reserved = project.split('/').any(|segment| segment == "-");
    (is_secret(secret) && project.contains('/') && !reserved).then_some((project, secret, filename))
}

/// Serves `/<project>/uploads/<secret>/<file>` (see [`legacy_path`]).
pub async fn by_project_path<S: Store>(app: &App<S>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let Some((project_path, secret, filename)) = legacy_path(&path) else {
        return not_found(app, &request, None);
    };
    let Some(project_path) = decode(project_path) else {
        return not_found(app, &request, None);
    };
    serve_upload(
        app,
        request,
        ProjectRef::Path(project_path),
        secret,
        filename,
    )
    .await
}

/// The project an upload's URL names: by id, or by path (an old path of a renamed project
/// included).
async fn find<S: Store>(app: &App<S>, named: ProjectRef) -> StoreResult<Option<Project>> {
    match named {
        ProjectRef::Id(id) => app.store.project(id).await,
        ProjectRef::Path(path) => match app.store.project_by_full_path(&path).await? {
            Some(project) => Ok(Some(project)),
            None => app.store.project_by_redirect(&path).await,
        },
    }
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .filter(|s| !s.contains('\0'))
        .map(std::borrow::Cow::into_owned)
}

fn not_found<S>(app: &App<S>, request: &Request, caller: Option<&Caller>) -> Response {
    let viewer = caller.and_then(|c| c.user.as_deref());
    let forms = PageForms::new(app, request.headers(), viewer);
    let here = request.uri().path().to_owned();
    forms.finish(
        app,
        render_error(WebError::NotFound, &forms.frame(viewer, &here)),
    )
}

async fn serve_upload<S: Store>(
    app: &App<S>,
    request: Request,
    named: ProjectRef,
    secret: &str,
    filename: &str,
) -> Response {
    let (Some(secret), Some(filename)) = (decode(secret), decode(filename)) else {
        return not_found(app, &request, None);
    };
    let (mut parts, body) = request.into_parts();
    drop(body);
    let api = match ApiRequest::from_parts(&mut parts, Map::new()) {
        Ok(api) => api,
        Err(error) => return error.into_response(),
    };
    let request = Request::from_parts(parts, axum::body::Body::empty());
    let caller = match authenticate(app, &api, UPLOAD_AUTH).await {
        Ok(caller) => caller,
        Err(error) => return error.into_response(),
    };
    // A project that does not exist and one the caller may not see are answered alike.
    let scope = match find(app, named).await {
        Ok(Some(project)) => scope_for(app, &caller, project).await.ok(),
        Ok(None) => None,
        Err(error) => return ApiError::Store(error).into_response(),
    };
    let Some(scope) = scope else {
        if caller.user.is_none() {
            let back = request
                .uri()
                .path_and_query()
                .map_or_else(String::new, ToString::to_string);
            let sign_in = format!("/users/sign_in?return_to={}", escape_segment(&back));
            return redirect(StatusCode::FOUND, &app.urls.absolute(&sign_in));
        }
        return not_found(app, &request, Some(&caller));
    };
    let upload = match app
        .store
        .upload_by_secret(scope.project.id, &secret, &filename)
        .await
    {
        Ok(Some(upload)) if is_secret(&secret) => upload,
        Ok(_) => return not_found(app, &request, Some(&caller)),
        Err(error) => return ApiError::Store(error).into_response(),
    };
    let (content_type, disposition) = upload_presentation(&upload.filename);
    let download = Download {
        sha256: &upload.blob.sha256,
        size: u64::try_from(upload.blob.size).unwrap_or_default(),
        content_type,
        disposition: content_disposition(disposition, &upload.filename),
    };
    let counted = Counted {
        subject: Subject::Upload,
        subject_id: upload.id,
        project_path: &scope.project.full_path(),
    };
    app.serve_counted((&api.method, request.headers()), &download, counted)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::legacy_path;

    #[test]
    fn legacy_upload_paths() {
        let secret = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            legacy_path(&format!("/group/project/uploads/{secret}/app.tar.gz")),
            Some(("group/project", secret, "app.tar.gz"))
        );
        assert_eq!(
            legacy_path(&format!("/a/b/uploads/uploads/{secret}/f")),
            Some(("a/b/uploads", secret, "f"))
        );
        assert_eq!(legacy_path(&format!("/project/uploads/{secret}/f")), None);
        assert_eq!(legacy_path("/g/p/uploads/not-a-secret/f"), None);
        assert_eq!(legacy_path(&format!("/g/p/-/uploads/{secret}/f")), None);
    }
}
