//! Semantic-version order and channels (relinks' extension, issue 18): `order_by=semver` on the
//! releases list, `order_by` and `channel` on the latest permalinks (API and pages), and the
//! project setting `releases_latest_order`. Without them, GitLab's order.

use crate::common;

use common::{execute_sql, serve_url, test_config, Caller, TestApp};
use serde_json::{json, Value};

/// Tags, and the day of January 2026 each was released: released-at order is not version order.
const RELEASES: [(&str, u32); 7] = [
    ("release-candidate", 1),
    ("1.9.9+build.7", 2),
    ("v2.0.0", 3),
    ("v1.10.0", 5),
    ("v1.2.0", 6),
    ("v2.0.0-rc.1", 7),
    ("nightly", 8),
];

async fn project_with_releases(app: &TestApp) -> i64 {
    let project = app.project("tool", "public", None).await;
    let id = project["id"].as_i64().expect("id");
    for (tag, day) in RELEASES {
        app.post(
            &app.root,
            &format!("/projects/{id}/releases"),
            json!({"tag_name": tag, "released_at": format!("2026-01-{day:02}T00:00:00Z")}),
        )
        .await
        .expect(201);
    }
    // Upcoming: never "latest", whatever the order.
    app.post(
        &app.root,
        &format!("/projects/{id}/releases"),
        json!({"tag_name": "v3.0.0", "released_at": "2099-01-01T00:00:00Z"}),
    )
    .await
    .expect(201);
    id
}

fn tags(releases: &Value) -> Vec<&str> {
    releases
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["tag_name"].as_str().expect("tag"))
        .collect()
}

