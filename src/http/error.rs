//! The one error type of the API. Every failure, from a malformed body to a lost database,
//! becomes one of GitLab's two body shapes: `{"message": …}` (GitLab's helpers) or
//! `{"error": …}` (Grape's parameter errors and unknown routes), always as JSON.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// `{"message": "<text>"}`.
    Message(StatusCode, String),
    /// `{"message": <array or object>}`: model validation errors.
    Validation(StatusCode, Value),
    /// `{"error": "<text>"}`: Grape parameter errors, unknown routes.
    Error(StatusCode, String),
    /// rack-oauth2's bodies for expired or revoked tokens (401) and too narrow scopes (403),
    /// with the matching `WWW-Authenticate` header.
    OAuth {
        status: StatusCode,
        error: &'static str,
        description: &'static str,
        scope: Option<&'static str>,
    },
    /// `401 Unauthorized` with a Basic challenge for the realm, as GitLab's package routes
    /// answer (`BasicAuthHelpers#unauthorized!`), so that HTTP clients offer credentials.
    Challenge(&'static str),
    /// A redirect (GET on a renamed project's old path).
    Redirect(StatusCode, String),
    /// Anything the store could not do; logged, and answered 500 or 503 without detail.
    Store(StoreError),
    /// Over a rate limit: GitLab's Rack::Attack answer.
    Throttled(super::ratelimit::Throttled),
    /// A retry of a request already answered (same `Idempotency-Key`): its first answer, again.
    Replay(Box<crate::store::KeptAnswer>),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    /// `404 <Resource> Not Found`, GitLab's `not_found!(resource)`.
    pub fn not_found(resource: &str) -> Self {
        Self::Message(StatusCode::NOT_FOUND, format!("404 {resource} Not Found"))
    }

    /// `404 Not Found`, GitLab's `not_found!` without a resource.
    pub fn not_found_plain() -> Self {
        Self::Message(StatusCode::NOT_FOUND, "404 Not Found".into())
    }

    /// `404 Not found` (lower-case "f"): an ActiveRecord `find` that found nothing.
    pub fn record_not_found() -> Self {
        Self::Message(StatusCode::NOT_FOUND, "404 Not found".into())
    }

    pub fn project_not_found() -> Self {
        Self::not_found("Project")
    }

    pub fn forbidden() -> Self {
        Self::Message(StatusCode::FORBIDDEN, "403 Forbidden".into())
    }

    /// `403 Forbidden - <reason>`.
    pub fn forbidden_because(reason: &str) -> Self {
        Self::Message(StatusCode::FORBIDDEN, format!("403 Forbidden - {reason}"))
    }

    pub fn unauthorized() -> Self {
        Self::Message(StatusCode::UNAUTHORIZED, "401 Unauthorized".into())
    }

    /// A Grape parameter error, `{"error": "<param> <problem>, …"}` with status 400.
    pub fn params(text: impl Into<String>) -> Self {
        Self::Error(StatusCode::BAD_REQUEST, text.into())
    }

    /// `{"message": "<text>"}` with any status.
    pub fn message(status: StatusCode, text: impl Into<String>) -> Self {
        Self::Message(status, text.into())
    }

    /// `{"message": {"field": ["problem"]}}` with status 400.
    pub fn field(field: &str, problem: &str) -> Self {
        Self::Validation(StatusCode::BAD_REQUEST, json!({ field: [problem] }))
    }

    pub fn route_not_found() -> Self {
        Self::Error(StatusCode::NOT_FOUND, "404 Not Found".into())
    }

    pub fn token_expired() -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: "Token is expired. You can either do re-authorization or token refresh.",
            scope: None,
        }
    }

    pub fn token_revoked() -> Self {
        Self::OAuth {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_token",
            description: "Token was revoked. You have to re-authorize from the user.",
            scope: None,
        }
    }

    pub fn insufficient_scope() -> Self {
        Self::OAuth {
            status: StatusCode::FORBIDDEN,
            error: "insufficient_scope",
            description:
                "The request requires higher privileges than provided by the access token.",
            scope: Some("api"),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        Self::Store(error)
    }
}

/// A JSON response with the content type every GitLab client insists on.
pub fn json_response<T: serde::Serialize + ?Sized>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_else(|_| b"{}".to_vec());
    rendered_json_response(status, bytes.into())
}

