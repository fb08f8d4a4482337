//! Speed never costs correctness: relinks answers reads from memory (SQLite: the read cache and
//! the rendered-JSON memo), and every write acknowledged before a read is seen by that read.
//! Each step warms the reader's memory with the answer before the write, then checks the next
//! answer. On PostgreSQL the writes go through a second relinks instance on the same database,
//! as several stateless instances share one PostgreSQL.

use crate::common;

use common::{writer_for, Caller, TestApp};
use serde_json::json;

/// The names of a release's links as every view shows them: the links list, the release, the
/// releases list, and the second page of one link per page.
async fn link_names(app: &TestApp, caller: &Caller, project: i64) -> Vec<Vec<String>> {
    use common::names;
    let base = format!("/projects/{project}/releases");
    let list = app
        .get(caller, &format!("{base}/v1/assets/links?per_page=100"))
        .await;
    let release = app.get(caller, &format!("{base}/v1")).await;
    let releases = app.get(caller, &base).await;
    let second = app
        .get(caller, &format!("{base}/v1/assets/links?per_page=1&page=2"))
        .await;
    vec![
        names(list.expect(200)),
        names(&release.expect(200)["assets"]["links"]),
        names(&releases.expect(200)[0]["assets"]["links"]),
        names(second.expect(200)),
    ]
}

/// The same names in every view (the paged view holds the second one only).
fn everywhere(names: &[&str]) -> Vec<Vec<String>> {
    let all: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let second: Vec<String> = all.iter().skip(1).take(1).cloned().collect();
    vec![all.clone(), all.clone(), all, second]
}

async fn first_direct_url(app: &TestApp, links: &str) -> String {
    let reply = app.get(&app.root, &format!("{links}?per_page=100")).await;
    reply.expect(200)[0]["direct_asset_url"]
        .as_str()
        .expect("url")
        .to_owned()
}

#[tokio::test]
async fn every_acknowledged_write_is_seen_by_the_next_read() {
    let reader = TestApp::start().await;
    // A second instance on PostgreSQL; on SQLite one process owns the file.
    let (writer, _stop) = writer_for(&reader).await;
    let root = reader.root.clone();
    let project = writer.project("fresh", "public", None).await;
    let id = project["id"].as_i64().expect("id");
    writer.release(id, "v1").await;
    let links = format!("/projects/{id}/releases/v1/assets/links");
    let create = |name: &str| json!({"name": name, "url": format!("https://example.com/{name}"), "direct_asset_path": format!("/bin/{name}")});
    let a = writer.post(&root, &links, create("a")).await.expect(201)["id"].clone();
    let b = writer.post(&root, &links, create("b")).await.expect(201)["id"].clone();
    assert_eq!(
        link_names(&reader, &root, id).await,
        everywhere(&["b", "a"])
    );

    // A rename, a create and a delete of links.
    writer
        .put(&root, &format!("{links}/{a}"), json!({"name": "a2"}))
        .await
        .expect(200);
    assert_eq!(
        link_names(&reader, &root, id).await,
        everywhere(&["b", "a2"])
    );
    writer.post(&root, &links, create("c")).await.expect(201);
    assert_eq!(
        link_names(&reader, &root, id).await,
        everywhere(&["c", "b", "a2"])
    );
    let one = format!("{links}/{b}");
    reader.get(&root, &one).await.expect(200);
    writer.delete(&root, &one).await.expect(200);
    let gone = reader.get(&root, &one).await;
    assert_eq!(
        (gone.status, gone.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    assert_eq!(
        link_names(&reader, &root, id).await,
        everywhere(&["c", "a2"])
    );

    // A project renamed: every permanent link shown follows its new path.
    assert!(first_direct_url(&reader, &links)
        .await
        .ends_with("/root/fresh/-/releases/v1/downloads/bin/c"));
    writer
        .put(
            &root,
            &format!("/projects/{id}"),
            json!({"path": "renamed"}),
        )
        .await
        .expect(200);
    assert!(first_direct_url(&reader, &links)
        .await
        .ends_with("/root/renamed/-/releases/v1/downloads/bin/c"));
    let release = reader
        .get(&root, &format!("/projects/{id}/releases/v1"))
        .await;
    let links_of_release = &release.expect(200)["assets"]["links"];
    assert!(links_of_release[0]["direct_asset_url"]
        .as_str()
        .expect("url")
        .ends_with("/root/renamed/-/releases/v1/downloads/bin/c"));

    // Visibility: a public project turned private is gone for anonymous callers.
    let anonymous = Caller::anonymous();
    reader.get(&anonymous, &links).await.expect(200);
    writer
        .put(
            &root,
            &format!("/projects/{id}"),
            json!({"visibility": "private"}),
        )
        .await
        .expect(200);
    let hidden = reader.get(&anonymous, &links).await;
    assert_eq!(
        (hidden.status, hidden.text.as_str()),
        (404, r#"{"message":"404 Project Not Found"}"#)
    );

    // A membership removed: the private project is gone for its former developer.
    let developer = writer.user("dev").await;
    writer.add_member(id, &developer, 30).await;
    reader.get(&developer, &links).await.expect(200);
    writer
        .delete(&root, &format!("/projects/{id}/members/{}", developer.id))
        .await
        .expect(204);
    assert_eq!(reader.get(&developer, &links).await.status, 404);

    // A protected tag: a developer who could write links of v1 no longer can.
    let keeper = writer.user("keeper").await;
    writer.add_member(id, &keeper, 30).await;
    reader.post(&keeper, &links, create("d")).await.expect(201);
    writer
        .post(
            &root,
            &format!("/projects/{id}/protected_tags"),
            json!({"name": "v*", "create_access_level": 40}),
        )
        .await
        .expect(201);
    let refused = reader.post(&keeper, &links, create("e")).await;
    assert_eq!(
        (refused.status, refused.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );

    // A token revoked is refused at once.
    reader.get(&keeper, "/user").await.expect(200);
    let token = reader.get(&keeper, "/personal_access_tokens/self").await;
    let token_id = token.expect(200)["id"].clone();
    writer
        .delete(&root, &format!("/personal_access_tokens/{token_id}"))
        .await
        .expect(204);
    assert_eq!(reader.get(&keeper, "/user").await.status, 401);

    // A release deleted: its links and the release itself are gone.
    writer
        .delete(&root, &format!("/projects/{id}/releases/v1"))
        .await
        .expect(200);
    let release = reader
        .get(&root, &format!("/projects/{id}/releases/v1"))
        .await;
    assert_eq!(
        (release.status, release.text.as_str()),
        (404, r#"{"message":"404 Not Found"}"#)
    );
    let list = reader.get(&root, &links).await;
    assert_eq!(
        (list.status, list.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    let releases = reader.get(&root, &format!("/projects/{id}/releases")).await;
    assert_eq!(releases.expect(200), &json!([]));
}
