//! Cross-site request forgery: the sign-in and sign-out forms may be posted only from relinks'
//! own pages. Two checks, both required:
//! - the browser's word: `Sec-Fetch-Site` (when sent) must be `same-origin` or `none`, and
//!   `Origin` (when sent, and not `null`) must be this site's;
//! - a token in the form, tied to a pre-session cookie: the form carries the keyed digest of the
//!   cookie's value, which another site can neither read nor compute.
//!
//! The token is read from the POST body only, never from the query string.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use cookie::{Cookie, SameSite};

use crate::domain::token::{self, TokenKey};

pub const CSRF_COOKIE: &str = "relinks_csrf";
/// The form field the token travels in (Rails' name for it).
pub const CSRF_FIELD: &str = "authenticity_token";

/// A browser's pre-session: the cookie's value, and whether it is new (to be set).
#[derive(Debug, Clone)]
pub struct Csrf {
    value: String,
    fresh: bool,
}

impl Csrf {
    /// The request's pre-session cookie, or a new one.
    pub fn of(headers: &HeaderMap) -> Self {
        match cookie_value(headers) {
            Some(value) => Self {
                value,
                fresh: false,
            },
            None => Self {
                value: token::generate("rlc-"),
                fresh: true,
            },
        }
    }

    /// What the forms of this page carry.
    pub fn form_token(&self, key: &TokenKey) -> String {
        form_token(key, &self.value)
    }

    /// Sets the cookie on `response` when it is new.
    pub fn remember(&self, response: &mut Response, secure: bool) {
        if !self.fresh {
            return;
        }
        let cookie = Cookie::build((CSRF_COOKIE, self.value.clone()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Strict)
            .secure(secure)
            .build();
        if let Ok(value) = HeaderValue::from_str(&cookie.encoded().to_string()) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
}

fn form_token(key: &TokenKey, cookie: &str) -> String {
    key.digest(&format!("csrf:{cookie}"))
}

/// The pre-session cookie of a request, when it has one that relinks could have made.
fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .filter(|c| c.name() == CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .find(|v| v.starts_with("rlc-") && v.len() <= 128)
}

/// Whether the browser says the request comes from this site: `site` is this site's origin as
/// the external URL gives it; the request's own `Host` is accepted too (a browser cannot forge
/// it across sites), so a relinks reached under another name still signs in.
fn same_site(headers: &HeaderMap, site: &str) -> bool {
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(fetch_site) = text("sec-fetch-site") {
        if !matches!(fetch_site, "same-origin" | "none") {
            return false;
        }
    }
    match text("origin") {
        // The pages send no referrer (`Referrer-Policy: no-referrer`), so a browser posts their
        // forms with `Origin: null`: no evidence either way (the token decides).
        None | Some("null") => true,
        Some(origin) => {
            let host = text("host").unwrap_or_default();
            origin == site
                || origin
                    .split_once("://")
                    .is_some_and(|(_, authority)| !host.is_empty() && authority == host)
        }
    }
}

/// The origin (`scheme://host[:port]`) of a base URL.
pub fn origin_of(base: &str) -> String {
    match base.split_once("://") {
        Some((scheme, rest)) => {
            let authority = rest.split('/').next().unwrap_or_default();
            format!("{scheme}://{authority}")
        }
        None => base.to_owned(),
    }
}

/// Whether a posted form may be acted on: the browser's headers say it comes from this site and
/// its token matches the pre-session cookie.
pub fn form_is_ours(
    headers: &HeaderMap,
    posted_token: Option<&str>,
    key: &TokenKey,
    site: &str,
) -> bool {
    if !same_site(headers, site) {
        return false;
    }
    let (Some(cookie), Some(posted)) = (cookie_value(headers), posted_token) else {
        return false;
    };
    constant_time_eq(form_token(key, &cookie).as_bytes(), posted.as_bytes())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header"));
        }
        map
    }

    #[test]
    fn only_this_sites_forms_with_the_cookies_token_pass() {
        let key = TokenKey::generate();
        let site = "https://links.example";
        let token = form_token(&key, "rlc-abc");
        let ours = headers(&[("cookie", "relinks_csrf=rlc-abc"), ("origin", site)]);
        assert!(form_is_ours(&ours, Some(&token), &key, site));
        assert!(!form_is_ours(&ours, Some("x"), &key, site), "wrong token");
        assert!(!form_is_ours(&ours, None, &key, site), "no token");
        let no_cookie = headers(&[("origin", site)]);
        assert!(!form_is_ours(&no_cookie, Some(&token), &key, site));
        let cross = headers(&[
            ("cookie", "relinks_csrf=rlc-abc"),
            ("origin", "https://evil.example"),
        ]);
        assert!(!form_is_ours(&cross, Some(&token), &key, site));
        let fetch = headers(&[
            ("cookie", "relinks_csrf=rlc-abc"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(!form_is_ours(&fetch, Some(&token), &key, site));
        let sibling = headers(&[
            ("cookie", "relinks_csrf=rlc-abc"),
            ("sec-fetch-site", "same-site"),
        ]);
        assert!(!form_is_ours(&sibling, Some(&token), &key, site));
        let by_host = headers(&[
            ("cookie", "relinks_csrf=rlc-abc"),
            ("origin", "http://10.0.0.5:8080"),
            ("host", "10.0.0.5:8080"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(form_is_ours(&by_host, Some(&token), &key, site));
        // Our own pages send no referrer: browsers post their forms with `Origin: null`.
        let null = headers(&[
            ("cookie", "relinks_csrf=rlc-abc"),
            ("origin", "null"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert!(form_is_ours(&null, Some(&token), &key, site));
        let null_cross = headers(&[
            ("cookie", "relinks_csrf=rlc-abc"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site"),
        ]);
        assert!(!form_is_ours(&null_cross, Some(&token), &key, site));
    }

    #[test]
    fn origins_of_base_urls() {
        assert_eq!(origin_of("https://a.example/x/y"), "https://a.example");
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
