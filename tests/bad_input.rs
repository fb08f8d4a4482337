//! Hostile and malformed input: always a clear 4xx in GitLab's shape, never a 500, and nothing
//! already stored changes.

use crate::common;

use common::{into_reply, Caller, TestApp, World};
use relinks::http::HttpConfig;
use reqwest::Method;
use serde_json::{json, Value};

async fn raw(
    w: &World,
    caller: &Caller,
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> common::Reply {
    let mut request = w
        .app
        .client
        .request(method, w.app.url(path))
        .header("content-type", content_type)
        .body(body);
    if let Some(token) = &caller.token {
        request = request.header("PRIVATE-TOKEN", token);
    }
    into_reply(request.send().await.expect("answered")).await
}

async fn first_link_is_intact(w: &World) {
    let link = w.app.get(&w.developer, &w.link(w.link_id)).await;
    assert_eq!(link.expect(200)["name"], "first");
    assert_eq!(link.body["url"], "https://example.com/first");
    let all = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(all.expect(200).as_array().expect("list").len(), 1);
}

#[tokio::test]
async fn malformed_bodies_are_parameter_errors() {
    let w = World::new("private").await;
    let dev = w.developer.clone();
    let cases: Vec<(&str, Vec<u8>, Value)> = vec![
        (
            "application/json",
            b"{\"name\": ".to_vec(),
            json!({"error": "message body does not match declared format"}),
        ),
        (
            "application/json",
            b"[1, 2]".to_vec(),
            json!({"error": "name is missing, url is missing"}),
        ),
        (
            "application/json",
            b"\"just a string\"".to_vec(),
            json!({"error": "name is missing, url is missing"}),
        ),
        (
            "application/json",
            vec![0x7b, 0xff, 0xfe, 0x7d],
            json!({"error": "message body does not match declared format"}),
        ),
        (
            "application/x-www-form-urlencoded",
            b"name=%FF&url=x".to_vec(),
            json!({"error": "invalid byte sequence in UTF-8"}),
        ),
        (
            "application/x-www-form-urlencoded",
            vec![b'n', b'=', 0xff],
            json!({"error": "invalid byte sequence in UTF-8"}),
        ),
        (
            "application/x-www-form-urlencoded",
            b"name=a&name[x]=b&url=u".to_vec(),
            json!({"error": "expected Hash (got another type) for param `name'"}),
        ),
        (
            "multipart/form-data; boundary=zzz",
            b"--zzz\r\nnot a part".to_vec(),
            json!({"error": "multipart body is malformed"}),
        ),
    ];
    for (content_type, body, expected) in cases {
        let reply = raw(&w, &dev, Method::POST, &w.links(), content_type, body).await;
        assert_eq!(reply.expect(400), &expected, "{content_type}");
        assert_eq!(reply.content_type(), "application/json");
    }
    first_link_is_intact(&w).await;
}

#[tokio::test]
async fn wrong_types_and_nul_bytes_are_invalid_parameters() {
    let w = World::new("private").await;
    let cases = [
        (
            json!({"name": {"a": 1}, "url": "https://e.x"}),
            "name is invalid",
        ),
        (
            json!({"name": "a\u{0}b", "url": "https://e.x"}),
            "name is invalid",
        ),
        (
            json!({"name": "n", "url": ["https://e.x"]}),
            "url is invalid",
        ),
        (
            json!({"name": "n", "url": "https://e.x", "link_type": 3}),
            "link_type does not have a valid value",
        ),
    ];
    for (body, error) in cases {
        let reply = w.app.post(&w.developer, &w.links(), body).await;
        assert_eq!(reply.expect(400), &json!({ "error": error }));
    }
    let reply = w
        .app
        .put(&w.developer, &w.link(w.link_id), json!({"name": 42}))
        .await;
    assert_eq!(
        reply.expect(200)["name"],
        "42",
        "numbers are coerced to strings, as Grape does"
    );
}

#[tokio::test]
async fn invalid_utf8_in_the_path_or_query_is_a_400() {
    let w = World::new("private").await;
    let bad_query = w
        .app
        .get(&w.developer, &format!("{}?page=%FF", w.links()))
        .await;
    assert_eq!(
        bad_query.expect(400),
        &json!({"error": "invalid byte sequence in UTF-8"})
    );
    let bad_path = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/releases/%FF/assets/links", w.project_id),
        )
        .await;
    assert_eq!(
        bad_path.expect(400),
        &json!({"error": "invalid byte sequence in UTF-8"})
    );
    let bad_id = w.app.get(&w.developer, "/users/abc").await;
    assert_eq!(bad_id.expect(400), &json!({"error": "user_id is invalid"}));
    // A NUL anywhere in a path capture (found by the fuzz target: a 500 on PostgreSQL).
    for path in [
        "/projects/%00%2f/releases/v1/assets/links/1".to_owned(),
        format!("/projects/{}/releases/v%00/assets/links/1", w.project_id),
    ] {
        let nul = w.app.delete(&w.developer, &path).await;
        assert_eq!(nul.status, 400, "{path}: {}", nul.text);
        assert!(nul.body["error"]
            .as_str()
            .is_some_and(|e| e.ends_with(" is invalid")));
    }
    let web = w
        .app
        .get(&w.developer, &w.app.web_url("/root%00/app/-/releases"))
        .await;
    assert_eq!(web.status, 404);
}

