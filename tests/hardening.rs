//! What a probe of the running server as an attacker found, each fixed and kept fixed: releases
//! leaking through tags, pages and permalinks showing more than the API, URLs and paths that
//! mislead, request ids, caching headers and session cookies.

use crate::common;

use common::{Caller, World};
use serde_json::json;

/// A public project whose releases only members may read (`releases_access_level: private`).
async fn members_only_releases() -> World {
    let w = World::new("public").await;
    w.app
        .put(
            &w.app.root,
            &format!("/projects/{}", w.project_id),
            json!({"releases_access_level": "private"}),
        )
        .await
        .expect(200);
    w.app
        .post(
            &w.app.root,
            &format!("/projects/{}/repository/tags", w.project_id),
            json!({"tag_name": "bare", "ref": "main"}),
        )
        .await
        .expect(201);
    w
}

#[tokio::test]
async fn tags_embed_their_release_only_for_callers_who_may_read_releases() {
    let w = members_only_releases().await;
    let tags = format!("/projects/{}/repository/tags", w.project_id);
    let one = format!("{tags}/v1.0");
    for caller in [&Caller::anonymous(), &w.outsider] {
        let list = w.app.get(caller, &tags).await;
        let list = list.expect(200).as_array().expect("tags").clone();
        assert_eq!(list.len(), 2);
        assert!(
            list.iter().all(|t| t.get("release").is_none()),
            "no release for {}: {list:?}",
            caller.username
        );
        let tag = w.app.get(caller, &one).await;
        assert!(tag.expect(200).get("release").is_none(), "{}", tag.text);
    }
    let list = w.app.get(&w.guest, &tags).await;
    let list = list.expect(200).as_array().expect("tags").clone();
    let v1 = list.iter().find(|t| t["name"] == "v1.0").expect("v1.0");
    assert_eq!(
        v1["release"],
        json!({"tag_name": "v1.0", "description": null})
    );
    let bare = list.iter().find(|t| t["name"] == "bare").expect("bare");
    assert!(
        bare.get("release").is_some_and(serde_json::Value::is_null),
        "{bare}"
    );
    let tag = w.app.get(&w.guest, &one).await;
    assert_eq!(tag.expect(200)["release"]["tag_name"], "v1.0");
    // A tag just recorded by a developer has no release yet: `null`, not absent.
    let created = w
        .app
        .post(
            &w.developer,
            &tags,
            json!({"tag_name": "v2.0", "ref": "main"}),
        )
        .await;
    assert!(created.expect(201)["release"].is_null());
    assert!(created.body.get("release").is_some());
}

/// Runs one statement on the test's database behind the server's back (to plant what the API
/// no longer accepts), then makes one harmless write so that no cached read hides it.
async fn plant(w: &World, sql: &str) {
    use sqlx::Connection;
    let url = w.app.database_url();
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.expect("opens");
        sqlx::query(sql)
            .execute(&mut connection)
            .await
            .expect("runs");
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("opens");
        sqlx::query(sql)
            .execute(&mut connection)
            .await
            .expect("runs");
    }
    w.app
        .post(
            &w.app.root,
            &format!("/projects/{}/repository/tags", w.project_id),
            json!({"tag_name": format!("bump-{}", rand::random::<u32>()), "ref": "main"}),
        )
        .await
        .expect(201);
}

