//! Hosted files as a storage: bytes stored once by digest and removed when nothing refers to
//! them, uploads that race into one new version, `Expect: 100-continue`, transfers cut when
//! they stall but never for taking long, permanent links that lead to the bytes, a full disk,
//! and a pre-signed redirect to the bucket. On both engines, and both storages (`scripts/test`
//! runs this file again with `RELINKS_TEST_STORAGE=s3`).

use crate::common;

use std::time::Duration;

use serde_json::json;

use common::files::{random_bytes, sha256_hex};
use common::{into_reply, signed_in_session, Caller, TestApp, World};

fn generic(project: i64, rest: &str) -> String {
    format!("/projects/{project}/packages/generic/{rest}")
}

#[tokio::test]
async fn the_same_bytes_are_stored_once_and_removed_when_nothing_refers_to_them() {
    let w = World::new("public").await;
    let bytes = random_bytes(50_000);
    let sha = sha256_hex(&bytes);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "a/1.0/f"),
            bytes.clone(),
        )
        .await
        .expect(201);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "b/2.0/g"),
            bytes.clone(),
        )
        .await
        .expect(201);
    let upload = w
        .app
        .upload(&w.developer, w.project_id, "f.bin", bytes.clone())
        .await;
    let upload_id = upload.expect(201)["id"].clone();
    let other = random_bytes(1000);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "c/1.0/h"),
            other.clone(),
        )
        .await
        .expect(201);
    w.app
        .wait_for_blobs(&[sha.clone(), sha256_hex(&other)])
        .await;

    let packages = w
        .app
        .get(
            &w.maintainer,
            &format!("/projects/{}/packages", w.project_id),
        )
        .await;
    for package in packages.expect(200).as_array().expect("list") {
        let path = format!("/projects/{}/packages/{}", w.project_id, package["id"]);
        w.app.delete(&w.maintainer, &path).await.expect(204);
    }
    // The upload still refers to the first bytes.
    w.app.wait_for_blobs(std::slice::from_ref(&sha)).await;
    let (status, _, body) = w
        .app
        .get_bytes(
            &w.developer,
            &format!("/projects/{}/uploads/{upload_id}", w.project_id),
            &[],
        )
        .await;
    assert_eq!((status, body == bytes), (403, false), "maintainers only");
    let (status, _, body) = w
        .app
        .get_bytes(
            &w.maintainer,
            &format!("/projects/{}/uploads/{upload_id}", w.project_id),
            &[],
        )
        .await;
    assert_eq!((status, body == bytes), (200, true));
    w.app
        .delete(
            &w.maintainer,
            &format!("/projects/{}/uploads/{upload_id}", w.project_id),
        )
        .await
        .expect(204);
    w.app.wait_for_blobs(&[]).await;
}

#[tokio::test]
async fn uploads_racing_into_one_new_version_all_succeed() {
    let w = World::new("private").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let app = &w.app;
        let developer = w.developer.clone();
        let name = if i < 4 {
            format!("f{i}")
        } else {
            "same".to_owned()
        };
        let path = generic(w.project_id, &format!("release-it/1.0.0/{name}"));
        tasks.push(async move {
            app.put_file(&developer, &path, random_bytes(20_000 + i))
                .await
        });
    }
    for reply in futures::future::join_all(tasks).await {
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let packages = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/packages", w.project_id),
        )
        .await;
    let packages = packages.expect(200).as_array().expect("list").clone();
    assert_eq!(packages.len(), 1);
    let files = w
        .app
        .get(
            &w.developer,
            &format!(
                "/projects/{}/packages/{}/package_files",
                w.project_id, packages[0]["id"]
            ),
        )
        .await;
    assert_eq!(files.expect(200).as_array().map(Vec::len), Some(8));
}

