//! The releases API that links hang on (GitLab's Releases API), including the deliberate
//! difference: a release for an unrecorded tag is accepted without `ref`.

use crate::common;

use common::{Caller, World};
use serde_json::json;

fn releases(w: &World) -> String {
    format!("/projects/{}/releases", w.project_id)
}

#[tokio::test]
async fn semantic_release_style_create_without_ref_records_the_tag() {
    let w = World::new("private").await;
    let body = json!({
        "tag_name": "v2.0.0",
        "description": "## Changes\n* thing",
        "assets": {"links": [
            {"name": "app.tar.gz", "url": "https://e.x/app.tar.gz", "filepath": "/dist/app.tar.gz", "link_type": "package"},
            {"name": "docs", "url": "https://e.x/docs"}
        ]}
    });
    let reply = w.app.post(&w.developer, &releases(&w), body).await;
    let release = reply.expect(201);
    let keys: Vec<&str> = release
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "name",
            "tag_name",
            "description",
            "created_at",
            "released_at",
            "upcoming_release",
            "author",
            "commit",
            "tag_path",
            "assets",
            "evidences",
            "_links"
        ]
    );
    assert_eq!(release["name"], "v2.0.0");
    assert_eq!(release["tag_name"], "v2.0.0");
    assert_eq!(release["upcoming_release"], false);
    assert_eq!(release["author"]["username"], "developer");
    assert_eq!(release["assets"]["count"], 2);
    let links = release["assets"]["links"].as_array().expect("links");
    assert_eq!(
        links[0]["name"], "docs",
        "newest first; same request, higher id first"
    );
    assert_eq!(links[1]["link_type"], "package");
    assert!(links[1]["direct_asset_url"]
        .as_str()
        .expect("url")
        .ends_with("/-/releases/v2.0.0/downloads/dist/app.tar.gz"));
    assert!(release["created_at"].as_str().expect("time").ends_with('Z'));

    let tag = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/repository/tags/v2.0.0", w.project_id),
        )
        .await;
    assert_eq!(tag.expect(200)["release"]["tag_name"], "v2.0.0");
    let links_api = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/releases/v2.0.0/assets/links", w.project_id),
        )
        .await;
    assert_eq!(links_api.expect(200).as_array().expect("list").len(), 2);
}

#[tokio::test]
async fn an_existing_release_is_a_409() {
    let w = World::new("private").await;
    let reply = w
        .app
        .post(&w.developer, &releases(&w), json!({"tag_name": "v1.0"}))
        .await;
    assert_eq!(
        reply.expect(409),
        &json!({"message": "Release already exists"})
    );
}

#[tokio::test]
async fn create_checks_in_gitlabs_order() {
    let w = World::new("private").await;
    let missing = w
        .app
        .post(&w.developer, &releases(&w), json!({"name": "x"}))
        .await;
    assert_eq!(
        missing.expect(400),
        &json!({"error": "tag_name is missing"})
    );
    let reporter = w
        .app
        .post(&w.reporter, &releases(&w), json!({"tag_name": "v9"}))
        .await;
    assert_eq!(reporter.expect(403), &json!({"message": "403 Forbidden"}));
    w.app
        .post(
            &w.app.root,
            &format!("/projects/{}/protected_tags", w.project_id),
            json!({"name": "v*"}),
        )
        .await
        .expect(201);
    let protected = w
        .app
        .post(&w.developer, &releases(&w), json!({"tag_name": "v9"}))
        .await;
    assert_eq!(
        protected.expect(403),
        &json!({"message": "You are not allowed to create this tag as it is protected."})
    );
    let milestones = w
        .app
        .post(
            &w.maintainer,
            &releases(&w),
            json!({"tag_name": "v9", "milestones": ["m1", "m2"]}),
        )
        .await;
    assert_eq!(
        milestones.expect(400),
        &json!({"message": "Milestone(s) not found: m1, m2"})
    );
    let bad_tag = w
        .app
        .post(
            &w.maintainer,
            &releases(&w),
            json!({"tag_name": "bad..tag"}),
        )
        .await;
    assert_eq!(bad_tag.expect(400), &json!({"message": "Tag name invalid"}));
    let empty_ref = w
        .app
        .post(
            &w.maintainer,
            &releases(&w),
            json!({"tag_name": "x1", "ref": " "}),
        )
        .await;
    assert_eq!(
        empty_ref.expect(400),
        &json!({"message": "Target is empty"})
    );
}

