//! What a browser sees: the release pages, sign-in with a personal access token, and the
//! permanent links that `direct_asset_url` hands out (`/<project>/-/releases/<tag>/downloads/…`).
//!
//! The visibility rules are the API's (`http::scope`), but a browser that may not see something
//! gets the same 404 page as for something that does not exist, never a hint. Credentials are a
//! session cookie (made by signing in) or, for scripts following permanent links, a personal
//! access token in `private_token` or `PRIVATE-TOKEN`; bad credentials count as none.

pub mod api_docs;
pub mod assets;
pub mod pages;

use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use cookie::{Cookie, SameSite};
use percent_encoding::percent_decode_str;

use crate::domain::access::{can_read_code, read_releases_decision, Decision};
use crate::domain::pagination::{PageInfo, PageRequest};
use crate::domain::time::{now_micros, today};
use crate::domain::token;
use crate::http::auth::{can_read_api, is_usable, Caller, Via};
use crate::http::entities::{LinkEntity, ReleaseUrls};
use crate::http::error::{redirect, ApiError};
use crate::http::markdown;
use crate::http::params::{parse_nested_query, Params};
use crate::http::request::ApiRequest;
use crate::http::scope::{scope_for, ProjectScope};
use crate::http::urls::escape_segment;
use crate::http::App;
use crate::store::{
    Link, Project, ProjectFilter, Release, ReleaseOrder, ReleaseQuery, Store, StoreError, User,
};
use pages::{Frame, LinkView, ReleaseView};

pub const SESSION_COOKIE: &str = "relinks_session";
/// Sessions last a week at most (and no longer than their token).
const SESSION_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;
const PAGE_SIZE: i64 = 20;

/// The pages and permanent links [`dispatch`] serves (a project's full path has any number of
/// segments, which no route pattern can say), for the OpenAPI check.
pub const DISPATCHED: [(&str, &str); 5] = [
    ("get", "/{full_path}/-/releases"),
    ("get", "/{full_path}/-/releases/{tag}"),
    ("get", "/{full_path}/-/releases/{tag}/downloads/{filepath}"),
    ("get", "/{full_path}/-/releases/permalink/latest"),
    ("get", "/{full_path}/-/releases/permalink/latest/{suffix}"),
];

/// The browser's own routes: home, sign-in and sign-out, the stylesheet and the script.
pub fn routes<S: Store>() -> Vec<crate::http::router::Route<S>> {
    use axum::http::Method;
    use axum::routing::{on, MethodFilter};
    vec![
        (Method::GET, "/", on(MethodFilter::GET, home::<S>)),
        (
            Method::GET,
            "/users/sign_in",
            on(MethodFilter::GET, sign_in_form),
        ),
        (
            Method::POST,
            "/users/sign_in",
            on(MethodFilter::POST, sign_in::<S>),
        ),
        (
            Method::POST,
            "/users/sign_out",
            on(MethodFilter::POST, sign_out::<S>),
        ),
        (
            Method::GET,
            "/help/api",
            on(MethodFilter::GET, api_docs::api_docs),
        ),
        (
            Method::GET,
            "/-/assets/relinks.css",
            on(MethodFilter::GET, assets::stylesheet),
        ),
        (
            Method::GET,
            "/-/assets/relinks.js",
            on(MethodFilter::GET, assets::script),
        ),
    ]
}

/// The OpenAPI operations of the browser routes (documentation only: [`routes`] and
/// [`dispatch`] serve them).
#[allow(dead_code)]
pub mod docs {
    const PAGE: &str = "An HTML page";

    #[utoipa::path(get, path = "/", tag = "pages", security(()), responses((status = 200, description = PAGE, content_type = "text/html")))]
    pub fn home() {}

