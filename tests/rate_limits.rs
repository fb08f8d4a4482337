//! Rate limits as GitLab.com's: per authenticated user, per address for requests without
//! credentials, and a ban after repeated failed authentications; over a limit, GitLab's 429
//! with `Retry-After`. On PostgreSQL, two instances on one database share the counts.

use crate::common;

use std::time::Duration;

use relinks::http::ratelimit::RateLimits;
use relinks::http::HttpConfig;

use common::{test_config, Caller, Reply, TestApp, TestDatabase};

fn limited(per_user: u64, per_ip: u64, failures: u64) -> HttpConfig {
    HttpConfig {
        rate_limits: RateLimits {
            per_user: Some(per_user),
            per_ip: Some(per_ip),
            failures_before_ban: Some(failures),
            ban: Duration::from_secs(600),
        },
        ..test_config()
    }
}

/// Counts are kept per minute of the clock (as Rack::Attack does): a test that counts waits for
/// a fresh minute when the current one is nearly over, so that its requests share one window.
async fn within_one_window() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let into = now % 60.0;
    if into > 45.0 {
        tokio::time::sleep(Duration::from_secs_f64(60.0 - into + 0.2)).await;
    }
}

fn assert_throttled(reply: &Reply) {
    assert_eq!(reply.status, 429, "{}", reply.text);
    assert_eq!(reply.text, "Retry later\n");
    let retry: u64 = reply
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(retry >= 1);
    for name in [
        "ratelimit-name",
        "ratelimit-limit",
        "ratelimit-observed",
        "ratelimit-remaining",
        "ratelimit-reset",
    ] {
        assert!(reply.header(name).is_some(), "{name}");
    }
}

#[tokio::test]
async fn an_authenticated_user_gets_429_past_the_limit_and_others_do_not() {
    // Setting up the test (root's requests) counts too: root gets a generous share.
    let app = TestApp::start_with(limited(40, 1_000, 1_000)).await;
    let user = app.user("busy").await;
    let other = app.user("calm").await;
    within_one_window().await;
    let mut statuses = Vec::new();
    for _ in 0..41 {
        statuses.push(app.get(&user, "/user").await.status);
    }
    assert!(statuses[..40].iter().all(|s| *s == 200), "{statuses:?}");
    let over = app.get(&user, "/user").await;
    assert_throttled(&over);
    assert_eq!(
        over.header("ratelimit-name"),
        Some("throttle_authenticated_api")
    );
    app.get(&other, "/user").await.expect(200);
}

#[tokio::test]
async fn requests_without_credentials_are_limited_per_address() {
    let app = TestApp::start_with(limited(1_000, 5, 1_000)).await;
    let anonymous = Caller::anonymous();
    within_one_window().await;
    for _ in 0..5 {
        app.get(&anonymous, "/projects").await.expect(200);
    }
    assert_throttled(&app.get(&anonymous, "/projects").await);
    // Health checks are never limited; a token-bearing request counts elsewhere.
    app.get(&anonymous, "/-/health").await;
    assert_eq!(app.get(&anonymous, "/-/liveness").await.status, 200);
    app.get(&app.root, "/projects").await.expect(200);
}

#[tokio::test]
async fn repeated_failed_authentications_ban_the_address() {
    let app = TestApp::start_with(limited(1_000, 1_000, 3)).await;
    let wrong = Caller::anonymous().with_token("glpat-wrong-wrong-wrong-wrong-000");
    within_one_window().await;
    for _ in 0..3 {
        app.get(&wrong, "/user").await.expect(401);
    }
    // Banned: more guesses and anonymous requests from that address wait...
    let banned = app.get(&wrong, "/user").await;
    assert_throttled(&banned);
    let retry: u64 = banned
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("seconds");
    assert!(retry > 500, "the ban lasts: {retry}");
    assert_throttled(&app.get(&Caller::anonymous(), "/projects").await);
    let page = app
        .client
        .get(app.web_url("/"))
        .send()
        .await
        .expect("answered");
    assert_eq!(page.status().as_u16(), 429, "pages too");
    // ...but a valid credential is no attempt: whoever shares the address (a NAT, a proxy)
    // still gets in, on the API and on the pages.
    app.get(&app.root, "/user").await.expect(200);
    let session = common::signed_in_session(&app, common::ROOT_TOKEN).await;
    let home = app
        .client
        .get(app.web_url("/"))
        .header("cookie", session)
        .send()
        .await
        .expect("answered");
    assert_eq!(home.status().as_u16(), 200);
}

#[tokio::test]
async fn limits_are_off_unless_set() {
    let app = TestApp::start().await;
    for _ in 0..30 {
        app.get(
            &Caller::anonymous().with_token("glpat-wrong-wrong-wrong-wrong-000"),
            "/user",
        )
        .await
        .expect(401);
    }
    app.get(&app.root, "/user").await.expect(200);
}

#[tokio::test]
async fn refused_sign_ins_count_towards_the_ban_too() {
    let app = TestApp::start_with(limited(1_000, 1_000, 3)).await;
    within_one_window().await;
    for _ in 0..3 {
        let reply = common::post_sign_in(
            &app,
            &[
                ("token", "glpat-guessed-guessed-guessed-00"),
                ("return_to", "/"),
            ],
        )
        .await;
        assert_eq!(reply.status, 401);
    }
    assert_throttled(&app.get(&Caller::anonymous(), "/projects").await);
    // A valid token is no failed attempt: it still gets in from the banned address.
    app.get(&app.root, "/user").await.expect(200);
}