#[tokio::test]
async fn oversized_bodies_get_413_and_change_nothing() {
    let app = TestApp::start_with(HttpConfig {
        max_body_bytes: 4096,
        ..HttpConfig::default()
    })
    .await;
    let project = app.project("p", "private", None).await["id"]
        .as_i64()
        .expect("id");
    app.release(project, "v1").await;
    let path = format!("/projects/{project}/releases/v1/assets/links");
    let huge = json!({"name": "x".repeat(10_000), "url": "https://e.x/huge"});
    let reply = app.post(&app.root, &path, huge).await;
    assert_eq!(
        reply.expect(413),
        &json!({"message": "413 Request Entity Too Large"})
    );
    assert_eq!(app.get(&app.root, &path).await.expect(200), &json!([]));
}

#[tokio::test]
async fn injection_strings_are_stored_and_returned_verbatim() {
    let w = World::new("private").await;
    let names = [
        "'; DROP TABLE release_links; --",
        "<script>alert(1)</script>",
        "\" OR 1=1 --",
        "%00%2e%2e/",
        "💥 ünïcödé",
    ];
    for (i, name) in names.iter().enumerate() {
        let body = json!({"name": name, "url": format!("https://e.x/{i}?q=' OR '1'='1")});
        let created = w.app.post(&w.developer, &w.links(), body).await;
        assert_eq!(created.expect(201)["name"], *name);
        let id = created.body["id"].as_i64().expect("id");
        assert_eq!(
            w.app.get(&w.developer, &w.link(id)).await.expect(200)["name"],
            *name
        );
    }
    let all = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(
        all.expect(200).as_array().expect("list").len(),
        names.len() + 1
    );
}

#[tokio::test]
async fn encoded_slashes_are_decoded_once() {
    let w = World::new("private").await;
    w.app.release(w.project_id, "release/1.0").await;
    let once = format!(
        "/projects/{}/releases/release%2F1.0/assets/links",
        w.project_id
    );
    w.app.get(&w.developer, &once).await.expect(200);
    let twice = format!(
        "/projects/{}/releases/release%252F1.0/assets/links",
        w.project_id
    );
    assert_eq!(
        w.app.get(&w.developer, &twice).await.expect(404),
        &json!({"message": "404 Not found"})
    );
    let raw_slash = format!(
        "/projects/{}/releases/release/1.0/assets/links",
        w.project_id
    );
    assert_eq!(
        w.app.get(&w.developer, &raw_slash).await.expect(404),
        &json!({"error": "404 Not Found"})
    );
}

#[tokio::test]
async fn unknown_parameters_are_ignored() {
    let w = World::new("private").await;
    let body = json!({"name": "n", "url": "https://e.x/n", "password": "x", "sudo": "root", "file_path": "/x", "extra": {"deep": [1]}});
    w.app
        .post(
            &w.developer,
            &format!("{}?sudo=root&pagination=keyset", w.links()),
            body,
        )
        .await
        .expect(201);
}

#[tokio::test]
async fn json_content_type_on_bodyless_requests_and_empty_objects_on_delete_are_fine() {
    let w = World::new("private").await;
    let get = raw(
        &w,
        &w.developer,
        Method::GET,
        &w.links(),
        "application/json",
        Vec::new(),
    )
    .await;
    get.expect(200);
    let delete = raw(
        &w,
        &w.developer,
        Method::DELETE,
        &w.link(w.link_id),
        "application/json",
        b"{}".to_vec(),
    )
    .await;
    assert_eq!(delete.expect(200)["id"], w.link_id);
}

#[tokio::test]
async fn multipart_forms_are_read_like_other_bodies() {
    let w = World::new("private").await;
    let form = reqwest::multipart::Form::new()
        .text("name", "from-form")
        .text("url", "https://e.x/form");
    let request = w
        .app
        .client
        .post(w.app.url(&w.links()))
        .header("PRIVATE-TOKEN", w.developer.token.clone().expect("token"))
        .multipart(form);
    let reply = into_reply(request.send().await.expect("answered")).await;
    assert_eq!(reply.expect(201)["name"], "from-form");
}

#[tokio::test]
async fn parameter_errors_come_before_authentication() {
    let w = World::new("private").await;
    let stranger = Caller::anonymous().with_token("glpat-unknown");
    let reply = w.app.post(&stranger, &w.links(), json!({})).await;
    assert_eq!(
        reply.expect(400),
        &json!({"error": "name is missing, url is missing"})
    );
}

/// A server with small limits, a project and a release `v1`; the links path.
async fn limited(config: HttpConfig) -> (TestApp, i64, String) {
    let app = TestApp::start_with(config).await;
    let project = app.project("p", "private", None).await["id"]
        .as_i64()
        .expect("id");
    app.release(project, "v1").await;
    let path = format!("/projects/{project}/releases/v1/assets/links");
    (app, project, path)
}

