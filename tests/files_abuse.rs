//! What a probe of the hosted files as an attacker found, each kept fixed: multipart bodies
//! that grow without end or stall between parts, downloads that are never read, digests shown
//! to readers who may not download the file, an overflowing range, and upload links that told
//! an anonymous visitor which private projects exist.

use crate::common;

use std::time::Duration;

use serde_json::json;

use common::files::{random_bytes, raw_request};
use common::{Caller, TestApp, World};

fn generic(project: i64, rest: &str) -> String {
    format!("/projects/{project}/packages/generic/{rest}")
}

/// A multipart request (boundary `bnd`) whose body is `body`, answered over a raw connection.
async fn multipart(app: &TestApp, project: i64, body: &[u8]) -> (u16, String) {
    raw_request(
        &app.base,
        "POST",
        &format!("/api/v4/projects/{project}/uploads"),
        &[
            ("PRIVATE-TOKEN", common::ROOT_TOKEN),
            ("Content-Type", "multipart/form-data; boundary=bnd"),
        ],
        body,
    )
    .await
}

#[tokio::test]
async fn a_multipart_body_is_held_to_the_limit_whatever_its_parts() {
    let app =
        TestApp::start_with_settings(|settings| settings.http.transfers.max_upload_bytes = 100_000)
            .await;
    let project = app.project("p", "public", None).await["id"]
        .as_i64()
        .expect("id");
    let too_large = (
        413,
        r#"{"message":"413 Request Entity Too Large"}"#.to_owned(),
    );
    // No boundary anywhere: the whole body is a preamble.
    let preamble = vec![b'A'; 300_000];
    assert_eq!(multipart(&app, project, &preamble).await, too_large);
    // A plain value far larger than any form field.
    let mut field = b"--bnd\r\nContent-Disposition: form-data; name=\"junk\"\r\n\r\n".to_vec();
    field.extend(vec![b'x'; 200_000]);
    field.extend(b"\r\n--bnd--\r\n");
    assert_eq!(multipart(&app, project, &field).await, too_large);
    // A part header that never ends.
    let mut header = b"--bnd\r\nContent-Disposition: form-data; name=\"x\"; y=\"".to_vec();
    header.extend(vec![b'A'; 300_000]);
    assert_eq!(multipart(&app, project, &header).await, too_large);
    // The file itself beyond the limit.
    let mut file =
        b"--bnd\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n"
            .to_vec();
    file.extend(vec![b'x'; 100_001]);
    file.extend(b"\r\n--bnd--\r\n");
    assert_eq!(multipart(&app, project, &file).await, too_large);
    assert_eq!(
        app.get(&app.root, &format!("/projects/{project}/uploads"))
            .await
            .expect(200),
        &json!([])
    );
}

#[tokio::test]
async fn a_multipart_body_that_stalls_between_parts_is_abandoned() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::start_with_settings(|settings| {
        settings.http.transfers.idle_timeout = Duration::from_millis(500);
    })
    .await;
    let project = app.project("p", "public", None).await["id"]
        .as_i64()
        .expect("id");
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let head = format!(
        "POST /api/v4/projects/{project}/uploads HTTP/1.1\r\nHost: {address}\r\nPRIVATE-TOKEN: {}\r\n\
         Content-Type: multipart/form-data; boundary=bnd\r\nTransfer-Encoding: chunked\r\n\r\n",
        common::ROOT_TOKEN
    );
    stream.write_all(head.as_bytes()).await.expect("sent");
    let part = b"--bnd\r\nContent-Disposition: form-data; name=\"junk\"\r\n\r\nabc";
    stream
        .write_all(format!("{:x}\r\n", part.len()).as_bytes())
        .await
        .expect("sent");
    stream.write_all(part).await.expect("sent");
    stream.write_all(b"\r\n").await.expect("sent");
    // Then nothing: the answer comes anyway, soon after the idle time-out.
    let mut answer = vec![0u8; 200];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer)).await;
    let read = read
        .expect("answered within the idle time-out")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer[..read]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 400 Bad Request"), "{answer}");
}

#[tokio::test]
async fn a_download_nobody_reads_loses_its_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::start_with_settings(|settings| {
        settings.connections.write_stall_timeout = Duration::from_millis(300);
    })
    .await;
    let project = app.project("p", "public", None).await["id"]
        .as_i64()
        .expect("id");
    let size = 16 * 1024 * 1024;
    app.put_file(
        &app.root,
        &generic(project, "p/1.0/big.bin"),
        random_bytes(size),
    )
    .await
    .expect(201);
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let request = format!(
        "GET /api/v4{} HTTP/1.1\r\nHost: {address}\r\n\r\n",
        generic(project, "p/1.0/big.bin")
    );
    stream.write_all(request.as_bytes()).await.expect("sent");
    // The client reads nothing for a while, far longer than the stall time-out.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut received = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut received)).await;
    assert!(
        received.len() < size,
        "the connection was closed before the file went out ({} bytes)",
        received.len()
    );
    // A client that reads goes on being served.
    let (status, _, body) = app
        .get_bytes(
            &Caller::anonymous(),
            &generic(project, "p/1.0/big.bin"),
            &[],
        )
        .await;
    assert_eq!((status, body.len()), (200, size));
}

#[tokio::test]
async fn release_pages_show_a_package_file_s_digest_only_to_who_may_download_it() {
    let w = World::new("private").await;
    let bytes = random_bytes(1000);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "p/1.0/f.bin"),
            bytes.clone(),
        )
        .await
        .expect(201);
    let url = w.app.url(&generic(w.project_id, "p/1.0/f.bin"));
    w.app
        .post(&w.developer, &w.links(), json!({"name": "f", "url": url}))
        .await
        .expect(201);
    let digest = common::files::sha256_hex(&bytes);
    let releases = w.app.web_url(&format!("/{}/-/releases", w.project_path));
    let reporter = w.app.get(&w.reporter, &releases).await;
    assert!(
        reporter.text.contains(&digest),
        "a reporter may download it"
    );
    let guest = w.app.get(&w.guest, &releases).await;
    assert_eq!(guest.status, 200);
    assert!(
        !guest.text.contains(&digest),
        "a guest of a private project may not"
    );
}

#[tokio::test]
async fn upload_links_tell_an_anonymous_visitor_nothing_of_which_projects_exist() {
    let w = World::new("private").await;
    let secret = "0123456789abcdef0123456789abcdef";
    for path in [
        format!("/-/project/{}/uploads/{secret}/f.bin", w.project_id),
        format!("/-/project/999999/uploads/{secret}/f.bin"),
        format!("/{}/uploads/{secret}/f.bin", w.project_path),
        format!("/root/no-such-project/uploads/{secret}/f.bin"),
    ] {
        let reply = w.app.get(&Caller::anonymous(), &w.app.web_url(&path)).await;
        assert_eq!(reply.status, 302, "{path}");
        assert!(
            reply
                .header("location")
                .is_some_and(|l| l.contains("/users/sign_in?return_to=")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_overflowing_range_is_the_file_s_end() {
    let w = World::new("public").await;
    let path = generic(w.project_id, "p/1.0/f.txt");
    w.app
        .put_file(&w.developer, &path, b"0123456789".to_vec())
        .await
        .expect(201);
    let (status, headers, body) = w
        .app
        .get_bytes(
            &Caller::anonymous(),
            &path,
            &[("Range", "bytes=5-18446744073709551615")],
        )
        .await;
    assert_eq!((status, body), (206, b"56789".to_vec()));
    assert_eq!(headers["content-range"], "bytes 5-9/10");
}