    #[utoipa::path(get, path = "/users/sign_in", tag = "pages", security(()),
        params(("return_to" = Option<String>, Query)),
        responses((status = 200, description = "The sign-in form", content_type = "text/html")))]
    pub fn sign_in_form() {}

    #[utoipa::path(post, path = "/users/sign_in", tag = "pages", security(()),
        request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`token` (a personal access token) and `return_to`"),
        responses((status = 303, description = "Signed in: a session cookie (HttpOnly, SameSite=Strict), back to `return_to`"),
            (status = 401, description = "Not a valid token", content_type = "text/html")))]
    pub fn sign_in() {}

    #[utoipa::path(post, path = "/users/sign_out", tag = "pages", security(()),
        responses((status = 303, description = "Signed out; the session cookie is cleared")))]
    pub fn sign_out() {}

    #[utoipa::path(get, path = "/help/api", tag = "pages", security(()), responses((status = 200, description = "This document as a page", content_type = "text/html")))]
    pub fn api_docs() {}

    #[utoipa::path(get, path = "/-/assets/relinks.css", tag = "pages", security(()), responses((status = 200, description = "The pages' stylesheet", content_type = "text/css")))]
    pub fn stylesheet() {}

    #[utoipa::path(get, path = "/-/assets/relinks.js", tag = "pages", security(()), responses((status = 200, description = "The copy buttons' script", content_type = "text/javascript")))]
    pub fn script() {}

    #[utoipa::path(get, path = "/{full_path}/-/releases", tag = "pages",
        params(("full_path" = String, Path, description = "The project's full path; its `/` are not encoded"), ("page" = Option<i64>, Query)),
        responses((status = 200, description = "The project's releases, newest first, 20 a page", content_type = "text/html"),
            (status = 404, description = "No such project, or not visible", content_type = "text/html")))]
    pub fn releases() {}

    #[utoipa::path(get, path = "/{full_path}/-/releases/{tag}", tag = "pages",
        params(("full_path" = String, Path), ("tag" = String, Path)),
        responses((status = 200, description = "One release", content_type = "text/html"),
            (status = 404, description = "No such release, or not visible", content_type = "text/html")))]
    pub fn release() {}

    #[utoipa::path(get, path = "/{full_path}/-/releases/{tag}/downloads/{filepath}", tag = "pages",
        summary = "A permanent link (`direct_asset_url`)",
        params(("full_path" = String, Path), ("tag" = String, Path), ("filepath" = String, Path, description = "May contain `/`"),
            ("private_token" = Option<String>, Query, description = "For private projects, or a PRIVATE-TOKEN header or a session")),
        responses((status = 302, description = "To the link's URL"), (status = 404, description = "No such link, or not visible", content_type = "text/html")))]
    pub fn download() {}

    #[utoipa::path(get, path = "/{full_path}/-/releases/permalink/latest", tag = "pages",
        params(("full_path" = String, Path)),
        responses((status = 302, description = "To the latest release's page"), (status = 404, description = "No release yet", content_type = "text/html")))]
    pub fn latest() {}

    #[utoipa::path(get, path = "/{full_path}/-/releases/permalink/latest/{suffix}", tag = "pages",
        params(("full_path" = String, Path), ("suffix" = String, Path, description = "E.g. `downloads/bin/app`")),
        responses((status = 302, description = "Into the latest release"), (status = 404, description = "No release yet", content_type = "text/html")))]
    pub fn latest_suffix() {}
}

/// A page or redirect, or the 404 page.
type WebResult = Result<Response, WebError>;

pub enum WebError {
    NotFound,
    Store(StoreError),
}

impl From<StoreError> for WebError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

fn not_found(viewer: Option<&User>, here: &str) -> Response {
    let frame = Frame {
        viewer: viewer.map(|u| u.username.as_str()),
        here,
    };
    html(StatusCode::NOT_FOUND, pages::not_found_page(&frame))
}

fn render_error(error: WebError, viewer: Option<&User>, here: &str) -> Response {
    match error {
        WebError::NotFound => not_found(viewer, here),
        WebError::Store(e) => ApiError::Store(e).into_response(),
    }
}

fn session_secret(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// Who a browser (or a script following a permanent link) is: a valid token first, then a
/// valid session, else anonymous.
async fn viewer<S: Store>(
    app: &App<S>,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Caller, StoreError> {
    let given = headers
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| params.str("private_token"))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(secret) = given {
        if let Some(token) = app
            .store
            .personal_token_by_digest(&app.config.token_key.digest(secret))
            .await?
        {
            if is_usable(&token) && can_read_api(&token) {
                let user = app.store.user(token.user_id).await?;
                return Ok(Caller {
                    user,
                    via: Via::PersonalToken {
                        id: token.id,
                        scopes: token.scopes,
                    },
                });
            }
        }
        return Ok(Caller::anonymous());
    }
    if let Some(secret) = session_secret(headers) {
        if let Some(session) = app
            .store
            .session_by_digest(&app.config.token_key.digest(&secret))
            .await?
        {
            let token = app.store.personal_token(session.token_id).await?;
            if session.expires_at > now_micros() && token.as_ref().is_some_and(is_usable) {
                let user = app.store.user(session.user_id).await?;
                return Ok(Caller {
                    user,
                    via: Via::Session,
                });
            }
        }
    }
    Ok(Caller::anonymous())
}

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
        .map(|s| s.into_owned())
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
) -> ReleaseView {
    let full_path = project.full_path();
    let release_urls = ReleaseUrls::new(&app.urls, project, &release.tag);
    ReleaseView {
        name: release.name.clone().unwrap_or_else(|| release.tag.clone()),
        tag: release.tag.clone(),
        page_url: format!("/{full_path}/-/releases/{}", escape_segment(&release.tag)),
        released_at: release.released_at,
        upcoming: release.released_at > now_micros(),
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
                }
            })
            .collect(),
    }
}

