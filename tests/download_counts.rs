//! Download statistics (relinks' extension, issue 18 point 2): downloads through permanent
//! links (web and API, the latest permalinks included) and of hosted files are counted per UTC
//! day, off the request path; `…/assets/links/:link_id/downloads` and
//! `…/releases/:tag_name/downloads` show them, the pages show each link's total and a chart,
//! and Prometheus has `relinks_downloads_total` by project.

use std::time::Duration;

use crate::common;

use common::{into_reply, serve_settings, settings, test_config, Caller, Reply, TestApp, World};
use futures::StreamExt;
use serde_json::{json, Value};

async fn web(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    headers: &[(&str, &str)],
) -> Reply {
    let mut request = app.client.request(method, app.web_url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    into_reply(request.send().await.expect("answered")).await
}

fn today() -> String {
    chrono::Utc::now().date_naive().to_string()
}

fn link_downloads(w: &World, query: &str) -> String {
    format!("{}/downloads{query}", w.link(w.link_id))
}

/// The metric's value for the project, from `/-/metrics`.
async fn metric(app: &TestApp, project: &str) -> i64 {
    let text = web(app, reqwest::Method::GET, "/-/metrics", &[]).await.text;
    let line = format!("relinks_downloads_total{{project=\"{project}\"}} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .map_or(0, |v| v.trim().parse().expect("a count"))
}

#[tokio::test]
async fn permanent_links_count_their_downloads_per_day() {
    let w = World::new("private").await;
    let token = w.reporter.token.clone().expect("token");
    let auth = [("PRIVATE-TOKEN", token.as_str())];
    let path = &w.project_path;
    let get = reqwest::Method::GET;
    // Three through the page's permanent link, two through the API's, one through the latest
    // permalink (which leads to the permanent link); a HEAD is not a download.
    for _ in 0..3 {
        let reply = web(
            &w.app,
            get.clone(),
            &format!("/{path}/-/releases/v1.0/downloads/bin/first"),
            &auth,
        )
        .await;
        assert_eq!(reply.status, 302);
    }
    let api = format!(
        "/api/v4/projects/{}/releases/v1.0/downloads/bin/first",
        w.project_id
    );
    for _ in 0..2 {
        assert_eq!(web(&w.app, get.clone(), &api, &auth).await.status, 302);
    }
    let latest = web(
        &w.app,
        get.clone(),
        &format!("/{path}/-/releases/permalink/latest/downloads/bin/first"),
        &auth,
    )
    .await;
    let next = latest
        .header("location")
        .expect("to the permanent link")
        .to_owned();
    assert_eq!(web(&w.app, get.clone(), &next, &auth).await.status, 302);
    let head = web(
        &w.app,
        reqwest::Method::HEAD,
        &format!("/{path}/-/releases/v1.0/downloads/bin/first"),
        &auth,
    )
    .await;
    assert_eq!(head.status, 302);

    let other = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "second", "url": "https://e.x/2", "direct_asset_path": "/bin/second"}),
        )
        .await;
    let other_id = other.expect(201)["id"].as_i64().expect("id");

    let stats = w.app.get(&w.reporter, &link_downloads(&w, "")).await;
    let stats = stats.expect(200);
    assert_eq!(stats["link_id"], json!(w.link_id));
    assert_eq!(stats["total"], json!(6));
    let days = stats["days"].as_array().expect("days");
    assert_eq!(days.len(), 30);
    assert_eq!(days[29], json!({"date": today(), "count": 6}));
    assert!(days[..29].iter().all(|d| d["count"] == 0));
    let one_day = w
        .app
        .get(
            &w.reporter,
            &link_downloads(&w, &format!("?from={0}&to={0}", today())),
        )
        .await;
    assert_eq!(
        one_day.expect(200)["days"],
        json!([{"date": today(), "count": 6}])
    );

    // Each link's total, in the links list's order (newest first here).
    let release = format!("/projects/{}/releases/v1.0/downloads", w.project_id);
    let totals = w.app.get(&w.reporter, &release).await;
    assert_eq!(
        totals.expect(200),
        &json!([
            {"link_id": other_id, "name": "second", "total": 0},
            {"link_id": w.link_id, "name": "first", "total": 6}
        ])
    );
    assert_eq!(totals.header("x-total"), Some("2"));
    assert_eq!(metric(&w.app, path).await, 6);

    // The page shows each link's total and the chart of the last 30 days.
    let page = web(
        &w.app,
        get.clone(),
        &format!("/{path}/-/releases/v1.0"),
        &auth,
    )
    .await;
    assert!(page.text.contains("6 downloads"), "{}", page.text);
    assert!(page.text.contains("0 downloads"));
    assert!(page.text.contains("6 downloads in the last 30 days"));
    assert!(page
        .text
        .contains(&format!("<title>{}: 6</title>", today())));
}

