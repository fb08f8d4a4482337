//! Immutable releases (relinks' extension, issue 18 point 3): in a project with
//! `releases_immutable`, a published release keeps its links and its tag, for everyone,
//! administrators included; its name and description stay editable; an upcoming one is
//! editable until its date; only an administrator turns the setting off while such releases
//! exist, and that change is audited.

use crate::common;

use common::{execute_sql, page_text, Caller, Reply, World};
use serde_json::{json, Value};

const IMMUTABLE: &str = r#"{"message":"403 Forbidden - Release v1.0 is immutable"}"#;

fn refused(reply: &Reply) {
    assert_eq!(reply.status, 403, "{}", reply.text);
    assert_eq!(reply.text, IMMUTABLE);
}

async fn make_immutable(w: &World) {
    let project = format!("/projects/{}", w.project_id);
    // Maintainers and up change it.
    w.app
        .put(&w.developer, &project, json!({"releases_immutable": true}))
        .await
        .expect(403);
    let on = w
        .app
        .put(&w.maintainer, &project, json!({"releases_immutable": true}))
        .await;
    assert_eq!(on.expect(200)["releases_immutable"], json!(true));
}

#[tokio::test]
async fn a_published_release_keeps_its_links_and_tag_for_everyone() {
    let w = World::new("public").await;
    let project = format!("/projects/{}", w.project_id);
    let shown = w.app.get(&w.app.root, &project).await;
    assert!(shown.expect(200).get("releases_immutable").is_none());
    make_immutable(&w).await;

    let release = format!("{project}/releases/v1.0");
    for caller in [&w.app.root, &w.maintainer, &w.developer] {
        let link = json!({"name": "new", "url": "https://example.com/new"});
        refused(&w.app.post(caller, &w.links(), link).await);
        let rename = json!({"name": "renamed"});
        refused(&w.app.put(caller, &w.link(w.link_id), rename).await);
        refused(&w.app.delete(caller, &w.link(w.link_id)).await);
        let set = json!({"links": [{"name": "only", "url": "https://example.com/only"}]});
        refused(&w.app.put(caller, &w.links(), set).await);
        let order = json!({"ids": [w.link_id]});
        refused(
            &w.app
                .put(caller, &format!("{}/order", w.links()), order)
                .await,
        );
        refused(&w.app.delete(caller, &release).await);
        let moved = json!({"released_at": "2099-01-01T00:00:00Z"});
        refused(&w.app.put(caller, &release, moved).await);
        let tag = format!("{project}/repository/tags/v1.0");
        refused(&w.app.delete(caller, &tag).await);
    }
    // Who may not write at all still hears so first.
    w.app
        .post(
            &w.reporter,
            &w.links(),
            json!({"name": "n", "url": "https://e.x/n"}),
        )
        .await
        .expect(403);
    assert_eq!(
        w.app
            .post(
                &w.reporter,
                &w.links(),
                json!({"name": "n", "url": "https://e.x/n"})
            )
            .await
            .text,
        r#"{"message":"403 Forbidden"}"#
    );

    // A link that is not there is not found, as on any release.
    let missing = format!("{}/987654", w.links());
    for reply in [
        w.app
            .put(&w.developer, &missing, json!({"name": "x"}))
            .await,
        w.app.delete(&w.developer, &missing).await,
    ] {
        assert_eq!(reply.status, 404);
        assert_eq!(reply.text, r#"{"message":"404 Not found"}"#);
    }
    // The date it was shown with, sent back, is no change.
    let shown = w.app.get(&w.developer, &release).await;
    let released_at = shown.expect(200)["released_at"].clone();
    w.app
        .put(
            &w.developer,
            &release,
            json!({"released_at": released_at, "description": "same date"}),
        )
        .await
        .expect(200);

    // Its name and description stay editable, and the release says what it is.
    let edited = w
        .app
        .put(
            &w.developer,
            &release,
            json!({"name": "One", "description": "Notes, fixed"}),
        )
        .await;
    let edited = edited.expect(200);
    assert_eq!(edited["name"], "One");
    assert_eq!(edited["immutable"], json!(true));
    assert_eq!(edited["assets"]["links"].as_array().map(Vec::len), Some(1));
    let listed = w
        .app
        .get(&Caller::anonymous(), &format!("{project}/releases"))
        .await;
    assert_eq!(listed.expect(200)[0]["immutable"], json!(true));
    let page = page_text(&w.app, &format!("/{}/-/releases/v1.0", w.project_path)).await;
    assert!(page.contains("span class=\"badge immutable\""), "{page}");
}

#[tokio::test]
async fn an_upcoming_release_stays_editable_until_its_date() {
    let w = World::new("public").await;
    make_immutable(&w).await;
    let project = format!("/projects/{}", w.project_id);
    let upcoming = w
        .app
        .post(
            &w.developer,
            &format!("{project}/releases"),
            json!({"tag_name": "v2.0", "released_at": "2099-01-01T00:00:00Z"}),
        )
        .await;
    assert!(upcoming.expect(201).get("immutable").is_none());
    let links = format!("{project}/releases/v2.0/assets/links");
    let link = w
        .app
        .post(
            &w.developer,
            &links,
            json!({"name": "b", "url": "https://e.x/b"}),
        )
        .await;
    let id = link.expect(201)["id"].as_i64().expect("id");
    w.app
        .put(&w.developer, &format!("{links}/{id}"), json!({"name": "c"}))
        .await
        .expect(200);
    let page = page_text(&w.app, &format!("/{}/-/releases/v2.0", w.project_path)).await;
    assert!(!page.contains("badge immutable"));
    w.app
        .delete(&w.developer, &format!("{project}/releases/v2.0"))
        .await
        .expect(200);
}

/// A release's JSON is kept rendered: each caller still sees what they may do with it, and a
/// release whose date passes while it is kept is shown out (and so immutable) from then on.
#[tokio::test]
async fn a_kept_release_answers_each_caller_and_moment_its_own() {
    let w = World::new("public").await;
    make_immutable(&w).await;
    let project = format!("/projects/{}", w.project_id);
    let soon = chrono::Utc::now() + chrono::Duration::seconds(3);
    w.app
        .post(
            &w.developer,
            &format!("{project}/releases"),
            json!({"tag_name": "v3.0", "released_at": soon.format("%Y-%m-%dT%H:%M:%SZ").to_string()}),
        )
        .await
        .expect(201);
    let release = format!("{project}/releases/v3.0");
    for _ in 0..2 {
        let developer = w.app.get(&w.developer, &release).await;
        let developer = developer.expect(200);
        assert_eq!(developer["upcoming_release"], json!(true), "{developer}");
        assert!(developer.get("immutable").is_none(), "{developer}");
        assert!(developer["_links"]["edit_url"].is_string(), "{developer}");
        let reporter = w.app.get(&w.reporter, &release).await;
        let reporter = reporter.expect(200);
        assert!(reporter["_links"].get("edit_url").is_none(), "{reporter}");
    }
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let out = w.app.get(&w.developer, &release).await;
    let out = out.expect(200);
    assert_eq!(out["upcoming_release"], json!(false), "{out}");
    assert_eq!(out["immutable"], json!(true), "{out}");
}

#[tokio::test]
async fn verifying_a_link_of_an_immutable_release_checks_and_changes_nothing() {
    let w = World::new("public").await;
    let file = format!(
        "/projects/{}/packages/generic/tool/1.0.0/tool.bin",
        w.project_id
    );
    w.app
        .put_file(&w.app.root, &file, b"bytes".to_vec())
        .await
        .expect(201);
    let url = format!("{}/api/v4{file}", w.app.base);
    let created = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "tool", "url": url}),
        )
        .await;
    let id = created.expect(201)["id"].as_i64().expect("id");
    // A link stored before relinks knew its file's digest.
    let sql = format!("UPDATE release_links SET digest = NULL, size = NULL WHERE id = {id}");
    assert_eq!(execute_sql(w.app.database_url(), &sql).await, 1);
    make_immutable(&w).await;
    let verified = w
        .app
        .post(&w.developer, &format!("{}/verify", w.link(id)), json!({}))
        .await;
    let verified = verified.expect(200);
    assert!(verified["verified_at"].is_string());
    assert!(verified.get("digest").is_none(), "{verified}");
    let shown = w.app.get(&w.developer, &w.link(id)).await;
    assert!(shown.expect(200).get("digest").is_none());
}

