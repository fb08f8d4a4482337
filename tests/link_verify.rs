//! `POST …/assets/links/:link_id/verify` (relinks' extension, issue 17 point 1): relinks
//! downloads the link's file and hashes it; a link without a digest gets it (and its size), a
//! differing one is a 422; non-public addresses are refused unless the server allows the local
//! network. The files are served by a small server of the test's own, on loopback: the server
//! under test is started with `allow_local_network` for those, and without it for the refusals.

use crate::common;

use std::time::Duration;

use axum::response::IntoResponse;
use common::{TestApp, World};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const BYTES: &[u8] = b"a binary served elsewhere\n";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A file server: `/file`, `/hop/<n>` (n + 1 redirects, then the file), `/big` (2 MiB), `/slow`
/// (answers after 5 s), `/missing` (404), `/to-loopback` (a redirect to 127.0.0.1). Its base URL.
async fn file_server() -> String {
    use axum::extract::Path;
    use axum::http::{header, StatusCode};
    use axum::routing::get;
    let app = axum::Router::new()
        .route("/file", get(|| async { BYTES }))
        .route(
            "/hop/{n}",
            get(|Path(n): Path<u32>| async move {
                let to = if n == 0 {
                    "/file".to_owned()
                } else {
                    format!("/hop/{}", n - 1)
                };
                (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
            }),
        )
        .route("/big", get(|| async { vec![b'x'; 2 * 1024 * 1024] }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                BYTES
            }),
        )
        .route("/missing", get(|| async { StatusCode::NOT_FOUND }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

/// A world whose server may download from loopback, with small limits.
async fn local_world() -> World {
    let app = TestApp::start_with_settings(|settings| {
        settings.http.outbound.allow_local_network = true;
        settings.http.outbound.max_bytes = 1024 * 1024;
        settings.http.outbound.timeout = Duration::from_secs(2);
    })
    .await;
    World::on(app, "public").await
}

async fn link_to(w: &World, name: &str, url: &str, digest: Option<&str>) -> i64 {
    let mut body = json!({"name": name, "url": url});
    if let Some(digest) = digest {
        body["digest"] = json!(digest);
    }
    let created = w.app.post(&w.developer, &w.links(), body).await;
    created.expect(201)["id"].as_i64().expect("id")
}

fn verify_path(w: &World, id: i64) -> String {
    format!("{}/verify", w.link(id))
}

fn message(body: &Value) -> &str {
    body["message"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_link_without_a_digest_gets_the_one_found() {
    let w = local_world().await;
    let files = file_server().await;
    let id = link_to(&w, "tool", &format!("{files}/file"), None).await;
    let verified = w
        .app
        .post(&w.developer, &verify_path(&w, id), json!({}))
        .await;
    let body = verified.expect(200);
    assert_eq!(body["digest"], sha256(BYTES));
    assert_eq!(body["size"], BYTES.len());
    assert_eq!(body["id"], id);
    assert!(
        body["verified_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')),
        "{body}"
    );
    // Recorded: the link shows them from now on (without `verified_at`, a moment's fact).
    let shown = w.app.get(&w.reporter, &w.link(id)).await;
    let shown = shown.expect(200);
    assert_eq!(shown["digest"], sha256(BYTES));
    assert_eq!(shown["size"], BYTES.len());
    assert!(shown.get("verified_at").is_none());
    // Verifying again finds the same: 200, nothing changes.
    let again = w
        .app
        .post(&w.developer, &verify_path(&w, id), json!({}))
        .await;
    assert_eq!(again.expect(200)["digest"], sha256(BYTES));

    // Through redirects: 5, and no more.
    let hops = link_to(&w, "hops", &format!("{files}/hop/4"), Some(&sha256(BYTES))).await;
    let verified = w
        .app
        .post(&w.developer, &verify_path(&w, hops), json!({}))
        .await;
    assert_eq!(verified.expect(200)["size"], BYTES.len());
    let many = link_to(&w, "many", &format!("{files}/hop/5"), None).await;
    let refused = w
        .app
        .post(&w.developer, &verify_path(&w, many), json!({}))
        .await;
    assert_eq!(
        (refused.status, message(&refused.body)),
        (422, "Download failed: more than 5 redirects")
    );
}

#[tokio::test]
async fn a_differing_digest_is_reported_and_kept() {
    let w = local_world().await;
    let files = file_server().await;
    let declared = sha256(b"what the release said");
    let id = link_to(&w, "tool", &format!("{files}/file"), Some(&declared)).await;
    let refused = w
        .app
        .post(&w.developer, &verify_path(&w, id), json!({}))
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(
        refused.text,
        json!({"message": format!("Digest mismatch: expected {declared}, got {}", sha256(BYTES))})
            .to_string()
    );
    let shown = w.app.get(&w.reporter, &w.link(id)).await;
    assert_eq!(shown.expect(200)["digest"], declared.as_str());
    assert!(shown.body.get("size").is_none());
}

#[tokio::test]
async fn downloads_that_cannot_be_made_are_422() {
    let w = local_world().await;
    let files = file_server().await;
    for (path, expected) in [
        ("/missing", "Download failed: the server answered 404"),
        (
            "/big",
            "Download failed: the file is larger than 1048576 bytes",
        ),
        ("/slow", "Download failed: not finished within 2 seconds"),
    ] {
        let id = link_to(
            &w,
            path.trim_start_matches('/'),
            &format!("{files}{path}"),
            None,
        )
        .await;
        let refused = w
            .app
            .post(&w.developer, &verify_path(&w, id), json!({}))
            .await;
        assert_eq!(
            (refused.status, message(&refused.body)),
            (422, expected),
            "{path}"
        );
    }
    // Nothing is listening there.
    let port = common::free_port();
    let id = link_to(&w, "closed", &format!("http://127.0.0.1:{port}/x"), None).await;
    let refused = w
        .app
        .post(&w.developer, &verify_path(&w, id), json!({}))
        .await;
    assert_eq!(
        (refused.status, message(&refused.body)),
        (422, "Download failed: the server could not be reached")
    );
}

#[tokio::test]
async fn the_local_network_is_refused_by_default() {
    let w = World::new("public").await;
    let files = file_server().await;
    for (i, (url, why)) in [
        (
            format!("{files}/file"),
            "Requests to localhost are not allowed",
        ),
        (
            "http://localhost:9/file".to_owned(),
            "Requests to localhost are not allowed",
        ),
        (
            "http://[::1]/file".to_owned(),
            "Requests to localhost are not allowed",
        ),
        (
            "http://2130706433/file".to_owned(),
            "Requests to localhost are not allowed",
        ),
        (
            "http://169.254.169.254/latest/meta-data".to_owned(),
            "Requests to the link local network are not allowed",
        ),
        (
            "http://10.0.0.1/file".to_owned(),
            "Requests to the local network are not allowed",
        ),
        (
            "http://192.168.1.1/file".to_owned(),
            "Requests to the local network are not allowed",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let name = format!("l{i}");
        let created = w
            .app
            .post(&w.developer, &w.links(), json!({"name": name, "url": url}))
            .await;
        let id = created.expect(201)["id"].as_i64().expect("id");
        let refused = w
            .app
            .post(&w.developer, &verify_path(&w, id), json!({}))
            .await;
        assert_eq!(
            (refused.status, message(&refused.body).to_owned()),
            (422, format!("Url is blocked: {why}")),
            "{url}"
        );
    }
}

#[tokio::test]
async fn hosted_files_are_read_from_their_record_and_writers_only_may_verify() {
    let w = World::new("public").await;
    let path = format!(
        "/projects/{}/packages/generic/tool/1.0.0/tool.bin",
        w.project_id
    );
    w.app
        .put_file(&w.app.root, &path, BYTES.to_vec())
        .await
        .expect(201);
    let url = format!("{}/api/v4{path}", w.app.base);
    let id = link_to(&w, "tool", &url, None).await;
    // No network: the file's record says (loopback is not allowed here, and not needed).
    let verified = w
        .app
        .post(&w.developer, &verify_path(&w, id), json!({}))
        .await;
    assert_eq!(verified.expect(200)["digest"], sha256(BYTES));

    let reporter = w
        .app
        .post(&w.reporter, &verify_path(&w, id), json!({}))
        .await;
    assert_eq!(
        (reporter.status, reporter.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );
    let missing = w
        .app
        .post(&w.developer, &verify_path(&w, id + 1000), json!({}))
        .await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    let invalid = w
        .app
        .post(&w.developer, &format!("{}/x/verify", w.links()), json!({}))
        .await;
    assert_eq!(
        (invalid.status, invalid.text.as_str()),
        (400, r#"{"error":"link_id is invalid"}"#)
    );
}
