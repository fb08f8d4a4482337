//! [`ApiRequest`]: everything a handler reads from a request, gathered once. The body is read
//! with a size limit (413 beyond it) and parsed by content type; malformed input is a 400 in
//! GitLab's shape, never a 500.

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{header, HeaderMap, HeaderName, Method, StatusCode};
use serde_json::{Map, Value};

use super::error::ApiError;
use super::params::{normalize, parse_nested_query, Params};
use super::App;
use crate::store::Store;

/// The secrets a request carries, not yet checked.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// `PRIVATE-TOKEN`, `private_token` or `Authorization: Bearer`.
    pub personal: Option<String>,
    /// Whether `personal` came from `Authorization: Bearer` (which may also carry a job token
    /// on the package routes).
    pub bearer: bool,
    /// `JOB-TOKEN` or `job_token`.
    pub job: Option<String>,
    /// `Authorization: Basic` (the package routes read it: a token as the password).
    pub basic: Option<Basic>,
    /// Session cookies (the routes a browser follows to a file read them, on GET).
    pub sessions: Vec<String>,
}

/// HTTP Basic credentials.
#[derive(Clone, Default)]
pub struct Basic {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Basic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Basic")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The captures of the route a request's path matched (`app::dispatch` sets them), in the
/// route's order. Each is percent-decoded on its own (`group%2Fproject` → `group/project`).
#[derive(Debug, Clone)]
pub enum Captures {
    Decoded(Vec<(std::sync::Arc<str>, String)>),
    /// One of them is not UTF-8 once decoded.
    InvalidUtf8,
}

/// A parsed API request.
#[derive(Debug, Clone)]
pub struct ApiRequest {
    pub method: Method,
    /// The path as the client sent it, still percent-encoded.
    pub raw_path: String,
    /// The query string as the client sent it.
    pub raw_query: Option<String>,
    /// Query and body parameters and route captures, merged as Grape merges them (body over
    /// query, captures over both). Each capture is percent-decoded on its own
    /// (`group%2Fproject` → `group/project`), and kept only here.
    pub params: Params,
    pub credentials: Credentials,
    /// The peer's address (rate limits and bans are per address).
    pub client_ip: Option<std::net::IpAddr>,
    /// The request's place in the rate limits, settled once the caller is known.
    pub ticket: Option<super::ratelimit::RateTicket>,
    /// The request's `Idempotency-Key`, claimed once the caller is known.
    pub idempotency: Option<super::idempotency::KeyTicket>,
}

impl ApiRequest {
    /// A route capture. Routes only call this for captures they declare; a capture is always
    /// text, and no query or body parameter of the same name replaces it.
    pub fn path(&self, name: &str) -> &str {
        self.params
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn is_read(&self) -> bool {
        self.method == Method::GET || self.method == Method::HEAD
    }
}

fn header_token(headers: &HeaderMap, name: &HeaderName) -> Option<String> {
    let value = headers.get(name)?;
    // A token that is not even text cannot be valid: keep it so that it fails as unknown.
    let text = value.to_str().map_or("\u{fffd}", str::trim);
    (!text.is_empty()).then(|| text.to_owned())
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let value = header_token(headers, &header::AUTHORIZATION)?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

fn basic_credentials(headers: &HeaderMap) -> Option<Basic> {
    use base64::Engine as _;
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (username, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| Basic {
        username: username.to_owned(),
        password: password.to_owned(),
    })
}

fn param_token(params: &Params, key: &str) -> Option<String> {
    params
        .str(key)
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Where GitLab clients put tokens: headers, then parameters.
/// Names, not text: a header looked up by its text has its name parsed first, every time.
const PERSONAL_HEADER: HeaderName = HeaderName::from_static("private-token");
const JOB_HEADER: HeaderName = HeaderName::from_static("job-token");
const PERSONAL_PARAM: &str = "private_token";
const JOB_PARAM: &str = "job_token";

fn credentials(headers: &HeaderMap, params: &Params) -> Credentials {
    let given =
        header_token(headers, &PERSONAL_HEADER).or_else(|| param_token(params, PERSONAL_PARAM));
    let bearer = if given.is_none() {
        bearer_token(headers)
    } else {
        None
    };
    Credentials {
        bearer: bearer.is_some(),
        personal: given.or(bearer),
        job: header_token(headers, &JOB_HEADER).or_else(|| param_token(params, JOB_PARAM)),
        basic: basic_credentials(headers),
        sessions: crate::http::auth::session_secrets(headers),
    }
}

fn too_large() -> ApiError {
    ApiError::message(
        StatusCode::PAYLOAD_TOO_LARGE,
        "413 Request Entity Too Large",
    )
}

/// The media type of a `Content-Type` header, lower-cased, without parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

async fn multipart_params(
    headers: &HeaderMap,
    bytes: bytes::Bytes,
) -> Result<Map<String, Value>, ApiError> {
    let mut request = Request::new(Body::from(bytes));
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        request
            .headers_mut()
            .insert(header::CONTENT_TYPE, content_type.clone());
    }
    let malformed = || ApiError::params("multipart body is malformed");
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|_| malformed())?;
    let mut params = Map::new();
    while let Some(field) = multipart.next_field().await.map_err(|_| malformed())? {
        let Some(name) = field.name().map(str::to_owned) else {
            continue;
        };
        if field.file_name().is_some() {
            continue; // relinks stores no files; file parts are ignored like unknown keys.
        }
        let text = field.text().await.map_err(|_| malformed())?;
        normalize(&mut params, &name, Value::String(text), 32)?;
    }
    Ok(params)
}

async fn body_params(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Map<String, Value>, ApiError> {
    let declared_length = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared_length.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let bytes = to_bytes(body, limit).await.map_err(|_| too_large())?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let media = media_type(headers);
    if media == "application/json" || media.ends_with("+json") {
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|_| ApiError::params("message body does not match declared format"))?;
        // Grape merges only a JSON object into the parameters; other bodies add nothing.
        return Ok(match value {
            Value::Object(map) => map,
            _ => Map::new(),
        });
    }
    if media == "application/x-www-form-urlencoded" {
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ApiError::params("invalid byte sequence in UTF-8"))?;
        return Ok(parse_nested_query(text)?);
    }
    if media == "multipart/form-data" {
        return multipart_params(headers, bytes).await;
    }
    Ok(Map::new())
}

/// The peer's address, when the server was started with connection info.
pub fn client_ip(extensions: &axum::http::Extensions) -> Option<std::net::IpAddr> {
    extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip())
}

