//! What a browser sees: the release pages, sign-in with a personal access token, and the
//! permanent links that `direct_asset_url` hands out (`/<project>/-/releases/<tag>/downloads/…`).
//!
//! The visibility rules are the API's (`http::scope`), but a browser that may not see something
//! gets the same 404 page as for something that does not exist, never a hint. Who the browser
//! is, and signing in and out, are `session`'s; the forms' protection is `csrf`'s.

pub mod api_docs;
pub mod assets;
pub mod chart;
pub mod csrf;
pub mod headers;
pub mod hooks;
pub mod hosted;
pub mod packages;
pub mod pages;
pub mod releases;
pub mod session;
pub mod uploads;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::domain::pagination::PageRequest;
use crate::domain::time::today;
use crate::domain::token::TokenKey;
use crate::http::error::ApiError;
use crate::http::params::{parse_nested_query, Params};
use crate::http::ratelimit::RateTicket;
use crate::http::App;
use crate::store::{ProjectFilter, Store, StoreError, User};
use csrf::Csrf;
pub use headers::{add_security_headers, HeaderPolicy};
use pages::{FormToken, Frame};
pub use session::SESSION_COOKIE;

/// The browser's own routes (home, sign-in and sign-out, the stylesheet and the script) and
/// the pages and permanent links [`dispatch`] serves (a project's full path has any number of
/// segments, which no route pattern can say).
pub fn routes<S: Store>() -> Vec<crate::http::routes::Route<S>> {
    crate::route_table! { S;
        self::home<S>,
        session::sign_in_form<S>,
        session::sign_in<S>,
        session::sign_out<S>,
        assets::stylesheet,
        assets::script,
        uploads::by_project_id<S>,
        dispatched docs::releases,
        dispatched docs::release,
        dispatched docs::download,
        dispatched docs::latest,
        dispatched docs::latest_suffix,
        dispatched docs::packages,
        dispatched docs::package,
        dispatched docs::hooks,
    }
}

/// The OpenAPI operations of the pages and permanent links [`dispatch`] serves (documentation
/// only).
#[allow(dead_code)]
pub mod docs {
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

    #[utoipa::path(get, path = "/{full_path}/-/packages", tag = "pages",
        params(("full_path" = String, Path), ("page" = Option<i64>, Query)),
        responses((status = 200, description = "The project's packages and their files (size, SHA-256, download), newest first", content_type = "text/html"),
            (status = 404, description = "No such project, or its packages not visible", content_type = "text/html")))]
    pub fn packages() {}

    #[utoipa::path(get, path = "/{full_path}/-/packages/{id}", tag = "pages",
        params(("full_path" = String, Path), ("id" = i64, Path)),
        responses((status = 200, description = "One package and its files (the `web_path` of the Packages API)", content_type = "text/html"),
            (status = 404, description = "No such package, or not visible", content_type = "text/html")))]
    pub fn package() {}

    #[utoipa::path(get, path = "/{full_path}/-/hooks", tag = "pages",
        params(("full_path" = String, Path)),
        responses((status = 200, description = "The project's webhooks and each one's last 20 events (maintainers and up)", content_type = "text/html"),
            (status = 404, description = "No such project, or not a maintainer of it", content_type = "text/html")))]
    pub fn hooks() {}
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

fn render_error(error: WebError, frame: &Frame<'_>) -> Response {
    match error {
        WebError::NotFound => html(StatusCode::NOT_FOUND, pages::not_found_page(frame)),
        WebError::Store(e) => ApiError::Store(e).into_response(),
    }
}

/// The sign-out form on a signed-in viewer's pages carries a token tied to the browser's
/// pre-session cookie, which the page sets when the browser has none yet. Both are made when a
/// page renders the form, not for answers without one.
struct PageForms<'a> {
    key: &'a TokenKey,
    headers: &'a axum::http::HeaderMap,
    signed_in: bool,
    /// The pre-session cookie and the forms' token, once a form asked for them.
    made: std::sync::OnceLock<(Csrf, String)>,
}

impl<'a> PageForms<'a> {
    fn new<S>(app: &'a App<S>, headers: &'a axum::http::HeaderMap, viewer: Option<&User>) -> Self {
        Self {
            key: &app.config.token_key,
            headers,
            signed_in: viewer.is_some(),
            made: std::sync::OnceLock::new(),
        }
    }

    fn frame<'f>(&'f self, viewer: Option<&'f User>, here: &'f str) -> Frame<'f> {
        Frame {
            viewer: session::viewer_name(viewer),
            here,
            csrf: self,
        }
    }

    fn finish<S>(&self, app: &App<S>, mut response: Response) -> Response {
        if let Some((csrf, _)) = self.made.get() {
            csrf.remember(&mut response, app.urls.base().starts_with("https://"));
        }
        response
    }
}

impl FormToken for PageForms<'_> {
    fn token(&self) -> &str {
        if !self.signed_in {
            return "";
        }
        let (_, token) = self.made.get_or_init(|| {
            let csrf = Csrf::of(self.headers);
            let token = csrf.form_token(self.key);
            (csrf, token)
        });
        token
    }
}

/// The query's parameters (a malformed query counts as none: pages have no parameter errors).
fn query_params(request: &Request) -> Params {
    Params(
        request
            .uri()
            .query()
            .and_then(|q| parse_nested_query(q).ok())
            .unwrap_or_default(),
    )
}

/// Everything no route claims: the release pages and permanent links, else a 404 (JSON under
/// `/api/`, as GitLab's API answers, a page elsewhere).
pub async fn dispatch<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/") || path == "/api" {
        return ApiError::route_not_found().into_response();
    }
    let read =
        request.method() == axum::http::Method::GET || request.method() == axum::http::Method::HEAD;
    if read && uploads::legacy_path(&path).is_some() {
        return uploads::by_project_path(&app, request).await;
    }
    let headers = request.headers();
    if !read {
        let forms = PageForms::new(&app, headers, None);
        return render_error(WebError::NotFound, &forms.frame(None, &path));
    }
    let query = request.uri().query().map(str::to_owned);
    let params = query_params(&request);
    let ticket = request.extensions().get::<RateTicket>();
    let caller = match session::viewer(&app, headers, &params, ticket).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let viewer = caller.user.as_deref();
    let forms = PageForms::new(&app, headers, viewer);
    let frame = forms.frame(viewer, &path);
    let served = if packages::parse(&path).is_some() {
        packages::serve_path(&app, &caller, &frame, &params).await
    } else if hooks::parse(&path).is_some() {
        hooks::serve_path(&app, &caller, &frame).await
    } else {
        // A HEAD of a permanent link is not a download.
        let get = request.method() == axum::http::Method::GET;
        releases::serve_path(&app, &caller, &frame, query.as_deref(), &params, get).await
    };
    let response = served.unwrap_or_else(|error| render_error(error, &frame));
    forms.finish(&app, response)
}

#[utoipa::path(get, path = "/", tag = "pages", security(()), responses((status = 200, description = "The projects the viewer may see", content_type = "text/html")))]
pub async fn home<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let headers = request.headers();
    let ticket = request.extensions().get::<RateTicket>();
    let caller = match session::viewer(&app, headers, &query_params(&request), ticket).await {
        Ok(caller) => caller,
        Err(response) => return response,
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
    let forms = PageForms::new(&app, headers, caller.user.as_deref());
    let frame = forms.frame(caller.user.as_deref(), "/");
    forms.finish(&app, html(StatusCode::OK, pages::home_page(&frame, &list)))
}
