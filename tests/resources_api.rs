//! The GitLab endpoints around releases: version, users, tokens, groups, projects, members,
//! protected tags and tags.

use crate::common;

use common::{Caller, TestApp, World};
use serde_json::json;

#[tokio::test]
async fn version_needs_a_signed_in_caller() {
    let app = TestApp::start().await;
    assert_eq!(
        app.get(&Caller::anonymous(), "/version").await.expect(401),
        &json!({"message": "401 Unauthorized"})
    );
    let version = app.get(&app.root, "/version").await;
    assert!(version.expect(200)["version"]
        .as_str()
        .expect("version")
        .starts_with("17."));
}

#[tokio::test]
async fn current_user_and_its_private_fields() {
    let app = TestApp::start().await;
    let me = app.get(&app.root, "/user").await;
    assert_eq!(me.expect(200)["username"], "root");
    assert_eq!(me.body["is_admin"], true);
    assert_eq!(me.body["web_url"], format!("{}/root", app.base));
    assert_eq!(
        app.get(&Caller::anonymous(), "/user").await.expect(401),
        &json!({"message": "401 Unauthorized"})
    );
    let reader = app.user_with("reader", false, &["read_user"]).await;
    app.get(&reader, "/user").await.expect(200);
    app.get(&reader, "/projects").await.expect(403);
}

#[tokio::test]
async fn administrators_create_users_and_tokens() {
    let app = TestApp::start().await;
    let body = json!({"username": "ann", "name": "Ann", "email": "ann@example.com", "password": "ignored", "skip_confirmation": true});
    let ann = app.post(&app.root, "/users", body.clone()).await;
    let id = ann.expect(201)["id"].as_i64().expect("id");
    assert_eq!(ann.body["email"], "ann@example.com");
    assert_eq!(
        app.post(&app.root, "/users", body).await.expect(409),
        &json!({"message": "Username has already been taken"})
    );
    let same_email = json!({"username": "bob", "name": "Bob", "email": "ANN@example.com"});
    assert_eq!(
        app.post(&app.root, "/users", same_email).await.expect(409),
        &json!({"message": "Email has already been taken"})
    );
    let missing = app
        .post(&app.root, "/users", json!({"username": "x"}))
        .await;
    assert_eq!(
        missing.expect(400),
        &json!({"error": "email is missing, name is missing"})
    );
    let bad_name = json!({"username": "-bad", "name": "B", "email": "b@example.com"});
    assert_eq!(app.post(&app.root, "/users", bad_name).await.status, 400);

    let token = app
        .post(
            &app.root,
            &format!("/users/{id}/personal_access_tokens"),
            json!({"name": "ci", "scopes": ["api"], "expires_at": "2999-01-01"}),
        )
        .await;
    let body = token.expect(201);
    let keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "id",
            "name",
            "revoked",
            "created_at",
            "description",
            "scopes",
            "user_id",
            "last_used_at",
            "active",
            "expires_at",
            "token"
        ]
    );
    assert!(body["token"].as_str().expect("token").starts_with("glpat-"));
    let ann = Caller {
        id,
        username: "ann".into(),
        token: body["token"].as_str().map(str::to_owned),
    };
    let own = app.get(&ann, "/personal_access_tokens/self").await;
    assert_eq!(own.expect(200)["name"], "ci");
    assert!(own.body.get("token").is_none(), "the secret is shown once");
    let bad_scope = app
        .post(
            &app.root,
            &format!("/users/{id}/personal_access_tokens"),
            json!({"name": "x", "scopes": ["everything"]}),
        )
        .await;
    assert_eq!(
        bad_scope.expect(400),
        &json!({"error": "scopes does not have a valid value"})
    );
    let no_user = app
        .post(
            &app.root,
            "/users/999/personal_access_tokens",
            json!({"name": "x", "scopes": ["api"]}),
        )
        .await;
    assert_eq!(
        no_user.expect(404),
        &json!({"message": "404 User Not Found"})
    );
    let not_admin = app
        .post(
            &ann,
            "/users",
            json!({"username": "c", "name": "C", "email": "c@example.com"}),
        )
        .await;
    assert_eq!(not_admin.expect(403), &json!({"message": "403 Forbidden"}));
}