impl ApiRequest {
    /// The request of `parts`, with `body` its parameters (none for routes that stream their
    /// body elsewhere).
    pub fn from_parts(
        parts: &mut axum::http::request::Parts,
        body: Map<String, Value>,
    ) -> Result<Self, ApiError> {
        // Captures are checked first: their errors come before the query's.
        let captures = match parts.extensions.remove::<Captures>() {
            Some(Captures::Decoded(captures)) => captures,
            Some(Captures::InvalidUtf8) => {
                return Err(ApiError::params("invalid byte sequence in UTF-8"));
            }
            None => Vec::new(),
        };
        // No name, tag or path holds a NUL (PostgreSQL cannot even compare one): GitLab refuses
        // such requests before routing them, relinks as a parameter.
        if let Some((key, _)) = captures.iter().find(|(_, value)| value.contains('\0')) {
            return Err(ApiError::params(format!("{key} is invalid")));
        }
        let mut params = Params(Map::with_capacity(captures.len()));
        if let Some(query) = parts.uri.query() {
            params.merge(parse_nested_query(query)?);
        }
        params.merge(body);
        let credentials = credentials(&parts.headers, &params);
        for (key, value) in captures {
            params
                .0
                .insert(key.as_ref().to_owned(), Value::String(value));
        }
        // No router is nested: the URI is the one the client sent.
        let original = &parts.uri;
        Ok(Self {
            method: parts.method.clone(),
            raw_path: original.path().to_owned(),
            raw_query: original.query().map(str::to_owned),
            params,
            credentials,
            client_ip: client_ip(&parts.extensions),
            ticket: parts.extensions.get().cloned(),
            idempotency: parts.extensions.get().cloned(),
        })
    }
}

impl<St: Store> FromRequest<App<St>> for ApiRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, app: &App<St>) -> Result<Self, ApiError> {
        use axum::body::HttpBody as _;
        let (mut parts, body) = request.into_parts();
        // Most requests (every GET) have no body: nothing to wait for or parse. The others'
        // reading is boxed, so that its state (multipart's among it) is not part of every
        // handler's future, which is moved as it starts.
        let body = if body.is_end_stream() {
            Map::new()
        } else {
            Box::pin(body_params(&parts.headers, body, app.config.max_body_bytes)).await?
        };
        Self::from_parts(&mut parts, body)
    }
}
