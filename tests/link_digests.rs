//! Links' declared digests (relinks' extension, issue 17): `sha256:<hex>` on create, update,
//! release create and replace; shown only when set; refused in GitLab's shape when malformed;
//! sent with every permanent-link redirect as `Repr-Digest` (RFC 9530).

use crate::common;

use common::{Caller, World};
use serde_json::json;

const HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const REPR: &str = "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:";

fn digest() -> String {
    format!("sha256:{HEX}")
}

#[tokio::test]
async fn a_declared_digest_is_kept_in_lower_case_and_shown_only_when_set() {
    let w = World::new("public").await;
    let root = w.app.root.clone();
    // World's own link has none: GitLab's entity exactly.
    let plain = w.app.get(&root, &w.link(w.link_id)).await;
    let keys: Vec<String> = plain
        .expect(200)
        .as_object()
        .expect("object")
        .keys()
        .cloned()
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "url",
            "direct_asset_url",
            "external",
            "link_type"
        ]
    );

    let upper = format!("SHA256:{}", HEX.to_uppercase());
    let created = w
        .app
        .post(&root, &w.links(), json!({"name": "app", "url": "https://e.x/app", "direct_asset_path": "/bin/app", "digest": upper}))
        .await;
    let link = created.expect(201).clone();
    assert_eq!(link["digest"], json!(digest()));
    let id = link["id"].as_i64().expect("id");
    assert_eq!(
        w.app.get(&root, &w.link(id)).await.expect(200)["digest"],
        json!(digest())
    );
    let listed = w.app.get(&root, &w.links()).await;
    assert_eq!(listed.expect(200)[0]["digest"], json!(digest()));

    // Every permanent link's redirect carries it, the latest release's too.
    let anonymous = Caller::anonymous();
    let releases = format!("/projects/{}/releases", w.project_id);
    for path in [
        format!("{releases}/v1.0/downloads/bin/app"),
        format!("{releases}/permalink/latest/downloads/bin/app"),
        format!("/{}/-/releases/v1.0/downloads/bin/app", w.project_path),
        format!(
            "/{}/-/releases/permalink/latest/downloads/bin/app",
            w.project_path
        ),
    ] {
        let reply = if path.starts_with("/projects") {
            w.app.get(&anonymous, &path).await
        } else {
            let sent = w
                .app
                .client
                .get(w.app.web_url(&path))
                .send()
                .await
                .expect("answered");
            common::into_reply(sent).await
        };
        assert_eq!(
            (reply.status, reply.header("repr-digest")),
            (302, Some(REPR)),
            "{path}"
        );
    }
    let first = w
        .app
        .get(&anonymous, &format!("{releases}/v1.0/downloads/bin/first"))
        .await;
    assert_eq!(
        (first.status, first.header("repr-digest")),
        (302, None),
        "no digest, no header"
    );

    // An update of the digest alone; null clears it (and the entity is GitLab's again).
    let other = format!("sha256:{}", "a".repeat(64));
    let updated = w
        .app
        .put(&w.developer, &w.link(id), json!({"digest": other}))
        .await;
    assert_eq!(updated.expect(200)["digest"], json!(other));
    let renamed = w.app.put(&root, &w.link(id), json!({"name": "app2"})).await;
    assert_eq!(
        renamed.expect(200)["digest"],
        json!(other),
        "kept when not sent"
    );
    let cleared = w.app.put(&root, &w.link(id), json!({"digest": null})).await;
    assert!(cleared.expect(200).get("digest").is_none());

    // Release create and replace take it too.
    let release = w
        .app
        .post(&root, &releases, json!({"tag_name": "v2", "assets": {"links": [{"name": "a", "url": "https://e.x/a", "digest": digest()}]}}))
        .await;
    assert_eq!(
        release.expect(201)["assets"]["links"][0]["digest"],
        json!(digest())
    );
    let replaced = w
        .app
        .put(
            &root,
            &format!("{releases}/v2/assets/links"),
            json!({"links": [{"name": "a", "url": "https://e.x/a", "digest": other}]}),
        )
        .await;
    assert_eq!(replaced.expect(200)[0]["digest"], json!(other));
}

#[tokio::test]
async fn a_malformed_digest_is_refused_after_gitlabs_own_messages() {
    let w = World::new("private").await;
    let root = w.app.root.clone();
    let invalid = r#"{"message":["Digest is in an invalid format"]}"#;
    for bad in [
        "sha256:abc",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "",
        &format!("sha512:{HEX}"),
    ] {
        let reply = w
            .app
            .post(
                &root,
                &w.links(),
                json!({"name": "n", "url": "https://e.x/n", "digest": bad}),
            )
            .await;
        assert_eq!((reply.status, reply.text.as_str()), (400, invalid), "{bad}");
        let reply = w
            .app
            .put(&root, &w.link(w.link_id), json!({"digest": bad}))
            .await;
        assert_eq!((reply.status, reply.text.as_str()), (400, invalid), "{bad}");
    }
    // After the filepath's message, as GitLab orders its validators.
    let reply = w
        .app
        .post(&root, &w.links(), json!({"name": "n", "url": "https://e.x/n", "direct_asset_path": "bad path", "digest": "x"}))
        .await;
    assert_eq!(
        (reply.status, reply.text.as_str()),
        (
            400,
            r#"{"message":["Filepath is in an invalid format","Digest is in an invalid format"]}"#
        )
    );
    let release = w
        .app
        .post(&root, &format!("/projects/{}/releases", w.project_id), json!({"tag_name": "v3", "assets": {"links": [{"name": "a", "url": "https://e.x/a", "digest": "x"}]}}))
        .await;
    assert_eq!(
        (release.status, release.text.as_str()),
        (
            400,
            r#"{"message":"Validation failed: Links digest is in an invalid format"}"#
        )
    );
    let replaced = w
        .app
        .put(
            &root,
            &w.links(),
            json!({"links": [{"name": "a", "url": "https://e.x/a", "digest": "x"}]}),
        )
        .await;
    assert_eq!(
        (replaced.status, replaced.text.as_str()),
        (
            400,
            r#"{"message":["links[0]: Digest is in an invalid format"]}"#
        )
    );
    // Without a digest, a PUT still needs a name or URL, in GitLab's words.
    let neither = w
        .app
        .put(&root, &w.link(w.link_id), json!({"link_type": "image"}))
        .await;
    assert_eq!(
        (neither.status, neither.text.as_str()),
        (
            400,
            r#"{"error":"name, url are missing, at least one parameter must be provided"}"#
        )
    );
}