#[tokio::test]
async fn urls_with_control_characters_are_refused_as_gitlab_refuses_invalid_uris() {
    let w = World::new("public").await;
    let invalid = json!({"message": ["Url is blocked: URI is invalid"]});
    // (A NUL is refused earlier, as a parameter error, before any validation.)
    for control in ["\u{b}", "\u{1b}", "\u{7f}", "\u{85}", "\t"] {
        let url = format!("https://example.com/a{control}b");
        let created = w
            .app
            .post(&w.developer, &w.links(), json!({"name": "x", "url": url}))
            .await;
        assert_eq!(created.status, 400, "{control:?}: {}", created.text);
        assert_eq!(created.body, invalid, "{control:?}");
        let updated = w
            .app
            .put(&w.developer, &w.link(w.link_id), json!({"url": url}))
            .await;
        assert_eq!(updated.status, 400, "{control:?}: {}", updated.text);
        assert_eq!(updated.body, invalid);
    }
    let release = w
        .app
        .post(
            &w.developer,
            &format!("/projects/{}/releases", w.project_id),
            json!({"tag_name": "v2", "assets": {"links": [{"name": "a", "url": "https://e.x/\u{1b}"}]}}),
        )
        .await;
    assert_eq!(release.status, 400, "{}", release.text);
    let links = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(
        links.expect(200).as_array().map(Vec::len),
        Some(1),
        "nothing was added"
    );
}

#[tokio::test]
async fn a_permanent_link_always_answers_with_a_location() {
    let w = World::new("public").await;
    // A URL stored before control characters were refused.
    plant(
        &w,
        &format!(
            "UPDATE release_links SET url = 'https://example.com/a' || CHR(27) || 'b\u{fc}' WHERE id = {}",
            w.link_id
        )
        .replace("CHR(27)", if w.app.database_url().starts_with("sqlite:") { "char(27)" } else { "chr(27)" }),
    )
    .await;
    for path in [
        format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path),
        format!(
            "/api/v4/projects/{}/releases/v1.0/downloads/bin/first",
            w.project_id
        ),
    ] {
        let answer = w.app.get(&Caller::anonymous(), &w.app.web_url(&path)).await;
        assert_eq!(answer.status, 302, "{path}");
        assert_eq!(
            answer.header("location"),
            Some("https://example.com/a%1Bb%C3%BC"),
            "{path}"
        );
    }
}

/// A permanent link followed with a token (as CI scripts do) is redirected without the forms'
/// pre-session cookie: only a page with a form (the signed-in viewer's sign-out) sets it.
#[tokio::test]
async fn only_pages_with_a_form_set_the_forms_cookie() {
    let w = World::new("public").await;
    let link = format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path);
    let redirect = w.app.get(&w.developer, &w.app.web_url(&link)).await;
    assert_eq!(redirect.status, 302, "{}", redirect.text);
    assert_eq!(redirect.header("set-cookie"), None);
    let pages = format!("/{}/-/releases", w.project_path);
    let page = w.app.get(&w.developer, &w.app.web_url(&pages)).await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(
        page.header("set-cookie")
            .is_some_and(|cookie| cookie.starts_with("relinks_csrf=")),
        "{:?}",
        page.header("set-cookie")
    );
}

#[tokio::test]
async fn dot_segments_in_a_filepath_are_refused() {
    let w = World::new("public").await;
    let invalid = json!({"message": ["Filepath is in an invalid format"]});
    for path in [
        "/a/../../grp/secret/-/releases/v1/downloads/x",
        "/./bin/app",
        "/bin/..",
    ] {
        for key in ["direct_asset_path", "filepath"] {
            let created = w
                .app
                .post(
                    &w.developer,
                    &w.links(),
                    json!({"name": "x", "url": "https://example.com/x", key: path}),
                )
                .await;
            assert_eq!(created.status, 400, "{path}: {}", created.text);
            assert_eq!(created.body, invalid, "{path}");
        }
        let updated = w
            .app
            .put(
                &w.developer,
                &w.link(w.link_id),
                json!({"name": "first", "direct_asset_path": path}),
            )
            .await;
        assert_eq!(updated.body, invalid, "{path}");
    }
    let fine = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "y", "url": "https://example.com/y", "direct_asset_path": "/bin/app..tar.gz"}),
        )
        .await;
    fine.expect(201);
}