/// Views of several releases, with their authors and links fetched in two queries.
async fn release_views<S: Store>(
    app: &App<S>,
    project: &Project,
    releases: &[Release],
) -> Result<Vec<ReleaseView>, WebError> {
    let ids: Vec<i64> = releases.iter().map(|r| r.id).collect();
    let links = app.store.links_of_releases(&ids).await?;
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
            release_view(app, project, release, author, &own)
        })
        .collect())
}

async fn serve_path<S: Store>(
    app: &App<S>,
    caller: &Caller,
    here: &str,
    query: Option<&str>,
    params: &Params,
) -> WebResult {
    let (project_path, what) = parse(here).ok_or(WebError::NotFound)?;
    let scope = project_scope(app, caller, &project_path).await?;
    let project = &scope.project;
    let frame = Frame {
        viewer: caller.user.as_ref().map(|u| u.username.as_str()),
        here,
    };
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
            let views = release_views(app, project, &releases).await?;
            let info = PageInfo::new(request, total);
            Ok(html(
                StatusCode::OK,
                pages::releases_page(&frame, &project.name, &project.full_path(), &views, &info),
            ))
        }
        WebPath::Release(tag) => {
            let release = app
                .store
                .release(project.id, &tag)
                .await?
                .ok_or(WebError::NotFound)?;
            let mut views = release_views(app, project, std::slice::from_ref(&release)).await?;
            let view = views.pop().ok_or(WebError::NotFound)?;
            Ok(html(
                StatusCode::OK,
                pages::release_page(&frame, &project.name, &project.full_path(), &view),
            ))
        }
        WebPath::Download { tag, filepath } => {
            if !can_read_code(&scope.actor, &scope.settings()) {
                return Err(WebError::NotFound);
            }
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
            Ok(redirect(StatusCode::FOUND, &link.url))
        }
        WebPath::Latest(suffix) => {
            let release = app
                .store
                .latest_release(project.id, now_micros())
                .await?
                .ok_or(WebError::NotFound)?;
            let suffix = if suffix.is_empty() {
                String::new()
            } else {
                format!("/{suffix}")
            };
            let query = query.map(|q| format!("?{q}")).unwrap_or_default();
            let location = format!(
                "{}/-/releases/{}{suffix}{query}",
                app.urls.project(&project.full_path()),
                escape_segment(&release.tag)
            );
            Ok(redirect(StatusCode::FOUND, &location))
        }
    }
}

/// Everything no route claims: the release pages and permanent links, else a 404 (JSON under
/// `/api/`, as GitLab's API answers, a page elsewhere).
pub async fn dispatch<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/") || path == "/api" {
        return ApiError::route_not_found().into_response();
    }
    if request.method() != axum::http::Method::GET && request.method() != axum::http::Method::HEAD {
        return not_found(None, &path);
    }
    let query = request.uri().query().map(str::to_owned);
    let params = Params(
        query
            .as_deref()
            .and_then(|q| parse_nested_query(q).ok())
            .unwrap_or_default(),
    );
    let caller = match viewer(&app, request.headers(), &params).await {
        Ok(caller) => caller,
        Err(e) => return ApiError::Store(e).into_response(),
    };
    match serve_path(&app, &caller, &path, query.as_deref(), &params).await {
        Ok(response) => response,
        Err(error) => render_error(error, caller.user.as_ref(), &path),
    }
}

pub async fn home<S: Store>(State(app): State<App<S>>, headers: HeaderMap) -> Response {
    let caller = match viewer(&app, &headers, &Params::default()).await {
        Ok(caller) => caller,
        Err(e) => return ApiError::Store(e).into_response(),
    };
    let filter = ProjectFilter {
        user_id: caller.user_id(),
        today: today(),
        all: caller.is_admin(),
        membership: false,
        owned: false,
        search: None,
        visibility: None,
        order_by_id: false,
        ascending: false,
    };
    let projects = match app
        .store
        .projects(&filter, PageRequest::new(Some(1), Some(100)))
        .await
    {
        Ok((projects, _)) => projects,
        Err(e) => return ApiError::Store(e).into_response(),
    };
    let list: Vec<(String, String)> = projects
        .iter()
        .map(|p| (p.name_with_namespace(), p.full_path()))
        .collect();
    let frame = Frame {
        viewer: caller.user.as_ref().map(|u| u.username.as_str()),
        here: "/",
    };
    html(StatusCode::OK, pages::home_page(&frame, &list))
}