#[tokio::test]
async fn users_are_found_by_id_and_username() {
    let app = TestApp::start().await;
    let ann = app.user("ann").await;
    let by_id = app.get(&ann, &format!("/users/{}", ann.id)).await;
    assert_eq!(by_id.expect(200)["username"], "ann");
    let by_name = app.get(&ann, "/users?username=ANN").await;
    assert_eq!(by_name.expect(200)[0]["id"], ann.id);
    assert_eq!(
        app.get(&ann, "/users/424242").await.expect(404),
        &json!({"message": "404 User Not Found"})
    );
    let other = app.get(&ann, "/users/1").await;
    assert!(
        other.expect(200).get("email").is_none(),
        "other users' private fields stay private"
    );
}

#[tokio::test]
async fn tokens_can_be_revoked_by_their_owner_or_an_admin_only() {
    let app = TestApp::start().await;
    let ann = app.user("ann").await;
    let bob = app.user("bob").await;
    let own = app
        .get(&ann, "/personal_access_tokens/self")
        .await
        .expect(200)["id"]
        .as_i64()
        .expect("id");
    // GitLab's answers: someone else's token is a 400 to revoke (RevokeService refuses) and a
    // 401 to show; only administrators learn that a token does not exist.
    let path = format!("/personal_access_tokens/{own}");
    assert_eq!(
        app.delete(&bob, &path).await.expect(400),
        &json!({"message": "400 Bad request"})
    );
    assert_eq!(
        app.get(&bob, &path).await.expect(401),
        &json!({"message": "401 Unauthorized"})
    );
    assert_eq!(app.get(&ann, &path).await.expect(200)["id"], own);
    assert_eq!(app.get(&app.root, &path).await.expect(200)["id"], own);
    assert_eq!(
        app.get(&bob, "/personal_access_tokens/987654")
            .await
            .expect(401),
        &json!({"message": "401 Unauthorized"})
    );
    assert_eq!(
        app.get(&app.root, "/personal_access_tokens/987654")
            .await
            .expect(404),
        &json!({"message": "404 Not Found"})
    );
    assert_eq!(
        app.delete(&bob, "/personal_access_tokens/987654")
            .await
            .expect(404),
        &json!({"message": "404 Not found"})
    );
    app.get(&ann, "/user").await.expect(200);
    app.delete(&app.root, &format!("/personal_access_tokens/{own}"))
        .await
        .expect(204);
    app.get(&ann, "/user").await.expect(401);
}

#[tokio::test]
async fn projects_are_created_shown_listed_updated_and_deleted() {
    let app = TestApp::start().await;
    let dev = app.user("dev").await;
    let created = app
        .post(&dev, "/projects", json!({"name": "My Tool"}))
        .await;
    let project = created.expect(201).clone();
    assert_eq!(project["path_with_namespace"], "dev/my-tool");
    assert_eq!(project["visibility"], "private");
    assert_eq!(project["permissions"]["project_access"]["access_level"], 50);
    let id = project["id"].as_i64().expect("id");
    let by_path = app.get(&dev, "/projects/dev%2Fmy-tool").await;
    assert_eq!(by_path.expect(200)["id"], id);
    assert_eq!(
        app.post(&dev, "/projects", json!({"name": "My Tool"}))
            .await
            .status,
        400
    );
    let neither = app
        .post(&dev, "/projects", json!({"visibility": "public"}))
        .await;
    assert_eq!(
        neither.expect(400),
        &json!({"error": "name, path are missing, at least one parameter must be provided"})
    );

    let list = app.get(&dev, "/projects?membership=true").await;
    assert_eq!(list.expect(200).as_array().expect("list").len(), 1);
    assert!(app
        .get(&Caller::anonymous(), "/projects")
        .await
        .expect(200)
        .as_array()
        .expect("list")
        .is_empty());

    let renamed = app
        .put(
            &dev,
            &format!("/projects/{id}"),
            json!({"path": "tool", "visibility": "public"}),
        )
        .await;
    assert_eq!(renamed.expect(200)["path_with_namespace"], "dev/tool");
    let moved = app.get(&dev, "/projects/dev%2Fmy-tool").await;
    assert_eq!(moved.status, 301);
    assert_eq!(
        moved.header("location"),
        Some(format!("{}/api/v4/projects/{id}", app.base).as_str())
    );
    let write_old = app
        .put(&dev, "/projects/dev%2Fmy-tool", json!({"name": "x"}))
        .await;
    assert_eq!(
        write_old.expect(405),
        &json!({"message": "Non GET methods are not allowed for moved projects"})
    );
    assert_eq!(
        app.get(&Caller::anonymous(), "/projects")
            .await
            .expect(200)
            .as_array()
            .expect("list")
            .len(),
        1
    );

    let other = app.user("other").await;
    assert_eq!(
        app.delete(&other, &format!("/projects/{id}"))
            .await
            .expect(403),
        &json!({"message": "403 Forbidden"})
    );
    assert_eq!(
        app.delete(&dev, &format!("/projects/{id}"))
            .await
            .expect(202),
        &json!({"message": "202 Accepted"})
    );
    assert_eq!(
        app.get(&dev, &format!("/projects/{id}")).await.expect(404),
        &json!({"message": "404 Project Not Found"})
    );
}