/// A raw request with headers, redirects not followed.
async fn raw(
    w: &World,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
    form: Option<&[(&str, &str)]>,
) -> common::Reply {
    let mut request = w.app.client.request(method, w.app.web_url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(form) = form {
        request = request.form(form);
    }
    common::into_reply(request.send().await.expect("answered")).await
}

fn is_uuid(id: Option<&str>) -> bool {
    id.is_some_and(|id| {
        id.len() == 36
            && id.chars().enumerate().all(|(i, c)| {
                if [8, 13, 18, 23].contains(&i) {
                    c == '-'
                } else {
                    c.is_ascii_hexdigit()
                }
            })
    })
}

#[tokio::test]
async fn only_plain_client_request_ids_are_kept() {
    let w = World::new("public").await;
    let kept = raw(
        &w,
        reqwest::Method::GET,
        "/-/liveness",
        &[("x-request-id", "ci.job:42_a-b")],
        None,
    )
    .await;
    assert_eq!(kept.header("x-request-id"), Some("ci.job:42_a-b"));
    let long = "a".repeat(129);
    for bad in ["<script>alert(1)</script>", "a b", "a/b;x=1", long.as_str()] {
        let made = raw(
            &w,
            reqwest::Method::GET,
            "/-/liveness",
            &[("x-request-id", bad)],
            None,
        )
        .await;
        assert!(
            is_uuid(made.header("x-request-id")),
            "{bad:?} → {:?}",
            made.header("x-request-id")
        );
    }
    // A write with a bad id is audited under the new one.
    let token = common::ROOT_TOKEN;
    let created = raw(
        &w,
        reqwest::Method::POST,
        &format!("/api/v4/projects/{}/repository/tags", w.project_id),
        &[
            ("private-token", token),
            ("x-request-id", "evil\" injected"),
        ],
        Some(&[("tag_name", "audited"), ("ref", "main")]),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.header("x-request-id").expect("an id").to_owned();
    assert!(is_uuid(Some(&id)));
    let events = w
        .app
        .get(
            &w.app.root,
            &format!(
                "/audit_events?entity_type=Project&entity_id={}",
                w.project_id
            ),
        )
        .await;
    let events = events.expect(200).as_array().expect("events").clone();
    assert_eq!(events[0]["details"]["request_id"], json!(id));
}

#[tokio::test]
async fn answers_say_how_they_may_be_cached() {
    let w = World::new("public").await;
    let anonymous = Caller::anonymous();
    let cache = |reply: &common::Reply| reply.header("cache-control").map(str::to_owned);
    let api_ok = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(
        cache(&api_ok).as_deref(),
        Some("max-age=0, private, must-revalidate")
    );
    let created = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "n", "url": "https://e.x/n"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(
        cache(&created).as_deref(),
        Some("max-age=0, private, must-revalidate")
    );
    let missing = w.app.get(&w.developer, &w.link(999_999)).await;
    assert_eq!(
        (missing.status, cache(&missing).as_deref()),
        (404, Some("no-cache"))
    );
    let unauthorized = w
        .app
        .get(&anonymous.with_token("glpat-nope"), "/user")
        .await;
    assert_eq!(cache(&unauthorized).as_deref(), Some("no-cache"));
    let gone = w
        .app
        .delete(
            &w.app.root,
            &format!("/projects/{}/repository/tags/v1.0", w.project_id),
        )
        .await;
    assert_eq!(
        (gone.status, cache(&gone).as_deref()),
        (204, Some("no-cache"))
    );
    let page = raw(
        &w,
        reqwest::Method::GET,
        &format!("/{}/-/releases", w.project_path),
        &[],
        None,
    )
    .await;
    assert_eq!(
        (page.status, cache(&page).as_deref()),
        (200, Some("private, no-store"))
    );
    let css = raw(&w, reqwest::Method::GET, "/-/assets/relinks.css", &[], None).await;
    assert_eq!(cache(&css).as_deref(), Some("public, max-age=3600"));
    assert!(
        page.header("strict-transport-security").is_none(),
        "plain http: no HSTS"
    );
}

#[tokio::test]
async fn over_https_browsers_are_told_to_keep_to_it() {
    let db = common::TestDatabase::new().await;
    let port = common::free_port();
    let _server = common::relinks_serve(&db.url, port)
        .args(["--external-url", "https://links.example"])
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    for path in ["/", "/api/v4/projects", "/-/health"] {
        let reply = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
            .await
            .expect("answered");
        assert_eq!(
            reply
                .headers()
                .get("strict-transport-security")
                .and_then(|v| v.to_str().ok()),
            Some("max-age=63072000"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn a_planted_session_cookie_does_not_sign_the_user_out() {
    let w = World::new("private").await;
    let token = w.reporter.token.clone().expect("token");
    let session = common::signed_in_session(&w.app, &token).await;
    let page = format!("/{}/-/releases", w.project_path);
    for cookies in [
        format!("relinks_session=rls-planted; {session}"),
        format!("{session}; relinks_session=rls-planted"),
    ] {
        let reply = raw(
            &w,
            reqwest::Method::GET,
            &page,
            &[("cookie", &cookies)],
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{cookies}");
        assert!(reply
            .text
            .contains("Signed in as <strong>reporter</strong>"));
    }
}

#[tokio::test]
async fn sign_in_and_sign_out_accept_only_their_own_forms() {
    let w = World::new("private").await;
    let token = w.reporter.token.clone().expect("token");
    let (cookie, form_token) = common::sign_in_form(&w.app).await;
    let sign_in = |headers: Vec<(&'static str, String)>, form: Vec<(&'static str, String)>| {
        let w = &w;
        async move {
            let mut request = w.app.client.post(w.app.web_url("/users/sign_in"));
            for (name, value) in headers {
                request = request.header(name, value);
            }
            common::into_reply(request.form(&form).send().await.expect("answered")).await
        }
    };
    let fields = |csrf: &str| {
        vec![
            ("token", token.clone()),
            ("authenticity_token", csrf.to_owned()),
        ]
    };
    // No cookie, no token, a token of another cookie, cross-site: refused, no session.
    for (headers, form) in [
        (vec![], vec![("token", token.clone())]),
        (
            vec![("cookie", cookie.clone())],
            vec![("token", token.clone())],
        ),
        (vec![], fields(&form_token)),
        (
            vec![("cookie", "relinks_csrf=rlc-other".to_owned())],
            fields(&form_token),
        ),
        (
            vec![
                ("cookie", cookie.clone()),
                ("origin", "https://evil.example".to_owned()),
            ],
            fields(&form_token),
        ),
        (
            vec![
                ("cookie", cookie.clone()),
                ("sec-fetch-site", "cross-site".to_owned()),
            ],
            fields(&form_token),
        ),
    ] {
        let reply = sign_in(headers.clone(), form).await;
        assert_eq!(reply.status, 403, "{headers:?}");
        assert!(reply.text.contains("The form was refused"));
        assert!(reply
            .header("set-cookie")
            .is_none_or(|c| !c.contains("relinks_session")));
    }
    // The token is read from the body only.
    let in_query = w
        .app
        .client
        .post(w.app.web_url(&format!(
            "/users/sign_in?authenticity_token={form_token}&token={token}"
        )))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("answered");
    assert_eq!(in_query.status().as_u16(), 403);
    // From this site's own form, as a browser sends it.
    let ours = sign_in(
        vec![
            ("cookie", cookie.clone()),
            ("origin", w.app.base.clone()),
            ("sec-fetch-site", "same-origin".to_owned()),
        ],
        fields(&form_token),
    )
    .await;
    assert_eq!(ours.status, 303, "{}", ours.text);
    let session = ours
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("session")
        .to_owned();
    // The signed-in page's sign-out form carries a token; posted from elsewhere it does nothing.
    let page = raw(
        &w,
        reqwest::Method::GET,
        "/",
        &[("cookie", &format!("{session}; {cookie}"))],
        None,
    )
    .await;
    let out_token = common::form_token(&page.text);
    let cross = raw(
        &w,
        reqwest::Method::POST,
        "/users/sign_out",
        &[
            ("cookie", &format!("{session}; {cookie}")),
            ("origin", "https://evil.example"),
        ],
        Some(&[("authenticity_token", &out_token)]),
    )
    .await;
    assert_eq!(cross.status, 403);
    let still = raw(&w, reqwest::Method::GET, "/", &[("cookie", &session)], None).await;
    assert!(still.text.contains("Signed in as"), "still signed in");
    let out = raw(
        &w,
        reqwest::Method::POST,
        "/users/sign_out",
        &[("cookie", &format!("{session}; {cookie}"))],
        Some(&[("authenticity_token", &out_token)]),
    )
    .await;
    assert_eq!(out.status, 303);
    let gone = raw(&w, reqwest::Method::GET, "/", &[("cookie", &session)], None).await;
    assert!(!gone.text.contains("Signed in as"), "signed out");
}

#[tokio::test]
async fn sign_in_returns_only_to_paths_of_this_site() {
    let w = World::new("private").await;
    let token = w.reporter.token.clone().expect("token");
    for evil in [
        "/\t/evil.example",
        "//evil.example",
        "/\\evil.example",
        "https://evil.example",
        "/a\nb",
    ] {
        let reply = common::post_sign_in(&w.app, &[("token", &token), ("return_to", evil)]).await;
        assert_eq!(
            (reply.status, reply.header("location")),
            (303, Some("/")),
            "{evil:?}"
        );
    }
    let form = raw(
        &w,
        reqwest::Method::GET,
        "/users/sign_in?return_to=%2F%09%2Fevil.example",
        &[],
        None,
    )
    .await;
    assert!(
        form.text.contains("name=\"return_to\" value=\"/\""),
        "{}",
        form.text
    );
    let fine = common::post_sign_in(
        &w.app,
        &[("token", &token), ("return_to", "/g/p/-/releases?page=2")],
    )
    .await;
    assert_eq!(fine.header("location"), Some("/g/p/-/releases?page=2"));
}

/// A guest of a private project may list releases but not open one (GitLab's `read_code` on
/// `GET /releases/:tag`): the pages, the permanent links and the latest permalinks, API and web,
/// follow the same rule.
#[tokio::test]
async fn a_guest_of_a_private_project_opens_no_release_anywhere() {
    let w = World::new("private").await;
    let api = format!("/projects/{}/releases", w.project_id);
    w.app.get(&w.guest, &api).await.expect(200);
    w.app
        .get(&w.guest, &format!("{api}/v1.0"))
        .await
        .expect(403);
    for latest in [
        format!("{api}/permalink/latest"),
        format!("{api}/permalink/latest/downloads/bin/first"),
    ] {
        assert_eq!(
            w.app.get(&w.guest, &latest).await.body,
            json!({"message": "403 Forbidden"}),
            "{latest}"
        );
    }
    let token = w.guest.token.clone().expect("token");
    let pages = format!("/{}/-/releases", w.project_path);
    let list = raw(
        &w,
        reqwest::Method::GET,
        &pages,
        &[("private-token", &token)],
        None,
    )
    .await;
    assert_eq!(list.status, 200);
    for path in [
        format!("{pages}/v1.0"),
        format!("{pages}/permalink/latest"),
        format!("{pages}/permalink/latest/downloads/bin/first"),
        format!("{pages}/v1.0/downloads/bin/first"),
    ] {
        let page = raw(
            &w,
            reqwest::Method::GET,
            &path,
            &[("private-token", &token)],
            None,
        )
        .await;
        assert_eq!(page.status, 404, "{path}");
        assert!(page.header("location").is_none());
    }
    // A reporter opens them all.
    let reporter = w.reporter.token.clone().expect("token");
    let page = raw(
        &w,
        reqwest::Method::GET,
        &format!("{pages}/v1.0"),
        &[("private-token", &reporter)],
        None,
    )
    .await;
    assert_eq!(page.status, 200);
    w.app
        .get(&w.reporter, &format!("{api}/permalink/latest"))
        .await
        .expect(302);
}
