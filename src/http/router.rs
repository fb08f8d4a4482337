//! Every route relinks answers, in one table. Anything else under any path is GitLab's
//! catch-all `404 {"error":"404 Not Found"}`, unsupported methods on known paths included.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use super::error::{json_response, ApiError};
use super::handlers::{
    audit_events, downloads, groups, health, job_tokens, links, members, meta, projects,
    protected_tags, releases, tags, tokens, users,
};
use super::{metrics, openapi, App};
use crate::store::Store;
use crate::web;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids in UUID v4 form from the thread's random generator: `MakeRequestUuid` asks the
/// kernel for randomness on every request, a system call on the hot path.
#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        HeaderValue::from_bytes(&uuid_v4(rand::random()))
            .ok()
            .map(RequestId::new)
    }
}

/// `bits` as a version 4 UUID's text. Written digit by digit: this runs for every request, and
/// `format!` cost more than the rest of the request id.
fn uuid_v4(bits: u128) -> [u8; 36] {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // Version 4, variant 1.
    let bits = (bits & !(0xf << 76) & !(0x3 << 62)) | (0x4 << 76) | (0x2 << 62);
    let mut text = [b'-'; 36];
    let mut nibble = 32;
    for (at, slot) in text.iter_mut().enumerate() {
        if matches!(at, 8 | 13 | 18 | 23) {
            continue;
        }
        nibble -= 1;
        *slot = HEX[((bits >> (nibble * 4)) & 0xf) as usize];
    }
    text
}

