//! Webhooks (issue 19): GitLab's project hooks API, and Release and Tag Push Hooks delivered
//! from the outbox to a receiver of the test's own on loopback (the server under test allows
//! the local network for those; the refusals are checked on a server that does not).

use crate::common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use base64::Engine as _;
use common::{Caller, TestApp, World};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};

/// What the receiver got: each delivery's headers and body.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<(HeaderMap, String)>>>);

impl Received {
    fn all(&self) -> Vec<(HeaderMap, String)> {
        self.0.lock().expect("lock").clone()
    }

    /// Waits until `count` deliveries have come (at most 20 s), and gives them.
    async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, String)> {
        for _ in 0..200 {
            let all = self.all();
            if all.len() >= count {
                return all;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("{count} deliveries expected, got {}", self.all().len());
    }
}

/// A receiver answering `status` to every POST to `/hook`, and a redirect to `/hook` at
/// `/moved`; its base URL.
async fn receiver(status: StatusCode) -> (String, Received) {
    let received = Received::default();
    let kept = received.clone();
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let kept = kept.clone();
                async move {
                    kept.0.lock().expect("lock").push((headers, body));
                    (status, "received")
                }
            }),
        )
        .route(
            "/moved",
            axum::routing::post(|| async {
                (StatusCode::FOUND, [(axum::http::header::LOCATION, "/hook")])
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (base, received)
}

/// A world whose server may send to loopback, looks for due events often, and retries soon.
async fn local_world() -> World {
    let app = TestApp::start_with_settings(|settings| {
        settings.http.outbound.allow_local_network = true;
        settings.http.webhooks.poll = Duration::from_millis(50);
        settings.http.webhooks.retry_delay = Duration::from_millis(50);
        // GitLab's 10 s: a local delivery slowed by a loaded machine is not retried.
        settings.http.webhooks.timeout = Duration::from_secs(10);
        settings.http.webhooks.max_attempts = 6;
    })
    .await;
    World::on(app, "private").await
}

fn hooks(w: &World) -> String {
    format!("/projects/{}/hooks", w.project_id)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

const SIGNING_KEY: [u8; 32] = [7; 32];

fn signing_token() -> String {
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(SIGNING_KEY)
    )
}

#[tokio::test]
async fn hooks_are_refused_where_gitlab_refuses_them() {
    let w = World::new("private").await;
    let path = hooks(&w);
    let refused = json!({"error": "Invalid url given"});
    for url in [
        "http://127.0.0.1/hook",
        "http://localhost:8080/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest",
        "ftp://example.com/hook",
        "not a url",
        "http://{missing}/hook",
    ] {
        let reply = w.app.post(&w.maintainer, &path, json!({"url": url})).await;
        assert_eq!(reply.expect(422), &refused, "{url}");
    }
    let missing = w.app.post(&w.maintainer, &path, json!({})).await;
    assert_eq!(missing.expect(400), &json!({"error": "url is missing"}));
    let bad_key = w
        .app
        .post(
            &w.maintainer,
            &path,
            json!({"url": "http://127.0.0.1/h", "signing_token": "whsec_c2hvcnQ="}),
        )
        .await;
    assert_eq!(
        bad_key.expect(400),
        &json!({"error": "signing_token must be in whsec_<base64> format encoding a 32-byte key"})
    );
    // Maintainers and up only; strangers do not see the project.
    let body = json!({"url": "http://127.0.0.1/hook"});
    let developer = w.app.post(&w.developer, &path, body.clone()).await;
    assert_eq!(developer.expect(403), &json!({"message": "403 Forbidden"}));
    w.app.get(&w.developer, &path).await.expect(403);
    let anonymous = w.app.get(&Caller::anonymous(), &path).await;
    assert_eq!(
        anonymous.expect(401),
        &json!({"message": "401 Unauthorized"})
    );
    let outsider = w.app.get(&w.outsider, &path).await;
    assert_eq!(
        outsider.expect(404),
        &json!({"message": "404 Project Not Found"})
    );
    let none = w.app.get(&w.maintainer, &format!("{path}/9999")).await;
    assert_eq!(none.expect(404), &json!({"message": "404 Not found"}));
}

#[tokio::test]
async fn the_hooks_api_shows_gitlabs_entity_and_keeps_secrets() {
    let w = local_world().await;
    let path = hooks(&w);
    let created = w
        .app
        .post(
            &w.maintainer,
            &path,
            json!({
                "url": "http://127.0.0.1:9/{endpoint}",
                "url_variables": [{"key": "endpoint", "value": "hook"}],
                "custom_headers": [{"key": "X-Custom", "value": "secret-value"}],
                "token": "the-token",
                "signing_token": signing_token(),
                "releases_events": true,
                "name": "deploys",
            }),
        )
        .await;
    let hook = created.expect(201).clone();
    let keys: Vec<&str> = hook
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "url",
            "name",
            "description",
            "created_at",
            "push_events",
            "tag_push_events",
            "merge_requests_events",
            "repository_update_events",
            "enable_ssl_verification",
            "alert_status",
            "disabled_until",
            "url_variables",
            "push_events_branch_filter",
            "branch_filter_strategy",
            "custom_webhook_template",
            "custom_headers",
            "token_present",
            "signing_token_present",
            "project_id",
            "issues_events",
            "confidential_issues_events",
            "note_events",
            "confidential_note_events",
            "pipeline_events",
            "wiki_page_events",
            "deployment_events",
            "feature_flag_events",
            "job_events",
            "releases_events",
            "milestone_events",
            "emoji_events",
            "resource_access_token_events",
            "vulnerability_events",
            "resource_deploy_token_events",
            "duo_flow_callback_enabled",
        ]
    );
    assert_eq!(hook["url"], "http://127.0.0.1:9/{endpoint}");
    assert_eq!(hook["url_variables"], json!([{"key": "endpoint"}]));
    assert_eq!(hook["custom_headers"], json!([{"key": "X-Custom"}]));
    assert_eq!(hook["push_events"], true);
    assert_eq!(hook["releases_events"], true);
    assert_eq!(hook["tag_push_events"], false);
    assert_eq!(hook["confidential_note_events"], Value::Null);
    assert_eq!(hook["token_present"], true);
    assert_eq!(hook["signing_token_present"], true);
    assert_eq!(hook["alert_status"], "executable");
    assert_eq!(hook["branch_filter_strategy"], "wildcard");
    assert_eq!(hook["project_id"], w.project_id);
    let text = hook.to_string();
    assert!(
        !text.contains("the-token") && !text.contains("secret-value") && !text.contains("whsec_")
    );
    let id = hook["id"].as_i64().expect("id");

    // The list leaves out URL variables and custom headers, as GitLab's.
    let list = w.app.get(&w.maintainer, &path).await;
    assert_eq!(list.header("x-total"), Some("1"));
    let first = &list.expect(200)[0];
    assert!(first.get("url_variables").is_none() && first.get("custom_headers").is_none());
    assert_eq!(first["id"], id);

    let one = format!("{path}/{id}");
    let nothing = w.app.put(&w.maintainer, &one, json!({})).await;
    assert_eq!(
        nothing.expect(400),
        &json!({"error": "No parameters provided"})
    );
    // Another URL without a token drops the token, the custom headers and the variables.
    let moved = w
        .app
        .put(
            &w.maintainer,
            &one,
            json!({"url": "http://127.0.0.1:9/other"}),
        )
        .await;
    let moved = moved.expect(200);
    assert_eq!(moved["token_present"], false);
    assert_eq!(moved["signing_token_present"], true);
    assert_eq!(moved["custom_headers"], json!([]));
    assert_eq!(moved["url_variables"], json!([]));
    let renamed = w
        .app
        .put(
            &w.maintainer,
            &one,
            json!({"name": "renamed", "tag_push_events": true}),
        )
        .await;
    assert_eq!(renamed.expect(200)["name"], "renamed");

    let deleted = w.app.delete(&w.maintainer, &one).await;
    assert_eq!(deleted.status, 204);
    w.app.get(&w.maintainer, &one).await.expect(404);

    // Audited, without the secrets (a change of the URL alone, a secret, records nothing).
    let audit = w
        .app
        .get(
            &w.app.root,
            &format!(
                "/audit_events?entity_type=Project&entity_id={}&per_page=100",
                w.project_id
            ),
        )
        .await;
    let audit = audit.expect(200).clone();
    let names: Vec<&str> = audit
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event_name"].as_str())
        .filter(|n| n.starts_with("project_hook"))
        .collect();
    assert_eq!(
        names,
        [
            "project_hook_deleted",
            "project_hook_updated",
            "project_hook_created"
        ],
        "{audit}"
    );
    let text = audit.to_string();
    assert!(!text.contains("the-token") && !text.contains("secret-value") && !text.contains("v1:"));
}

