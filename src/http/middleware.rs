//! The middleware every request passes through, outermost first as `app::router` stacks it:
//! request ids (a client's own only when plain), tracing, the panic guard, metrics, rate limits,
//! the audit context of writes, the header-size limit and the request time-out; and the
//! monitoring allow-list of `/-/metrics`.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestId, RequestId};

use super::error::{json_response, ApiError};
use super::ratelimit::{Limiter, Outcome, RateTicket};
use super::request::client_ip;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids in UUID v4 form from the thread's random generator: `MakeRequestUuid` asks the
/// kernel for randomness on every request, a system call on the hot path.
#[derive(Clone, Copy)]
pub struct RandomRequestId;
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

pub fn drop_unacceptable_request_id<B>(
    mut request: axum::http::Request<B>,
) -> axum::http::Request<B> {
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

/// Unsupported methods on known paths: GitLab's catch-all 404.
pub async fn method_not_allowed() -> ApiError {
    ApiError::route_not_found()
}

/// A panic still answers in GitLab's shape.
pub fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({ "message": "500 Internal Server Error" }),
    )
}

#[derive(Clone, Copy)]
pub struct Limits {
    pub max_header_bytes: usize,
    pub request_timeout: Duration,
}

/// Headers beyond the limit get 431 before anything reads them; a request that takes longer
/// than the time-out gets 503 (as GitLab's front does when a worker times out). As with any
/// 503, a write already handed to the database may still complete: clients retry, and link
/// writes are idempotent in effect (a retried create meets its own name and gets 400).
pub async fn guard_limits(State(limits): State<Limits>, request: Request, next: Next) -> Response {
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
    if receives_a_file(request.method(), request.uri().path()) {
        // A 1 GiB upload over a slow link takes longer than any request should: the transfer
        // is cut when it stalls instead (`TransferLimits::idle_timeout`).
        return next.run(request).await;
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

/// The routes whose body is a file: a generic package upload, a project upload.
pub fn receives_a_file(method: &Method, path: &str) -> bool {
    let Some(rest) = path.strip_prefix("/api/v4/projects/") else {
        return false;
    };
    match *method {
        Method::PUT => rest.contains("/packages/generic/"),
        Method::POST => rest.ends_with("/uploads") && rest.matches('/').count() == 1,
        _ => false,
    }
}

/// Opens the request's scopes in the store: one unit of freshness for the read cache, and the
/// audit context (its address and request id; the author is named when the caller is
/// authenticated), with which writes made while answering are recorded. GET and HEAD never
/// write, so they pay for no context.
pub async fn store_scope(request: Request, next: Next) -> Response {
    crate::store::cached::request_scope(audit_scope(request, next)).await
}

async fn audit_scope(request: Request, next: Next) -> Response {
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        return next.run(request).await;
    }
    let context = crate::store::audit::AuditContext {
        ip_address: client_ip(request.extensions()).map(|ip| ip.to_string()),
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
pub async fn rate_limit(
    State(limiter): State<Arc<Limiter>>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let monitoring = path.starts_with("/-/") && !path.starts_with("/-/project/");
    if limiter.is_off() || monitoring {
        return next.run(request).await;
    }
    let Some(ip) = client_ip(request.extensions()) else {
        return next.run(request).await;
    };
    let ticket = RateTicket::new(limiter, ip);
    request.extensions_mut().insert(ticket.clone());
    let response = next.run(request).await;
    match ticket.settle(Outcome::Anonymous) {
        Ok(()) => response,
        Err(throttled) => throttled.into_response(),
    }
}

/// Who may read the monitoring endpoints' details (`/-/metrics`): GitLab's
/// `monitoring_whitelist`, loopback by default. Others get a 404, as if there were none.
#[derive(Debug, Clone)]
pub struct MonitoringAllowList(pub Arc<Vec<ipnet::IpNet>>);

impl MonitoringAllowList {
    /// `127.0.0.0/8,::1`, as GitLab's Omnibus sets it.
    pub fn loopback() -> Self {
        Self::parse("127.0.0.0/8,::1").unwrap_or_else(|_| Self(Arc::default()))
    }

    /// A comma-separated list of addresses and networks (`10.0.0.0/8,192.0.2.7`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut networks = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let network = item
                .parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{item} is not an address or a network (CIDR)"))?;
            networks.push(network);
        }
        Ok(Self(Arc::new(networks)))
    }

    /// Whether `ip` is listed; an IPv4 address written as IPv6 (`::ffff:127.0.0.1`) counts as
    /// the IPv4 one.
    pub fn allows(&self, ip: std::net::IpAddr) -> bool {
        let ip = match ip {
            std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|network| network.contains(&ip))
    }
}

/// `/-/metrics` only for listed addresses; a plain 404 for the others (as GitLab answers its
/// health check there).
pub async fn monitoring_allow_list(
    State(allowed): State<MonitoringAllowList>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path() == "/-/metrics"
        && !client_ip(request.extensions()).is_some_and(|ip| allowed.allows(ip))
    {
        return (StatusCode::NOT_FOUND, "Not Found").into_response();
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::{uuid_v4, MonitoringAllowList};

    #[test]
    fn the_allow_list_takes_networks_and_addresses() {
        let list = MonitoringAllowList::loopback();
        for ok in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
            assert!(list.allows(ok.parse().expect("ip")), "{ok}");
        }
        for no in ["10.0.0.1", "::2", "192.0.2.1"] {
            assert!(!list.allows(no.parse().expect("ip")), "{no}");
        }
        let custom = MonitoringAllowList::parse("10.0.0.0/8, 192.0.2.7").expect("parses");
        assert!(custom.allows("10.1.2.3".parse().expect("ip")));
        assert!(custom.allows("192.0.2.7".parse().expect("ip")));
        assert!(!custom.allows("127.0.0.1".parse().expect("ip")));
        assert!(MonitoringAllowList::parse("nonsense").is_err());
    }

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
    fn file_uploads_are_told_apart() {
        use super::receives_a_file;
        use axum::http::Method;
        assert!(receives_a_file(
            &Method::PUT,
            "/api/v4/projects/1/packages/generic/p/1.0/f"
        ));
        assert!(receives_a_file(
            &Method::POST,
            "/api/v4/projects/g%2Fp/uploads"
        ));
        assert!(!receives_a_file(
            &Method::GET,
            "/api/v4/projects/1/packages/generic/p/1.0/f"
        ));
        assert!(!receives_a_file(
            &Method::POST,
            "/api/v4/projects/1/releases"
        ));
        assert!(!receives_a_file(
            &Method::POST,
            "/api/v4/projects/1/uploads/x"
        ));
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
