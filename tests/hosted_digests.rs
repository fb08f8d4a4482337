//! Links to files hosted by this relinks (relinks' extension, issue 17 point 1): such a link
//! gets the file's `digest` and `size` by itself, on create, update, replace and release
//! create; a declared digest that is not the file's is refused; a new URL elsewhere leaves both
//! unknown. The permanent link's redirect then carries the file's `Repr-Digest`.

use crate::common;

use common::{TestApp, World};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

const MISMATCH: &str = r#"{"message":["Digest does not match the hosted file"]}"#;
const BYTES: &[u8] = b"the release binary, version 1.0.0\n";

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Publishes BYTES as a generic package file of the world's project; its URL.
async fn hosted(w: &World, file: &str) -> String {
    let path = format!(
        "/projects/{}/packages/generic/tool/1.0.0/{file}",
        w.project_id
    );
    w.app
        .put_file(&w.app.root, &path, BYTES.to_vec())
        .await
        .expect(201);
    format!("{}/api/v4{path}", w.app.base)
}

fn facts(link: &Value) -> (Option<&str>, Option<i64>) {
    (link["digest"].as_str(), link["size"].as_i64())
}

async fn other_project_file(app: &TestApp) -> String {
    let other = app.project("other", "public", None).await;
    let id = other["id"].as_i64().expect("id");
    let path = format!("/projects/{id}/packages/generic/tool/1.0.0/tool.bin");
    app.put_file(&app.root, &path, BYTES.to_vec())
        .await
        .expect(201);
    format!("{}/api/v4{path}", app.base)
}

#[tokio::test]
async fn a_link_to_a_hosted_file_gets_its_digest_and_size() {
    let w = World::new("public").await;
    let url = hosted(&w, "tool.bin").await;
    let created = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "tool", "url": url, "direct_asset_path": "/tool"}),
        )
        .await;
    let link = created.expect(201).clone();
    let expected = sha256(BYTES);
    assert_eq!(
        facts(&link),
        (Some(expected.as_str()), Some(BYTES.len() as i64))
    );
    let id = link["id"].as_i64().expect("id");
    let shown = w.app.get(&w.reporter, &w.link(id)).await;
    assert_eq!(
        facts(shown.expect(200)),
        (Some(expected.as_str()), Some(BYTES.len() as i64))
    );
    // The permanent link says which bytes it leads to.
    let redirect = w
        .app
        .client
        .get(w.app.web_url(&format!(
            "/{}/-/releases/v1.0/downloads/tool",
            w.project_path
        )))
        .send()
        .await
        .expect("redirect");
    assert_eq!(redirect.status(), 302);
    let repr = redirect
        .headers()
        .get("repr-digest")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(BYTES));
    assert_eq!(repr, Some(format!("sha-256=:{b64}:")));

    // Declared: the file's own (in any case) passes; another is refused, and nothing is made.
    let upper = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(BYTES)).to_uppercase()
    );
    let same = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "same", "url": format!("{url}?same"), "digest": upper}),
        )
        .await;
    let url_with_query = format!("{url}?same");
    assert_eq!(same.status, 201, "{}", same.text);
    assert_eq!(same.body["url"], url_with_query);
    let wrong = sha256(b"something else");
    let refused = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "wrong", "url": format!("{url}?wrong"), "digest": wrong}),
        )
        .await;
    assert_eq!((refused.status, refused.text.as_str()), (400, MISMATCH));
    // GitLab's own messages come first.
    let both = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "tool", "url": format!("{url}?both"), "digest": wrong}),
        )
        .await;
    assert_eq!(both.status, 400);
    assert_eq!(both.body["message"][0], "Name has already been taken");

    // A file that is not there (yet), and another project's file: left alone.
    let missing = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "missing", "url": url.replace("tool.bin", "none.bin")}),
        )
        .await;
    assert_eq!(facts(missing.expect(201)), (None, None));
    let foreign = other_project_file(&w.app).await;
    let elsewhere = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "foreign", "url": foreign}),
        )
        .await;
    assert_eq!(facts(elsewhere.expect(201)), (None, None));
}