#[tokio::test]
async fn a_client_that_asks_to_continue_is_told_to() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let w = World::new("private").await;
    let address = w.app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let token = w.developer.token.clone().expect("token");
    let head = format!(
        "PUT /api/v4{} HTTP/1.1\r\nHost: {address}\r\nPRIVATE-TOKEN: {token}\r\nContent-Length: 5\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        generic(w.project_id, "p/1.0/f")
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let mut interim = [0u8; 25];
    stream
        .read_exact(&mut interim)
        .await
        .expect("an interim answer");
    assert_eq!(&interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    stream.write_all(b"hello").await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 201 Created"), "{answer}");
    // Refused before the body is sent: no 100, the refusal at once.
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let head = head.replace(&token, "glpat-wrong");
    stream.write_all(head.as_bytes()).await.expect("sent");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 401 Unauthorized"), "{answer}");
}

/// A body sent slowly in chunks, `pause` apart.
fn slow_body(chunks: usize, pause: Duration, then_stall: bool) -> reqwest::Body {
    let stream = futures::stream::unfold(0usize, move |sent| async move {
        if sent == chunks {
            if then_stall {
                futures::future::pending::<()>().await;
            }
            return None;
        }
        tokio::time::sleep(pause).await;
        Some((Ok::<_, std::io::Error>(vec![b'x'; 1000]), sent + 1))
    });
    reqwest::Body::wrap_stream(stream)
}

#[tokio::test]
async fn a_long_upload_is_not_cut_but_a_stalled_one_is() {
    let app = TestApp::start_with_settings(|settings| {
        settings.http.request_timeout = Duration::from_secs(1);
        settings.http.transfers.idle_timeout = Duration::from_millis(700);
    })
    .await;
    let project = app.project("p", "private", None).await["id"]
        .as_i64()
        .expect("id");
    let send = |path: String, body: reqwest::Body| {
        let app = &app;
        async move {
            app.client
                .put(app.url(&path))
                .header("PRIVATE-TOKEN", common::ROOT_TOKEN)
                .body(body)
                .send()
                .await
        }
    };
    // 2.5 s in all, longer than any request may take, but never 0.7 s without a byte.
    let slow = send(
        generic(project, "p/1.0/slow"),
        slow_body(6, Duration::from_millis(400), false),
    )
    .await;
    let slow = into_reply(slow.expect("answered")).await;
    assert_eq!(slow.status, 201, "{}", slow.text);
    let (_, _, body) = app
        .get_bytes(&app.root, &generic(project, "p/1.0/slow"), &[])
        .await;
    assert_eq!(body.len(), 6000);
    // A body that stops: the upload is abandoned, and nothing of it is kept.
    let stalled = send(
        generic(project, "p/1.0/stalled"),
        slow_body(2, Duration::from_millis(100), true),
    )
    .await;
    if let Ok(reply) = stalled {
        let reply = into_reply(reply).await;
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (
                400,
                r#"{"message":"400 Bad request - The request body ended before the file did"}"#
            )
        );
    }
    let missing = app.get(&app.root, &generic(project, "p/1.0/stalled")).await;
    assert_eq!(missing.status, 404);
    app.wait_for_blobs(&[sha256_hex(&[b'x'; 6000])]).await;
}

/// A client that follows redirects and keeps its headers on this host, as curl -L does.
fn following() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::limited(5))
        .build()
        .expect("client")
}

#[tokio::test]
async fn permanent_links_lead_to_the_hosted_bytes() {
    for visibility in ["public", "private"] {
        let w = World::new(visibility).await;
        let bytes = random_bytes(70_000);
        w.app
            .put_file(
                &w.developer,
                &generic(w.project_id, "app/1.0/app.bin"),
                bytes.clone(),
            )
            .await
            .expect(201);
        let upload = w
            .app
            .upload(&w.developer, w.project_id, "notes.pdf", b"%PDF-".to_vec())
            .await;
        let upload_url = format!(
            "{}{}",
            w.app.base,
            upload.expect(201)["full_path"].as_str().expect("path")
        );
        let package_url = w.app.url(&generic(w.project_id, "app/1.0/app.bin"));
        for (name, url, path) in [
            ("app", &package_url, "/bin/app"),
            ("notes", &upload_url, "/doc/notes.pdf"),
        ] {
            w.app
                .post(
                    &w.developer,
                    &w.links(),
                    json!({"name": name, "url": url, "direct_asset_path": path}),
                )
                .await
                .expect(201);
        }
        let permanent = format!(
            "{}/{}/-/releases/v1.0/downloads/bin/app",
            w.app.base, w.project_path
        );
        let latest = format!(
            "{}/{}/-/releases/permalink/latest/downloads/bin/app",
            w.app.base, w.project_path
        );
        let api_latest = format!(
            "{}/api/v4/projects/{}/releases/permalink/latest/downloads/bin/app",
            w.app.base, w.project_id
        );
        let token = w.reporter.token.clone().expect("token");
        let session = signed_in_session(&w.app, &token).await;
        for url in [&permanent, &latest, &api_latest] {
            let with_token = following()
                .get(url)
                .header("PRIVATE-TOKEN", &token)
                .send()
                .await
                .expect("answered");
            assert_eq!(with_token.status(), 200, "{visibility} {url} with a token");
            assert_eq!(with_token.bytes().await.expect("bytes").to_vec(), bytes);
            if url != &api_latest {
                let browser = following()
                    .get(url)
                    .header("Cookie", &session)
                    .send()
                    .await
                    .expect("answered");
                assert_eq!(
                    browser.status(),
                    200,
                    "{visibility} {url} in a signed-in browser"
                );
                assert_eq!(browser.bytes().await.expect("bytes").to_vec(), bytes);
            }
            let anonymous = following().get(url).send().await.expect("answered");
            let expected = if visibility == "public" { 200 } else { 404 };
            assert_eq!(anonymous.status(), expected, "{visibility} {url} anonymous");
        }
        let notes = format!(
            "{}/{}/-/releases/v1.0/downloads/doc/notes.pdf",
            w.app.base, w.project_path
        );
        let browser = following()
            .get(&notes)
            .header("Cookie", &session)
            .send()
            .await
            .expect("answered");
        assert_eq!(browser.status(), 200);
        assert_eq!(browser.headers()["content-type"], "application/pdf");
        assert_eq!(browser.bytes().await.expect("bytes").as_ref(), b"%PDF-");
    }
}