/// A client's own `X-Request-Id` is kept only when it is a plain token (at most 128 of
/// `[A-Za-z0-9._:-]`): it goes into logs and audit events verbatim. Anything else is dropped,
/// and a new id is made.
pub fn is_acceptable_request_id(value: &[u8]) -> bool {
    !value.is_empty()
        && value.len() <= 128
        && value
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn drop_unacceptable_request_id<B>(mut request: axum::http::Request<B>) -> axum::http::Request<B> {
    let ids = request.headers().get_all(REQUEST_ID);
    let mut values = ids.iter();
    let keep = match (values.next(), values.next()) {
        (Some(only), None) => is_acceptable_request_id(only.as_bytes()),
        _ => false,
    };
    if !keep {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({ "message": "500 Internal Server Error" }),
    )
}

/// One route: method, path as the OpenAPI document writes it, handler.
pub type Route<S> = (Method, &'static str, MethodRouter<App<S>>);

macro_rules! route {
    ($method:ident $path:literal => $handler:expr) => {
        (Method::$method, $path, on(MethodFilter::$method, $handler))
    };
}

/// Every route relinks answers: the one table the router is built from and the OpenAPI
/// document is checked against.
pub fn routes<S: Store>() -> Vec<Route<S>> {
    vec![
        route!(GET "/api/v4/version" => meta::version::<S>),
        route!(GET "/api/v4/openapi.json" => openapi::openapi_json),
        route!(GET "/api/v4/audit_events" => audit_events::list::<S>),
        route!(GET "/api/v4/audit_events/{id}" => audit_events::show::<S>),
        route!(GET "/api/v4/user" => users::current::<S>),
        route!(GET "/api/v4/users" => users::list::<S>),
        route!(POST "/api/v4/users" => users::create::<S>),
        route!(GET "/api/v4/users/{user_id}" => users::show::<S>),
        route!(POST "/api/v4/users/{user_id}/personal_access_tokens" => tokens::create::<S>),
        route!(GET "/api/v4/personal_access_tokens/self" => tokens::show_self::<S>),
        route!(DELETE "/api/v4/personal_access_tokens/self" => tokens::revoke_self::<S>),
        route!(GET "/api/v4/personal_access_tokens/{token_id}" => tokens::show::<S>),
        route!(DELETE "/api/v4/personal_access_tokens/{token_id}" => tokens::revoke::<S>),
        route!(POST "/api/v4/groups" => groups::create::<S>),
        route!(GET "/api/v4/groups/{id}" => groups::show::<S>),
        route!(GET "/api/v4/groups/{id}/members" => members::list_group::<S>),
        route!(POST "/api/v4/groups/{id}/members" => members::add_group::<S>),
        route!(GET "/api/v4/groups/{id}/members/{user_id}" => members::show_group::<S>),
        route!(PUT "/api/v4/groups/{id}/members/{user_id}" => members::update_group::<S>),
        route!(DELETE "/api/v4/groups/{id}/members/{user_id}" => members::remove_group::<S>),
        route!(GET "/api/v4/projects" => projects::list::<S>),
        route!(POST "/api/v4/projects" => projects::create::<S>),
        route!(POST "/api/v4/projects/user/{user_id}" => projects::create_for_user::<S>),
        route!(GET "/api/v4/projects/{id}" => projects::show::<S>),
        route!(PUT "/api/v4/projects/{id}" => projects::update::<S>),
        route!(DELETE "/api/v4/projects/{id}" => projects::destroy::<S>),
        route!(GET "/api/v4/projects/{id}/members" => members::list_project::<S>),
        route!(POST "/api/v4/projects/{id}/members" => members::add_project::<S>),
        route!(GET "/api/v4/projects/{id}/members/{user_id}" => members::show_project::<S>),
        route!(PUT "/api/v4/projects/{id}/members/{user_id}" => members::update_project::<S>),
        route!(DELETE "/api/v4/projects/{id}/members/{user_id}" => members::remove_project::<S>),
        route!(POST "/api/v4/projects/{id}/job_tokens" => job_tokens::create::<S>),
        route!(GET "/api/v4/projects/{id}/protected_tags" => protected_tags::list::<S>),
        route!(POST "/api/v4/projects/{id}/protected_tags" => protected_tags::create::<S>),
        route!(GET "/api/v4/projects/{id}/protected_tags/{name}" => protected_tags::show::<S>),
        route!(DELETE "/api/v4/projects/{id}/protected_tags/{name}" => protected_tags::destroy::<S>),
        route!(GET "/api/v4/projects/{id}/repository/tags" => tags::list::<S>),
        route!(POST "/api/v4/projects/{id}/repository/tags" => tags::create::<S>),
        route!(GET "/api/v4/projects/{id}/repository/tags/{tag_name}" => tags::show::<S>),
        route!(DELETE "/api/v4/projects/{id}/repository/tags/{tag_name}" => tags::destroy::<S>),
        route!(GET "/api/v4/projects/{id}/releases" => releases::list::<S>),
        route!(POST "/api/v4/projects/{id}/releases" => releases::create::<S>),
        route!(GET "/api/v4/projects/{id}/releases/{tag_name}" => releases::show::<S>),
        route!(PUT "/api/v4/projects/{id}/releases/{tag_name}" => releases::update::<S>),
        route!(DELETE "/api/v4/projects/{id}/releases/{tag_name}" => releases::destroy::<S>),
        route!(GET "/api/v4/projects/{id}/releases/permalink/latest" => downloads::latest::<S>),
        route!(GET "/api/v4/projects/{id}/releases/permalink/latest/{*suffix}" => downloads::latest_suffix::<S>),
        route!(GET "/api/v4/projects/{id}/releases/{tag_name}/downloads/{*direct_asset_path}" => downloads::asset::<S>),
        route!(GET "/api/v4/projects/{id}/releases/{tag_name}/assets/links" => links::list::<S>),
        route!(POST "/api/v4/projects/{id}/releases/{tag_name}/assets/links" => links::create::<S>),
        route!(GET "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}" => links::show::<S>),
        route!(PUT "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}" => links::update::<S>),
        route!(DELETE "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}" => links::destroy::<S>),
        route!(GET "/-/health" => health::health),
        route!(GET "/-/liveness" => health::liveness),
        route!(GET "/-/readiness" => health::readiness::<S>),
        route!(GET "/-/metrics" => metrics::scrape::<S>),
    ]
}

/// The whole application: API routes, the catch-all 404, request ids, tracing, security
/// headers, metrics and a last-resort panic guard that still answers in GitLab's shape.
///
/// The middleware wraps the router once, from outside: `Router::layer` would wrap every route
/// in every layer, each boxed, and clone that whole chain for every request.
pub fn router<S: Store>(app: App<S>) -> Router {
    let table: Vec<Route<S>> = routes::<S>()
        .into_iter()
        .chain(web::routes::<S>())
        .collect();
    let tracker = Arc::new(metrics::Tracker::new(
        app.metrics.clone(),
        table.iter().map(|(_, path, _)| *path),
    ));
    let limiter = app.limiter.clone();
    let limits = Limits {
        max_header_bytes: app.config.max_header_bytes,
        request_timeout: app.config.request_timeout,
    };
    let headers = web::HeaderPolicy {
        https: app.urls.base().starts_with("https://"),
    };
    let mut routed = Router::new();
    for (_, path, handler) in table {
        routed = routed.route(path, handler);
    }
    let routed = routed
        .fallback(web::dispatch::<S>)
        .method_not_allowed_fallback(not_found)
        .with_state(app);
    let service = ServiceBuilder::new()
        .layer(tower::util::MapRequestLayer::new(
            drop_unacceptable_request_id,
        ))
        .layer(SetRequestIdLayer::new(REQUEST_ID, RandomRequestId))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // The URI is logged without its query: a private_token there must not reach logs.
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn_with_state(
            headers,
            web::with_security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(tracker, metrics::track))
        .layer(axum::middleware::from_fn_with_state(limiter, rate_limit))
        .layer(axum::middleware::from_fn(audit_scope))
        .layer(axum::middleware::from_fn_with_state(limits, guard_limits))
        .service(routed);
    Router::new().fallback_service(service)
}

#[derive(Clone, Copy)]
struct Limits {
    max_header_bytes: usize,
    request_timeout: Duration,
}

/// Headers beyond the limit get 431 before anything reads them; a request that takes longer
/// than the time-out gets 503 (as GitLab's front does when a worker times out). As with any
/// 503, a write already handed to the database may still complete: clients retry, and link
/// writes are idempotent in effect (a retried create meets its own name and gets 400).
async fn guard_limits(
    axum::extract::State(limits): axum::extract::State<Limits>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_bytes > limits.max_header_bytes {
        return json_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &serde_json::json!({ "message": "431 Request Header Fields Too Large" }),
        );
    }
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(timeout = ?limits.request_timeout, "request timed out");
            json_response(
                StatusCode::SERVICE_UNAVAILABLE,
                &serde_json::json!({ "message": "503 Service Unavailable" }),
            )
        }
    }
}

