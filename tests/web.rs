//! What browsers and download scripts see: permanent links (web and API), the latest-release
//! permalink, the release pages, signing in and out, and the security headers.

use crate::common;

use common::{into_reply, Caller, Reply, TestApp, World};
use reqwest::Method;
use serde_json::{json, Value};

async fn get_raw(app: &TestApp, url: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = app.client.get(app.web_url(url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    into_reply(request.send().await.expect("answered")).await
}

fn location(reply: &Reply) -> &str {
    reply.header("location").unwrap_or_default()
}

#[tokio::test]
async fn permanent_links_redirect_to_the_link_url() {
    let w = World::new("public").await;
    let web = format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path);
    let reply = get_raw(&w.app, &web, &[]).await;
    assert_eq!(
        (reply.status, location(&reply)),
        (302, "https://example.com/first")
    );
    let head = into_reply(
        w.app
            .client
            .head(w.app.web_url(&web))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(
        (head.status, location(&head)),
        (302, "https://example.com/first")
    );
    let api = format!(
        "/projects/{}/releases/v1.0/downloads/bin/first",
        w.project_id
    );
    let reply = w.app.get(&Caller::anonymous(), &api).await;
    assert_eq!(
        (reply.status, location(&reply)),
        (302, "https://example.com/first")
    );

    let missing_link = get_raw(
        &w.app,
        &format!("/{}/-/releases/v1.0/downloads/bin/none", w.project_path),
        &[],
    )
    .await;
    assert_eq!(missing_link.status, 404);
    assert!(missing_link.content_type().starts_with("text/html"));
    let missing_release = get_raw(
        &w.app,
        &format!("/{}/-/releases/v9/downloads/bin/first", w.project_path),
        &[],
    )
    .await;
    assert_eq!(missing_release.status, 404);
    let api_missing_release = w
        .app
        .get(
            &Caller::anonymous(),
            &format!("/projects/{}/releases/v9/downloads/bin/first", w.project_id),
        )
        .await;
    assert_eq!(
        api_missing_release.expect(404),
        &json!({"message": "404 Not Found"})
    );
    let api_missing_link = w
        .app
        .get(
            &Caller::anonymous(),
            &format!(
                "/projects/{}/releases/v1.0/downloads/bin/none",
                w.project_id
            ),
        )
        .await;
    assert_eq!(
        api_missing_link.expect(404),
        &json!({"message": "404 Not found"})
    );
}

#[tokio::test]
async fn private_permanent_links_need_a_token_or_a_session_and_never_hint() {
    let w = World::new("private").await;
    let web = format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path);
    assert_eq!(get_raw(&w.app, &web, &[]).await.status, 404);
    let wrong = get_raw(&w.app, &format!("{web}?private_token=glpat-wrong"), &[]).await;
    assert_eq!(wrong.status, 404, "a bad token looks like no token");
    let outsider = w.outsider.token.clone().expect("token");
    assert_eq!(
        get_raw(&w.app, &format!("{web}?private_token={outsider}"), &[])
            .await
            .status,
        404
    );
    let reporter = w.reporter.token.clone().expect("token");
    let by_param = get_raw(&w.app, &format!("{web}?private_token={reporter}"), &[]).await;
    assert_eq!(
        (by_param.status, location(&by_param)),
        (302, "https://example.com/first")
    );
    let by_header = get_raw(&w.app, &web, &[("PRIVATE-TOKEN", &reporter)]).await;
    assert_eq!(by_header.status, 302);
    let guest = w.guest.token.clone().expect("token");
    assert_eq!(
        get_raw(&w.app, &web, &[("PRIVATE-TOKEN", &guest)])
            .await
            .status,
        404,
        "guests may not download code of private projects"
    );
    let cookie = sign_in(&w.app, &reporter).await;
    let by_session = get_raw(&w.app, &web, &[("cookie", &cookie)]).await;
    assert_eq!(by_session.status, 302);
}

#[tokio::test]
async fn nested_groups_and_tags_with_slashes_have_permanent_links() {
    let app = TestApp::start().await;
    let group = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "A", "path": "a", "visibility": "public"}),
        )
        .await;
    let gid = group.expect(201)["id"].as_i64().expect("id");
    let sub = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "B", "path": "b", "parent_id": gid, "visibility": "public"}),
        )
        .await;
    let sid = sub.expect(201)["id"].as_i64().expect("id");
    let project = app.project("c", "public", Some(sid)).await;
    let id = project["id"].as_i64().expect("id");
    app.release(id, "release/1.0").await;
    let link = app
        .post(
            &app.root,
            &format!("/projects/{id}/releases/release%2F1.0/assets/links"),
            json!({"name": "x", "url": "https://e.x/x", "filepath": "/deep/er/x.tar.gz"}),
        )
        .await;
    let url = link.expect(201)["direct_asset_url"]
        .as_str()
        .expect("url")
        .to_owned();
    assert_eq!(
        url,
        format!(
            "{}/a/b/c/-/releases/release%2F1.0/downloads/deep/er/x.tar.gz",
            app.base
        )
    );
    let reply = get_raw(&app, &url, &[]).await;
    assert_eq!((reply.status, location(&reply)), (302, "https://e.x/x"));
}