/// Verifies a delivery with the Standard Webhooks reference library (PyPI `standardwebhooks`,
/// pinned in clients/python; `scripts/test` installs it: a missing one is a failure); then
/// checks that the library refuses the same delivery with its body changed.
async fn verify_with_library(headers: &HeaderMap, body: &str) {
    let clients = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/python");
    let python = clients.join(".venv/bin/python");
    assert!(
        python.exists(),
        "the Standard Webhooks library is not installed at {} (scripts/test installs it)",
        python.display()
    );
    let names = ["webhook-id", "webhook-timestamp", "webhook-signature"];
    let picked: serde_json::Map<String, Value> = names
        .iter()
        .map(|name| ((*name).to_owned(), json!(header(headers, name))))
        .collect();
    for (body, expected) in [(body.to_owned(), true), (format!("{body} "), false)] {
        let input = json!({"secret": signing_token(), "headers": picked, "body": body});
        let mut child = tokio::process::Command::new(&python)
            .arg(clients.join("verify_webhook.py"))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("python starts");
        let mut stdin = child.stdin.take().expect("stdin");
        tokio::io::AsyncWriteExt::write_all(&mut stdin, input.to_string().as_bytes())
            .await
            .expect("writes");
        drop(stdin);
        let output = child.wait_with_output().await.expect("runs");
        assert_eq!(
            output.status.success(),
            expected,
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn verify_signature(headers: &HeaderMap, body: &str) {
    let id = header(headers, "webhook-id");
    let timestamp = header(headers, "webhook-timestamp");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&SIGNING_KEY).expect("key");
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    let expected = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    );
    assert_eq!(header(headers, "webhook-signature"), expected);
}

#[tokio::test]
async fn release_changes_are_delivered_complete_in_order_and_signed() {
    let w = local_world().await;
    let (base, received) = receiver(StatusCode::OK).await;
    let hook = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({
                "url": format!("{base}/hook"),
                "token": "the-token",
                "signing_token": signing_token(),
                "custom_headers": [{"key": "X-Custom", "value": "custom"}],
                "releases_events": true,
                "tag_push_events": true,
            }),
        )
        .await;
    let hook_id = hook.expect(201)["id"].as_i64().expect("id");
    let releases = format!("/projects/{}/releases", w.project_id);

    // A release made with its links: one `create`, carrying them all.
    w.app
        .post(
            &w.maintainer,
            &releases,
            json!({"tag_name": "v2.0", "ref": "0123456789abcdef0123456789abcdef01234567",
                   "name": "Two", "description": "![shot](/uploads/abc/shot.png)",
                   "assets": {"links": [
                       {"name": "a", "url": "https://example.com/a"},
                       {"name": "b", "url": "https://example.com/b", "link_type": "package"}]}}),
        )
        .await
        .expect(201);
    // A tag of its own, then a link added and the release deleted.
    let got = received.wait_for(2).await;
    let link = w
        .app
        .post(
            &w.maintainer,
            &format!("{releases}/v2.0/assets/links"),
            json!({"name": "c", "url": "https://example.com/c"}),
        )
        .await;
    link.expect(201);
    received.wait_for(3).await;
    w.app
        .delete(&w.maintainer, &format!("{releases}/v2.0"))
        .await
        .expect(200);
    let got_all = received.wait_for(4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received.all().len(), 4, "no event twice");

    // The release's `create` and its new tag's push come from one write (in the order its
    // rows were written), then the update, then the delete.
    let mut bodies: Vec<Value> = got_all
        .iter()
        .map(|(_, body)| serde_json::from_str(body).expect("JSON"))
        .collect();
    let mut got_all = got_all;
    if bodies[0]["object_kind"] == "tag_push" {
        bodies.swap(0, 1);
        got_all.swap(0, 1);
    }
    let kinds: Vec<String> = bodies
        .iter()
        .map(|b| format!("{} {}", b["object_kind"], b["action"]))
        .collect();
    assert_eq!(
        kinds,
        [
            "\"release\" \"create\"",
            "\"tag_push\" null",
            "\"release\" \"update\"",
            "\"release\" \"delete\"",
        ],
        "{bodies:#?}"
    );
    let create = &bodies[0];
    let keys: Vec<&str> = create
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "created_at",
            "description",
            "name",
            "released_at",
            "tag",
            "object_kind",
            "project",
            "url",
            "action",
            "assets",
            "commit"
        ]
    );
    assert_eq!(create["tag"], "v2.0");
    assert_eq!(create["name"], "Two");
    assert!(create["description"]
        .as_str()
        .is_some_and(|d| d.contains(&format!("{}/uploads/abc/shot.png", w.project_path))));
    assert_eq!(create["assets"]["count"], 6);
    let names: Vec<&str> = create["assets"]["links"]
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["b", "a"], "newest first, as the links API");
    assert_eq!(create["assets"]["links"][0]["link_type"], "package");
    let link_keys: Vec<&str> = create["assets"]["links"][0]
        .as_object()
        .expect("link")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(link_keys, ["id", "link_type", "name", "url"]);
    assert_eq!(create["assets"]["sources"][0]["format"], "zip");
    // `Project#hook_attrs`, key for key as GitLab's documented example.
    let project_keys: Vec<&str> = create["project"]
        .as_object()
        .expect("project")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        project_keys,
        [
            "id",
            "name",
            "description",
            "web_url",
            "avatar_url",
            "git_ssh_url",
            "git_http_url",
            "namespace",
            "visibility_level",
            "path_with_namespace",
            "default_branch",
            "ci_config_path",
            "homepage",
            "url",
            "ssh_url",
            "http_url",
        ]
    );
    assert_eq!(create["project"]["visibility_level"], 0);
    assert!(create["url"]
        .as_str()
        .is_some_and(|u| u.ends_with(&format!("/{}/-/releases/v2.0", w.project_path))));
    let commit_keys: Vec<&str> = create["commit"]
        .as_object()
        .expect("commit")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        commit_keys,
        ["id", "message", "title", "timestamp", "url", "author"]
    );
    assert_eq!(create["project"]["id"], w.project_id);
    assert_eq!(create["project"]["path_with_namespace"], w.project_path);
    assert_eq!(
        create["commit"]["id"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert!(create["created_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z') && t.len() == 24));
    assert_eq!(
        bodies[2]["assets"]["links"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(
        bodies[3]["assets"]["links"].as_array().map(Vec::len),
        Some(3)
    );
    let tag = &bodies[1];
    assert_eq!(tag["ref"], "refs/tags/v2.0");
    assert_eq!(tag["before"], "0000000000000000000000000000000000000000");
    assert_eq!(tag["after"], "0123456789abcdef0123456789abcdef01234567");
    assert_eq!(tag["total_commits_count"], 1);
    // `Gitlab::DataBuilder::Push#build`, key for key.
    let tag_keys: Vec<&str> = tag
        .as_object()
        .expect("tag")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        tag_keys,
        [
            "object_kind",
            "event_name",
            "before",
            "after",
            "ref",
            "ref_protected",
            "checkout_sha",
            "message",
            "user_id",
            "user_name",
            "user_username",
            "user_email",
            "user_avatar",
            "project_id",
            "project",
            "commits",
            "total_commits_count",
            "push_options",
            "repository",
        ]
    );
    assert_eq!(tag["user_username"], "maintainer");
    assert_eq!(
        tag["commits"][0]["id"],
        "0123456789abcdef0123456789abcdef01234567"
    );

    // GitLab's headers, the token, the custom header, and a Standard Webhooks signature.
    for (i, (headers, body)) in got_all.iter().enumerate() {
        let expected = if i == 1 {
            "Tag Push Hook"
        } else {
            "Release Hook"
        };
        assert_eq!(header(headers, "x-gitlab-event"), expected);
        assert_eq!(header(headers, "x-gitlab-token"), "the-token");
        assert_eq!(header(headers, "x-custom"), "custom");
        assert_eq!(header(headers, "content-type"), "application/json");
        assert!(header(headers, "user-agent").starts_with("GitLab/"));
        assert_eq!(header(headers, "idempotency-key").len(), 36);
        assert_eq!(
            header(headers, "webhook-id"),
            header(headers, "idempotency-key")
        );
        assert_eq!(header(headers, "x-gitlab-webhook-uuid").len(), 36);
        assert_eq!(header(headers, "x-gitlab-event-uuid").len(), 36);
        assert!(!header(headers, "x-gitlab-instance").is_empty());
        verify_signature(headers, body);
    }
    verify_with_library(&got_all[0].0, &got_all[0].1).await;
    let _ = got;

    // The hook's events, newest first, as GitLab's events API shows them.
    let events_path = format!("{}/{hook_id}/events", hooks(&w));
    let events = w.app.get(&w.maintainer, &events_path).await;
    assert_eq!(events.header("x-total"), Some("4"));
    let events = events.expect(200).clone();
    let newest = &events[0];
    assert_eq!(newest["trigger"], "release_hooks");
    assert_eq!(newest["response_status"], "200");
    assert_eq!(newest["response_body"], "received");
    assert_eq!(newest["state"], "delivered");
    assert_eq!(newest["attempts"], 1);
    assert_eq!(newest["url"], format!("{base}/hook"));
    assert_eq!(newest["request_data"]["action"], "delete");
    assert_eq!(newest["request_headers"]["X-Gitlab-Token"], "[REDACTED]");
    assert_eq!(newest["request_headers"]["X-Custom"], "[REDACTED]");
    assert_eq!(newest["request_headers"]["X-Gitlab-Event"], "Release Hook");
    let failures = w
        .app
        .get(
            &w.maintainer,
            &format!("{events_path}?status=server_failure,404"),
        )
        .await;
    assert_eq!(failures.expect(200), &json!([]));
    let ok = w
        .app
        .get(
            &w.maintainer,
            &format!("{events_path}?status=successful&per_page=2"),
        )
        .await;
    assert_eq!(ok.header("x-total"), Some("4"));
    let too_many = w
        .app
        .get(&w.maintainer, &format!("{events_path}?per_page=21"))
        .await;
    assert_eq!(
        too_many.expect(400),
        &json!({"error": "per_page does not have a valid value"})
    );
    let bogus = w
        .app
        .get(&w.maintainer, &format!("{events_path}?status=bogus"))
        .await;
    assert_eq!(
        bogus.expect(400),
        &json!({"error": "status does not have a valid value"})
    );
    w.app.get(&w.developer, &events_path).await.expect(403);

    // The same on a page, for maintainers only (the 404 page for the others), without secrets.
    let page_url = w.app.web_url(&format!("/{}/-/hooks", w.project_path));
    let page = w.app.get(&w.maintainer, &page_url).await;
    assert_eq!(page.status, 200);
    assert!(page.content_type().starts_with("text/html"));
    assert!(page.text.contains(&format!("{base}/hook")));
    assert!(page.text.contains("release_hooks") && page.text.contains("tag_push_hooks"));
    assert!(page.text.contains("delivered") && page.text.contains("delete"));
    assert!(!page.text.contains("the-token") && !page.text.contains("whsec_"));
    assert_eq!(w.app.get(&w.developer, &page_url).await.status, 404);
    assert_eq!(w.app.get(&Caller::anonymous(), &page_url).await.status, 404);

    // A test event is sent at once: the newest release (v1.0 is left).
    let test_path = format!("{}/{hook_id}/test", hooks(&w));
    let tested = w
        .app
        .post(
            &w.maintainer,
            &format!("{test_path}/releases_events"),
            json!({}),
        )
        .await;
    assert_eq!(tested.expect(201), &json!({"message": "201 Created"}));
    let all = received.wait_for(5).await;
    let body: Value = serde_json::from_str(&all[4].1).expect("JSON");
    assert_eq!(header(&all[4].0, "x-gitlab-event"), "Release Hook");
    assert_eq!(body["tag"], "v1.0");
    assert_eq!(body["assets"]["links"][0]["name"], "first");
    // A tag deleted: a Tag Push Hook whose `after` is all zeros.
    w.app
        .delete(
            &w.maintainer,
            &format!("/projects/{}/repository/tags/v2.0", w.project_id),
        )
        .await;
    let all = received.wait_for(6).await;
    let deleted: Value = serde_json::from_str(&all[5].1).expect("JSON");
    assert_eq!(deleted["object_kind"], "tag_push");
    assert_eq!(deleted["ref"], "refs/tags/v2.0");
    assert_eq!(deleted["after"], "0000000000000000000000000000000000000000");
    assert_eq!(
        deleted["before"],
        "0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(deleted["checkout_sha"], Value::Null);
    assert_eq!(deleted["total_commits_count"], 0);
    assert_eq!(deleted["user_username"], "maintainer");
    let issues = w
        .app
        .post(
            &w.maintainer,
            &format!("{test_path}/issues_events"),
            json!({}),
        )
        .await;
    assert_eq!(
        issues.expect(422),
        &json!({"message": "Ensure the project has issues."})
    );
    let unknown = w
        .app
        .post(
            &w.maintainer,
            &format!("{test_path}/bogus_events"),
            json!({}),
        )
        .await;
    assert_eq!(
        unknown.expect(400),
        &json!({"error": "trigger does not have a valid value"})
    );
}

#[tokio::test]
async fn a_failing_receiver_is_retried_then_the_hook_is_disabled_for_a_while() {
    let w = local_world().await;
    let (base, received) = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let hook = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({"url": format!("{base}/hook"), "releases_events": true}),
        )
        .await;
    let id = hook.expect(201)["id"].as_i64().expect("id");
    w.app.release(w.project_id, "v3.0").await;
    // Retried with growing waits (50, 100, 200 ms): the fourth failure in a row disables the
    // hook for a minute, as GitLab does; the event waits.
    let got = received.wait_for(4).await;
    let first_key = header(&got[0].0, "idempotency-key").to_owned();
    for (headers, _) in &got {
        assert_eq!(
            header(headers, "idempotency-key"),
            first_key,
            "a retry keeps its key"
        );
    }
    let mut shown = Value::Null;
    for _ in 0..50 {
        shown = w
            .app
            .get(&w.maintainer, &format!("{}/{id}", hooks(&w)))
            .await
            .expect(200)
            .clone();
        if shown["alert_status"] == "temporarily_disabled" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shown["alert_status"], "temporarily_disabled", "{shown}");
    assert!(shown["disabled_until"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(received.all().len(), 4, "nothing is sent while disabled");
    // A test still reaches it, and GitLab answers with the receiver's body.
    let tested = w
        .app
        .post(
            &w.maintainer,
            &format!("{}/{id}/test/releases_events", hooks(&w)),
            json!({}),
        )
        .await;
    assert_eq!(tested.expect(422), &json!({"message": "received"}));
    let events = w
        .app
        .get(&w.maintainer, &format!("{}/{id}/events", hooks(&w)))
        .await;
    let events = events.expect(200).clone();
    let pending = events
        .as_array()
        .expect("events")
        .iter()
        .find(|e| e["state"] == "pending")
        .expect("the release's event waits");
    assert_eq!(pending["attempts"], 4);
    assert_eq!(pending["response_status"], "500");
}

/// The events the receiver got, parsed.
fn bodies(received: &[(HeaderMap, String)]) -> Vec<Value> {
    received
        .iter()
        .map(|(_, body)| serde_json::from_str(body).expect("JSON"))
        .collect()
}

#[tokio::test]
async fn every_link_change_is_one_update_with_the_links_in_order_and_resends_keep_their_key() {
    let w = local_world().await;
    let (base, received) = receiver(StatusCode::OK).await;
    let hook = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({"url": format!("{base}/hook"), "releases_events": true, "push_events": false}),
        )
        .await;
    let hook = hook.expect(201).clone();
    assert_eq!(hook["push_events"], false);
    let hook_id = hook["id"].as_i64().expect("id");
    let links = w.links();
    let second = w
        .app
        .post(
            &w.maintainer,
            &links,
            json!({"name": "second", "url": "https://example.com/second"}),
        )
        .await;
    let second = second.expect(201)["id"].as_i64().expect("id");
    received.wait_for(1).await;
    // A reorder: one update, the links in their new order.
    w.app
        .put(
            &w.maintainer,
            &format!("{links}/order"),
            json!({"ids": [w.link_id, second]}),
        )
        .await
        .expect(200);
    received.wait_for(2).await;
    // Replacing all the links at once: one update.
    w.app
        .put(
            &w.maintainer,
            &links,
            json!({"links": [
                {"name": "x", "url": "https://example.com/x"},
                {"name": "y", "url": "https://example.com/y"},
                {"name": "z", "url": "https://example.com/z"}]}),
        )
        .await
        .expect(200);
    let got = received.wait_for(3).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(received.all().len(), 3, "one event per change");
    let names = |body: &Value| -> Vec<String> {
        body["assets"]["links"]
            .as_array()
            .expect("links")
            .iter()
            .map(|l| l["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let parsed = bodies(&got);
    assert!(parsed.iter().all(|b| b["action"] == "update"));
    assert_eq!(names(&parsed[0]), ["second", "first"]);
    assert_eq!(names(&parsed[1]), ["first", "second"]);
    assert_eq!(names(&parsed[2]).len(), 3);

    // A resend: the same body and key, recorded as an event of its own.
    let events_path = format!("{}/{hook_id}/events", hooks(&w));
    let events = w.app.get(&w.maintainer, &events_path).await;
    let oldest = events.expect(200)[2]["id"].as_i64().expect("id");
    let resent = w
        .app
        .post(
            &w.maintainer,
            &format!("{events_path}/{oldest}/resend"),
            json!({}),
        )
        .await;
    assert_eq!(resent.expect(201), &json!({"response_status": 200}));
    let again = received.wait_for(4).await;
    assert_eq!(again[3].1, again[0].1, "the same body");
    assert_eq!(
        header(&again[3].0, "idempotency-key"),
        header(&again[0].0, "idempotency-key"),
        "the same key: a receiver tells a redelivery"
    );
    let missing = w
        .app
        .post(
            &w.maintainer,
            &format!("{events_path}/999999/resend"),
            json!({}),
        )
        .await;
    assert_eq!(missing.expect(404), &json!({"message": "404 Not found"}));
    let listed = w.app.get(&w.maintainer, &events_path).await;
    assert_eq!(listed.header("x-total"), Some("4"));

    // URL variables and custom headers one by one.
    let one = format!("{}/{hook_id}", hooks(&w));
    let set = w
        .app
        .put(
            &w.maintainer,
            &format!("{one}/custom_headers/X-Team"),
            json!({"value": "ops"}),
        )
        .await;
    assert_eq!(set.status, 204);
    let illegal = w
        .app
        .put(
            &w.maintainer,
            &format!("{one}/custom_headers/bad%20key"),
            json!({"value": "v"}),
        )
        .await;
    assert_eq!(
        illegal.expect(422),
        &json!({"error": "Illegal key or value"})
    );
    let no_value = w
        .app
        .put(
            &w.maintainer,
            &format!("{one}/url_variables/team"),
            json!({}),
        )
        .await;
    assert_eq!(no_value.expect(400), &json!({"error": "value is missing"}));
    let variable = w
        .app
        .put(
            &w.maintainer,
            &format!("{one}/url_variables/team"),
            json!({"value": "ops"}),
        )
        .await;
    assert_eq!(variable.status, 204);
    let shown = w.app.get(&w.maintainer, &one).await;
    let shown = shown.expect(200);
    assert_eq!(shown["custom_headers"], json!([{"key": "X-Team"}]));
    assert_eq!(shown["url_variables"], json!([{"key": "team"}]));
    let removed = w
        .app
        .delete(&w.maintainer, &format!("{one}/url_variables/team"))
        .await;
    assert_eq!(removed.status, 204);
    let gone = w
        .app
        .delete(&w.maintainer, &format!("{one}/url_variables/team"))
        .await;
    assert_eq!(
        gone.expect(404),
        &json!({"message": "404 URL variable Not Found"})
    );
    let no_header = w
        .app
        .delete(&w.maintainer, &format!("{one}/custom_headers/X-Other"))
        .await;
    assert_eq!(
        no_header.expect(404),
        &json!({"message": "404 Custom header Not Found"})
    );
    w.app
        .put(
            &w.developer,
            &format!("{one}/custom_headers/X-Team"),
            json!({"value": "x"}),
        )
        .await
        .expect(403);
    // The next delivery carries the header.
    w.app.release(w.project_id, "v9.0").await;
    let last = received.wait_for(5).await;
    assert_eq!(header(&last[4].0, "x-team"), "ops");
}

#[tokio::test]
async fn a_group_hook_gets_the_events_of_every_project_below_the_group() {
    let app = TestApp::start_with_settings(|settings| {
        settings.http.outbound.allow_local_network = true;
        settings.http.webhooks.poll = Duration::from_millis(50);
    })
    .await;
    let owner = app.user("owner").await;
    let maintainer = app.user("maintainer").await;
    let group = app
        .post(&owner, "/groups", json!({"name": "Team", "path": "team"}))
        .await;
    let group_id = group.expect(201)["id"].as_i64().expect("id");
    let sub = app
        .post(
            &owner,
            "/groups",
            json!({"name": "Sub", "path": "sub", "parent_id": group_id}),
        )
        .await;
    let sub_id = sub.expect(201)["id"].as_i64().expect("id");
    let project = app.project("tool", "private", Some(sub_id)).await;
    let project_id = project["id"].as_i64().expect("id");
    let elsewhere = app.project("other", "private", None).await;
    app.post(
        &app.root,
        &format!("/groups/{group_id}/members"),
        json!({"user_id": maintainer.id, "access_level": 40}),
    )
    .await
    .expect(201);
    let (base, received) = receiver(StatusCode::OK).await;
    let path = format!("/groups/{group_id}/hooks");
    let body =
        json!({"url": format!("{base}/hook"), "releases_events": true, "subgroup_events": true});
    // Owners only, as GitLab's `admin_group`.
    let refused = app.post(&maintainer, &path, body.clone()).await;
    assert_eq!(refused.expect(403), &json!({"message": "403 Forbidden"}));
    let created = app.post(&owner, &path, body).await;
    let hook = created.expect(201).clone();
    assert_eq!(hook["group_id"], group_id);
    assert_eq!(hook["subgroup_events"], true);
    assert!(hook.get("project_id").is_none());
    let list = app.get(&owner, &path).await;
    let list = list.expect(200);
    assert_eq!(
        list[0]["url_variables"],
        json!([]),
        "a group's list shows them"
    );

    app.release(project_id, "v1.0").await;
    app.release(elsewhere["id"].as_i64().expect("id"), "v1.0")
        .await;
    let got = received.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(received.all().len(), 1, "only the group's projects");
    let parsed = bodies(&got);
    assert_eq!(parsed[0]["project"]["id"], project_id);
    let hook_id = hook["id"].as_i64().expect("id");
    let events = app.get(&owner, &format!("{path}/{hook_id}/events")).await;
    assert_eq!(events.expect(200)[0]["response_status"], "200");
    let test = app
        .post(
            &owner,
            &format!("{path}/{hook_id}/test/releases_events"),
            json!({}),
        )
        .await;
    assert_eq!(
        test.expect(422),
        &json!({"message": "Testing not available for this hook"})
    );
    let header_path = format!("{path}/{hook_id}/custom_headers/X-Team");
    let set = app.put(&owner, &header_path, json!({"value": "ops"})).await;
    assert_eq!(set.status, 204);
    let shown = app.get(&owner, &format!("{path}/{hook_id}")).await;
    assert_eq!(
        shown.expect(200)["custom_headers"],
        json!([{"key": "X-Team"}])
    );
    app.put(&maintainer, &header_path, json!({"value": "x"}))
        .await
        .expect(403);
    assert_eq!(app.delete(&owner, &header_path).await.status, 204);
    let deleted = app.delete(&owner, &format!("{path}/{hook_id}")).await;
    assert_eq!(deleted.status, 204);
}

#[tokio::test]
async fn redirects_are_not_followed_and_count_as_answers() {
    let w = local_world().await;
    let (base, received) = receiver(StatusCode::OK).await;
    let hook = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({"url": format!("{base}/moved"), "releases_events": true}),
        )
        .await;
    let id = hook.expect(201)["id"].as_i64().expect("id");
    w.app.release(w.project_id, "v4.0").await;
    let events_path = format!("{}/{id}/events", hooks(&w));
    let mut event = Value::Null;
    for _ in 0..100 {
        event = w.app.get(&w.maintainer, &events_path).await.expect(200)[0].clone();
        if event["state"] != "pending" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // GitLab counts a 3xx as a success; relinks does not go where it points.
    assert_eq!(event["state"], "delivered", "{event}");
    assert_eq!(event["response_status"], "302");
    assert_eq!(event["response_headers"]["Location"], "/hook");
    assert!(received.all().is_empty(), "the redirect was not followed");
}

#[tokio::test]
async fn an_answer_the_database_cannot_keep_still_counts_and_nothing_secret_is_logged() {
    let w = local_world().await;
    // A receiver answering 500 with a body holding a NUL (PostgreSQL's text refuses it).
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "bad\0body") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let port = listener.local_addr().expect("address").port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let hook = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({
                "url": format!("http://user:secret-password@127.0.0.1:{port}/{{path}}"),
                "url_variables": [{"key": "path", "value": "hook"}],
                "releases_events": true,
            }),
        )
        .await;
    let id = hook.expect(201)["id"].as_i64().expect("id");
    let test = w
        .app
        .post(
            &w.maintainer,
            &format!("{}/{id}/test/releases_events", hooks(&w)),
            json!({}),
        )
        .await;
    assert_eq!(test.expect(422), &json!({"message": "bad\u{fffd}body"}));
    w.app.release(w.project_id, "v5.0").await;
    let events_path = format!("{}/{id}/events", hooks(&w));
    let mut events = Value::Null;
    for _ in 0..100 {
        events = w
            .app
            .get(&w.maintainer, &events_path)
            .await
            .expect(200)
            .clone();
        if events.as_array().is_some_and(|e| {
            e.iter()
                .any(|e| e["trigger"] == "release_hooks" && e["attempts"].as_i64() >= Some(2))
        }) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = events.to_string();
    assert!(
        text.contains("bad\u{fffd}body")
            || text.contains("bad\\ufffdbody")
            || text.contains("bad�body"),
        "{text}"
    );
    assert!(!text.contains("secret-password"), "{text}");
    assert!(text.contains("*****:*****@127.0.0.1"), "{text}");

    // A receiver that is gone: the error kept says why, without the URL's secrets.
    let gone = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({
                "url": "http://127.0.0.1:9/{path}",
                "url_variables": [{"key": "path", "value": "very-secret-path"}],
                "releases_events": true,
            }),
        )
        .await;
    let gone = gone.expect(201)["id"].as_i64().expect("id");
    let refused = w
        .app
        .post(
            &w.maintainer,
            &format!("{}/{gone}/test/releases_events", hooks(&w)),
            json!({}),
        )
        .await;
    let message = refused.expect(422)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        !message.is_empty() && !message.contains("very-secret-path"),
        "{message}"
    );
}

#[tokio::test]
async fn a_custom_template_shapes_the_body_and_url_credentials_become_basic_auth() {
    let w = local_world().await;
    let (base, received) = receiver(StatusCode::OK).await;
    let address = base.trim_start_matches("http://");
    let hook = w
        .app
        .post(
            &w.maintainer,
            &hooks(&w),
            json!({
                "url": format!("http://deployer:pa%24%24@{address}/hook"),
                "releases_events": true,
                "custom_webhook_template":
                    "{\"text\":\"{{name}} is out: {{url}}\",\"links\":{{assets.count}},\"kind\":\"{{object_kind}}\"}",
            }),
        )
        .await;
    let id = hook.expect(201)["id"].as_i64().expect("id");
    w.app
        .post(
            &w.maintainer,
            &format!("/projects/{}/releases", w.project_id),
            json!({"tag_name": "v6.0", "name": "Six \"quoted\""}),
        )
        .await
        .expect(201);
    let got = received.wait_for(1).await;
    let body: Value = serde_json::from_str(&got[0].1).expect("the rendered template is JSON");
    assert_eq!(body["kind"], "release");
    assert_eq!(body["links"], 4, "no links, four sources");
    assert!(
        body["text"].as_str().is_some_and(
            |t| t.starts_with("Six \"quoted\" is out: http") && t.ends_with("/-/releases/v6.0")
        ),
        "{body}"
    );
    // The URL's user and password go as Basic credentials, not in the request line.
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("deployer:pa$$")
    );
    assert_eq!(header(&got[0].0, "authorization"), expected);

    // A template that does not render to JSON: the attempt fails with GitLab's message.
    let broken = w
        .app
        .put(
            &w.maintainer,
            &format!("{}/{id}", hooks(&w)),
            json!({"custom_webhook_template": "{\"text\": {{name}}}"}),
        )
        .await;
    broken.expect(200);
    let test = w
        .app
        .post(
            &w.maintainer,
            &format!("{}/{id}/test/releases_events", hooks(&w)),
            json!({}),
        )
        .await;
    let message = test.expect(422)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        message.starts_with("Error while parsing rendered custom webhook template: "),
        "{message}"
    );
    let too_long = w
        .app
        .put(
            &w.maintainer,
            &format!("{}/{id}", hooks(&w)),
            json!({"custom_webhook_template": "x".repeat(4097)}),
        )
        .await;
    assert_eq!(
        too_long.expect(422),
        &json!({"error": "Custom webhook template is too long (maximum is 4096 characters)"})
    );
}