/// A JSON response whose body is already rendered.
pub fn rendered_json_response(status: StatusCode, body: axum::body::Bytes) -> Response {
    let mut response = Response::new(axum::body::Body::from(body));
    *response.status_mut() = status;
    with_room_for_headers(&mut response).insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// `response`'s headers, replaced by an empty map with room for the headers every answer ends
/// with (type, tag, cache, request id, the security headers, pagination): the map is not
/// grown and rehashed on the way out.
fn with_room_for_headers(response: &mut Response) -> &mut axum::http::HeaderMap {
    let headers = response.headers_mut();
    *headers = axum::http::HeaderMap::with_capacity(16);
    headers
}

/// For handlers that answer "gone" without a body (DELETE with 204).
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// The redirect of a permanent link to its link's URL, with the link's digest as
/// `Repr-Digest` (RFC 9530) when it has one, so that a client can check what it downloads.
pub fn link_redirect(link: &crate::store::Link) -> Response {
    with_repr_digest(
        redirect(StatusCode::FOUND, &link.url),
        link.digest.as_deref(),
    )
}

/// `response` with `Repr-Digest` of a link's `digest`, when there is one.
pub fn with_repr_digest(mut response: Response, digest: Option<&str>) -> Response {
    let repr = digest.and_then(crate::domain::link_digest::repr_digest);
    if let Some(value) = repr.and_then(|d| HeaderValue::from_str(&d).ok()) {
        response.headers_mut().insert("repr-digest", value);
    }
    response
}

/// A redirect without a body.
///
/// A redirect always has a `Location`: what a header cannot carry (control characters, anything
/// beyond ASCII, as in a link stored before such URLs were refused) is percent-encoded.
pub fn redirect(status: StatusCode, location: &str) -> Response {
    let mut response = status.into_response();
    let encoded = percent_encoding::utf8_percent_encode(location, percent_encoding::CONTROLS);
    // The header takes the encoded text as it is, without copying it again.
    let text = std::borrow::Cow::from(encoded).into_owned();
    let value = HeaderValue::from_maybe_shared(axum::body::Bytes::from(text))
        .unwrap_or_else(|_| HeaderValue::from_static("/"));
    with_room_for_headers(&mut response).insert(header::LOCATION, value);
    response
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            Self::Message(status, text) => json_response(status, &json!({ "message": text })),
            Self::Validation(status, value) => json_response(status, &json!({ "message": value })),
            Self::Error(status, text) => json_response(status, &json!({ "error": text })),
            Self::OAuth {
                status,
                error,
                description,
                scope,
            } => {
                let mut body = json!({ "error": error, "error_description": description });
                let mut challenge = format!(
                    "Bearer realm=\"Protected by OAuth 2.0\", error=\"{error}\", error_description=\"{description}\""
                );
                if let Some(scope) = scope {
                    body["scope"] = json!(scope);
                    challenge.push_str(&format!(", scope=\"{scope}\""));
                }
                let mut response = json_response(status, &body);
                if let Ok(value) = HeaderValue::from_str(&challenge) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::Challenge(realm) => {
                let mut response = json_response(
                    StatusCode::UNAUTHORIZED,
                    &json!({ "message": "401 Unauthorized" }),
                );
                if let Ok(value) = HeaderValue::from_str(&format!("Basic realm=\"{realm}\"")) {
                    response
                        .headers_mut()
                        .insert(header::WWW_AUTHENTICATE, value);
                }
                response
            }
            Self::Redirect(status, location) => redirect(status, &location),
            Self::Throttled(throttled) => throttled.into_response(),
            Self::Replay(answer) => super::idempotency::replay(&answer),
            Self::Store(StoreError::Unavailable(error)) => {
                tracing::error!(%error, "database unavailable");
                json_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &json!({ "message": "503 Service Unavailable" }),
                )
            }
            Self::Store(StoreError::Full(limit)) => json_response(
                StatusCode::BAD_REQUEST,
                &json!({ "message": [format!("Release has too many links (maximum is {limit})")] }),
            ),
            // A concurrent delete won the race: sequentially, this request would have found nothing.
            Self::Store(StoreError::Vanished(_)) => json_response(
                StatusCode::NOT_FOUND,
                &json!({ "message": "404 Not found" }),
            ),
            Self::Store(error) => {
                tracing::error!(%error, "request failed in the store");
                json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({ "message": "500 Internal Server Error" }),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redirect_always_carries_its_location() {
        for (given, sent) in [
            (
                "https://example.com/a b?x=1%2F",
                "https://example.com/a b?x=1%2F",
            ),
            (
                "https://example.com/\u{1b}[0m",
                "https://example.com/%1B[0m",
            ),
            ("https://example.com/\u{7f}", "https://example.com/%7F"),
            ("https://example.com/ü", "https://example.com/%C3%BC"),
        ] {
            let response = redirect(StatusCode::FOUND, given);
            assert_eq!(
                response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok()),
                Some(sent),
                "{given:?}"
            );
        }
    }
}