/// The project's audit events of `event`, newest first.
async fn project_events(w: &World, event: &str) -> Vec<Value> {
    let all = w.app.get(&w.app.root, "/audit_events?per_page=100").await;
    all.expect(200)
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["event_name"] == event)
        .cloned()
        .collect()
}

#[tokio::test]
async fn only_an_administrator_turns_it_off_while_immutable_releases_exist() {
    let w = World::new("private").await;
    make_immutable(&w).await;
    let project = format!("/projects/{}", w.project_id);
    let off = json!({"releases_immutable": false});
    let refused = w.app.put(&w.maintainer, &project, off.clone()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.text,
        r#"{"message":"403 Forbidden - releases_immutable can be turned off only by an administrator while the project has immutable releases"}"#
    );
    let turned = w.app.put(&w.app.root, &project, off.clone()).await;
    assert!(turned.expect(200).get("releases_immutable").is_none());
    let events = project_events(&w, "project_updated").await;
    let change = events
        .iter()
        .find(|e| e["details"]["from"]["releases_immutable"] == json!(true))
        .unwrap_or_else(|| panic!("the change is audited: {events:?}"));
    assert_eq!(change["details"]["to"]["releases_immutable"], json!(false));
    assert_eq!(change["details"]["author_name"], json!("root"));
    // The links may change again.
    w.app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "n", "url": "https://e.x/n"}),
        )
        .await
        .expect(201);

    // Without a published release, maintainers turn it off themselves.
    w.app
        .delete(&w.app.root, &format!("{project}/releases/v1.0"))
        .await
        .expect(200);
    make_immutable(&w).await;
    w.app.put(&w.maintainer, &project, off).await.expect(200);
}
