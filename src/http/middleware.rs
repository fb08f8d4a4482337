//! The steps every request passes through, called in order by `app::router`: request ids (a
//! client's own only when plain), the monitoring allow-list of `/-/metrics`, rate-limit
//! tickets, the header-size limit, the audit context of writes, the request time-out and the
//! panic guard.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::json_response;
use super::ratelimit::{Limiter, Outcome, RateTicket};
use super::request::client_ip;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

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

/// A new random UUID (version 4), as text.
pub fn random_uuid() -> String {
    uuid_text(rand::random())
}

/// `bits` as a version 4 UUID's text.
pub fn uuid_text(bits: u128) -> String {
    String::from_utf8_lossy(&uuid_v4(bits)).into_owned()
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

/// The request's id: the client's own when it is acceptable (and the only one), else a new
/// one (UUID v4 from the thread's random generator: the kernel's on every request would be a
/// system call on the hot path). The answer carries it, and a write's audit context
/// ([`audited`]).
pub fn request_id(request: &Request) -> HeaderValue {
    let ids = request.headers().get_all(REQUEST_ID);
    let mut values = ids.iter();
    if let (Some(only), None) = (values.next(), values.next()) {
        if is_acceptable_request_id(only.as_bytes()) {
            return only.clone();
        }
    }
    HeaderValue::from_bytes(&uuid_v4(rand::random()))
        .unwrap_or_else(|_| HeaderValue::from_static("-"))
}

/// A panic still answers in GitLab's shape (500), and the request's other layers still see
/// an answer.
pub async fn catch_panic(handled: impl Future<Output = Response>) -> Response {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(handled).catch_unwind().await {
        Ok(response) => response,
        Err(_) => panic_response(),
    }
}

fn panic_response() -> Response {
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

/// Headers beyond the limit get 431 before anything reads them.
pub fn header_limit_refusal(limits: Limits, request: &Request) -> Option<Response> {
    let header_bytes: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    (header_bytes > limits.max_header_bytes).then(|| {
        json_response(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            &serde_json::json!({ "message": "431 Request Header Fields Too Large" }),
        )
    })
}

/// Whether a request of `method` to `path` is held to the request time-out: all but those
/// that move a file. A 1 GiB upload over a slow link takes longer than any request should: the
/// transfer is cut when it stalls instead (`TransferLimits::idle_timeout`). Verifying a link
/// downloads its file, under a time-out of its own (`OutboundSettings::timeout`).
pub fn time_limited(method: &Method, path: &str) -> bool {
    !receives_a_file(method, path) && !verifies_a_link(method, path)
}

/// A request that takes longer than the time-out gets 503 (as GitLab's front does when a
/// worker times out). As with any 503, a write already handed to the database may still
/// complete: clients retry, and link writes are idempotent in effect (a retried create meets
/// its own name and gets 400).
pub async fn within_time_limit<F: Future<Output = Response>>(
    timeout: Duration,
    work: F,
) -> Response {
    match tokio::time::timeout(timeout, work).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(?timeout, "request timed out");
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

/// `POST …/assets/links/:link_id/verify`, which downloads the link's file.
pub fn verifies_a_link(method: &Method, path: &str) -> bool {
    *method == Method::POST
        && path.starts_with("/api/v4/projects/")
        && path.ends_with("/verify")
        && path.contains("/assets/links/")
}

/// Runs a write within its audit context (its address and request id `id`; the author is
/// named when the caller is authenticated), with which the writes made while answering are
/// recorded. Only requests that may write come here: GET and HEAD pay for no context.
pub fn audited<F: Future<Output = Response>>(
    request: Request,
    id: &HeaderValue,
    next: impl FnOnce(Request) -> F,
) -> impl Future<Output = Response> {
    let context = crate::store::audit::AuditContext {
        ip_address: client_ip(request.extensions()).map(|ip| ip.to_string()),
        request_id: id.to_str().ok().map(str::to_owned),
        ..Default::default()
    };
    crate::store::audit::scope(context, next(request))
}

/// Gives the request its rate-limit ticket, which authentication settles once it knows the
/// caller (see `ratelimit`). Health checks and metrics are never limited: they get none.
pub fn rate_ticket(limiter: &Arc<Limiter>, request: &mut Request) -> Option<RateTicket> {
    let path = request.uri().path();
    let monitoring = path.starts_with("/-/") && !path.starts_with("/-/project/");
    if limiter.is_off() || monitoring {
        return None;
    }
    let ip = client_ip(request.extensions())?;
    let ticket = RateTicket::new(limiter.clone(), ip);
    request.extensions_mut().insert(ticket.clone());
    Some(ticket)
}

/// Once the request is answered: a request that never named its caller counts against its
/// address, and over the limit (or from a banned address) its answer becomes the 429.
pub fn settle_ticket(ticket: Option<RateTicket>, response: Response) -> Response {
    match ticket.map(|ticket| ticket.settle(Outcome::Anonymous)) {
        Some(Err(throttled)) => throttled.into_response(),
        _ => response,
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
pub fn monitoring_refusal(allowed: &MonitoringAllowList, request: &Request) -> Option<Response> {
    (request.uri().path() == "/-/metrics"
        && !client_ip(request.extensions()).is_some_and(|ip| allowed.allows(ip)))
    .then(|| (StatusCode::NOT_FOUND, "Not Found").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[tokio::test]
    async fn a_panicking_handler_answers_500_in_gitlabs_shape() {
        let response = catch_panic(async {
            if std::hint::black_box(true) {
                panic!("a bug");
            }
            StatusCode::OK.into_response()
        })
        .await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap_or_default();
        assert_eq!(&body[..], br#"{"message":"500 Internal Server Error"}"#);
    }

    #[test]
    fn a_plain_request_id_is_kept_and_any_other_replaced() {
        let with = |ids: &[&str]| {
            let mut request = Request::new(axum::body::Body::empty());
            for id in ids {
                request.headers_mut().append(
                    REQUEST_ID,
                    HeaderValue::from_str(id).unwrap_or(HeaderValue::from_static("x")),
                );
            }
            request_id(&request)
        };
        assert_eq!(with(&["ci.job:42_a-b"]), "ci.job:42_a-b");
        assert_eq!(with(&["bad id"]).len(), 36);
        assert_eq!(with(&["a", "b"]).len(), 36);
        assert_eq!(with(&[]).len(), 36);
    }
}