#[tokio::test]
async fn the_latest_release_permalink() {
    let w = World::new("public").await;
    let releases = format!("/projects/{}/releases", w.project_id);
    w.app
        .post(
            &w.app.root,
            &releases,
            json!({"tag_name": "v0.9", "released_at": "2020-01-01T00:00:00Z"}),
        )
        .await
        .expect(201);
    w.app
        .post(
            &w.app.root,
            &releases,
            json!({"tag_name": "v3.0", "released_at": "2999-01-01T00:00:00Z"}),
        )
        .await
        .expect(201);
    let api = w
        .app
        .get(
            &Caller::anonymous(),
            &format!("/projects/{}/releases/permalink/latest", w.project_id),
        )
        .await;
    assert_eq!(
        location(&api),
        format!(
            "{}/api/v4/projects/{}/releases/v1.0",
            w.app.base, w.project_id
        ),
        "upcoming releases are not the latest"
    );
    let encoded = w.project_path.replace('/', "%2F");
    let deep = w.app.get(&Caller::anonymous(), &format!("/projects/{encoded}/releases/permalink/latest/downloads/bin/first?order_by=released_at&x=1")).await;
    assert_eq!(
        location(&deep),
        format!(
            "{}/api/v4/projects/{}/releases/v1.0/downloads/bin/first?x=1",
            w.app.base, w.project_id
        )
    );
    let followed = w.app.get(&Caller::anonymous(), location(&deep)).await;
    assert_eq!(location(&followed), "https://example.com/first");
    let web = get_raw(
        &w.app,
        &format!(
            "/{}/-/releases/permalink/latest/downloads/bin/first",
            w.project_path
        ),
        &[],
    )
    .await;
    assert_eq!(
        location(&web),
        format!(
            "{}/{}/-/releases/v1.0/downloads/bin/first",
            w.app.base, w.project_path
        )
    );
    let empty = w.app.project("empty", "public", None).await["id"]
        .as_i64()
        .expect("id");
    let none = w
        .app
        .get(
            &Caller::anonymous(),
            &format!("/projects/{empty}/releases/permalink/latest"),
        )
        .await;
    assert_eq!(none.expect(404), &json!({"message": "404 Not Found"}));
}

#[tokio::test]
async fn every_direct_asset_url_ever_returned_keeps_resolving() {
    let w = World::new("private").await;
    let token = w.developer.token.clone().expect("token");
    let mut seen: Vec<(String, i64)> = vec![];
    let mut remember = |body: &Value| {
        if let (Some(url), Some(id)) = (body["direct_asset_url"].as_str(), body["id"].as_i64()) {
            if url.contains("/downloads/") {
                seen.push((url.to_owned(), id));
            }
        }
    };
    let links = w.links();
    let first = w.app.get(&w.developer, &w.link(w.link_id)).await;
    remember(first.expect(200));
    let mut ids = vec![w.link_id];
    for i in 0..8 {
        let created = w.app.post(&w.developer, &links, json!({"name": format!("f{i}"), "url": format!("https://e.x/f{i}"), "direct_asset_path": format!("/v1/f{i}")})).await;
        remember(created.expect(201));
        ids.push(created.body["id"].as_i64().expect("id"));
    }
    // Renames and moves: filepaths change, twice for some links; names and URLs change too.
    for (round, id) in ids.iter().enumerate().skip(1) {
        let moved = w
            .app
            .put(
                &w.developer,
                &w.link(*id),
                json!({"name": format!("g{round}"), "direct_asset_path": format!("/v2/g{round}")}),
            )
            .await;
        remember(moved.expect(200));
        if round % 2 == 0 {
            let again = w.app.put(&w.developer, &w.link(*id), json!({"url": format!("https://e.x/moved/{round}"), "filepath": format!("/v3/h{round}")})).await;
            remember(again.expect(200));
        }
    }
    // The project moves too.
    w.app
        .put(
            &w.app.root,
            &format!("/projects/{}", w.project_id),
            json!({"path": "renamed-app"}),
        )
        .await
        .expect(200);
    let list = w
        .app
        .get(&w.developer, &format!("{}?per_page=100", w.links()))
        .await;
    for link in list.expect(200).as_array().expect("list") {
        remember(link);
    }
    let current: std::collections::HashMap<i64, String> = list
        .body
        .as_array()
        .expect("list")
        .iter()
        .map(|l| {
            (
                l["id"].as_i64().expect("id"),
                l["url"].as_str().expect("url").to_owned(),
            )
        })
        .collect();
    assert!(seen.len() > 20, "{}", seen.len());
    for (url, id) in &seen {
        let reply = get_raw(&w.app, url, &[("PRIVATE-TOKEN", &token)]).await;
        assert_eq!(reply.status, 302, "{url} no longer resolves");
        assert_eq!(location(&reply), current[id], "{url} leads to link {id}");
    }
}