async fn listed(app: &TestApp, id: i64, query: &str) -> Vec<String> {
    let reply = app
        .get(&app.root, &format!("/projects/{id}/releases?{query}"))
        .await;
    tags(reply.expect(200))
        .into_iter()
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn releases_are_listed_in_version_order_then_the_others_by_release_date() {
    let app = TestApp::start().await;
    let id = project_with_releases(&app).await;
    assert_eq!(
        listed(&app, id, "order_by=semver").await,
        [
            "v3.0.0",
            "v2.0.0",
            "v2.0.0-rc.1",
            "v1.10.0",
            "1.9.9+build.7",
            "v1.2.0",
            "nightly",
            "release-candidate"
        ]
    );
    assert_eq!(
        listed(&app, id, "order_by=semver&sort=asc").await,
        [
            "v1.2.0",
            "1.9.9+build.7",
            "v1.10.0",
            "v2.0.0-rc.1",
            "v2.0.0",
            "v3.0.0",
            "release-candidate",
            "nightly"
        ]
    );
    // Pages follow the same order.
    let page = app
        .get(
            &app.root,
            &format!("/projects/{id}/releases?order_by=semver&per_page=3&page=2"),
        )
        .await;
    assert_eq!(
        tags(page.expect(200)),
        ["v1.10.0", "1.9.9+build.7", "v1.2.0"]
    );
    assert_eq!(page.header("x-total"), Some("8"));
    // Without it, GitLab's order.
    assert_eq!(
        listed(&app, id, "").await,
        [
            "v3.0.0",
            "nightly",
            "v2.0.0-rc.1",
            "v1.2.0",
            "v1.10.0",
            "v2.0.0",
            "1.9.9+build.7",
            "release-candidate"
        ]
    );
    let bad = app
        .get(
            &app.root,
            &format!("/projects/{id}/releases?order_by=version"),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body,
        json!({"error": "order_by does not have a valid value"})
    );
}

/// Where the API's latest permalink leads with `query`: the tag and the query kept.
async fn latest(app: &TestApp, id: i64, suffix: &str, query: &str) -> String {
    let reply = app
        .get(
            &Caller::anonymous(),
            &format!("/projects/{id}/releases/permalink/latest{suffix}?{query}"),
        )
        .await;
    assert_eq!(reply.status, 302, "{query}: {}", reply.text);
    let location = reply.header("location").expect("location");
    let prefix = app.url(&format!("/projects/{id}/releases/"));
    location
        .strip_prefix(&prefix)
        .unwrap_or_else(|| panic!("{location} is under {prefix}"))
        .to_owned()
}

#[tokio::test]
async fn the_latest_permalinks_follow_the_order_and_channel_asked_for() {
    let app = TestApp::start().await;
    let id = project_with_releases(&app).await;
    for (query, expected) in [
        ("", "nightly"),
        ("order_by=released_at", "nightly"),
        ("order_by=created_at", "nightly"),
        ("order_by=semver", "v2.0.0"),
        ("channel=stable", "v1.2.0"),
        ("channel=prerelease", "v2.0.0-rc.1"),
        ("order_by=semver&channel=stable", "v2.0.0"),
        ("order_by=semver&channel=prerelease", "v2.0.0"),
        (
            "order_by=semver&channel=stable&private=no&x=1",
            "v2.0.0?private=no&x=1",
        ),
    ] {
        assert_eq!(latest(&app, id, "", query).await, expected, "{query}");
    }
    assert_eq!(
        latest(
            &app,
            id,
            "/downloads/bin/tool",
            "channel=stable&order_by=semver"
        )
        .await,
        "v2.0.0/downloads/bin/tool"
    );
    // Other channels are not relinks': ignored and passed on, as GitLab passes on what it does
    // not know.
    assert_eq!(
        latest(&app, id, "", "channel=beta").await,
        "nightly?channel=beta"
    );

    // The pages' permalink: the same choice; the query is kept as it came but for the channel.
    let page = |query: &str| {
        app.client
            .get(app.web_url(&format!("/root/tool/-/releases/permalink/latest?{query}")))
            .send()
    };
    let reply = page("order_by=semver&channel=stable&a=b")
        .await
        .expect("page");
    assert_eq!(reply.status(), 302);
    assert_eq!(
        reply.headers()["location"],
        app.web_url("/root/tool/-/releases/v2.0.0?order_by=semver&a=b")
            .as_str()
    );
    let reply = page("channel=prerelease").await.expect("page");
    assert_eq!(
        reply.headers()["location"],
        app.web_url("/root/tool/-/releases/v2.0.0-rc.1").as_str()
    );
    let reply = page("channel=beta").await.expect("page");
    assert_eq!(
        reply.headers()["location"],
        app.web_url("/root/tool/-/releases/nightly?channel=beta")
            .as_str()
    );
}

#[tokio::test]
async fn a_project_may_make_its_plain_latest_links_follow_versions() {
    let app = TestApp::start().await;
    let id = project_with_releases(&app).await;
    let project = app.get(&app.root, &format!("/projects/{id}")).await;
    assert!(project.expect(200).get("releases_latest_order").is_none());

    let bad = app
        .put(
            &app.root,
            &format!("/projects/{id}"),
            json!({"releases_latest_order": "newest"}),
        )
        .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.body,
        json!({"error": "releases_latest_order does not have a valid value"})
    );
    let updated = app
        .put(
            &app.root,
            &format!("/projects/{id}"),
            json!({"releases_latest_order": "semver"}),
        )
        .await;
    assert_eq!(updated.expect(200)["releases_latest_order"], "semver");
    assert_eq!(latest(&app, id, "", "").await, "v2.0.0");
    assert_eq!(
        latest(&app, id, "", "order_by=released_at").await,
        "nightly"
    );
    let reply = app
        .client
        .get(app.web_url("/root/tool/-/releases/permalink/latest/downloads/x"))
        .send()
        .await
        .expect("page");
    assert_eq!(
        reply.headers()["location"],
        app.web_url("/root/tool/-/releases/v2.0.0/downloads/x")
            .as_str()
    );

    // null unsets it: GitLab's order again.
    let unset = app
        .put(
            &app.root,
            &format!("/projects/{id}"),
            json!({"releases_latest_order": null}),
        )
        .await;
    assert!(unset.expect(200).get("releases_latest_order").is_none());
    assert_eq!(latest(&app, id, "", "").await, "nightly");

    // Set at creation too, and shown with the project.
    let created = app
        .post(
            &app.root,
            "/projects",
            json!({"name": "other", "releases_latest_order": "released_at"}),
        )
        .await;
    assert_eq!(created.expect(201)["releases_latest_order"], "released_at");
}

#[tokio::test]
async fn releases_from_before_version_keys_get_theirs_at_start() {
    let app = TestApp::start().await;
    let id = project_with_releases(&app).await;
    // As a database migrated from before version keys holds them.
    let cleared = execute_sql(app.database_url(), "UPDATE releases SET version_key = NULL").await;
    assert_eq!(cleared, 8);
    let (base, _stop) = serve_url(app.database_url(), test_config()).await;
    let restarted = TestApp::attach(base);
    assert_eq!(
        listed(&restarted, id, "order_by=semver").await[..3],
        ["v3.0.0", "v2.0.0", "v2.0.0-rc.1"]
    );
}
