//! The small calls release tools make around a release, which would otherwise stop their
//! default flows: a user's role in the project, inherited included (release-it checks it
//! before releasing), the merge requests of a commit (semantic-release comments on them), and
//! the release's `commit` (python-semantic-release reads its id).

use crate::common;

use serde_json::json;

use common::{Caller, TestApp};

const SHA: &str = "0123456789abcdef0123456789abcdef01234567";

/// A group with a developer, and a project in it where the same user is only a reporter.
async fn group_project(app: &TestApp, visibility: &str) -> (i64, Caller, Caller) {
    let group = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "team", "path": "team", "visibility": visibility}),
        )
        .await;
    let group = group.expect(201)["id"].as_i64().expect("group id");
    let project = app.project("tool", visibility, Some(group)).await["id"]
        .as_i64()
        .expect("id");
    let dev = app.user("dev").await;
    let outsider = app.user("outsider").await;
    app.post(
        &app.root,
        &format!("/groups/{group}/members"),
        json!({"user_id": dev.id, "access_level": 30}),
    )
    .await
    .expect(201);
    app.add_member(project, &dev, 20).await;
    (project, dev, outsider)
}

#[tokio::test]
async fn a_member_s_role_in_effect_inherited_included() {
    let app = TestApp::start().await;
    let (project, dev, outsider) = group_project(&app, "private").await;
    let one = app
        .get(&dev, &format!("/projects/{project}/members/all/{}", dev.id))
        .await;
    let member = one.expect(200);
    assert_eq!(member["username"], "dev");
    assert_eq!(
        member["access_level"], 30,
        "the group's developer role, though the project's own row says reporter"
    );
    let keys: Vec<&str> = member
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys[..2], ["id", "username"]);
    assert!(
        keys.ends_with(&["access_level", "created_at", "expires_at"]),
        "{keys:?}"
    );

    let all = app
        .get(&dev, &format!("/projects/{project}/members/all"))
        .await;
    let names: Vec<_> = all
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|m| (m["username"].clone(), m["access_level"].clone()))
        .collect();
    assert_eq!(
        names,
        [(json!("root"), json!(50)), (json!("dev"), json!(30))]
    );
    assert_eq!(all.header("x-total"), Some("2"));
    let direct = app
        .get(&dev, &format!("/projects/{project}/members/{}", dev.id))
        .await;
    assert_eq!(
        direct.expect(200)["access_level"],
        20,
        "the direct membership alone"
    );

    let missing = app
        .get(
            &dev,
            &format!("/projects/{project}/members/all/{}", outsider.id),
        )
        .await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    let bad = app
        .get(&dev, &format!("/projects/{project}/members/all/x"))
        .await;
    assert_eq!(
        (bad.status, bad.text.as_str()),
        (400, r#"{"error":"user_id is invalid"}"#)
    );
    let hidden = app
        .get(
            &outsider,
            &format!("/projects/{project}/members/all/{}", dev.id),
        )
        .await;
    assert_eq!(
        (hidden.status, hidden.text.as_str()),
        (404, r#"{"message":"404 Project Not Found"}"#)
    );
    let anonymous = app
        .get(
            &Caller::anonymous(),
            &format!("/projects/{project}/members/all"),
        )
        .await;
    assert_eq!(
        (anonymous.status, anonymous.text.as_str()),
        (401, r#"{"message":"401 Unauthorized"}"#)
    );
}

#[tokio::test]
async fn a_commit_s_merge_requests_are_none() {
    let app = TestApp::start().await;
    let (project, dev, outsider) = group_project(&app, "private").await;
    let path = format!("/projects/{project}/repository/commits/{SHA}/merge_requests");
    let reply = app.get(&dev, &path).await;
    assert_eq!((reply.status, reply.text.as_str()), (200, "[]"));
    assert_eq!(reply.header("x-total"), Some("0"));
    assert_eq!(reply.header("x-total-pages"), Some("1"));
    let hidden = app.get(&outsider, &path).await;
    assert_eq!(
        (hidden.status, hidden.text.as_str()),
        (404, r#"{"message":"404 Project Not Found"}"#)
    );
    let guest = app.user("guest").await;
    app.add_member(project, &guest, 10).await;
    let forbidden = app.get(&guest, &path).await;
    assert_eq!(
        (forbidden.status, forbidden.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );
}

#[tokio::test]
async fn a_release_shows_the_commit_its_tag_points_at() {
    let app = TestApp::start().await;
    let project = app.project("app", "private", None).await["id"]
        .as_i64()
        .expect("id");
    let created = app
        .post(
            &app.root,
            &format!("/projects/{project}/releases"),
            json!({"tag_name": "v1.0", "ref": SHA}),
        )
        .await;
    let release = created.expect(201);
    let commit = &release["commit"];
    assert_eq!(commit["id"], SHA);
    assert_eq!(commit["short_id"], "01234567");
    assert_eq!(
        commit["web_url"],
        format!("{}/root/app/-/commit/{SHA}", app.base)
    );
    assert_eq!(commit["parent_ids"], json!([]));
    assert_eq!(
        commit["author_email"], "",
        "an account's address is never shown as a commit's"
    );
    let keys: Vec<&str> = commit
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "short_id",
            "created_at",
            "parent_ids",
            "title",
            "message",
            "author_name",
            "author_email",
            "authored_date",
            "committer_name",
            "committer_email",
            "committed_date",
            "trailers",
            "extended_trailers",
            "web_url"
        ]
    );
    let order: Vec<&str> = release
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let at = |key: &str| order.iter().position(|k| *k == key).expect(key);
    assert!(
        at("author") < at("commit") && at("commit") < at("commit_path"),
        "{order:?}"
    );
    // A tag relinks knows no commit of: GitLab's null.
    let branch = app
        .post(
            &app.root,
            &format!("/projects/{project}/releases"),
            json!({"tag_name": "v2.0", "ref": "main"}),
        )
        .await;
    assert_eq!(branch.expect(201)["commit"], serde_json::Value::Null);
}
