//! What a probe of the running server as an attacker found, each fixed and kept fixed: releases
//! leaking through tags, pages and permalinks showing more than the API, URLs and paths that
//! mislead, request ids, caching headers and session cookies.

mod common;

use common::{Caller, World};
use serde_json::json;

/// A public project whose releases only members may read (`releases_access_level: private`).
async fn members_only_releases() -> World {
    let w = World::new("public").await;
    w.app
        .put(
            &w.app.root,
            &format!("/projects/{}", w.project_id),
            json!({"releases_access_level": "private"}),
        )
        .await
        .expect(200);
    w.app
        .post(
            &w.app.root,
            &format!("/projects/{}/repository/tags", w.project_id),
            json!({"tag_name": "bare", "ref": "main"}),
        )
        .await
        .expect(201);
    w
}

#[tokio::test]
async fn tags_embed_their_release_only_for_callers_who_may_read_releases() {
    let w = members_only_releases().await;
    let tags = format!("/projects/{}/repository/tags", w.project_id);
    let one = format!("{tags}/v1.0");
    for caller in [&Caller::anonymous(), &w.outsider] {
        let list = w.app.get(caller, &tags).await;
        let list = list.expect(200).as_array().expect("tags").clone();
        assert_eq!(list.len(), 2);
        assert!(
            list.iter().all(|t| t.get("release").is_none()),
            "no release for {}: {list:?}",
            caller.username
        );
        let tag = w.app.get(caller, &one).await;
        assert!(tag.expect(200).get("release").is_none(), "{}", tag.text);
    }
    let list = w.app.get(&w.guest, &tags).await;
    let list = list.expect(200).as_array().expect("tags").clone();
    let v1 = list.iter().find(|t| t["name"] == "v1.0").expect("v1.0");
    assert_eq!(
        v1["release"],
        json!({"tag_name": "v1.0", "description": null})
    );
    let bare = list.iter().find(|t| t["name"] == "bare").expect("bare");
    assert!(bare.get("release").is_some_and(|r| r.is_null()), "{bare}");
    let tag = w.app.get(&w.guest, &one).await;
    assert_eq!(tag.expect(200)["release"]["tag_name"], "v1.0");
    // A tag just recorded by a developer has no release yet: `null`, not absent.
    let created = w
        .app
        .post(
            &w.developer,
            &tags,
            json!({"tag_name": "v2.0", "ref": "main"}),
        )
        .await;
    assert!(created.expect(201)["release"].is_null());
    assert!(created.body.get("release").is_some());
}

/// Runs one statement on the test's database behind the server's back (to plant what the API
/// no longer accepts), then makes one harmless write so that no cached read hides it.
async fn plant(w: &World, sql: &str) {
    use sqlx::Connection;
    let url = w.app.database_url();
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.expect("opens");
        sqlx::query(sql)
            .execute(&mut connection)
            .await
            .expect("runs");
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("opens");
        sqlx::query(sql)
            .execute(&mut connection)
            .await
            .expect("runs");
    }
    w.app
        .post(
            &w.app.root,
            &format!("/projects/{}/repository/tags", w.project_id),
            json!({"tag_name": format!("bump-{}", rand::random::<u32>()), "ref": "main"}),
        )
        .await
        .expect(201);
}

#[tokio::test]
async fn urls_with_control_characters_are_refused_as_gitlab_refuses_invalid_uris() {
    let w = World::new("public").await;
    let invalid = json!({"message": ["Url is blocked: URI is invalid"]});
    // (A NUL is refused earlier, as a parameter error, before any validation.)
    for control in ["\u{b}", "\u{1b}", "\u{7f}", "\u{85}", "\t"] {
        let url = format!("https://example.com/a{control}b");
        let created = w
            .app
            .post(&w.developer, &w.links(), json!({"name": "x", "url": url}))
            .await;
        assert_eq!(created.status, 400, "{control:?}: {}", created.text);
        assert_eq!(created.body, invalid, "{control:?}");
        let updated = w
            .app
            .put(&w.developer, &w.link(w.link_id), json!({"url": url}))
            .await;
        assert_eq!(updated.status, 400, "{control:?}: {}", updated.text);
        assert_eq!(updated.body, invalid);
    }
    let release = w
        .app
        .post(
            &w.developer,
            &format!("/projects/{}/releases", w.project_id),
            json!({"tag_name": "v2", "assets": {"links": [{"name": "a", "url": "https://e.x/\u{1b}"}]}}),
        )
        .await;
    assert_eq!(release.status, 400, "{}", release.text);
    let links = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(
        links.expect(200).as_array().map(Vec::len),
        Some(1),
        "nothing was added"
    );
}

#[tokio::test]
async fn a_permanent_link_always_answers_with_a_location() {
    let w = World::new("public").await;
    // A URL stored before control characters were refused.
    plant(
        &w,
        &format!(
            "UPDATE release_links SET url = 'https://example.com/a' || CHR(27) || 'b\u{fc}' WHERE id = {}",
            w.link_id
        )
        .replace("CHR(27)", if w.app.database_url().starts_with("sqlite:") { "char(27)" } else { "chr(27)" }),
    )
    .await;
    for path in [
        format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path),
        format!(
            "/api/v4/projects/{}/releases/v1.0/downloads/bin/first",
            w.project_id
        ),
    ] {
        let answer = w.app.get(&Caller::anonymous(), &w.app.web_url(&path)).await;
        assert_eq!(answer.status, 302, "{path}");
        assert_eq!(
            answer.header("location"),
            Some("https://example.com/a%1Bb%C3%BC"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn dot_segments_in_a_filepath_are_refused() {
    let w = World::new("public").await;
    let invalid = json!({"message": ["Filepath is in an invalid format"]});
    for path in [
        "/a/../../grp/secret/-/releases/v1/downloads/x",
        "/./bin/app",
        "/bin/..",
    ] {
        for key in ["direct_asset_path", "filepath"] {
            let created = w
                .app
                .post(
                    &w.developer,
                    &w.links(),
                    json!({"name": "x", "url": "https://example.com/x", key: path}),
                )
                .await;
            assert_eq!(created.status, 400, "{path}: {}", created.text);
            assert_eq!(created.body, invalid, "{path}");
        }
        let updated = w
            .app
            .put(
                &w.developer,
                &w.link(w.link_id),
                json!({"name": "first", "direct_asset_path": path}),
            )
            .await;
        assert_eq!(updated.body, invalid, "{path}");
    }
    let fine = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "y", "url": "https://example.com/y", "direct_asset_path": "/bin/app..tar.gz"}),
        )
        .await;
    fine.expect(201);
}