#[tokio::test]
async fn invalid_asset_links_fail_the_whole_release() {
    let w = World::new("private").await;
    let bad_url = json!({"tag_name": "v3", "assets": {"links": [{"name": "a", "url": "wrong"}]}});
    let reply = w.app.post(&w.developer, &releases(&w), bad_url).await;
    assert_eq!(
        reply.expect(400),
        &json!({"message": "Validation failed: Links url is blocked: Only allowed schemes are http, https, ftp"})
    );
    let duplicates = json!({"tag_name": "v3", "assets": {"links": [
        {"name": "a", "url": "https://e.x/1"}, {"name": "a", "url": "https://e.x/2"}
    ]}});
    let reply = w.app.post(&w.developer, &releases(&w), duplicates).await;
    assert_eq!(
        reply.expect(400),
        &json!({"message": "Validation failed: Links have duplicate values (a)"})
    );
    let missing = json!({"tag_name": "v3", "assets": {"links": [{"url": "https://e.x/1"}]}});
    let reply = w.app.post(&w.developer, &releases(&w), missing).await;
    assert_eq!(
        reply.expect(400),
        &json!({"error": "assets[links][0][name] is missing"})
    );
    assert_eq!(
        w.app
            .get(&w.developer, &format!("{}/v3", releases(&w)))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn form_encoded_nested_assets_work() {
    let w = World::new("private").await;
    let reply = w
        .app
        .form(
            &w.developer,
            reqwest::Method::POST,
            &releases(&w),
            &[
                ("tag_name", "v4"),
                ("assets[links][][name]", "bin"),
                ("assets[links][][url]", "https://e.x/bin"),
            ],
        )
        .await;
    assert_eq!(reply.expect(201)["assets"]["links"][0]["name"], "bin");
}

#[tokio::test]
async fn get_one_release_and_its_not_found() {
    let w = World::new("private").await;
    let one = w
        .app
        .get(&w.reporter, &format!("{}/v1.0", releases(&w)))
        .await;
    assert_eq!(one.expect(200)["assets"]["links"][0]["name"], "first");
    let missing = w
        .app
        .get(&w.reporter, &format!("{}/v9", releases(&w)))
        .await;
    assert_eq!(missing.expect(404), &json!({"message": "404 Not Found"}));
    // Guests of private projects may not read code, so not a single release either.
    w.app
        .get(&w.guest, &format!("{}/v1.0", releases(&w)))
        .await
        .expect(403);
    w.app.get(&w.guest, &releases(&w)).await.expect(200);
}

#[tokio::test]
async fn list_is_paginated_and_ordered_by_released_at() {
    let w = World::new("private").await;
    for (tag, at) in [
        ("old", "2020-01-01T00:00:00Z"),
        ("future", "2999-01-01T00:00:00Z"),
        ("mid", "2022-06-01"),
    ] {
        w.app
            .post(
                &w.app.root,
                &releases(&w),
                json!({"tag_name": tag, "released_at": at}),
            )
            .await
            .expect(201);
    }
    let list = w
        .app
        .get(&w.reporter, &format!("{}?per_page=3", releases(&w)))
        .await;
    let tags: Vec<&str> = list
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|r| r["tag_name"].as_str().expect("tag"))
        .collect();
    assert_eq!(tags, ["future", "v1.0", "mid"]);
    assert_eq!(list.body[0]["upcoming_release"], true);
    assert_eq!(list.header("x-total"), Some("4"));
    let asc = w
        .app
        .get(&w.reporter, &format!("{}?sort=asc", releases(&w)))
        .await;
    assert_eq!(asc.expect(200)[0]["tag_name"], "old");
    let bad = w
        .app
        .get(&w.reporter, &format!("{}?order_by=name", releases(&w)))
        .await;
    assert_eq!(
        bad.expect(400),
        &json!({"error": "order_by does not have a valid value"})
    );
    let html = w
        .app
        .get(
            &w.reporter,
            &format!("{}?include_html_description=true", releases(&w)),
        )
        .await;
    assert!(html.expect(200)[0].get("description_html").is_some());
}

#[tokio::test]
async fn update_changes_given_fields_and_refuses_empty_params() {
    let w = World::new("private").await;
    let path = format!("{}/v1.0", releases(&w));
    let updated = w
        .app
        .put(
            &w.developer,
            &path,
            json!({"name": "One", "description": "**bold**"}),
        )
        .await;
    assert_eq!(updated.expect(200)["name"], "One");
    assert_eq!(updated.body["description"], "**bold**");
    let empty = w.app.put(&w.developer, &path, json!({})).await;
    assert_eq!(empty.expect(400), &json!({"message": "params is empty"}));
    let missing = w
        .app
        .put(
            &w.developer,
            &format!("{}/nope", releases(&w)),
            json!({"name": "x"}),
        )
        .await;
    assert_eq!(missing.expect(403), &json!({"message": "403 Forbidden"}));
    w.app
        .put(&w.reporter, &path, json!({"name": "x"}))
        .await
        .expect(403);
}

#[tokio::test]
async fn delete_answers_the_release_and_removes_its_links() {
    let w = World::new("private").await;
    let path = format!("{}/v1.0", releases(&w));
    let deleted = w.app.delete(&w.developer, &path).await;
    assert_eq!(deleted.expect(200)["tag_name"], "v1.0");
    assert_eq!(deleted.body["assets"]["links"][0]["id"], w.link_id);
    assert_eq!(
        w.app
            .get(&w.developer, &w.link(w.link_id))
            .await
            .expect(404),
        &json!({"message": "404 Not found"})
    );
    assert_eq!(
        w.app.delete(&w.developer, &path).await.expect(403),
        &json!({"message": "403 Forbidden"})
    );
    // The release can be made again; the old link id is never reused.
    w.app.release(w.project_id, "v1.0").await;
    let link = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "n", "url": "https://e.x/n"}),
        )
        .await;
    assert!(link.expect(201)["id"].as_i64().expect("id") > w.link_id);
}

#[tokio::test]
async fn releases_of_a_private_project_are_hidden_from_strangers() {
    let w = World::new("private").await;
    let reply = w.app.get(&Caller::anonymous(), &releases(&w)).await;
    assert_eq!(
        reply.expect(404),
        &json!({"message": "404 Project Not Found"})
    );
}

#[tokio::test]
async fn a_release_for_an_existing_tag_uses_it() {
    let w = World::new("private").await;
    let tags = format!("/projects/{}/repository/tags", w.project_id);
    let sha = "0123456789abcdef0123456789abcdef01234567";
    w.app
        .post(
            &w.developer,
            &tags,
            json!({"tag_name": "v5", "ref": sha, "message": "annotated"}),
        )
        .await
        .expect(201);
    let release = w
        .app
        .post(
            &w.developer,
            &releases(&w),
            json!({"tag_name": "v5", "ref": "ignored"}),
        )
        .await;
    assert_eq!(
        release.expect(201)["commit_path"],
        format!("/{}/-/commit/{sha}", w.project_path)
    );
    let tag = w.app.get(&w.developer, &format!("{tags}/v5")).await;
    assert_eq!(tag.expect(200)["target"], sha);
    assert_eq!(tag.body["message"], "annotated");
}