/// A request with a credential-looking `marker` (a header, a cookie or a query), raw.
async fn with_marker(app: &TestApp, path: &str, marker: (&str, &str)) -> Reply {
    let mut request = app.client.get(app.web_url(path));
    if !marker.0.is_empty() {
        request = request.header(marker.0, marker.1);
    }
    common::into_reply(request.send().await.expect("answered")).await
}

/// Junk that looks like credentials (`(header, value)`, or a path with a query) is no way
/// around the per-address limit: a request is limited as anonymous unless a credential in it
/// is valid.
#[tokio::test]
async fn junk_credentials_are_limited_as_anonymous() {
    let markers: [(&str, (&str, &str)); 6] = [
        ("/api/v4/projects", ("authorization", "Basic Zm9vOmJhcg==")),
        ("/api/v4/projects", ("authorization", "Nonsense")),
        ("/api/v4/projects?access_token=x", ("", "")),
        ("/api/v4/projects", ("job-token", "glcbt-not-read-here")),
        ("/", ("cookie", "relinks_session=rls-junk")),
        ("/api/v4/projects", ("cookie", "relinks_session=rls-junk")),
    ];
    for (path, marker) in markers {
        let app = TestApp::start_with(limited(1_000, 3, 1_000)).await;
        within_one_window().await;
        for _ in 0..3 {
            let reply = with_marker(&app, path, marker).await;
            assert_ne!(reply.status, 429, "{path} {marker:?}");
        }
        assert_throttled(&with_marker(&app, path, marker).await);
        app.get(&app.root, "/user").await.expect(200);
    }
}

/// A credential that does not authenticate counts against the address and towards its ban, on
/// the API (any header GitLab reads) and on the pages (`private_token`, `PRIVATE-TOKEN`).
#[tokio::test]
async fn invalid_credentials_anywhere_are_failed_authentications() {
    let markers: [(&str, (&str, &str)); 4] = [
        (
            "/api/v4/user",
            ("authorization", "Bearer glpat-wrong-wrong-wrong"),
        ),
        ("/api/v4/user?private_token=glpat-wrong-wrong", ("", "")),
        ("/?private_token=glpat-wrong-wrong-wrong", ("", "")),
        ("/", ("private-token", "glpat-wrong-wrong-wrong")),
    ];
    for (path, marker) in markers {
        let app = TestApp::start_with(limited(1_000, 1_000, 3)).await;
        within_one_window().await;
        for _ in 0..3 {
            let reply = with_marker(&app, path, marker).await;
            assert_ne!(reply.status, 429, "{path} {marker:?}");
        }
        let after = app.get(&Caller::anonymous(), "/projects").await;
        assert_eq!(after.status, 429, "banned after {path} {marker:?}");
        assert_throttled(&after);
        app.get(&app.root, "/user").await.expect(200);
    }
}

/// A sign-in form posted from another site (a page that auto-submits one, say) is refused
/// with 403 and counts toward nothing: no page can ban its visitors' address.
#[tokio::test]
async fn cross_site_sign_ins_are_refused_and_count_toward_nothing() {
    let app = TestApp::start_with(limited(1_000, 1_000, 3)).await;
    within_one_window().await;
    let (cookie, token) = common::sign_in_form(&app).await;
    for _ in 0..10 {
        let reply = app
            .client
            .post(app.web_url("/users/sign_in"))
            .header("origin", "https://evil.example")
            .header("sec-fetch-site", "cross-site")
            .header("cookie", &cookie)
            .form(&[
                ("token", "glpat-guessed"),
                ("authenticity_token", token.as_str()),
            ])
            .send()
            .await
            .expect("answered");
        assert_eq!(reply.status().as_u16(), 403);
    }
    app.get(&Caller::anonymous(), "/projects").await.expect(200);
}

/// Tests of PostgreSQL alone: `scripts/test` runs them in that engine's pass only.
mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn instances_on_one_postgresql_share_the_counts() {
        let db = TestDatabase::postgres().await;
        let config = limited(20, 1_000, 1_000);
        let (first_base, _first) = common::serve_url(&db.url, config.clone()).await;
        let (second_base, _second) = common::serve_url(&db.url, config).await;
        let first = TestApp::attach(first_base);
        let second = TestApp::attach(second_base);
        // 12 on each instance: 24 in all, over the limit of 20 that neither reached alone.
        within_one_window().await;
        for _ in 0..12 {
            first.get(&first.root, "/user").await.expect(200);
        }
        tokio::time::sleep(Duration::from_millis(1_200)).await;
        let mut answers = Vec::new();
        for _ in 0..12 {
            answers.push(second.get(&second.root, "/user").await.status);
            tokio::time::sleep(Duration::from_millis(60)).await;
        }
        assert!(
            answers.contains(&429),
            "the second instance knew of the first's requests: {answers:?}"
        );
        assert!(
            answers.iter().filter(|s| **s == 200).count() <= 9,
            "{answers:?}"
        );
    }
}
