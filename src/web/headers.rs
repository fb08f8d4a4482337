//! Headers every answer carries, pages and API alike: the Content-Security-Policy and its
//! companions, `Cache-Control` for answers that set none, and HSTS over https.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;

/// What the security headers depend on.
#[derive(Debug, Clone, Copy)]
pub struct HeaderPolicy {
    /// The external URL is https: browsers are told to keep to it (HSTS).
    pub https: bool,
}

/// How long browsers keep to https once told (two years, as GitLab's Omnibus NGINX sends it).
const HSTS: &str = "max-age=63072000";

/// The headers every answer carries whatever it is: a strict Content-Security-Policy (the pages
/// load only their own stylesheet and script), no MIME sniffing, no referrer (permanent links
/// may carry tokens), no framing. The benchmark's floor sends them too.
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::X_FRAME_OPTIONS, "DENY"),
];

/// `Cache-Control` of an answer that set none. API answers follow GitLab (Rails' `Rack::ETag`):
/// a 200 or 201 with a body is `max-age=0, private, must-revalidate`, anything else `no-cache`.
/// Pages and redirects may show what only a signed-in browser or a token may see: no cache
/// keeps them.
fn cache_control(api: bool, response: &Response) -> HeaderValue {
    let with_body = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .is_none_or(|length| length != "0");
    if !api {
        HeaderValue::from_static("private, no-store")
    } else if matches!(response.status().as_u16(), 200 | 201) && with_body {
        HeaderValue::from_static("max-age=0, private, must-revalidate")
    } else {
        HeaderValue::from_static("no-cache")
    }
}

/// Adds the headers every answer carries: [`SECURITY_HEADERS`], a `Cache-Control` that keeps
/// private answers out of shared caches (`api`: the request's path is the API's), and HSTS
/// when relinks is served over https.
pub fn add_security_headers(policy: &HeaderPolicy, api: bool, response: &mut Response) {
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = cache_control(api, response);
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    let headers = response.headers_mut();
    if policy.https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    for (name, value) in SECURITY_HEADERS {
        headers.insert(name, HeaderValue::from_static(value));
    }
}