#[tokio::test]
async fn an_admin_creates_a_project_for_a_user() {
    let app = TestApp::start().await;
    let ann = app.user("ann").await;
    let created = app
        .post(
            &app.root,
            &format!("/projects/user/{}", ann.id),
            json!({"name": "gift"}),
        )
        .await;
    assert_eq!(created.expect(201)["path_with_namespace"], "ann/gift");
    app.get(&ann, "/projects/ann%2Fgift").await.expect(200);
}

#[tokio::test]
async fn groups_nest_and_limit_visibility() {
    let app = TestApp::start().await;
    let group = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "Acme", "path": "acme", "visibility": "internal"}),
        )
        .await;
    let id = group.expect(201)["id"].as_i64().expect("id");
    assert_eq!(group.body["full_path"], "acme");
    let public_child = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "P", "path": "p", "parent_id": id, "visibility": "public"}),
        )
        .await;
    assert_eq!(public_child.status, 400);
    let child = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "Sub", "path": "sub", "parent_id": id}),
        )
        .await;
    assert_eq!(child.expect(201)["full_path"], "acme/sub");
    assert_eq!(
        app.get(&app.root, "/groups/acme%2Fsub").await.expect(200)["parent_id"],
        id
    );
    let taken = app
        .post(
            &app.root,
            "/groups",
            json!({"name": "Acme", "path": "ACME"}),
        )
        .await;
    assert_eq!(
        taken.expect(400),
        &json!({"message": {"path": ["has already been taken"]}})
    );
    assert_eq!(
        app.get(&Caller::anonymous(), "/groups/acme")
            .await
            .expect(404),
        &json!({"message": "404 Group Not Found"})
    );
    let public_project = app
        .post(
            &app.root,
            "/projects",
            json!({"name": "x", "namespace_id": id, "visibility": "public"}),
        )
        .await;
    assert_eq!(public_project.status, 400);
    let stranger = app.user("stranger").await;
    let in_group = app
        .post(
            &stranger,
            "/projects",
            json!({"name": "x", "namespace_id": "acme"}),
        )
        .await;
    assert_eq!(in_group.status, 403);
}

#[tokio::test]
async fn members_are_added_changed_and_removed() {
    let w = World::new("private").await;
    let members = format!("/projects/{}/members", w.project_id);
    let list = w.app.get(&w.reporter, &members).await;
    assert_eq!(list.expect(200).as_array().expect("list").len(), 5);
    let newbie = w.app.user("newbie").await;
    let added = w
        .app
        .post(
            &w.maintainer,
            &members,
            json!({"user_id": newbie.id, "access_level": 30}),
        )
        .await;
    assert_eq!(added.expect(201)["access_level"], 30);
    let again = w
        .app
        .post(
            &w.maintainer,
            &members,
            json!({"username": "newbie", "access_level": 30}),
        )
        .await;
    assert_eq!(
        again.expect(409),
        &json!({"message": "Member already exists"})
    );
    let owner = w
        .app
        .post(
            &w.maintainer,
            &members,
            json!({"user_id": w.outsider.id, "access_level": 50}),
        )
        .await;
    assert_eq!(owner.expect(403), &json!({"message": "403 Forbidden"}));
    let bad_level = w
        .app
        .post(
            &w.maintainer,
            &members,
            json!({"user_id": w.outsider.id, "access_level": 35}),
        )
        .await;
    assert_eq!(
        bad_level.expect(400),
        &json!({"error": "access_level does not have a valid value"})
    );
    let nobody = w
        .app
        .post(
            &w.maintainer,
            &members,
            json!({"user_id": 4242, "access_level": 30}),
        )
        .await;
    assert_eq!(
        nobody.expect(404),
        &json!({"message": "404 User Not Found"})
    );
    w.app
        .post(
            &w.developer,
            &members,
            json!({"user_id": w.outsider.id, "access_level": 10}),
        )
        .await
        .expect(403);

    let one = format!("{members}/{}", newbie.id);
    assert_eq!(
        w.app
            .put(&w.maintainer, &one, json!({"access_level": 20}))
            .await
            .expect(200)["access_level"],
        20
    );
    w.app
        .post(
            &newbie,
            &w.links(),
            json!({"name": "x", "url": "https://e.x/x"}),
        )
        .await
        .expect(403);
    w.app.delete(&w.maintainer, &one).await.expect(204);
    assert_eq!(
        w.app.get(&w.maintainer, &one).await.expect(404),
        &json!({"message": "404 Member Not Found"})
    );
    w.app.get(&newbie, &w.links()).await.expect(404);
}