#[tokio::test]
async fn an_update_follows_the_url() {
    let w = World::new("public").await;
    let url = hosted(&w, "tool.bin").await;
    let link = w.link(w.link_id);
    let expected = sha256(BYTES);
    let size = Some(BYTES.len() as i64);

    // To a hosted file: its digest and size.
    let moved = w.app.put(&w.developer, &link, json!({"url": url})).await;
    assert_eq!(facts(moved.expect(200)), (Some(expected.as_str()), size));
    // A rename keeps them; the same URL again too.
    let renamed = w
        .app
        .put(&w.developer, &link, json!({"name": "renamed", "url": url}))
        .await;
    assert_eq!(facts(renamed.expect(200)), (Some(expected.as_str()), size));
    // Declaring another digest for it is refused; its own is fine.
    let wrong = w
        .app
        .put(&w.developer, &link, json!({"digest": sha256(b"x")}))
        .await;
    assert_eq!((wrong.status, wrong.text.as_str()), (400, MISMATCH));
    let own = w
        .app
        .put(&w.developer, &link, json!({"digest": expected}))
        .await;
    assert_eq!(facts(own.expect(200)), (Some(expected.as_str()), size));

    // Elsewhere: nothing is known of what the new URL serves, unless the request says.
    let away = w
        .app
        .put(
            &w.developer,
            &link,
            json!({"url": "https://example.com/tool"}),
        )
        .await;
    assert_eq!(facts(away.expect(200)), (None, None));
    let declared = sha256(b"mirror");
    let mirrored = w
        .app
        .put(
            &w.developer,
            &link,
            json!({"url": "https://mirror.example.com/tool", "digest": declared}),
        )
        .await;
    assert_eq!(facts(mirrored.expect(200)), (Some(declared.as_str()), None));
    let back = w
        .app
        .put(&w.developer, &link, json!({"url": url, "digest": declared}))
        .await;
    assert_eq!((back.status, back.text.as_str()), (400, MISMATCH));
}

#[tokio::test]
async fn uploads_replacements_and_new_releases_are_described_too() {
    let w = World::new("public").await;
    let package_url = hosted(&w, "tool.bin").await;
    let uploaded = w
        .app
        .upload(&w.developer, w.project_id, "notes.txt", b"notes".to_vec())
        .await;
    let upload_url = format!(
        "{}{}",
        w.app.base,
        uploaded.expect(201)["full_path"]
            .as_str()
            .expect("full_path")
    );

    let replaced = w
        .app
        .put(
            &w.developer,
            &w.links(),
            json!({"links": [
                {"name": "tool", "url": package_url},
                {"name": "notes", "url": upload_url},
                {"name": "site", "url": "https://example.com/"},
            ]}),
        )
        .await;
    let links = replaced.expect(200).as_array().expect("links").clone();
    assert_eq!(
        facts(&links[0]),
        (Some(sha256(BYTES).as_str()), Some(BYTES.len() as i64))
    );
    assert_eq!(facts(&links[1]), (Some(sha256(b"notes").as_str()), Some(5)));
    assert_eq!(facts(&links[2]), (None, None));
    let refused = w
        .app
        .put(
            &w.developer,
            &w.links(),
            json!({"links": [
                {"name": "site", "url": "https://example.com/", "digest": sha256(b"site")},
                {"name": "tool", "url": package_url, "digest": sha256(b"x")},
            ]}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (
            400,
            r#"{"message":["links[1]: Digest does not match the hosted file"]}"#
        )
    );

    let releases = format!("/projects/{}/releases", w.project_id);
    let release = w
        .app
        .post(&w.developer, &releases, json!({"tag_name": "v2.0", "ref": "main", "assets": {"links": [{"name": "tool", "url": package_url}]}}))
        .await;
    let link = &release.expect(201)["assets"]["links"][0];
    assert_eq!(
        facts(link),
        (Some(sha256(BYTES).as_str()), Some(BYTES.len() as i64))
    );
    let refused = w
        .app
        .post(&w.developer, &releases, json!({"tag_name": "v3.0", "ref": "main", "assets": {"links": [{"name": "tool", "url": package_url, "digest": sha256(b"x")}]}}))
        .await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (
            400,
            r#"{"message":"Validation failed: Links digest does not match the hosted file"}"#
        )
    );
    let missing = w.app.get(&w.developer, &format!("{releases}/v3.0")).await;
    assert_eq!(missing.status, 404);
}
