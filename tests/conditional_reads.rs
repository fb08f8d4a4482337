//! Conditional reads, as GitLab's Rails stack answers them (Rack::ETag, Rack::ConditionalGet):
//! an API answer of 200 or 201 with a body carries a weak ETag, a GET whose `If-None-Match`
//! names it gets 304 without a body, and any write that changes what the GET answers changes
//! the tag. On PostgreSQL the writes go through a second instance on the same database.

use crate::common;

use common::{into_reply, writer_for, Reply, TestApp, ROOT_TOKEN};
use serde_json::json;

const REVALIDATE: &str = "max-age=0, private, must-revalidate";

async fn get_if(app: &TestApp, path: &str, etag: Option<&str>) -> Reply {
    let mut request = app
        .client
        .get(app.url(path))
        .header("PRIVATE-TOKEN", ROOT_TOKEN);
    if let Some(etag) = etag {
        request = request.header("If-None-Match", etag);
    }
    into_reply(request.send().await.expect("request is answered")).await
}

/// The answer's tag, checked for Rack::ETag's shape and cache directive.
fn etag_of(reply: &Reply) -> String {
    reply.expect(200);
    let etag = reply.header("etag").expect("an ETag").to_owned();
    assert!(
        etag.len() == 36 && etag.starts_with("W/\"") && etag.ends_with('"'),
        "{etag}"
    );
    assert_eq!(reply.header("cache-control"), Some(REVALIDATE));
    etag
}

/// The tag is stable while nothing changes, and a request naming it gets 304: no body, the
/// tag and the cache directive again.
async fn unchanged(app: &TestApp, path: &str) -> String {
    let etag = etag_of(&get_if(app, path, None).await);
    assert_eq!(etag_of(&get_if(app, path, None).await), etag, "{path}");
    let not_modified = get_if(app, path, Some(&etag)).await;
    assert_eq!(not_modified.status, 304, "{path}: {}", not_modified.text);
    assert_eq!(not_modified.text, "");
    assert_eq!(not_modified.header("etag"), Some(etag.as_str()));
    assert_eq!(not_modified.header("cache-control"), Some(REVALIDATE));
    assert_eq!(not_modified.header("content-type"), None);
    etag
}

/// After a write, the old tag no longer matches: the whole answer comes back, with a new tag.
async fn changed(app: &TestApp, path: &str, old: &str) -> String {
    let reply = get_if(app, path, Some(old)).await;
    let etag = etag_of(&reply);
    assert_ne!(etag, old, "{path}");
    etag
}

#[tokio::test]
async fn reads_are_tagged_and_a_write_changes_the_tag_of_every_view() {
    let reader = TestApp::start().await;
    let (writer, _stop) = writer_for(&reader).await;
    let root = reader.root.clone();
    let project = writer.project("tagged", "private", None).await;
    let id = project["id"].as_i64().expect("id");
    writer.release(id, "v1").await;
    let links = format!("/projects/{id}/releases/v1/assets/links");
    let create = |name: &str| json!({"name": name, "url": format!("https://example.com/{name}")});
    let created = writer.post(&root, &links, create("a")).await;
    assert_eq!(created.status, 201);
    assert!(created.header("etag").is_some(), "a 201 is tagged too");
    let a = created.body["id"].clone();
    writer.post(&root, &links, create("b")).await.expect(201);

    let link = format!("{links}/{a}");
    let first_page = format!("{links}?per_page=1");
    let release = format!("/projects/{id}/releases/v1");
    let releases = format!("/projects/{id}/releases");
    let views = [&link, &links, &first_page, &release, &releases];
    let mut tags = Vec::new();
    for view in views {
        tags.push(unchanged(&reader, view).await);
    }

    // A rename of the older link: every view shows it (the first page's total and links too,
    // though its one link is the newer one).
    writer
        .put(&root, &link, json!({"name": "a2"}))
        .await
        .expect(200);
    for (view, tag) in views.iter().zip(tags.iter_mut()) {
        if *view == &first_page {
            assert_eq!(
                unchanged(&reader, view).await,
                *tag,
                "not on the first page"
            );
        } else {
            *tag = changed(&reader, view, tag).await;
        }
    }

    // The first page's body stays the same when a link of the second goes, but its total and
    // pages do not: a different answer.
    writer.post(&root, &links, create("c")).await.expect(201);
    let page = changed(&reader, &first_page, &tags[2]).await;
    writer.delete(&root, &link).await.expect(200);
    let after = get_if(&reader, &first_page, Some(&page)).await;
    assert_eq!(after.header("x-total"), Some("2"));
    changed(&reader, &first_page, &page).await;

    // The release's own fields.
    let release_tag = unchanged(&reader, &release).await;
    writer
        .put(&root, &release, json!({"description": "new"}))
        .await
        .expect(200);
    changed(&reader, &release, &release_tag).await;
}

#[tokio::test]
async fn if_none_match_is_compared_weakly_and_only_on_reads() {
    let app = TestApp::start().await;
    let project = app.project("weak", "private", None).await;
    let id = project["id"].as_i64().expect("id");
    app.release(id, "v1").await;
    let path = format!("/projects/{id}/releases/v1");
    let etag = unchanged(&app, &path).await;
    let strong = etag.trim_start_matches("W/");
    for wanted in [
        strong.to_owned(),
        format!("\"other\", {etag}"),
        "*".to_owned(),
    ] {
        assert_eq!(
            get_if(&app, &path, Some(&wanted)).await.status,
            304,
            "{wanted}"
        );
    }
    assert_eq!(get_if(&app, &path, Some("W/\"other\"")).await.status, 200);

    // Errors carry no tag, and never become 304.
    let missing = get_if(&app, &format!("/projects/{id}/releases/v2"), Some("*")).await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (404, r#"{"message":"404 Not Found"}"#)
    );
    assert_eq!(missing.header("etag"), None);

    // A write with If-None-Match is a write.
    let updated = app
        .client
        .put(app.url(&path))
        .header("PRIVATE-TOKEN", ROOT_TOKEN)
        .header("If-None-Match", "*")
        .json(&json!({"description": "written"}))
        .send()
        .await
        .expect("answered");
    let updated = into_reply(updated).await;
    assert_eq!(updated.expect(200)["description"], "written");
}
