//! Hosted files go where their rows go: `relinks backup` puts a local storage's files beside
//! the snapshot and `relinks restore` puts them back; `relinks copy` carries them into the
//! target's storage, and `relinks copy --to-storage` moves them from a directory to a bucket.

use crate::common;

use std::path::Path;

use serde_json::json;
use tokio::process::Command;

use common::files::{random_bytes, s3_endpoint, TEST_BUCKET, TEST_S3_KEY, TEST_S3_SECRET};
use common::TestDatabase;

const TOKEN: &str = "glpat-files-carry-0123456789abcdefg";

async fn relinks(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args(args)
        .env("RELINKS_LOG", "error")
        .env_remove("RELINKS_STORAGE")
        .env("AWS_ENDPOINT_URL", s3_endpoint())
        .env("AWS_ACCESS_KEY_ID", TEST_S3_KEY)
        .env("AWS_SECRET_ACCESS_KEY", TEST_S3_SECRET)
        .env("AWS_ALLOW_HTTP", "true")
        .output()
        .await
        .expect("relinks runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "relinks {args:?}: {text}");
    text
}

/// A server on `database` keeping its files in `storage` (a directory or `s3://…`).
async fn serve(database: &str, storage: &str) -> (tokio::process::Child, String) {
    let port = common::free_port();
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            database,
        ])
        .args(["--storage", storage])
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        .env("RELINKS_LOG", "error")
        .env_remove("RELINKS_SECRET")
        .env("AWS_ENDPOINT_URL", s3_endpoint())
        .env("AWS_ACCESS_KEY_ID", TEST_S3_KEY)
        .env("AWS_SECRET_ACCESS_KEY", TEST_S3_SECRET)
        .env("AWS_ALLOW_HTTP", "true")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    (child, format!("http://127.0.0.1:{port}/api/v4"))
}

/// Publishes two files (one of them twice under two names) and an upload; the files to expect.
async fn publish(api: &str) -> Vec<(String, Vec<u8>)> {
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{api}/projects"))
        .header("PRIVATE-TOKEN", TOKEN)
        .json(&json!({"name": "app"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), 201);
    let (first, second) = (random_bytes(150_000), random_bytes(2_000));
    let mut expected = Vec::new();
    for (path, bytes) in [
        ("app/1.0/app.bin", &first),
        ("app/1.0/copy.bin", &first),
        ("doc/1.0/d.txt", &second),
    ] {
        let put = client
            .put(format!("{api}/projects/1/packages/generic/{path}"))
            .header("PRIVATE-TOKEN", TOKEN)
            .body(bytes.clone())
            .send()
            .await
            .expect("answered");
        assert_eq!(put.status(), 201);
        expected.push((
            format!("/projects/1/packages/generic/{path}"),
            bytes.clone(),
        ));
    }
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(second.clone()).file_name("notes.txt"),
    );
    let upload = client
        .post(format!("{api}/projects/1/uploads"))
        .header("PRIVATE-TOKEN", TOKEN)
        .multipart(form)
        .send()
        .await
        .expect("answered");
    let upload: serde_json::Value = upload.json().await.expect("json");
    expected.push((format!("/projects/1/uploads/{}", upload["id"]), second));
    expected
}

async fn assert_serves(api: &str, expected: &[(String, Vec<u8>)]) {
    for (path, bytes) in expected {
        let got = reqwest::Client::new()
            .get(format!("{api}{path}"))
            .header("PRIVATE-TOKEN", TOKEN)
            .send()
            .await
            .expect("answered");
        assert_eq!(got.status(), 200, "{path}");
        assert_eq!(&got.bytes().await.expect("bytes").to_vec(), bytes, "{path}");
    }
}

fn sqlite(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

mod sqlite_only {
    use super::*;

    mod local_only {
        use super::*;

        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn a_backup_carries_the_files_and_a_restore_puts_them_back() {
            let dir = tempfile::tempdir().expect("dir");
            let original = sqlite(&dir.path().join("original.db"));
            let files = dir.path().join("files");
            let (server, api) = serve(&original, files.to_str().expect("path")).await;
            let expected = publish(&api).await;
            let snapshot = dir.path().join("backups/relinks.db");
            std::fs::create_dir_all(dir.path().join("backups")).expect("dir");
            let said = relinks(&[
                "backup",
                "--database",
                &original,
                "--to",
                snapshot.to_str().expect("path"),
                "--storage",
                files.to_str().expect("path"),
            ])
            .await;
            assert!(said.contains(", 2 files"), "{said}");
            assert!(dir.path().join("backups/relinks.db.files/VERSION").exists());
            drop(server);

            // Restored elsewhere, with the default storage beside the database.
            let restored = sqlite(&dir.path().join("restored/relinks.db"));
            std::fs::create_dir_all(dir.path().join("restored")).expect("dir");
            let said = relinks(&[
                "restore",
                "--from",
                snapshot.to_str().expect("path"),
                "--database",
                &restored,
            ])
            .await;
            assert!(said.contains(", 2 files"), "{said}");
            let beside = dir.path().join("restored/relinks.db.files");
            let (_server, api) = serve(&restored, beside.to_str().expect("path")).await;
            assert_serves(&api, &expected).await;
        }
    }
}

mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_copy_between_engines_carries_the_files() {
        let dir = tempfile::tempdir().expect("dir");
        let source = sqlite(&dir.path().join("source.db"));
        let (server, api) = serve(
            &source,
            dir.path().join("source-files").to_str().expect("path"),
        )
        .await;
        let expected = publish(&api).await;
        drop(server);
        let target = TestDatabase::postgres().await;
        let target_files = dir.path().join("target-files");
        let said = relinks(&[
            "copy",
            "--from",
            &source,
            "--from-storage",
            dir.path().join("source-files").to_str().expect("path"),
            "--to",
            &target.url,
            "--to-storage",
            target_files.to_str().expect("path"),
        ])
        .await;
        assert!(said.contains("copied 2 files"), "{said}");
        let (_server, api) = serve(&target.url, target_files.to_str().expect("path")).await;
        assert_serves(&api, &expected).await;
    }
}

mod s3_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_files_move_from_a_directory_to_a_bucket() {
        let database = TestDatabase::new().await;
        let dir = tempfile::tempdir().expect("dir");
        let local = dir.path().join("files");
        let (server, api) = serve(&database.url, local.to_str().expect("path")).await;
        let expected = publish(&api).await;
        drop(server);
        let bucket = format!("s3://{TEST_BUCKET}/{}", common::files::fresh_prefix());
        let said = relinks(&[
            "copy",
            "--from",
            &database.url,
            "--from-storage",
            local.to_str().expect("path"),
            "--to-storage",
            &bucket,
        ])
        .await;
        assert!(said.contains("copied 2 files"), "{said}");
        std::fs::remove_dir_all(&local).expect("the directory goes");
        let (_server, api) = serve(&database.url, &bucket).await;
        assert_serves(&api, &expected).await;
    }
}
