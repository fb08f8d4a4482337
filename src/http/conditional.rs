//! Conditional reads, as GitLab's Rails stack answers them (`Rack::ETag` and
//! `Rack::ConditionalGet`): an API answer of 200 or 201 with a body (any method) carries a weak
//! `ETag` of what it says, and a GET whose `If-None-Match` names it gets 304 without the body.
//!
//! The tag covers the body and the pagination headers: a page whose links are unchanged but whose
//! total moved is a different answer. It is a 128-bit XXH3 of them (Rack takes SHA-256): a tag is
//! compared, never trusted, and hashing a list of 100 links must cost little beside serving it.
//! Bodies kept rendered in memory keep their digest too ([`BodyDigest`]): they are not hashed
//! again for each answer.

use axum::body::HttpBody as _;
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::Response;

/// Answers larger than this are sent without a tag (relinks' own are far smaller).
const MAX_TAGGED_BYTES: u64 = 16 * 1024 * 1024;

/// The headers that are part of what a list answers.
const TAGGED_HEADERS: [HeaderName; 7] = [
    HeaderName::from_static("x-total"),
    HeaderName::from_static("x-total-pages"),
    HeaderName::from_static("x-page"),
    HeaderName::from_static("x-per-page"),
    HeaderName::from_static("x-next-page"),
    HeaderName::from_static("x-prev-page"),
    header::LINK,
];

/// The digest of an answer's body, computed once when the body was rendered to be kept (the
/// content memo), so that an answer sent from memory is tagged without hashing it again.
#[derive(Debug, Clone, Copy)]
pub struct BodyDigest(pub u128);

impl BodyDigest {
    pub fn of(body: &[u8]) -> Self {
        Self(xxhash_rust::xxh3::xxh3_128(body))
    }
}

/// What a request asks of [`answer_conditionally`]: whether it is the API's, and the
/// `If-None-Match` of a GET. Read before the request goes on, since the request is gone after.
pub struct Conditional {
    api: bool,
    none_match: Option<HeaderValue>,
}

impl Conditional {
    pub fn of(request: &Request) -> Self {
        let api = request.uri().path().starts_with("/api/");
        let none_match = (api && request.method() == Method::GET)
            .then(|| request.headers().get(header::IF_NONE_MATCH).cloned())
            .flatten();
        Self { api, none_match }
    }
}

/// Tags the API's answers, and answers a GET whose `If-None-Match` names the tag with 304.
pub async fn answer_conditionally(conditional: Conditional, response: Response) -> Response {
    if !conditional.api || !taggable(&response) {
        return response;
    }
    let none_match = conditional.none_match;
    let (mut parts, body) = response.into_parts();
    let (body, digest) = match parts.extensions.get::<BodyDigest>() {
        Some(digest) => (body, *digest),
        None => {
            // A body whose exact size is known and small is already in memory: collecting it
            // waits for nothing.
            let Ok(bytes) = to_bytes(body, usize::MAX).await else {
                return internal_error();
            };
            let digest = BodyDigest::of(&bytes);
            (Body::from(bytes), digest)
        }
    };
    let etag = etag_of(digest, &parts.headers);
    if none_match
        .as_ref()
        .is_some_and(|wanted| matches(wanted, &etag))
    {
        let mut unchanged = Response::new(Body::empty());
        *unchanged.status_mut() = StatusCode::NOT_MODIFIED;
        let headers = unchanged.headers_mut();
        // What Rack::ETag gave the 200 that Rack::ConditionalGet turns into this 304.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=0, private, must-revalidate"),
        );
        if let Some(vary) = parts.headers.get(header::VARY) {
            headers.insert(header::VARY, vary.clone());
        }
        headers.insert(header::ETAG, etag);
        return unchanged;
    }
    parts.headers.insert(header::ETAG, etag);
    Response::from_parts(parts, body)
}

/// Rack::ETag's rule: a 200 or 201 with a body, which no cache directive or tag of its own
/// exempts, and (relinks' own rule) whose body is whole and small.
fn taggable(response: &Response) -> bool {
    let headers = response.headers();
    matches!(response.status(), StatusCode::OK | StatusCode::CREATED)
        && !headers.contains_key(header::ETAG)
        && !headers.contains_key(header::LAST_MODIFIED)
        && !headers.contains_key(header::CACHE_CONTROL)
        && response
            .body()
            .size_hint()
            .exact()
            .is_some_and(|size| size > 0 && size <= MAX_TAGGED_BYTES)
}

fn etag_of(body: BodyDigest, headers: &HeaderMap) -> HeaderValue {
    let mut hasher = xxhash_rust::xxh3::Xxh3::new();
    hasher.update(&body.0.to_le_bytes());
    // Only lists carry these headers: an answer with none of the custom ones and no `Link`
    // skips looking each up (this runs for every answer relinks tags).
    let listed = headers.contains_key(header::LINK)
        || headers.keys().any(|name| name.as_str().starts_with("x-"));
    for name in TAGGED_HEADERS.iter().filter(|_| listed) {
        for value in headers.get_all(name) {
            hasher.update(name.as_str().as_bytes());
            hasher.update(b":");
            hasher.update(value.as_bytes());
            hasher.update(b"\n");
        }
    }
    let mut tag = *b"W/\"00000000000000000000000000000000\"";
    // The digest in lower-case hex, most significant digit first, as `{:032x}` writes it.
    let hex = hasher.digest128().to_be_bytes();
    if hex::encode_to_slice(hex, &mut tag[3..35]).is_err() {
        return HeaderValue::from_static("W/\"\"");
    }
    HeaderValue::from_bytes(&tag).unwrap_or_else(|_| HeaderValue::from_static("W/\"\""))
}

/// `If-None-Match` by weak comparison (RFC 9110 13.1.2): `*`, or a list of tags one of which
/// has the same opaque part.
fn matches(wanted: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(wanted) = wanted.to_str() else {
        return false;
    };
    let ours = opaque(etag.to_str().unwrap_or_default());
    wanted.trim() == "*" || wanted.split(',').any(|tag| opaque(tag) == ours)
}

/// A tag's opaque part, for weak comparison (borrowed: this runs on every conditional read).
fn opaque(tag: &str) -> &str {
    tag.trim().trim_start_matches("W/")
}

fn internal_error() -> Response {
    super::error::json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({ "message": "500 Internal Server Error" }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_reads_lists() {
        let etag = HeaderValue::from_static("W/\"abc\"");
        for wanted in [
            "W/\"abc\"",
            "\"abc\"",
            "\"x\", W/\"abc\"",
            "*",
            " W/\"abc\" ",
        ] {
            assert!(
                matches(&HeaderValue::from_static(wanted), &etag),
                "{wanted}"
            );
        }
        for wanted in ["W/\"abd\"", "abc", "\"x\""] {
            assert!(
                !matches(&HeaderValue::from_static(wanted), &etag),
                "{wanted}"
            );
        }
    }
}
