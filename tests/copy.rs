//! `relinks copy`: SQLite → PostgreSQL → SQLite gives the same API answers, ids, tokens and
//! permanent links included; a non-empty target is refused and left as it was.

use crate::common;

use common::{execute_sql, serve_url, TestDatabase, ROOT_TOKEN};
use serde_json::{json, Value};

/// Fills an instance through the API with a bit of everything.
async fn populate(base: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let send = |method: reqwest::Method, path: &str, body: Value| {
        client
            .request(method, format!("{base}/api/v4{path}"))
            .header("PRIVATE-TOKEN", ROOT_TOKEN)
            .json(&body)
            .send()
    };
    let post = |path: &'static str, body: Value| send(reqwest::Method::POST, path, body);
    let user = post(
        "/users",
        json!({"username": "ann", "name": "Ann", "email": "ann@example.com"}),
    )
    .await
    .expect("ok");
    assert_eq!(user.status(), 201);
    let token: Value = post(
        "/users/2/personal_access_tokens",
        json!({"name": "ci", "scopes": ["api"]}),
    )
    .await
    .expect("ok")
    .json()
    .await
    .expect("json");
    post(
        "/groups",
        json!({"name": "Acme", "path": "acme", "visibility": "public"}),
    )
    .await
    .expect("ok");
    post(
        "/groups",
        json!({"name": "Tools", "path": "tools", "parent_id": 3}),
    )
    .await
    .expect("ok");
    post("/projects", json!({"name": "app", "namespace_id": 4}))
        .await
        .expect("ok");
    post("/projects", json!({"name": "lib", "visibility": "public"}))
        .await
        .expect("ok");
    post(
        "/projects/1/members",
        json!({"user_id": 2, "access_level": 30}),
    )
    .await
    .expect("ok");
    post(
        "/groups/3/members",
        json!({"user_id": 2, "access_level": 20}),
    )
    .await
    .expect("ok");
    post(
        "/projects/1/protected_tags",
        json!({"name": "v*", "create_access_level": 30}),
    )
    .await
    .expect("ok");
    post(
        "/projects/1/repository/tags",
        json!({"tag_name": "base", "ref": "main", "message": "m"}),
    )
    .await
    .expect("ok");
    for i in 0..3 {
        let links: Vec<Value> = (0..4)
            .map(|j| json!({"name": format!("a{i}{j}"), "url": format!("https://e.x/{i}/{j}"), "filepath": format!("/bin/a{i}{j}"), "link_type": "package"}))
            .collect();
        let tag = format!("v{i}.0");
        let release = post(
            "/projects/1/releases",
            json!({"tag_name": tag, "description": "notes", "assets": {"links": links}}),
        )
        .await
        .expect("ok");
        assert_eq!(release.status(), 201);
    }
    post("/projects/2/releases", json!({"tag_name": "release/1.0"}))
        .await
        .expect("ok");
    let deleted = send(
        reqwest::Method::DELETE,
        "/projects/1/releases/v0.0/assets/links/2",
        json!({}),
    )
    .await
    .expect("ok");
    assert_eq!(deleted.status(), 200);
    // The newest link goes too: its id must not come back after a copy.
    let extra = post(
        "/projects/1/releases/v2.0/assets/links",
        json!({"name": "tmp", "url": "https://e.x/tmp"}),
    )
    .await
    .expect("ok");
    assert_eq!(extra.status(), 201);
    let gone = send(
        reqwest::Method::DELETE,
        "/projects/1/releases/v2.0/assets/links/13",
        json!({}),
    )
    .await
    .expect("ok");
    assert_eq!(gone.status(), 200);
    send(
        reqwest::Method::PUT,
        "/projects/2",
        json!({"path": "library"}),
    )
    .await
    .expect("ok");
    post("/projects/1/job_tokens", json!({"user_id": 2}))
        .await
        .expect("ok");
    // The release settings (extensions).
    for (project, setting) in [
        ("/projects/1", json!({"releases_latest_order": "semver"})),
        ("/projects/2", json!({"releases_immutable": true})),
    ] {
        let set = send(reqwest::Method::PUT, project, setting)
            .await
            .expect("ok");
        assert_eq!(set.status(), 200);
    }
    vec![token["token"].as_str().expect("token").to_owned()]
}

/// The answers to compare, with the server's own address taken out.
async fn answers(base: &str, token: &str) -> Vec<(String, u16, String)> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let paths = [
        "/user",
        "/users?per_page=100",
        "/users/2",
        "/groups/3",
        "/groups/acme%2Ftools",
        "/groups/3/members",
        "/projects?per_page=100",
        "/projects/1",
        "/projects/acme%2Ftools%2Fapp/members",
        "/projects/root%2Flib",
        "/projects/root%2Flibrary",
        "/projects/1/protected_tags",
        "/projects/1/repository/tags?order_by=name",
        "/projects/1/releases",
        "/projects/1/releases/v1.0",
        "/projects/1/releases/v0.0/assets/links",
        "/projects/1/releases/v2.0/assets/links/12",
        "/projects/2/releases/release%2F1.0",
        "/projects/1/releases/v1.0/downloads",
        "/projects/1/releases/v1.0/assets/links/5/downloads?from=2024-10-03&to=2024-10-06",
    ];
    let mut out = Vec::new();
    for path in paths {
        for who in [ROOT_TOKEN, token] {
            let response = client
                .get(format!("{base}/api/v4{path}"))
                .header("PRIVATE-TOKEN", who)
                .send()
                .await
                .expect("answered");
            let status = response.status().as_u16();
            let text = response.text().await.expect("text").replace(base, "BASE");
            out.push((
                format!(
                    "{path} as {}",
                    if who == ROOT_TOKEN { "root" } else { "ann" }
                ),
                status,
                text,
            ));
        }
    }
    out
}