#[tokio::test]
async fn ranges_are_checked_and_strangers_see_nothing() {
    let w = World::new("private").await;
    for (query, error) in [
        ("?from=2026-13-01", "from is invalid"),
        ("?to=soon", "to is invalid"),
        (
            "?from=2026-02-02&to=2026-02-01",
            "from must not be after to",
        ),
        (
            "?from=2025-01-01&to=2026-01-02",
            "from and to may span at most 366 days",
        ),
        (
            "?to=0001-01-05",
            "from and to must be within the years 1 to 9999",
        ),
        (
            "?from=9999-12-20",
            "from and to must be within the years 1 to 9999",
        ),
    ] {
        let reply = w.app.get(&w.reporter, &link_downloads(&w, query)).await;
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(reply.body, json!({"error": error}), "{query}");
    }
    let year = w
        .app
        .get(
            &w.reporter,
            &link_downloads(&w, "?from=2025-01-01&to=2026-01-01"),
        )
        .await;
    assert_eq!(year.expect(200)["days"].as_array().map(Vec::len), Some(366));
    let missing = w
        .app
        .get(&w.reporter, &format!("{}/downloads", w.link(987_654)))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.text, r#"{"message":"404 Not found"}"#);
    for caller in [&w.outsider, &Caller::anonymous()] {
        let reply = w.app.get(caller, &link_downloads(&w, "")).await;
        assert_eq!(reply.status, 404);
        assert_eq!(reply.text, r#"{"message":"404 Project Not Found"}"#);
        let release = format!("/projects/{}/releases/v1.0/downloads", w.project_id);
        assert_eq!(w.app.get(caller, &release).await.status, 404);
    }
}

#[tokio::test]
async fn hosted_files_count_whole_downloads_and_first_ranges() {
    let w = World::new("public").await;
    let file = format!(
        "/projects/{}/packages/generic/tool/1.0.0/tool.bin",
        w.project_id
    );
    w.app
        .put_file(&w.app.root, &file, b"0123456789".to_vec())
        .await
        .expect(201);
    let url = format!("/api/v4{file}");
    let get = reqwest::Method::GET;
    assert_eq!(web(&w.app, get.clone(), &url, &[]).await.status, 200);
    assert_eq!(
        web(&w.app, get.clone(), &url, &[("Range", "bytes=0-3")])
            .await
            .status,
        206
    );
    // A resumed download, a HEAD and a conditional GET answered 304 are not downloads.
    assert_eq!(
        web(&w.app, get.clone(), &url, &[("Range", "bytes=4-")])
            .await
            .status,
        206
    );
    assert_eq!(
        web(&w.app, reqwest::Method::HEAD, &url, &[]).await.status,
        200
    );
    let etag = web(&w.app, get.clone(), &url, &[])
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    assert_eq!(
        web(&w.app, get.clone(), &url, &[("If-None-Match", &etag)])
            .await
            .status,
        304
    );
    // Uploads too, through the page's path and the API.
    let upload = w
        .app
        .upload(&w.app.root, w.project_id, "notes.txt", b"notes".to_vec())
        .await;
    let full_path = upload.expect(201)["full_path"]
        .as_str()
        .expect("path")
        .to_owned();
    assert_eq!(web(&w.app, get.clone(), &full_path, &[]).await.status, 200);
    assert_eq!(metric(&w.app, &w.project_path).await, 4);
}

/// A server on `url` whose counts reach the database within a tenth of a second.
async fn quick_flushing(url: &str) -> (TestApp, tokio::sync::oneshot::Sender<()>) {
    let mut config = test_config();
    config.download_flush = Duration::from_millis(100);
    let (base, stop) = serve_settings(settings(url, config)).await;
    (TestApp::attach(base), stop)
}

#[tokio::test]
async fn concurrent_downloads_over_two_instances_are_all_counted() {
    let w = World::new("public").await;
    // A second instance on the same database (on SQLite, the same file: counts are upserts in
    // write transactions, whichever process makes them).
    let (one, stop_one) = quick_flushing(w.app.database_url()).await;
    let (two, stop_two) = quick_flushing(w.app.database_url()).await;
    let path = format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path);
    let total = 10_000;
    let redirects = futures::stream::iter(0..total)
        .map(|i| {
            let app = if i % 2 == 0 { &one } else { &two };
            let url = app.web_url(&path);
            async move { app.client.get(url).send().await.expect("answered").status() }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    assert!(redirects.iter().all(|s| s.as_u16() == 302));
    // One instance stops (its last counts are stored as it stops), the other flushes on its own:
    // a third reads them all from the database.
    let _ = stop_one.send(());
    // The total and the days are two reads: a flush of the other instance may land between
    // them, so wait until both show every download.
    let day_sum = |stats: &Value| -> i64 {
        stats["days"]
            .as_array()
            .expect("days")
            .iter()
            .map(|d| d["count"].as_i64().expect("a count"))
            .sum()
    };
    let mut stats = Value::Null;
    for _ in 0..100 {
        stats = w
            .app
            .get(&w.app.root, &link_downloads(&w, ""))
            .await
            .expect(200)
            .clone();
        if stats["total"] == json!(total) && day_sum(&stats) == total {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stats["total"], json!(total));
    // Every one of them on a day of the range (today, or yesterday past midnight).
    assert_eq!(day_sum(&stats), total);
    let _ = stop_two.send(());
}