#[tokio::test]
async fn oversized_headers_get_431_in_gitlabs_shape() {
    let (app, _, path) = limited(HttpConfig {
        max_header_bytes: 4096,
        ..HttpConfig::default()
    })
    .await;
    let reply = into_reply(
        app.client
            .get(app.url(&path))
            .header("PRIVATE-TOKEN", common::ROOT_TOKEN)
            .header("X-Padding", "p".repeat(8192))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(
        reply.expect(431),
        &json!({"message": "431 Request Header Fields Too Large"})
    );
    app.get(&app.root, &path).await.expect(200);
}

#[tokio::test]
async fn a_request_slower_than_the_time_out_gets_503_and_writes_nothing() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (app, _, path) = limited(HttpConfig {
        request_timeout: std::time::Duration::from_millis(300),
        ..HttpConfig::default()
    })
    .await;
    // A body announced but never sent in full: the server gives up at the time-out.
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let head = format!(
        "POST /api/v4{path} HTTP/1.1\r\nHost: {address}\r\nPRIVATE-TOKEN: {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"name\":",
        common::ROOT_TOKEN
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    assert!(read.is_ok(), "the server answered within the time-out");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(
        answer.ends_with(r#"{"message":"503 Service Unavailable"}"#),
        "{answer}"
    );
    assert_eq!(app.get(&app.root, &path).await.expect(200), &json!([]));
}

#[tokio::test]
async fn names_longer_than_the_limit_are_refused() {
    let (app, project, path) = limited(HttpConfig {
        max_name_length: 10,
        ..HttpConfig::default()
    })
    .await;
    let long = "n".repeat(11);
    let reply = app
        .post(
            &app.root,
            &path,
            json!({"name": long, "url": "https://e.x/1"}),
        )
        .await;
    assert_eq!(
        reply.expect(400),
        &json!({"message": ["Name is too long (maximum is 10 characters)"]})
    );
    let id = app
        .post(
            &app.root,
            &path,
            json!({"name": "n".repeat(10), "url": "https://e.x/1"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .expect("id");
    let renamed = app
        .put(&app.root, &format!("{path}/{id}"), json!({"name": long}))
        .await;
    assert_eq!(
        renamed.expect(400),
        &json!({"message": ["Name is too long (maximum is 10 characters)"]})
    );
    let releases = format!("/projects/{project}/releases");
    let release = app
        .post(
            &app.root,
            &releases,
            json!({"tag_name": "v2", "name": long}),
        )
        .await;
    assert_eq!(
        release.expect(400),
        &json!({"message": "Validation failed: Name is too long (maximum is 10 characters)"})
    );
    let update = app
        .put(&app.root, &format!("{releases}/v1"), json!({"name": long}))
        .await;
    assert_eq!(
        update.expect(400),
        &json!({"message": {"name": ["is too long (maximum is 10 characters)"]}})
    );
}

#[tokio::test]
async fn a_release_holds_at_most_the_configured_number_of_links() {
    let (app, project, path) = limited(HttpConfig {
        max_links_per_release: 3,
        ..HttpConfig::default()
    })
    .await;
    for i in 0..3 {
        app.post(
            &app.root,
            &path,
            json!({"name": format!("l{i}"), "url": format!("https://e.x/{i}")}),
        )
        .await
        .expect(201);
    }
    let full = app
        .post(
            &app.root,
            &path,
            json!({"name": "l3", "url": "https://e.x/3"}),
        )
        .await;
    assert_eq!(
        full.expect(400),
        &json!({"message": ["Release has too many links (maximum is 3)"]})
    );
    // The count follows deletes: one gone, one more fits, and the release is full again.
    let first = app.get(&app.root, &path).await.expect(200)[0]["id"].clone();
    app.delete(&app.root, &format!("{path}/{first}"))
        .await
        .expect(200);
    app.post(
        &app.root,
        &path,
        json!({"name": "l3", "url": "https://e.x/3"}),
    )
    .await
    .expect(201);
    let full = app
        .post(
            &app.root,
            &path,
            json!({"name": "l4", "url": "https://e.x/4"}),
        )
        .await;
    assert_eq!(
        full.expect(400),
        &json!({"message": ["Release has too many links (maximum is 3)"]})
    );
    assert_eq!(
        app.get(&app.root, &path)
            .await
            .expect(200)
            .as_array()
            .map(Vec::len),
        Some(3)
    );
    let links: Vec<Value> = (0..4)
        .map(|i| json!({"name": format!("l{i}"), "url": format!("https://e.x/{i}")}))
        .collect();
    let release = app
        .post(
            &app.root,
            &format!("/projects/{project}/releases"),
            json!({"tag_name": "v2", "assets": {"links": links}}),
        )
        .await;
    assert_eq!(
        release.expect(400),
        &json!({"message": "Validation failed: Links are too many (maximum is 3)"})
    );
}