async fn sign_in(app: &TestApp, token: &str) -> String {
    common::signed_in_session(app, token).await
}

#[tokio::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_signing_out_clears_it() {
    let w = World::new("private").await;
    let pages = format!("/{}/-/releases", w.project_path);
    assert_eq!(get_raw(&w.app, &pages, &[]).await.status, 404);
    let form = get_raw(&w.app, "/users/sign_in", &[]).await;
    assert_eq!(form.status, 200);
    assert!(form.text.contains("<label for=\"token\">"));

    let token = w.reporter.token.clone().expect("token");
    let reply = common::post_sign_in(
        &w.app,
        &[("token", token.as_str()), ("return_to", pages.as_str())],
    )
    .await;
    assert_eq!((reply.status, location(&reply)), (303, pages.as_str()));
    let cookie = reply.header("set-cookie").expect("cookie").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: no Secure flag");
    assert!(
        !cookie.contains(&token),
        "the cookie is a session, not the token"
    );
    let session = cookie.split(';').next().expect("name=value").to_owned();
    let page = get_raw(&w.app, &pages, &[("cookie", &session)]).await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("Signed in as <strong>reporter</strong>"));

    let out = common::post_form(&w.app, "/users/sign_out", &[], &[&session]).await;
    assert_eq!((out.status, location(&out)), (303, "/users/sign_in"));
    assert!(out
        .header("set-cookie")
        .expect("cleared")
        .contains("Max-Age=0"));
    assert_eq!(
        get_raw(&w.app, &pages, &[("cookie", &session)])
            .await
            .status,
        404,
        "the session is gone"
    );

    let bad = common::post_sign_in(&w.app, &[("token", "glpat-wrong")]).await;
    assert_eq!(bad.status, 401);
    assert!(bad.text.contains("That token is not valid."));
    let evil = common::post_sign_in(
        &w.app,
        &[("token", token.as_str()), ("return_to", "//evil.example/")],
    )
    .await;
    assert_eq!(location(&evil), "/");
}

#[tokio::test]
async fn sessions_end_with_their_token() {
    let app = TestApp::start().await;
    let user = app.user("someone").await;
    let cookie = sign_in(&app, user.token.as_deref().expect("token")).await;
    assert_eq!(get_raw(&app, "/", &[("cookie", &cookie)]).await.status, 200);
    app.delete(&user, "/personal_access_tokens/self")
        .await
        .expect(204);
    let home = get_raw(&app, "/", &[("cookie", &cookie)]).await;
    assert!(
        !home.text.contains("Signed in as"),
        "a revoked token ends its sessions"
    );
}