/// Opens the request's audit context: its address and request id (the author is named when
/// the caller is authenticated). Writes made while answering are recorded with it. GET and
/// HEAD never write, so they pay for no context.
async fn audit_scope(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let context = crate::store::audit::AuditContext {
        ip_address: super::request::client_ip(request.extensions()).map(|ip| ip.to_string()),
        request_id: request
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        ..Default::default()
    };
    crate::store::audit::scope(context, next.run(request)).await
}

/// Gives the request its rate-limit ticket, which authentication settles once it knows the
/// caller (see `ratelimit`); a request that never named its caller counts against its address
/// when it has been answered, and over the limit (or from a banned address) that answer becomes
/// the 429. Health checks and metrics are never limited.
async fn rate_limit(
    axum::extract::State(limiter): axum::extract::State<Arc<super::ratelimit::Limiter>>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    if limiter.is_off() || request.uri().path().starts_with("/-/") {
        return next.run(request).await;
    }
    let Some(ip) = super::request::client_ip(request.extensions()) else {
        return next.run(request).await;
    };
    let ticket = super::ratelimit::RateTicket::new(limiter, ip);
    request.extensions_mut().insert(ticket.clone());
    let response = next.run(request).await;
    match ticket.settle(super::ratelimit::Outcome::Anonymous) {
        Ok(()) => response,
        Err(throttled) => throttled.into_response(),
    }
}

/// For handlers that answer "gone" without a body (DELETE with 204).
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// How long shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

#[cfg(test)]
mod tests {
    use super::uuid_v4;

    #[test]
    fn only_plain_client_request_ids_are_kept() {
        use super::is_acceptable_request_id as ok;
        assert!(ok(b"abc-123_x.y:z"));
        assert!(ok("a".repeat(128).as_bytes()));
        assert!(!ok("a".repeat(129).as_bytes()));
        assert!(!ok(b""));
        assert!(!ok(b"a b"));
        assert!(!ok(b"a\x1b[31m"));
        assert!(!ok(b"<script>"));
        assert!(!ok("é".as_bytes()));
    }

    #[test]
    fn request_ids_are_version_4_uuids() {
        let bits = 0x0123_4567_89ab_cdef_fedc_ba98_7654_3210_u128;
        assert_eq!(
            std::str::from_utf8(&uuid_v4(bits)).ok(),
            Some("01234567-89ab-4def-bedc-ba9876543210")
        );
        assert_eq!(&uuid_v4(0)[..], b"00000000-0000-4000-8000-000000000000");
    }
}