mod local_only {
    use super::*;

    /// A small file system of its own for the storage (root mounts a tmpfs; the test needs it).
    struct SmallDisk(std::path::PathBuf);

    impl SmallDisk {
        fn mount(kib: u64) -> Self {
            let dir = tempfile::tempdir().expect("dir").keep();
            let status = std::process::Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={kib}k"), "tmpfs"])
                .arg(&dir)
                .status()
                .expect("mount runs");
            assert!(
                status.success(),
                "mounting a small tmpfs needs root (scripts/test runs as root in CI)"
            );
            Self(dir)
        }
    }

    impl Drop for SmallDisk {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(&self.0).status();
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[tokio::test]
    async fn a_full_disk_is_answered_507_and_nothing_half_written_is_visible() {
        let disk = SmallDisk::mount(2048);
        let files = disk.0.join("files");
        let app = TestApp::start_with_settings(|settings| {
            settings.storage = Some(relinks::blobs::StorageSettings {
                location: relinks::blobs::StorageLocation::Directory(files.clone()),
                s3: Default::default(),
            });
        })
        .await;
        let project = app.project("p", "private", None).await["id"]
            .as_i64()
            .expect("id");
        let full = app
            .put_file(
                &app.root,
                &generic(project, "p/1.0/big"),
                random_bytes(3 * 1024 * 1024),
            )
            .await;
        assert_eq!(
            (full.status, full.text.as_str()),
            (507, r#"{"message":"507 Insufficient Storage"}"#)
        );
        let upload = app
            .upload(&app.root, project, "big.bin", random_bytes(3 * 1024 * 1024))
            .await;
        assert_eq!(
            (upload.status, upload.text.as_str()),
            (507, r#"{"message":"507 Insufficient Storage"}"#)
        );
        assert_eq!(
            app.get(&app.root, &generic(project, "p/1.0/big"))
                .await
                .status,
            404
        );
        assert_eq!(
            std::fs::read_dir(files.join("tmp")).expect("tmp").count(),
            0,
            "no half-written file is left"
        );
        assert!(app.stored_blobs().await.is_empty());
        // The server goes on serving, and takes what fits.
        let small = random_bytes(100_000);
        app.put_file(&app.root, &generic(project, "p/1.0/small"), small.clone())
            .await
            .expect(201);
        let (status, _, body) = app
            .get_bytes(&app.root, &generic(project, "p/1.0/small"), &[])
            .await;
        assert_eq!((status, body == small), (200, true));
    }
}

mod s3_only {
    use super::*;

    #[tokio::test]
    async fn downloads_can_be_redirected_to_a_short_lived_url_of_the_bucket() {
        let app = TestApp::start_with_settings(|settings| {
            let mut storage = common::files::s3_storage();
            storage.s3.redirect_downloads = Some(Duration::from_secs(60));
            settings.storage = Some(storage);
        })
        .await;
        let project = app.project("p", "public", None).await["id"]
            .as_i64()
            .expect("id");
        let bytes = random_bytes(30_000);
        app.put_file(
            &app.root,
            &generic(project, "p/1.0/app.tar.gz"),
            bytes.clone(),
        )
        .await
        .expect(201);
        let redirect = app
            .get(&Caller::anonymous(), &generic(project, "p/1.0/app.tar.gz"))
            .await;
        assert_eq!(redirect.status, 302);
        let location = redirect.header("location").expect("a location").to_owned();
        assert!(
            location.starts_with(&common::files::s3_endpoint()),
            "{location}"
        );
        assert!(location.contains("X-Amz-Signature="), "{location}");
        let followed = reqwest::get(&location).await.expect("the bucket answers");
        assert_eq!(followed.status(), 200);
        assert_eq!(
            followed.headers()["content-disposition"],
            "attachment; filename=\"app.tar.gz\"; filename*=UTF-8''app.tar.gz"
        );
        assert_eq!(followed.bytes().await.expect("bytes").to_vec(), bytes);
        // Sent to the bucket is downloaded: it is counted.
        let metrics = app
            .client
            .get(app.web_url("/-/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        assert!(
            metrics.contains("relinks_downloads_total{project=\"root/p\"} 1"),
            "{metrics}"
        );
    }
}
