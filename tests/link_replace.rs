//! Replacing a release's links at once (relinks' extension, issue 17):
//! `PUT …/assets/links` with `{"links": […]}` makes them exactly that set, in that order; a
//! link whose name matches keeps its id and permanent links; the set is valid as a whole or
//! nothing changes; racing replaces apply one after the other.

use crate::common;

use common::{names, Caller, World};
use serde_json::{json, Value};

async fn current(w: &World) -> Value {
    w.app
        .get(&w.app.root, &format!("{}?per_page=100", w.links()))
        .await
        .expect(200)
        .clone()
}

fn id_of(links: &Value, name: &str) -> i64 {
    links
        .as_array()
        .expect("array")
        .iter()
        .find(|l| l["name"] == name)
        .and_then(|l| l["id"].as_i64())
        .expect(name)
}

#[tokio::test]
async fn a_release_gets_exactly_the_set_in_its_order_keeping_ids_and_permanent_links() {
    let w = World::new("public").await;
    let root = w.app.root.clone();
    for (name, path) in [("a", "/bin/a"), ("b", "/bin/b"), ("c", "/bin/c")] {
        w.app
            .post(&root, &w.links(), json!({"name": name, "url": format!("https://e.x/{name}"), "direct_asset_path": path}))
            .await
            .expect(201);
    }
    let before = current(&w).await;
    let set = json!({"links": [
        // b and a swap URLs; b's filepath moves; c and World's "first" go; d comes.
        {"name": "b", "url": "https://e.x/a", "direct_asset_path": "/bin/b2", "link_type": "package"},
        {"name": "a", "url": "https://e.x/b", "filepath": "/bin/a"},
        {"name": "d", "url": "https://e.x/d"},
    ]});
    let replaced = w.app.put(&w.developer, &w.links(), set).await;
    let after = replaced.expect(200).clone();
    assert_eq!(names(&after), ["b", "a", "d"]);
    assert_eq!(id_of(&after, "a"), id_of(&before, "a"));
    assert_eq!(id_of(&after, "b"), id_of(&before, "b"));
    assert_eq!(after[0]["url"], "https://e.x/a");
    assert_eq!(after[0]["link_type"], "package");
    assert_eq!(after[1]["url"], "https://e.x/b");
    assert_eq!(names(&current(&w).await), ["b", "a", "d"]);
    let gone = w.app.get(&root, &w.link(id_of(&before, "c"))).await;
    assert_eq!(
        (gone.status, gone.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );

    // b's old filepath still leads to b, its new one too.
    for path in ["/bin/b", "/bin/b2"] {
        let download = w
            .app
            .get(
                &Caller::anonymous(),
                &format!("/projects/{}/releases/v1.0/downloads{path}", w.project_id),
            )
            .await;
        assert_eq!(
            (download.status, download.header("location")),
            (302, Some("https://e.x/a")),
            "{path}"
        );
    }

    // The same set again changes nothing but answers the same; an empty set deletes them all.
    let again = json!({"links": [
        {"name": "b", "url": "https://e.x/a", "direct_asset_path": "/bin/b2", "link_type": "package"},
        {"name": "a", "url": "https://e.x/b", "filepath": "/bin/a"},
        {"name": "d", "url": "https://e.x/d"},
    ]});
    assert_eq!(
        w.app.put(&root, &w.links(), again).await.expect(200),
        &after
    );
    assert_eq!(
        w.app
            .put(&root, &w.links(), json!({"links": []}))
            .await
            .expect(200),
        &json!([])
    );
    assert_eq!(current(&w).await, json!([]));
}

#[tokio::test]
async fn an_invalid_set_changes_nothing_and_says_which_entry() {
    let w = World::new("private").await;
    let root = w.app.root.clone();
    let before = current(&w).await;
    let refused = |reply: &common::Reply, body: &str| {
        assert_eq!(
            (reply.status, reply.text.as_str()),
            (400, body),
            "{}",
            reply.text
        );
    };
    let set = json!({"links": [
        {"name": "x", "url": "https://e.x/x", "filepath": "/bin/x"},
        {"name": "y", "url": "file:///etc/passwd", "filepath": "/bin/x"},
        {"name": "x", "url": "https://e.x/x"},
    ]});
    refused(
        &w.app.put(&root, &w.links(), set).await,
        r#"{"message":["links[1]: Url is blocked: Only allowed schemes are http, https, ftp","links[1]: Filepath has already been taken","links[2]: Url has already been taken","links[2]: Name has already been taken"]}"#,
    );
    refused(
        &w.app.put(&root, &w.links(), json!({})).await,
        r#"{"error":"links is missing"}"#,
    );
    refused(
        &w.app.put(&root, &w.links(), json!({"links": null})).await,
        r#"{"error":"links is invalid"}"#,
    );
    refused(
        &w.app.put(&root, &w.links(), json!({"links": "x"})).await,
        r#"{"error":"links is invalid"}"#,
    );
    refused(
        &w.app
            .put(
                &root,
                &w.links(),
                json!({"links": [{"url": "https://e.x/n"}]}),
            )
            .await,
        r#"{"error":"links[0][name] is missing"}"#,
    );
    assert_eq!(current(&w).await, before, "nothing changed");

    let set = json!({"links": [{"name": "r", "url": "https://e.x/r"}]});
    let reporter = w.app.put(&w.reporter, &w.links(), set.clone()).await;
    assert_eq!(
        (reporter.status, reporter.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );
    let missing = w
        .app
        .put(
            &root,
            &format!("/projects/{}/releases/v9/assets/links", w.project_id),
            set,
        )
        .await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    assert_eq!(current(&w).await, before, "nothing changed");
}

#[tokio::test]
async fn racing_replaces_apply_one_after_the_other() {
    let w = World::new("private").await;
    let root = w.app.root.clone();
    // Each set shares names (and so ids) with the others but orders and points them its own way.
    let sets: Vec<Value> = (0..12)
        .map(|i| {
            let links: Vec<Value> = (0..6)
                .map(|j| {
                    let k = (i + j) % 6;
                    json!({"name": format!("n{k}"), "url": format!("https://e.x/{i}/{k}"), "filepath": format!("/bin/f{}", (k + i) % 6)})
                })
                .collect();
            json!({ "links": links })
        })
        .collect();
    let links = w.links();
    let replies =
        futures::future::join_all(sets.iter().map(|set| w.app.put(&root, &links, set.clone())))
            .await;
    for reply in &replies {
        reply.expect(200);
    }
    let last = current(&w).await;
    let shape = |links: &Value| -> Vec<(String, String)> {
        links
            .as_array()
            .expect("array")
            .iter()
            .map(|l| {
                (
                    l["name"].as_str().unwrap_or("").to_owned(),
                    l["url"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    };
    assert!(
        replies.iter().any(|r| shape(&r.body) == shape(&last)),
        "the release holds one whole set: {last}"
    );
    assert_eq!(last.as_array().map(Vec::len), Some(6));

    // Replaces racing single-link writes of the same release: each applies whole, before or
    // after the others, and none fails (on PostgreSQL: no deadlock between their locks).
    let ids: Vec<i64> = last
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|l| l["id"].as_i64())
        .collect();
    let replaces = sets.iter().map(|set| w.app.put(&root, &links, set.clone()));
    let paths: Vec<String> = ids.iter().map(|id| format!("{links}/{id}")).collect();
    let renames = paths.iter().map(|path| {
        w.app.put(
            &root,
            path,
            json!({"url": format!("https://e.x/renamed{path}")}),
        )
    });
    let (replaced, renamed) = futures::future::join(
        futures::future::join_all(replaces),
        futures::future::join_all(renames),
    )
    .await;
    for reply in replaced.iter().chain(renamed.iter()) {
        // A rename may meet a URL a replace has just given another link (400); nothing else.
        assert!(
            matches!(reply.status, 200 | 400),
            "{} {}",
            reply.status,
            reply.text
        );
    }
    let after = current(&w).await;
    assert_eq!(after.as_array().map(Vec::len), Some(6), "{after}");
}