#[tokio::test]
async fn protected_tags_are_managed_by_maintainers() {
    let w = World::new("private").await;
    let path = format!("/projects/{}/protected_tags", w.project_id);
    w.app
        .post(&w.developer, &path, json!({"name": "v*"}))
        .await
        .expect(403);
    let created = w
        .app
        .post(
            &w.maintainer,
            &path,
            json!({"name": "v*", "create_access_level": 30}),
        )
        .await;
    assert_eq!(
        created.expect(201),
        &json!({"name": "v*", "create_access_levels": [{"id": created.body["create_access_levels"][0]["id"], "access_level": 30, "access_level_description": "Developers + Maintainers"}]})
    );
    let again = w
        .app
        .post(&w.maintainer, &path, json!({"name": "v*"}))
        .await;
    assert_eq!(
        again.expect(409),
        &json!({"message": "Protected tag 'v*' already exists"})
    );
    let bad = w
        .app
        .post(
            &w.maintainer,
            &path,
            json!({"name": "x", "create_access_level": 20}),
        )
        .await;
    assert_eq!(
        bad.expect(400),
        &json!({"error": "create_access_level does not have a valid value"})
    );
    assert_eq!(
        w.app
            .get(&w.reporter, &path)
            .await
            .expect(200)
            .as_array()
            .expect("list")
            .len(),
        1
    );
    w.app
        .get(&w.maintainer, &format!("{path}/v*"))
        .await
        .expect(200);
    w.app
        .delete(&w.maintainer, &format!("{path}/v%2A"))
        .await
        .expect(204);
    assert_eq!(
        w.app
            .delete(&w.maintainer, &format!("{path}/v*"))
            .await
            .expect(404),
        &json!({"message": "404 Not found"})
    );
}

#[tokio::test]
async fn tags_are_records() {
    let w = World::new("private").await;
    let path = format!("/projects/{}/repository/tags", w.project_id);
    let created = w
        .app
        .post(
            &w.developer,
            &format!("{path}?tag_name=v2&ref=main"),
            json!({}),
        )
        .await;
    assert_eq!(created.expect(201)["name"], "v2");
    assert_eq!(created.body["target"], "main");
    let again = w
        .app
        .post(
            &w.developer,
            &path,
            json!({"tag_name": "v2", "ref": "main"}),
        )
        .await;
    assert_eq!(
        again.expect(409),
        &json!({"message": "Tag v2 already exists"})
    );
    let missing_ref = w
        .app
        .post(&w.developer, &path, json!({"tag_name": "v3"}))
        .await;
    assert_eq!(missing_ref.expect(400), &json!({"error": "ref is missing"}));
    let list = w
        .app
        .get(&w.reporter, &format!("{path}?order_by=name&sort=asc"))
        .await;
    let names: Vec<&str> = list
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|t| t["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["v1.0", "v2"]);
    w.app.get(&w.guest, &path).await.expect(403);
    assert_eq!(
        w.app
            .get(&w.reporter, &format!("{path}/nope"))
            .await
            .expect(404),
        &json!({"message": "404 Tag Not Found"})
    );
    w.app
        .delete(&w.reporter, &format!("{path}/v1.0"))
        .await
        .expect(403);
    w.app
        .delete(&w.developer, &format!("{path}/v1.0"))
        .await
        .expect(204);
    let gone = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/releases/v1.0", w.project_id),
        )
        .await;
    assert_eq!(
        gone.expect(404),
        &json!({"message": "404 Not Found"}),
        "deleting a tag deletes its release"
    );
}

