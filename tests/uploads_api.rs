//! Project uploads over HTTP: `POST /projects/:id/uploads` as GitLab answers it, the file
//! where its links point (`full_path`, and the legacy project path release-it builds), with the
//! project's visibility for browsers and scripts alike, and the API that lists, fetches and
//! deletes uploads.

use crate::common;

use serde_json::Value;

use common::files::random_bytes;
use common::{into_reply, signed_in_session, Caller, TestApp, World};

async fn uploaded(w: &World, caller: &Caller, name: &str, bytes: Vec<u8>) -> Value {
    let reply = w.app.upload(caller, w.project_id, name, bytes).await;
    reply.expect(201).clone()
}

/// A `GET` of a page-side URL with extra headers, not following redirects.
async fn web_get(
    app: &TestApp,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let mut request = app.client.get(app.web_url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.bytes().await.expect("body").to_vec(),
    )
}

#[tokio::test]
async fn an_upload_answers_as_gitlab_s_does() {
    let w = World::new("private").await;
    let binary = uploaded(&w, &w.developer, "app 1.0 (linux).tar.gz", vec![1, 2, 3]).await;
    let keys: Vec<&str> = binary
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["id", "alt", "url", "full_path", "markdown"]);
    let url = binary["url"].as_str().expect("url");
    let secret = url.split('/').nth(2).expect("a secret");
    assert_eq!(secret.len(), 32);
    assert!(secret
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(url, format!("/uploads/{secret}/app_1.0__linux_.tar.gz"));
    assert_eq!(binary["alt"], "app_1.0__linux_.tar.gz");
    assert_eq!(
        binary["full_path"],
        format!(
            "/-/project/{}/uploads/{secret}/app_1.0__linux_.tar.gz",
            w.project_id
        )
    );
    assert_eq!(
        binary["markdown"],
        format!("[app_1.0__linux_.tar.gz]({url})")
    );
    let image = uploaded(&w, &w.developer, "screen.png", vec![0x89, b'P', b'N', b'G']).await;
    assert_eq!(image["alt"], "screen");
    assert_eq!(
        image["markdown"],
        format!("![screen]({})", image["url"].as_str().expect("url"))
    );
}