#[tokio::test]
async fn release_pages_render_sanitised_markdown_links_and_badges() {
    let w = World::new("public").await;
    let releases = format!("/projects/{}/releases", w.project_id);
    let description = "## Notes\n\n<script>alert('x')</script>\n\n<img src=x onerror=alert(1)> **bold** [doc](javascript:alert(1))";
    w.app
        .post(&w.app.root, &releases, json!({"tag_name": "v2.0", "name": "<b>Two</b>", "description": description, "released_at": "2999-01-01",
            "assets": {"links": [{"name": "<i>bin</i>", "url": "https://e.x/bin", "filepath": "/bin/two", "link_type": "package"}]}}))
        .await
        .expect(201);
    let page = get_raw(&w.app, &format!("/{}/-/releases", w.project_path), &[]).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.content_type(), "text/html; charset=utf-8");
    let html = &page.text;
    assert!(
        html.contains("<main id=\"content\">") && html.contains("<nav aria-label=\"Account\">")
    );
    assert!(html.contains("<strong>bold</strong>"));
    assert!(
        !html.contains("<script>alert")
            && !html.contains("onerror")
            && !html.contains("javascript:")
    );
    assert!(html.contains("&lt;b&gt;Two&lt;/b&gt;") && html.contains("&lt;i&gt;bin&lt;/i&gt;"));
    assert!(html.contains("Upcoming release"));
    assert!(html.contains(&format!(
        "data-copy=\"{}/{}/-/releases/v2.0/downloads/bin/two\"",
        w.app.base, w.project_path
    )));
    assert!(
        html.find("v2.0").expect("v2.0") < html.find("v1.0").expect("v1.0"),
        "newest first"
    );
    let one = get_raw(&w.app, &format!("/{}/-/releases/v1.0", w.project_path), &[]).await;
    assert_eq!(one.status, 200);
    assert!(one.text.contains("https://example.com/first"));
    for header in [
        "content-security-policy",
        "x-content-type-options",
        "referrer-policy",
    ] {
        assert!(page.header(header).is_some(), "{header}");
        assert!(one.header(header).is_some(), "{header}");
    }
    let css = get_raw(&w.app, "/-/assets/relinks.css", &[]).await;
    assert_eq!(
        (css.status, css.content_type()),
        (200, "text/css; charset=utf-8")
    );
    let js = get_raw(&w.app, "/-/assets/relinks.js", &[]).await;
    assert!(js.text.contains("clipboard"));
}

#[tokio::test]
async fn release_pages_are_paginated() {
    let w = World::new("public").await;
    let releases = format!("/projects/{}/releases", w.project_id);
    for i in 0..25 {
        w.app.post(&w.app.root, &releases, json!({"tag_name": format!("r{i:02}"), "released_at": format!("2021-01-{:02}T00:00:00Z", i + 1)})).await.expect(201);
    }
    let first = get_raw(&w.app, &format!("/{}/-/releases", w.project_path), &[]).await;
    assert!(first.text.contains("Page 1 of 2") && first.text.contains("rel=\"next\""));
    let second = get_raw(
        &w.app,
        &format!("/{}/-/releases?page=2", w.project_path),
        &[],
    )
    .await;
    assert!(second.text.contains("Page 2 of 2") && second.text.contains("r00"));
}

#[tokio::test]
async fn unknown_pages_are_html_404s_and_unknown_api_routes_json() {
    let app = TestApp::start().await;
    let page = get_raw(&app, "/nobody/nothing/-/releases", &[]).await;
    assert_eq!(page.status, 404);
    assert!(page.text.contains("404"));
    let api = app
        .send(&app.root, Method::GET, "/api/v4/nothing", None)
        .await;
    assert_eq!(api.expect(404), &json!({"error": "404 Not Found"}));
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_and_report_the_store() {
    let w = World::new("private").await;
    w.app.get(&w.developer, &w.links()).await.expect(200);
    w.app
        .get(&w.developer, &w.link(w.link_id))
        .await
        .expect(200);
    w.app.get(&w.outsider, &w.links()).await.expect(404);
    let metrics = get_raw(&w.app, "/-/metrics", &[]).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.content_type().starts_with("text/plain"));
    let text = &metrics.text;
    let route = "/api/v4/projects/{id}/releases/{tag_name}/assets/links";
    assert!(
        text.contains(&format!(
            "relinks_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"200\"}} 1"
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "relinks_http_requests_total{{method=\"GET\",route=\"{route}\",status=\"404\"}} 1"
    )));
    assert!(text.contains("relinks_http_request_duration_seconds_bucket"));
    assert!(text.contains("relinks_objects{kind=\"links\"} 1"));
    assert!(text.contains("relinks_objects{kind=\"projects\"} 1"));
    assert!(text.contains("relinks_database_connections{state=\"open\"}"));
    assert!(
        !text.contains(&w.project_path),
        "concrete paths never become labels"
    );
}

#[tokio::test]
async fn request_ids_are_kept_or_made() {
    let app = TestApp::start().await;
    let given = get_raw(&app, "/-/liveness", &[("x-request-id", "abc-123")]).await;
    assert_eq!(given.header("x-request-id"), Some("abc-123"));
    let made = get_raw(&app, "/-/liveness", &[]).await;
    assert_eq!(made.header("x-request-id").map(str::len), Some(36));
}
