//! Who a browser is, and signing in and out. Credentials are a session cookie (made by signing
//! in with a personal access token) or, for scripts following permanent links, a personal access
//! token in `private_token` or `PRIVATE-TOKEN`. A bad token is a failed authentication (it
//! counts towards the address's ban, as on the API) and the page is served as to anyone; a
//! session that has ended is simply no session.

use axum::body::to_bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cookie::{Cookie, SameSite};

use super::csrf::{form_is_ours, origin_of, Csrf, CSRF_FIELD};
use super::html;
use super::pages::{self, Frame};
use crate::domain::time::now_micros;
use crate::domain::token;
use crate::http::auth::{
    can_read_api, is_usable, session_secrets, session_user, token_and_user, Caller, Via,
};
use crate::http::error::{redirect, ApiError};
use crate::http::params::{parse_nested_query, Params};
use crate::http::ratelimit::{settle, Outcome, RateTicket};
use crate::http::App;
use crate::store::Store;
use crate::store::{StoreError, User};

pub use crate::http::auth::SESSION_COOKIE;
/// Sessions last a week at most (and no longer than their token).
const SESSION_MICROS: i64 = 7 * 24 * 3600 * 1_000_000;

/// Who a browser (or a script following a permanent link) is: a valid token first, then a
/// valid session, else anonymous. The request is counted in the rate limits as what it turned
/// out to be; `Err` is the answer to give instead (429, or 503 when the store cannot answer).
pub(super) async fn viewer<S: Store>(
    app: &App<S>,
    headers: &HeaderMap,
    params: &Params,
    ticket: Option<&RateTicket>,
) -> Result<Caller, Response> {
    let (caller, outcome) = identify(app, headers, params)
        .await
        .map_err(|e| ApiError::Store(e).into_response())?;
    settle(ticket, outcome).map_err(IntoResponse::into_response)?;
    Ok(caller)
}

async fn identify<S: Store>(
    app: &App<S>,
    headers: &HeaderMap,
    params: &Params,
) -> Result<(Caller, Outcome), StoreError> {
    let given = headers
        .get("private-token")
        .and_then(|v| v.to_str().ok())
        .or_else(|| params.str("private_token"))
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if let Some(secret) = given {
        let found = token_and_user(app, &app.config.token_key.digest(secret)).await?;
        let Some((token, user)) = found.filter(|(token, _)| is_usable(token)) else {
            return Ok((Caller::anonymous(), Outcome::Failed));
        };
        if !can_read_api(&token) {
            // A genuine token, but not one for reading: served as to anyone.
            return Ok((Caller::anonymous(), Outcome::Anonymous));
        }
        let outcome = user
            .as_ref()
            .map_or(Outcome::Failed, |u| Outcome::User(u.id));
        let caller = Caller {
            user,
            via: Via::PersonalToken {
                id: token.id,
                scopes: token.scopes.clone(),
            },
        };
        return Ok((caller, outcome));
    }
    if let Some(user) = session_user(app, &session_secrets(headers)).await? {
        let outcome = Outcome::User(user.id);
        let caller = Caller {
            user: Some(std::sync::Arc::new(user)),
            via: Via::Session,
        };
        return Ok((caller, outcome));
    }
    Ok((Caller::anonymous(), Outcome::Anonymous))
}

/// Only paths on this site: a single `/` followed by anything but `/` or `\`, and no control
/// character or whitespace anywhere (browsers drop tabs and line breaks, so `/\t/evil.example`
/// would lead to another host). Anything else returns to `/`.
pub(super) fn safe_return(target: Option<&str>) -> String {
    let Some(target) = target else {
        return "/".to_owned();
    };
    let mut chars = target.chars();
    let local = chars.next() == Some('/')
        && chars.next().is_some_and(|c| c != '/' && c != '\\')
        && !target.chars().any(|c| c.is_control() || c.is_whitespace());
    if local {
        target.to_owned()
    } else {
        "/".to_owned()
    }
}

fn secure<S>(app: &App<S>) -> bool {
    app.urls.base().starts_with("https://")
}

/// A page of the sign-in flow, with the pre-session cookie set when it is new.
fn sign_in_page<S>(
    app: &App<S>,
    csrf: &Csrf,
    status: StatusCode,
    error: Option<&str>,
    return_to: &str,
) -> Response {
    let token = csrf.form_token(&app.config.token_key);
    let frame = Frame {
        viewer: None,
        here: "/users/sign_in",
        csrf: &token,
    };
    let mut response = html(status, pages::sign_in_page(&frame, error, return_to));
    csrf.remember(&mut response, secure(app));
    response
}

#[utoipa::path(get, path = "/users/sign_in", tag = "pages", security(()),
    params(("return_to" = Option<String>, Query)),
    responses((status = 200, description = "The sign-in form (and a pre-session cookie for its CSRF token)", content_type = "text/html")))]
