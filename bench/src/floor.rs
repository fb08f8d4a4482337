//! `relinks-bench floor`: the least any server must do to answer GET of one link as relinks
//! answers it, with nothing of relinks' own around it: the same route on axum, the caller's
//! `PRIVATE-TOKEN` keyed and looked up in a map (relinks keeps token digests only), the link
//! looked up in a map and rendered by serde as relinks renders it, and the same headers on the
//! answer (request id, ETag of the body, Cache-Control and the security headers). No rate
//! limits, no metrics, no permissions, no cache generations.
//!
//! It answers how far the fixed-JSON baseline is from what the work itself costs on this
//! machine: relinks' ratio to the fixed-JSON baseline cannot pass this server's.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Serialize;

use relinks::domain::token::TokenKey;
use relinks::web::headers::SECURITY_HEADERS;

/// A link as relinks' entity renders it, in GitLab's field order.
#[derive(Serialize)]
struct Link {
    id: i64,
    name: String,
    url: String,
    direct_asset_url: String,
    external: bool,
    link_type: &'static str,
}

struct Floor {
    key: TokenKey,
    /// Token digest → user id.
    tokens: HashMap<String, i64>,
    links: HashMap<i64, Link>,
}

async fn get_link(
    State(floor): State<Arc<Floor>>,
    Path((_project, tag, link_id)): Path<(String, String, i64)>,
    headers: HeaderMap,
) -> Response {
    let token = headers
        .get("private-token")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    if !floor.tokens.contains_key(&floor.key.digest(token)) || tag != "v-big" {
        return (StatusCode::NOT_FOUND, "{\"message\":\"404 Not found\"}").into_response();
    }
    let Some(link) = floor.links.get(&link_id) else {
        return (StatusCode::NOT_FOUND, "{\"message\":\"404 Not found\"}").into_response();
    };
    let Ok(body) = serde_json::to_vec(link) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let etag = format!("W/\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(&body));
    let id = uuid_v4(rand::random());
    let mut response = body.into_response();
    let answer = response.headers_mut();
    answer.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    answer.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("max-age=0, private, must-revalidate"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        answer.insert(header::ETAG, etag);
    }
    if let Ok(id) = HeaderValue::from_str(&id) {
        answer.insert("x-request-id", id);
    }
    for (name, value) in SECURITY_HEADERS {
        answer.insert(name, HeaderValue::from_static(value));
    }
    response
}

fn uuid_v4(bits: u128) -> String {
    let bits = (bits & !(0xf << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{bits:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Serves the floor on `listen`, accepting `token` (the seeded one) for links 1 to 100 of
/// project 1's release `v-big`, as the `get_link` scenario asks for them.
pub async fn serve(listen: &str, token: &str) -> anyhow::Result<()> {
    use axum::serve::ListenerExt;
    let key = TokenKey::generate();
    let tokens = HashMap::from([(key.digest(token), 1)]);
    let links = (1..=100)
        .map(|id| {
            let name = format!("file{id}");
            let link = Link {
                id,
                url: format!("https://downloads.example.com/{id}/{name}"),
                direct_asset_url: format!(
                    "http://127.0.0.1:8080/bench/app1/-/releases/v-big/downloads/bin/{name}"
                ),
                name,
                external: true,
                link_type: "package",
            };
            (id, link)
        })
        .collect();
    let floor = Arc::new(Floor { key, tokens, links });
    let app = Router::new()
        .route(
            "/api/v4/projects/{project}/releases/{tag}/assets/links/{link_id}",
            get(get_link),
        )
        .route("/-/readiness", get(|| async { "ok" }))
        .with_state(floor);
    let listener = tokio::net::TcpListener::bind(listen).await?.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}
