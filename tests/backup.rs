//! `relinks backup` of a running SQLite instance and `relinks restore`: a snapshot taken under
//! load holds every write acknowledged before it began, and a restored instance answers
//! exactly as the original did when the snapshot was taken.

use crate::common;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::process::{Child, Command};

const TOKEN: &str = "glpat-backup-test-0123456789abcdef";
const EXTERNAL: &str = "http://relinks.example";

struct Server {
    child: Child,
    api: String,
}

async fn start(database: &str) -> Server {
    let port = common::free_port();
    let child = common::relinks_serve(database, port)
        .args(["--external-url", EXTERNAL])
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        .env("RELINKS_RATE_LIMITS", "off")
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    Server {
        child,
        api: format!("http://127.0.0.1:{port}/api/v4"),
    }
}

async fn relinks(args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args(args)
        .env("RELINKS_LOG", "error")
        .output()
        .await
        .expect("relinks runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("PRIVATE-TOKEN", TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let total = response
        .headers()
        .get("x-total")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    (status, json!({"body": body, "x-total": total}))
}

/// Everything a client would read back: the answers compared between original and restored.
const PATHS: [&str; 8] = [
    "/projects",
    "/projects/1",
    "/projects/1/releases",
    "/projects/1/releases/v1",
    "/projects/1/releases/v1/assets/links?per_page=100",
    "/projects/1/releases/v1/assets/links?per_page=7&page=2",
    "/projects/1/members",
    "/users",
];

async fn answers(api: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for path in PATHS {
        all.push(
            call(reqwest::Method::GET, format!("{api}{path}"), None)
                .await
                .1,
        );
    }
    all
}

fn url_of(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Tests of SQLite alone: `scripts/test` runs them in that engine's pass only.
mod sqlite_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_snapshot_of_a_running_instance_restores_to_the_same_answers() {
        let dir = tempfile::tempdir().expect("dir");
        let original_url = url_of(&dir.path().join("original.db"));
        let original = start(&original_url).await;
        let api = original.api.clone();
        let post = |path: &str, body: Value| {
            call(reqwest::Method::POST, format!("{api}{path}"), Some(body))
        };
        assert_eq!(post("/projects", json!({"name": "app"})).await.0, 201);
        assert_eq!(
            post(
                "/users",
                json!({"username": "dev", "name": "Dev", "email": "dev@e.x", "password": "x"})
            )
            .await
            .0,
            201
        );
        assert_eq!(
            post(
                "/projects/1/members",
                json!({"user_id": 2, "access_level": 30})
            )
            .await
            .0,
            201
        );
        assert_eq!(
            post(
                "/projects/1/releases",
                json!({"tag_name": "v1", "description": "first"})
            )
            .await
            .0,
            201
        );

        // Writes keep coming while the snapshot is taken.
        let stop = Arc::new(AtomicBool::new(false));
        let acknowledged = Arc::new(Mutex::new(Vec::<i64>::new()));
        let writer = {
            let (stop, acknowledged, api) = (stop.clone(), acknowledged.clone(), api.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    let body = json!({"name": format!("l{n}"), "url": format!("https://e.x/{n}")});
                    let (status, reply) = call(
                        reqwest::Method::POST,
                        format!("{api}/projects/1/releases/v1/assets/links"),
                        Some(body),
                    )
                    .await;
                    assert_eq!(status, 201);
                    let id = reply["body"]["id"].as_i64().expect("id");
                    acknowledged.lock().expect("list").push(id);
                    n += 1;
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let before: Vec<i64> = acknowledged.lock().expect("list").clone();
        let under_load = dir.path().join("under-load.snapshot");
        let (ok, text) = relinks(&[
            "backup",
            "--database",
            &original_url,
            "--to",
            under_load.to_str().expect("path"),
        ])
        .await;
        assert!(ok, "{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        stop.store(true, Ordering::Relaxed);
        writer.await.expect("writer");
        assert!(!before.is_empty());

        // A second snapshot with nothing moving: the restored copy must answer exactly as this.
        let idle = dir.path().join("idle.snapshot");
        let (ok, text) = relinks(&[
            "backup",
            "--database",
            &original_url,
            "--to",
            idle.to_str().expect("path"),
        ])
        .await;
        assert!(ok, "{text}");
        assert!(text.contains("links"), "{text}");
        let expected = answers(&api).await;
        let (ok, text) = relinks(&[
            "backup",
            "--database",
            &original_url,
            "--to",
            idle.to_str().expect("path"),
        ])
        .await;
        assert!(
            !ok && text.contains("exists already"),
            "never overwrites: {text}"
        );

        // Restored under load: everything acknowledged before the backup began is there.
        let restored_url = url_of(&dir.path().join("restored.db"));
        let (ok, text) = relinks(&[
            "restore",
            "--from",
            under_load.to_str().expect("path"),
            "--database",
            &restored_url,
        ])
        .await;
        assert!(ok, "{text}");
        let restored = start(&restored_url).await;
        let (status, links) = call(
            reqwest::Method::GET,
            format!(
                "{}/projects/1/releases/v1/assets/links?per_page=100",
                restored.api
            ),
            None,
        )
        .await;
        assert_eq!(status, 200);
        let total: usize = links["x-total"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .expect("total");
        assert!(
            total >= before.len(),
            "{total} links restored, {} acknowledged before",
            before.len()
        );
        drop(restored);

        // Restored idle: exactly the same answers, ids and all, to the same token.
        let (ok, text) = relinks(&[
            "restore",
            "--from",
            idle.to_str().expect("path"),
            "--database",
            &restored_url,
        ])
        .await;
        assert!(
            !ok && text.contains("--replace"),
            "an existing database is kept: {text}"
        );
        let (ok, text) = relinks(&[
            "restore",
            "--from",
            idle.to_str().expect("path"),
            "--database",
            &restored_url,
            "--replace",
        ])
        .await;
        assert!(ok, "{text}");
        // The key for token digests came back with the data.
        let key_of = |url: &str| {
            std::fs::read_to_string(relinks::secret::file_beside(url).expect("SQLite"))
                .expect("key")
        };
        assert_eq!(key_of(&restored_url), key_of(&original_url));
        let restored = start(&restored_url).await;
        assert_eq!(answers(&restored.api).await, expected);
        drop(original);

        // A file that is not a snapshot is refused, and nothing is replaced.
        let junk = dir.path().join("junk.snapshot");
        std::fs::write(&junk, b"not a database").expect("write");
        let (ok, text) = relinks(&[
            "restore",
            "--from",
            junk.to_str().expect("path"),
            "--database",
            &restored_url,
            "--replace",
        ])
        .await;
        assert!(!ok, "{text}");
        assert_eq!(answers(&restored.api).await, expected);
        let _ = restored.child;
    }

    #[tokio::test]
    async fn a_backup_into_a_missing_directory_says_so_plainly() {
        let dir = tempfile::tempdir().expect("dir");
        let url = url_of(&dir.path().join("relinks.db"));
        let (migrated, output) = relinks(&["migrate", "--database", &url]).await;
        assert!(migrated, "{output}");
        let missing = dir.path().join("backups");
        let to = missing.join("relinks.db");
        let to = to.to_str().expect("utf-8");
        let (ok, output) = relinks(&["backup", "--database", &url, "--to", to]).await;
        assert!(!ok, "{output}");
        let expected = format!(
            "the directory {} does not exist: create it first (mkdir -p {})",
            missing.display(),
            missing.display()
        );
        assert!(output.contains(&expected), "{output}");
        assert!(!missing.exists(), "nothing was written");
    }
}