async fn relinks_copy(from: &str, to: &str) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_relinks"))
        .arg("copy")
        .arg("--from")
        .arg(from)
        .arg("--to")
        .arg(to)
        .env("RELINKS_LOG", "warn")
        .output()
        .await
        .expect("relinks runs")
}

#[tokio::test]
async fn an_interrupted_copy_leaves_the_target_empty_and_can_run_again() {
    use relinks::store::transfer::{Loader, Snapshot, Transfer, TABLES};
    let source = TestDatabase::new().await;
    let (base, stop) = serve_url(&source.url, common::test_config()).await;
    populate(&base).await;
    drop(stop);
    let target = TestDatabase::new().await;
    let open = |url: String| async move {
        relinks::app::open(&relinks::config::DatabaseConfig::new(&url))
            .await
            .expect("opens")
    };
    let (from, to) = (
        open(source.url.clone()).await,
        open(target.url.clone()).await,
    );
    use relinks::app::Engine;
    match (&from, &to) {
        (Engine::Sqlite(a), Engine::Sqlite(b)) => interrupted_then_complete(a, b).await,
        (Engine::Postgres(a), Engine::Postgres(b)) => interrupted_then_complete(a, b).await,
        _ => unreachable!("both databases are of this run's engine"),
    }

    async fn interrupted_then_complete<A: Transfer, B: Transfer>(from: &A, to: &B) {
        // Half a copy, then the process "dies": the transaction is dropped, not committed.
        {
            let mut snapshot = from.snapshot().await.expect("snapshot");
            let mut loader = to.loader().await.expect("loader");
            for table in &TABLES[..3] {
                let rows = snapshot.read(table, 0, 1000).await.expect("read");
                loader.insert(table, &rows).await.expect("insert");
            }
        }
        let mut check = to.loader().await.expect("loader");
        for table in &TABLES {
            assert_eq!(
                check.count(table).await.expect("count"),
                0,
                "{} is empty",
                table.name
            );
        }
        drop(check);
        let report = relinks::copy::copy(from, to)
            .await
            .expect("the copy runs again");
        assert!(report.rows() > 30);
    }
}

/// Tests of PostgreSQL alone: `scripts/test` runs them in that engine's pass only.
mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_to_postgres_to_sqlite_gives_the_same_answers() {
        let original = TestDatabase::sqlite();
        let (base, stop) = serve_url(&original.url, common::test_config()).await;
        let tokens = populate(&base).await;
        // Downloads counted on two days (stored as the server stores them when it flushes).
        let counted = execute_sql(
            &original.url,
            "INSERT INTO download_counts (subject_type, subject_id, day, count) \
             VALUES ('link', 5, 20000, 7), ('link', 5, 20001, 2), ('package_file', 1, 20000, 3)",
        )
        .await;
        assert_eq!(counted, 3);
        let expected = answers(&base, &tokens[0]).await;
        // Everything answers; the renamed project's old path redirects.
        assert!(
            expected
                .iter()
                .all(|(_, status, _)| matches!(status, 200 | 301)),
            "{expected:#?}"
        );
        drop(stop);

        let postgres = TestDatabase::postgres().await;
        let output = relinks_copy(&original.url, &postgres.url).await;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "{stderr}");
        assert!(
            stderr.contains("release_links") && stderr.contains("copied"),
            "{stderr}"
        );

        let (pg_base, pg_stop) = serve_url(&postgres.url, common::test_config()).await;
        assert_eq!(
            answers(&pg_base, &tokens[0]).await,
            expected,
            "PostgreSQL answers as SQLite did"
        );
        // New rows continue after the copied ids.
        let created = reqwest::Client::new()
            .post(format!(
                "{pg_base}/api/v4/projects/1/releases/v1.0/assets/links"
            ))
            .header("PRIVATE-TOKEN", &tokens[0])
            .json(&json!({"name": "new", "url": "https://e.x/new"}))
            .send()
            .await
            .expect("answered");
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.expect("json");
        assert_eq!(
            created["id"], 14,
            "ids continue where the source stopped, deleted ones included"
        );
        let removed = reqwest::Client::new()
            .delete(format!(
                "{pg_base}/api/v4/projects/1/releases/v1.0/assets/links/14"
            ))
            .header("PRIVATE-TOKEN", ROOT_TOKEN)
            .send()
            .await
            .expect("answered");
        assert_eq!(removed.status(), 200);
        drop(pg_stop);

        let back = TestDatabase::sqlite();
        let output = relinks_copy(&postgres.url, &back.url).await;
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let (back_base, back_stop) = serve_url(&back.url, common::test_config()).await;
        assert_eq!(
            answers(&back_base, &tokens[0]).await,
            expected,
            "and back on SQLite, the same again"
        );
        drop(back_stop);

        // A copy into a database that holds data is refused and changes nothing.
        let refused = relinks_copy(&original.url, &postgres.url).await;
        assert!(!refused.status.success());
        assert!(String::from_utf8_lossy(&refused.stderr).contains("not empty"));
        let (pg_base, _pg_stop) = serve_url(&postgres.url, common::test_config()).await;
        assert_eq!(answers(&pg_base, &tokens[0]).await.len(), expected.len());
    }
}