pub async fn sign_in_form<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let params = request
        .uri()
        .query()
        .and_then(|q| parse_nested_query(q).ok())
        .map(Params)
        .unwrap_or_default();
    let return_to = safe_return(params.str("return_to"));
    let ticket = request.extensions().get::<RateTicket>();
    if let Err(throttled) = settle(ticket, Outcome::SignInForm) {
        return throttled.into_response();
    }
    let csrf = Csrf::of(request.headers());
    sign_in_page(&app, &csrf, StatusCode::OK, None, &return_to)
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

/// A posted form: its fields (the first of each name), read from the body only.
struct PostedForm {
    headers: HeaderMap,
    fields: Vec<(String, String)>,
    ticket: Option<RateTicket>,
}

impl PostedForm {
    async fn read<S>(app: &App<S>, request: Request) -> Result<Self, Response> {
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, app.config.max_body_bytes)
            .await
            .map_err(|_| {
                ApiError::message(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "413 Request Entity Too Large",
                )
                .into_response()
            })?;
        let fields = form_urlencoded::parse(&bytes).into_owned().collect();
        Ok(Self {
            ticket: parts.extensions.get().cloned(),
            headers: parts.headers,
            fields,
        })
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The 403 to answer when the form did not come from relinks' own page. A refused form
    /// counts toward nothing (a page elsewhere must not be able to ban its visitors).
    fn refusal<S>(&self, app: &App<S>) -> Option<Response> {
        let site = origin_of(app.urls.base());
        if form_is_ours(
            &self.headers,
            self.field(CSRF_FIELD),
            &app.config.token_key,
            &site,
        ) {
            return None;
        }
        let _ = settle(self.ticket.as_ref(), Outcome::Uncounted);
        let csrf = Csrf::of(&self.headers);
        let token = csrf.form_token(&app.config.token_key);
        let frame = Frame {
            viewer: None,
            here: "/users/sign_in",
            csrf: &token,
        };
        let mut response = html(StatusCode::FORBIDDEN, pages::refused_form_page(&frame));
        csrf.remember(&mut response, secure(app));
        Some(response)
    }
}

#[utoipa::path(post, path = "/users/sign_in", tag = "pages", security(()),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "`token` (a personal access token), `return_to` and the form's `authenticity_token`"),
    responses((status = 303, description = "Signed in: a session cookie (HttpOnly, SameSite=Strict), back to `return_to`"),
        (status = 401, description = "Not a valid token", content_type = "text/html"),
        (status = 403, description = "Not this site's own form (cross-site, or no matching CSRF token)", content_type = "text/html")))]
pub async fn sign_in<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let form = match PostedForm::read(&app, request).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Some(refused) = form.refusal(&app) {
        return refused;
    }
    let return_to = safe_return(form.field("return_to"));
    let secret = form.field("token").map(str::trim).unwrap_or_default();
    let csrf = Csrf::of(&form.headers);
    let found = if secret.is_empty() {
        Ok(None)
    } else {
        app.store
            .personal_token_by_digest(&app.config.token_key.digest(secret))
            .await
    };
    let token = match found {
        Ok(Some(token)) if is_usable(&token) && can_read_api(&token) => token,
        Ok(_) => {
            // A refused sign-in is a failed authentication like a bad token on the API.
            if let Err(throttled) = settle(form.ticket.as_ref(), Outcome::Failed) {
                return throttled.into_response();
            }
            return sign_in_page(
                &app,
                &csrf,
                StatusCode::UNAUTHORIZED,
                Some("That token is not valid."),
                &return_to,
            );
        }
        Err(e) => return ApiError::Store(e).into_response(),
    };
    if let Err(throttled) = settle(form.ticket.as_ref(), Outcome::User(token.user_id)) {
        return throttled.into_response();
    }
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
        session_cookie(secure(&app), session, cookie::time::Duration::days(7)),
    );
    response
}

#[utoipa::path(post, path = "/users/sign_out", tag = "pages", security(()),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The form's `authenticity_token`"),
    responses((status = 303, description = "Signed out; the session cookie is cleared"),
        (status = 403, description = "Not this site's own form", content_type = "text/html")))]
pub async fn sign_out<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    let form = match PostedForm::read(&app, request).await {
        Ok(form) => form,
        Err(response) => return response,
    };
    if let Some(refused) = form.refusal(&app) {
        return refused;
    }
    for secret in session_secrets(&form.headers) {
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
        session_cookie(secure(&app), String::new(), cookie::time::Duration::ZERO),
    );
    response
}

/// The name a page shows for its viewer.
pub(super) fn viewer_name(viewer: Option<&User>) -> Option<&str> {
    viewer.map(|u| u.username.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

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
        for evil in [
            "/\t/evil.example",
            "/\\evil.example",
            "/%09/x\n",
            "/a b",
            "/\u{a0}x",
            "/",
            "",
            "evil.example",
        ] {
            assert_eq!(safe_return(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_return(Some("/g/p?a=1#x")), "/g/p?a=1#x");
    }
}