/// Only paths on this site: no `//host` or `https://…` open redirects.
fn safe_return(target: Option<&str>) -> String {
    match target {
        Some(t) if t.starts_with('/') && !t.starts_with("//") && !t.contains('\\') => t.to_owned(),
        _ => "/".to_owned(),
    }
}

pub async fn sign_in_form(request: Request) -> Response {
    let params = request
        .uri()
        .query()
        .and_then(|q| parse_nested_query(q).ok())
        .map(Params)
        .unwrap_or_default();
    let return_to = safe_return(params.str("return_to"));
    let frame = Frame {
        viewer: None,
        here: "/users/sign_in",
    };
    html(
        StatusCode::OK,
        pages::sign_in_page(&frame, None, &return_to),
    )
}

/// The session cookie: HttpOnly, SameSite=Strict, and Secure when relinks is served over https.
fn session_cookie(secure: bool, value: String, max_age: cookie::time::Duration) -> HeaderValue {
    let cookie = Cookie::build((SESSION_COOKIE, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .max_age(max_age)
        .build();
    HeaderValue::from_str(&cookie.encoded().to_string()).unwrap_or(HeaderValue::from_static(""))
}

pub async fn sign_in<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> Response {
    let return_to = safe_return(request.params.str("return_to"));
    let secret = request
        .params
        .str("token")
        .map(str::trim)
        .unwrap_or_default();
    let frame = Frame {
        viewer: None,
        here: "/users/sign_in",
    };
    // A refused sign-in is a failed authentication like a bad token on the API: it counts
    // towards the address's ban, so the form is no way around it.
    let refuse = || {
        if let Some(ip) = request.client_ip {
            app.limiter.failed_authentication(ip);
        }
        html(
            StatusCode::UNAUTHORIZED,
            pages::sign_in_page(&frame, Some("That token is not valid."), &return_to),
        )
    };
    let token = match app
        .store
        .personal_token_by_digest(&app.config.token_key.digest(secret))
        .await
    {
        Ok(Some(token)) if !secret.is_empty() && is_usable(&token) && can_read_api(&token) => token,
        Ok(_) => return refuse(),
        Err(e) => return ApiError::Store(e).into_response(),
    };
    let session = token::generate("rls-");
    let expires_at = now_micros() + SESSION_MICROS;
    if let Err(e) = app
        .store
        .create_session(
            &app.config.token_key.digest(&session),
            token.user_id,
            token.id,
            expires_at,
        )
        .await
    {
        return ApiError::Store(e).into_response();
    }
    let mut response = redirect(StatusCode::SEE_OTHER, &return_to);
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(
            app.urls.base().starts_with("https://"),
            session,
            cookie::time::Duration::days(7),
        ),
    );
    response
}

pub async fn sign_out<S: Store>(State(app): State<App<S>>, headers: HeaderMap) -> Response {
    if let Some(secret) = session_secret(&headers) {
        if let Err(e) = app
            .store
            .delete_session(&app.config.token_key.digest(&secret))
            .await
        {
            return ApiError::Store(e).into_response();
        }
    }
    let mut response = redirect(StatusCode::SEE_OTHER, "/users/sign_in");
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(
            app.urls.base().starts_with("https://"),
            String::new(),
            cookie::time::Duration::ZERO,
        ),
    );
    response
}

/// Headers every answer carries: a strict Content-Security-Policy (the pages load only their own
/// stylesheet and script), no MIME sniffing, no referrer (permanent links may carry tokens), no
/// framing.
pub fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    let set = [
        (
            "content-security-policy",
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
             form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    response
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

    #[test]
    fn the_session_cookie_is_secure_over_https_only() {
        let https = session_cookie(true, "s".into(), cookie::time::Duration::days(7));
        let text = https.to_str().expect("text");
        assert!(
            text.contains("Secure")
                && text.contains("HttpOnly")
                && text.contains("SameSite=Strict"),
            "{text}"
        );
        let http = session_cookie(false, "s".into(), cookie::time::Duration::days(7));
        assert!(!http.to_str().expect("text").contains("Secure"));
    }

    #[test]
    fn only_local_return_paths() {
        assert_eq!(safe_return(Some("/g/p/-/releases")), "/g/p/-/releases");
        assert_eq!(safe_return(Some("//evil.example")), "/");
        assert_eq!(safe_return(Some("https://evil.example")), "/");
        assert_eq!(safe_return(None), "/");
    }
}