#[tokio::test]
async fn job_tokens_are_minted_by_administrators() {
    let w = World::new("private").await;
    let path = format!("/projects/{}/job_tokens", w.project_id);
    w.app
        .post(&w.maintainer, &path, json!({"user_id": w.developer.id}))
        .await
        .expect(403);
    let minted = w
        .app
        .post(
            &w.app.root,
            &path,
            json!({"user_id": w.developer.id, "expires_in": 60}),
        )
        .await;
    let body = minted.expect(201);
    assert!(body["token"].as_str().expect("token").starts_with("glcbt-"));
    assert_eq!(body["project_id"], w.project_id);
    assert_eq!(body["user_id"], w.developer.id);
    let bad = w
        .app
        .post(
            &w.app.root,
            &path,
            json!({"user_id": w.developer.id, "expires_in": 0}),
        )
        .await;
    assert_eq!(
        bad.expect(400),
        &json!({"error": "expires_in does not have a valid value"})
    );
    let nobody = w
        .app
        .post(&w.app.root, &path, json!({"user_id": 999}))
        .await;
    assert_eq!(
        nobody.expect(404),
        &json!({"message": "404 User Not Found"})
    );
}

#[tokio::test]
async fn health_endpoints_answer_like_gitlabs() {
    let app = TestApp::start().await;
    let health = app.get(&Caller::anonymous(), "/-/health").await;
    assert_eq!((health.status, health.text.as_str()), (200, "GitLab OK"));
    assert_eq!(
        app.get(&Caller::anonymous(), "/-/liveness")
            .await
            .expect(200),
        &json!({"status": "ok"})
    );
    assert_eq!(
        app.get(&Caller::anonymous(), "/-/readiness")
            .await
            .expect(200),
        &json!({"status": "ok", "db_check": [{"status": "ok"}]})
    );
}

/// GitLab's `last_owner?`: a group's last owner can be neither removed nor changed, by anyone,
/// themself and administrators included. Owners of a group above count.
#[tokio::test]
async fn a_group_always_keeps_an_owner() {
    let app = TestApp::start().await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let made = app
        .post(&app.root, "/groups", json!({"name": "Top", "path": "top"}))
        .await;
    let top = made.expect(201)["id"].as_i64().expect("id");
    let members = format!("/groups/{top}/members");
    app.post(
        &app.root,
        &members,
        json!({"user_id": alice.id, "access_level": 50}),
    )
    .await
    .expect(201);
    // Root made the group and owns it; with Alice there are two owners: root may go.
    app.delete(&app.root, &format!("{members}/1"))
        .await
        .expect(204);
    let forbidden = json!({"message": "403 Forbidden"});
    let alice_member = format!("{members}/{}", alice.id);
    assert_eq!(
        app.delete(&app.root, &alice_member).await.expect(403),
        &forbidden
    );
    assert_eq!(
        app.delete(&alice, &alice_member).await.expect(403),
        &forbidden
    );
    assert_eq!(
        app.put(&app.root, &alice_member, json!({"access_level": 40}))
            .await
            .expect(403),
        &forbidden
    );
    // A subgroup's only direct owner is not its last: Alice owns the group above.
    let sub = app
        .post(
            &alice,
            "/groups",
            json!({"name": "Sub", "path": "sub", "parent_id": top}),
        )
        .await;
    let sub = sub.expect(201)["id"].as_i64().expect("id");
    app.post(
        &alice,
        &format!("/groups/{sub}/members"),
        json!({"user_id": bob.id, "access_level": 50}),
    )
    .await
    .expect(201);
    app.delete(&alice, &format!("/groups/{sub}/members/{}", alice.id))
        .await
        .expect(204);
    app.delete(&bob, &format!("/groups/{sub}/members/{}", bob.id))
        .await
        .expect(204);
    // With a second owner, Alice may step down.
    app.post(
        &alice,
        &members,
        json!({"user_id": bob.id, "access_level": 50}),
    )
    .await
    .expect(201);
    app.put(&bob, &alice_member, json!({"access_level": 30}))
        .await
        .expect(200);
}
