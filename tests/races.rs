//! Races: requests that contend for the same name, URL, filepath, link or release, sent at
//! once. Whatever order they land in, the outcome is one a sequential order would give: one
//! winner, GitLab's 400 for the others, no duplicate, no orphan link, never a 5xx.

use crate::common;

use futures::future::join_all;
use serde_json::{json, Value};

use common::{Reply, TestApp};

const RACERS: usize = 24;

/// What collides, the body of the i-th racer, and the message the losers get.
type Clash = (&'static str, fn(usize) -> Value, &'static str);

fn statuses(replies: &[Reply]) -> Vec<u16> {
    let mut statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    statuses.sort_unstable();
    statuses
}

fn one_winner(replies: &[Reply], winner: u16, loser_body: &Value) {
    let mut expected = vec![winner];
    expected.extend(std::iter::repeat_n(400, replies.len() - 1));
    expected.sort_unstable();
    assert_eq!(statuses(replies), expected, "one winner, the rest refused");
    for reply in replies.iter().filter(|r| r.status == 400) {
        assert_eq!(&reply.body, loser_body);
    }
}

async fn setup(tag: &str) -> (TestApp, String) {
    let app = TestApp::start().await;
    let project = app.project("app", "private", None).await;
    let id = project["id"].as_i64().expect("id");
    app.release(id, tag).await;
    (app, format!("/projects/{id}/releases/{tag}/assets/links"))
}

async fn list(app: &TestApp, links: &str) -> Vec<Value> {
    app.get(&app.root, &format!("{links}?per_page=100"))
        .await
        .expect(200)
        .as_array()
        .expect("list")
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_one_name_url_or_filepath_give_one_link() {
    let (app, links) = setup("v1").await;
    let clashes: [Clash; 3] = [
        (
            "name",
            |i| json!({"name": "same", "url": format!("https://e.x/n{i}")}),
            "Name has already been taken",
        ),
        (
            "url",
            |i| json!({"name": format!("u{i}"), "url": "https://e.x/same"}),
            "Url has already been taken",
        ),
        (
            "filepath",
            |i| json!({"name": format!("f{i}"), "url": format!("https://e.x/f{i}"), "filepath": "/bin/same"}),
            "Filepath has already been taken",
        ),
    ];
    for (what, body, message) in clashes {
        let replies = join_all((0..RACERS).map(|i| app.post(&app.root, &links, body(i)))).await;
        one_winner(&replies, 201, &json!({ "message": [message] }));
        let stored = list(&app, &links).await;
        let winner = replies.iter().find(|r| r.status == 201).expect("a winner");
        assert!(
            stored.iter().any(|l| l["id"] == winner.body["id"]),
            "{what}: the winner is stored"
        );
    }
    assert_eq!(list(&app, &links).await.len(), 3, "no duplicate was stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_renames_into_one_name_leave_one_link_with_it() {
    let (app, links) = setup("v1").await;
    let mut ids = Vec::new();
    for i in 0..RACERS {
        let reply = app
            .post(
                &app.root,
                &links,
                json!({"name": format!("l{i}"), "url": format!("https://e.x/{i}")}),
            )
            .await;
        ids.push(reply.expect(201)["id"].as_i64().expect("id"));
    }
    let paths: Vec<String> = ids.iter().map(|id| format!("{links}/{id}")).collect();
    let replies = join_all(
        paths
            .iter()
            .map(|path| app.put(&app.root, path, json!({"name": "same"}))),
    )
    .await;
    one_winner(
        &replies,
        200,
        &json!({"message": ["Name has already been taken"]}),
    );
    let stored = list(&app, &links).await;
    assert_eq!(stored.len(), RACERS, "renames neither add nor remove links");
    assert_eq!(stored.iter().filter(|l| l["name"] == "same").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_delete_racing_an_update_of_one_link_is_one_or_the_other() {
    let (app, links) = setup("v1").await;
    for round in 0..RACERS {
        let created = app
            .post(
                &app.root,
                &links,
                json!({"name": format!("r{round}"), "url": format!("https://e.x/{round}")}),
            )
            .await;
        let id = created.expect(201)["id"].as_i64().expect("id");
        let link = format!("{links}/{id}");
        let (deleted, updated) = tokio::join!(
            app.delete(&app.root, &link),
            app.put(&app.root, &link, json!({"name": format!("renamed{round}")}))
        );
        assert_eq!(deleted.status, 200, "the delete always wins eventually");
        match updated.status {
            // The update went first: the delete answers the renamed link.
            200 => assert_eq!(deleted.body["name"], format!("renamed{round}")),
            // The delete went first: the update finds nothing.
            404 => {
                assert_eq!(updated.body, json!({"message": "404 Not found"}));
                assert_eq!(deleted.body["name"], format!("r{round}"));
            }
            other => panic!("update answered {other}: {}", updated.text),
        }
        app.get(&app.root, &link).await.expect(404);
    }
    assert!(list(&app, &links).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_release_delete_racing_link_creates_leaves_no_orphan() {
    let app = TestApp::start().await;
    let project = app.project("app", "private", None).await;
    let id = project["id"].as_i64().expect("id");
    for round in 0..8 {
        let tag = format!("v{round}");
        app.release(id, &tag).await;
        let links = format!("/projects/{id}/releases/{tag}/assets/links");
        let creates = join_all((0..8).map(|i| {
            app.post(
                &app.root,
                &links,
                json!({"name": format!("n{i}"), "url": format!("https://e.x/{i}")}),
            )
        }));
        let release = format!("/projects/{id}/releases/{tag}");
        let delete = app.delete(&app.root, &release);
        let (created, deleted) = tokio::join!(creates, delete);
        assert_eq!(deleted.status, 200, "{}", deleted.text);
        for reply in &created {
            assert!(
                matches!(reply.status, 201 | 404),
                "a create answered {}: {}",
                reply.status,
                reply.text
            );
        }
        // The tag stays; a new release of it starts with no links, whoever won.
        app.release(id, &tag).await;
        assert!(
            list(&app, &links).await.is_empty(),
            "round {round}: links outlived their release"
        );
        // Every link the deleted release answered with was one of the creates that succeeded.
        let acknowledged = created.iter().filter(|r| r.status == 201).count();
        let answered = deleted.body["assets"]["links"]
            .as_array()
            .map_or(0, Vec::len);
        assert!(answered <= acknowledged);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_updates_of_different_fields_both_apply() {
    let (app, links) = setup("v1").await;
    for round in 0..RACERS {
        let created = app
            .post(
                &app.root,
                &links,
                json!({"name": format!("n{round}"), "url": format!("https://e.x/{round}")}),
            )
            .await;
        let id = created.expect(201)["id"].as_i64().expect("id");
        let link = format!("{links}/{id}");
        let (renamed, moved) = tokio::join!(
            app.put(&app.root, &link, json!({"name": format!("renamed{round}")})),
            app.put(
                &app.root,
                &link,
                json!({"url": format!("https://e.x/moved{round}")})
            )
        );
        renamed.expect(200);
        moved.expect(200);
        let stored = app.get(&app.root, &link).await;
        let stored = stored.expect(200);
        assert_eq!(
            stored["name"],
            format!("renamed{round}"),
            "no update is lost"
        );
        assert_eq!(
            stored["url"],
            format!("https://e.x/moved{round}"),
            "no update is lost"
        );
    }
}