#[tokio::test]
async fn who_may_upload() {
    let w = World::new("private").await;
    let anonymous = w
        .app
        .upload(&Caller::anonymous(), w.project_id, "f.bin", vec![1])
        .await;
    assert_eq!(
        (anonymous.status, anonymous.text.as_str()),
        (401, r#"{"message":"401 Unauthorized"}"#)
    );
    let outsider = w
        .app
        .upload(&w.outsider, w.project_id, "f.bin", vec![1])
        .await;
    assert_eq!(
        (outsider.status, outsider.text.as_str()),
        (404, r#"{"message":"404 Project Not Found"}"#)
    );
    // GitLab checks nothing beyond reading the project: a guest may upload.
    w.app
        .upload(&w.guest, w.project_id, "f.bin", vec![1])
        .await
        .expect(201);
}

#[tokio::test]
async fn the_file_part_is_required() {
    let w = World::new("public").await;
    let send = |form: reqwest::multipart::Form| {
        let app = &w.app;
        let url = app.url(&format!("/projects/{}/uploads", w.project_id));
        async move {
            into_reply(
                app.client
                    .post(url)
                    .header("PRIVATE-TOKEN", common::ROOT_TOKEN)
                    .multipart(form)
                    .send()
                    .await
                    .expect("answered"),
            )
            .await
        }
    };
    let missing = send(reqwest::multipart::Form::new().text("other", "x")).await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (400, r#"{"error":"file is missing"}"#)
    );
    let value = send(reqwest::multipart::Form::new().text("file", "just text")).await;
    assert_eq!(
        (value.status, value.text.as_str()),
        (400, r#"{"error":"file is invalid"}"#)
    );
    let json = w
        .app
        .post(
            &w.app.root,
            &format!("/projects/{}/uploads", w.project_id),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(
        (json.status, json.text.as_str()),
        (400, r#"{"error":"file is missing"}"#)
    );
}

#[tokio::test]
async fn an_upload_beyond_the_limit_is_too_large() {
    let mut config = common::test_config();
    config.transfers.max_upload_bytes = 100_000;
    let app = TestApp::start_with(config).await;
    let project = app.project("p", "private", None).await["id"]
        .as_i64()
        .expect("id");
    let reply = app
        .upload(&app.root, project, "big.bin", random_bytes(100_001))
        .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (413, r#"{"message":"413 Request Entity Too Large"}"#)
    );
    let far = app
        .upload(&app.root, project, "huge.bin", random_bytes(400_000))
        .await;
    assert_eq!(far.status, 413);
    app.upload(&app.root, project, "fits.bin", random_bytes(100_000))
        .await
        .expect(201);
    let list = app
        .get(&app.root, &format!("/projects/{project}/uploads"))
        .await;
    assert_eq!(
        list.expect(200).as_array().map(Vec::len),
        Some(1),
        "nothing of the refused uploads was kept"
    );
}

#[tokio::test]
async fn the_full_path_serves_the_file_to_whoever_may_read_the_project() {
    let w = World::new("private").await;
    let bytes = random_bytes(200_000);
    let upload = uploaded(&w, &w.developer, "app.tar.gz", bytes.clone()).await;
    let full_path = upload["full_path"].as_str().expect("full_path").to_owned();
    let legacy = format!(
        "/{}{}",
        w.project_path,
        upload["url"].as_str().expect("url")
    );
    let token = w.reporter.token.clone().expect("token");
    for path in [&full_path, &legacy] {
        // A browser that has not signed in is sent to sign in, and comes back.
        let (status, headers, _) = web_get(&w.app, path, &[]).await;
        assert_eq!(status, 302, "{path}");
        let location = headers["location"].to_str().expect("location");
        assert!(
            location.starts_with(&format!("{}/users/sign_in?return_to=", w.app.base)),
            "{location}"
        );
        // Scripts send the API's credentials; browsers their session.
        let (status, _, body) = web_get(&w.app, path, &[("PRIVATE-TOKEN", &token)]).await;
        assert_eq!((status, body == bytes), (200, true), "{path} with a token");
        let (status, _, body) =
            web_get(&w.app, &format!("{path}?private_token={token}"), &[]).await;
        assert_eq!(
            (status, body == bytes),
            (200, true),
            "{path} with private_token"
        );
        let session = signed_in_session(&w.app, &token).await;
        let (status, _, body) = web_get(&w.app, path, &[("Cookie", &session)]).await;
        assert_eq!(
            (status, body == bytes),
            (200, true),
            "{path} with a session"
        );
        // Signed in, but not allowed to see the project: the 404 page.
        let outsider = w.outsider.token.clone().expect("token");
        let (status, headers, _) = web_get(&w.app, path, &[("PRIVATE-TOKEN", &outsider)]).await;
        assert_eq!(status, 404, "{path} for an outsider");
        assert!(headers["content-type"]
            .to_str()
            .unwrap_or_default()
            .starts_with("text/html"));
    }
    let wrong = full_path.replace(
        &upload["url"].as_str().expect("url")[9..41],
        "0123456789abcdef0123456789abcdef",
    );
    let (status, _, _) = web_get(&w.app, &wrong, &[("PRIVATE-TOKEN", &token)]).await;
    assert_eq!(status, 404, "a wrong secret");
    let bad = w
        .app
        .get(
            &w.reporter.with_token("glpat-nope"),
            &w.app.web_url(&full_path),
        )
        .await;
    assert_eq!(
        (bad.status, bad.text.as_str()),
        (401, r#"{"message":"401 Unauthorized"}"#)
    );
}

#[tokio::test]
async fn a_public_project_s_uploads_are_anyone_s_to_fetch() {
    let w = World::new("public").await;
    let upload = uploaded(&w, &w.developer, "notes.txt", b"plain".to_vec()).await;
    let (status, headers, body) =
        web_get(&w.app, upload["full_path"].as_str().expect("path"), &[]).await;
    assert_eq!((status, body), (200, b"plain".to_vec()));
    assert_eq!(headers["content-length"], "5");
}

#[tokio::test]
async fn uploads_are_shown_or_saved_but_never_run_as_pages() {
    let w = World::new("public").await;
    for (name, content_type, disposition) in [
        ("shot.png", "image/png", "inline"),
        ("manual.pdf", "application/pdf", "inline"),
        ("logo.svg", "image/svg+xml", "attachment"),
        ("page.html", "text/plain; charset=utf-8", "attachment"),
        ("script.js", "text/plain; charset=utf-8", "attachment"),
        ("app.tar.gz", "application/gzip", "attachment"),
        ("app.exe", "application/octet-stream", "attachment"),
    ] {
        let upload = uploaded(
            &w,
            &w.developer,
            name,
            b"<script>alert(1)</script>".to_vec(),
        )
        .await;
        let (status, headers, _) =
            web_get(&w.app, upload["full_path"].as_str().expect("path"), &[]).await;
        assert_eq!(status, 200, "{name}");
        assert_eq!(headers["content-type"], content_type, "{name}");
        assert_eq!(
            headers["content-disposition"],
            format!("{disposition}; filename=\"{name}\"; filename*=UTF-8''{name}").as_str(),
            "{name}"
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
    }
}

#[tokio::test]
async fn maintainers_list_fetch_and_delete_uploads() {
    let w = World::new("private").await;
    let first = uploaded(&w, &w.developer, "one.bin", vec![1; 10]).await;
    let second = uploaded(&w, &w.maintainer, "two.bin", vec![2; 20]).await;
    let list_path = format!("/projects/{}/uploads", w.project_id);
    let developer = w.app.get(&w.developer, &list_path).await;
    assert_eq!(
        (developer.status, developer.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );
    let list = w.app.get(&w.maintainer, &list_path).await;
    let items = list.expect(200).as_array().expect("list").clone();
    assert_eq!(list.header("x-total"), Some("2"));
    let keys: Vec<&str> = items[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["id", "size", "filename", "created_at", "uploaded_by"]
    );
    assert_eq!(items[0]["id"], second["id"], "newest first");
    assert_eq!(items[0]["size"], 20);
    assert_eq!(items[0]["uploaded_by"]["username"], "maintainer");
    assert_eq!(items[1]["uploaded_by"]["username"], "developer");

    let (status, headers, body) = w
        .app
        .get_bytes(&w.maintainer, &format!("{list_path}/{}", first["id"]), &[])
        .await;
    assert_eq!((status, body), (200, vec![1; 10]));
    assert_eq!(headers["content-type"], "application/octet-stream");
    assert_eq!(
        headers["content-disposition"],
        "attachment; filename=\"one.bin\"; filename*=UTF-8''one.bin"
    );
    let by_secret = format!(
        "/projects/{}{}",
        w.project_id,
        first["url"].as_str().expect("url")
    );
    let (status, _, body) = w.app.get_bytes(&w.guest, &by_secret, &[]).await;
    assert_eq!(
        (status, body),
        (200, vec![1; 10]),
        "anyone who may read the project, by its secret"
    );
    let bad_id = w.app.get(&w.maintainer, &format!("{list_path}/x")).await;
    assert_eq!(
        (bad_id.status, bad_id.text.as_str()),
        (400, r#"{"error":"upload_id is invalid"}"#)
    );

    w.app
        .delete(&w.developer, &format!("{list_path}/{}", first["id"]))
        .await
        .expect(403);
    let deleted = w
        .app
        .delete(&w.maintainer, &format!("{list_path}/{}", first["id"]))
        .await;
    assert_eq!((deleted.status, deleted.text.as_str()), (204, ""));
    let again = w
        .app
        .delete(&w.maintainer, &format!("{list_path}/{}", first["id"]))
        .await;
    assert_eq!(
        (again.status, again.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    let (status, _, _) = web_get(
        &w.app,
        first["full_path"].as_str().expect("path"),
        &[("PRIVATE-TOKEN", common::ROOT_TOKEN)],
    )
    .await;
    assert_eq!(status, 404, "a deleted upload is gone at once");

    let second_secret = format!(
        "/projects/{}{}",
        w.project_id,
        second["url"].as_str().expect("url")
    );
    w.app
        .delete(&w.maintainer, &second_secret)
        .await
        .expect(204);
    let missing = w.app.delete(&w.maintainer, &second_secret).await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (
            400,
            r#"{"message":"400 Bad request - The resource that you are attempting to access does not exist or you don't have permission to perform this action."}"#
        )
    );
    assert_eq!(
        w.app
            .get(&w.maintainer, &list_path)
            .await
            .expect(200)
            .as_array()
            .map(Vec::len),
        Some(0)
    );
}
