//! Audit events: every write to releases and their links is recorded in the same transaction
//! (who, what, before and after, when, from which address, under which request id), and
//! administrators read them at `GET /api/v4/audit_events` in GitLab's shape, paginated.

use crate::common;

use serde_json::{json, Value};

use common::{into_reply, Caller, Reply, World};

/// Sends as `caller` with a request id of our choosing.
async fn send(
    w: &World,
    caller: &Caller,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    id: &str,
) -> Reply {
    let mut request = w
        .app
        .client
        .request(method, w.app.url(path))
        .header("X-Request-Id", id);
    if let Some(token) = &caller.token {
        request = request.header("PRIVATE-TOKEN", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    into_reply(request.send().await.expect("answered")).await
}

async fn events(w: &World, query: &str) -> Vec<Value> {
    w.app
        .get(&w.app.root, &format!("/audit_events?per_page=100{query}"))
        .await
        .expect(200)
        .as_array()
        .expect("list")
        .clone()
}

#[tokio::test]
async fn every_link_and_release_write_is_recorded_with_its_author_address_and_request() {
    let w = World::new("private").await;
    let before = events(&w, "").await.len();
    let dev = &w.developer;
    use reqwest::Method;
    let created = send(
        &w,
        dev,
        Method::POST,
        &w.links(),
        Some(json!({"name": "app", "url": "https://e.x/app", "direct_asset_path": "/bin/app"})),
        "req-create",
    )
    .await;
    let id = created.expect(201)["id"].as_i64().expect("id");
    // Refused writes leave nothing behind.
    send(
        &w,
        dev,
        Method::POST,
        &w.links(),
        Some(json!({"name": "app", "url": "https://e.x/other"})),
        "req-refused",
    )
    .await
    .expect(400);
    send(
        &w,
        dev,
        Method::PUT,
        &w.link(id),
        Some(json!({"url": "https://e.x/moved"})),
        "req-update",
    )
    .await
    .expect(200);
    send(&w, dev, Method::DELETE, &w.link(id), None, "req-delete")
        .await
        .expect(200);
    let releases = format!("/projects/{}/releases", w.project_id);
    send(
        &w,
        dev,
        Method::POST,
        &releases,
        Some(json!({"tag_name": "v2", "ref": "main", "description": "first"})),
        "req-release",
    )
    .await
    .expect(201);
    send(
        &w,
        dev,
        Method::PUT,
        &format!("{releases}/v2"),
        Some(json!({"description": "second"})),
        "req-release-update",
    )
    .await
    .expect(200);

    let all = events(&w, "").await;
    let new: Vec<&Value> = all[..all.len() - before].iter().rev().collect();
    let names: Vec<&str> = new
        .iter()
        .map(|e| e["event_name"].as_str().expect("name"))
        .collect();
    assert_eq!(
        names,
        [
            "release_link_created",
            "release_link_updated",
            "release_link_deleted",
            "tag_created",
            "release_created",
            "release_updated"
        ],
        "link writes touch their release without a release event of their own; a new release records its tag"
    );
    for event in &new {
        assert_eq!(event["author_id"], json!(dev.id));
        assert_eq!(event["details"]["author_name"], json!("developer"));
        assert_eq!(event["details"]["ip_address"], json!("127.0.0.1"));
        assert_eq!(event["entity_type"], json!("Project"));
        assert_eq!(event["entity_id"], json!(w.project_id));
        assert!(event["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z')));
    }
    let requests: Vec<&Value> = new.iter().map(|e| &e["details"]["request_id"]).collect();
    assert_eq!(
        requests,
        [
            "req-create",
            "req-update",
            "req-delete",
            "req-release",
            "req-release",
            "req-release-update"
        ]
    );
    let update = new[1];
    assert_eq!(update["details"]["request_id"], json!("req-update"));
    assert_eq!(update["details"]["target_type"], json!("Release::Link"));
    assert_eq!(update["details"]["target_id"], json!(id));
    assert_eq!(update["details"]["target_details"], json!("app"));
    assert_eq!(
        update["details"]["custom_message"],
        json!("Changed release link")
    );
    assert_eq!(update["details"]["from"]["url"], json!("https://e.x/app"));
    assert_eq!(update["details"]["to"]["url"], json!("https://e.x/moved"));
    assert_eq!(
        update["details"]["to"],
        json!({"filepath": "/bin/app", "id": id, "link_type": 0, "name": "app", "release_id": update["details"]["to"]["release_id"], "url": "https://e.x/moved"})
    );
    assert_eq!(
        new[2]["details"]["to"],
        Value::Null,
        "a deletion has no after"
    );
    assert_eq!(
        new[0]["details"]["from"],
        Value::Null,
        "a creation has no before"
    );
    assert_eq!(new[5]["details"]["from"]["description"], json!("first"));
    assert_eq!(new[5]["details"]["to"]["description"], json!("second"));
}

#[tokio::test]
async fn only_administrators_read_audit_events_and_filters_apply() {
    let w = World::new("private").await;
    w.app.get(&w.developer, "/audit_events").await.expect(403);
    w.app
        .get(&Caller::anonymous(), "/audit_events")
        .await
        .expect(401);
    let of_project = events(
        &w,
        &format!("&entity_type=Project&entity_id={}", w.project_id),
    )
    .await
    .len();
    assert!(of_project >= 2, "the world's release and link");
    assert!(events(&w, "&entity_type=Project&entity_id=999999")
        .await
        .is_empty());
    assert!(events(&w, "&created_after=2999-01-01T00:00:00Z")
        .await
        .is_empty());
    assert_eq!(
        events(&w, "&created_before=2999-01-01T00:00:00Z")
            .await
            .len(),
        events(&w, "").await.len()
    );
    let bad = w
        .app
        .get(&w.app.root, "/audit_events?created_after=yesterday")
        .await;
    assert_eq!(
        bad.expect(400),
        &json!({"error": "created_after is invalid"})
    );
    let page = w.app.get(&w.app.root, "/audit_events?per_page=1").await;
    page.expect(200);
    assert_eq!(page.header("x-per-page"), Some("1"));
    assert!(page
        .header("x-total")
        .and_then(|t| t.parse::<i64>().ok())
        .is_some_and(|t| t >= 2));
}

#[tokio::test]
async fn every_other_write_is_recorded_too_and_token_digests_never_are() {
    let w = World::new("private").await;
    let app = &w.app;
    let user = app.user_with("auditee", false, &["api"]).await;
    app.add_member(w.project_id, &user, 20).await;
    app.put(
        &app.root,
        &format!("/projects/{}", w.project_id),
        json!({"description": "audited"}),
    )
    .await
    .expect(200);
    app.delete(&user, "/personal_access_tokens/self")
        .await
        .expect(204);
    let all = events(&w, "").await;
    let names: Vec<&str> = all
        .iter()
        .filter_map(|e| e["event_name"].as_str())
        .collect();
    for expected in [
        "user_created",
        "personal_access_token_created",
        "project_member_created",
        "project_updated",
        "personal_access_token_updated",
        "project_created",
        "tag_created",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    let revoked = all
        .iter()
        .find(|e| e["event_name"] == "personal_access_token_updated")
        .expect("revocation");
    assert_eq!(
        revoked["author_id"],
        json!(user.id),
        "the user revoked their own token"
    );
    assert_eq!(revoked["entity_type"], json!("User"));
    assert_eq!(revoked["details"]["from"]["revoked"], json!(false));
    assert_eq!(revoked["details"]["to"]["revoked"], json!(true));
    let text = serde_json::to_string(&all).expect("json");
    assert!(!text.contains("digest"), "no token digest is ever recorded");
    let member = all
        .iter()
        .find(|e| e["event_name"] == "project_member_created")
        .expect("member");
    assert_eq!(member["entity_id"], json!(w.project_id));
    assert_eq!(member["details"]["target_id"], json!(user.id));
    assert_eq!(member["details"]["to"]["access_level"], json!(20));
}

/// Writes that arrive together are committed together (SQLite's group commit): each is still
/// recorded under its own author and request, and one that fails leaves neither change nor
/// event, whatever it shares a transaction with.
#[tokio::test]
async fn concurrent_writes_are_each_recorded_as_their_own() {
    let w = World::new("private").await;
    let before = events(&w, "&per_page=100").await.len();
    // Links to rename: half of the renames take a name already taken (400), half a free one.
    let mut ids = Vec::new();
    for i in 0..16 {
        let made = w
            .app
            .post(
                &w.app.root,
                &w.links(),
                json!({"name": format!("l{i}"), "url": format!("https://e.x/l{i}")}),
            )
            .await;
        ids.push(made.expect(201)["id"].as_i64().expect("id"));
    }
    let before = before + 16;
    let callers = [&w.developer, &w.maintainer];
    let writes = ids.iter().enumerate().map(|(i, id)| {
        let caller = callers[i % 2];
        // Odd links are renamed onto "first", the World's own link: refused.
        let name = if i % 2 == 1 {
            "first".to_owned()
        } else {
            format!("renamed{i}")
        };
        let w = &w;
        async move {
            let reply = send(
                w,
                caller,
                reqwest::Method::PUT,
                &w.link(*id),
                Some(json!({"name": name})),
                &format!("req-{i}"),
            )
            .await;
            (i, reply.status)
        }
    });
    let creates = (0..16).map(|i| {
        let caller = callers[i % 2];
        let w = &w;
        async move {
            let reply = send(
                w,
                caller,
                reqwest::Method::POST,
                &w.links(),
                Some(json!({"name": format!("new{i}"), "url": format!("https://e.x/new{i}")})),
                &format!("req-new-{i}"),
            )
            .await;
            (i, reply.status)
        }
    });
    let (renamed, created) = tokio::join!(
        futures::future::join_all(writes),
        futures::future::join_all(creates)
    );
    for (i, status) in &renamed {
        assert_eq!(*status, if i % 2 == 1 { 400 } else { 200 }, "rename {i}");
    }
    assert!(created.iter().all(|(_, status)| *status == 201));

    let all = events(&w, "&per_page=100").await;
    let new = &all[..all.len() - before];
    assert_eq!(
        new.len(),
        8 + 16,
        "one event per acknowledged write, none for refused ones"
    );
    for event in new {
        let request = event["details"]["request_id"].as_str().expect("request id");
        let i: usize = request
            .trim_start_matches("req-new-")
            .trim_start_matches("req-")
            .parse()
            .expect("a number");
        assert!(request.starts_with("req-new-") || i % 2 == 0, "{request}");
        let author = callers[i % 2];
        assert_eq!(event["author_id"], json!(author.id), "{request}");
        let target = &event["details"]["to"]["name"];
        let expected = if request.starts_with("req-new-") {
            format!("new{i}")
        } else {
            format!("renamed{i}")
        };
        assert_eq!(target, &json!(expected), "{request}");
    }
    let links = w
        .app
        .get(&w.app.root, &format!("{}?per_page=100", w.links()))
        .await;
    let names: Vec<&str> = links
        .expect(200)
        .as_array()
        .expect("links")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    for i in 0..16 {
        let kept = if i % 2 == 1 {
            format!("l{i}")
        } else {
            format!("renamed{i}")
        };
        assert!(names.contains(&kept.as_str()), "{kept} in {names:?}");
    }
}

#[tokio::test]
async fn one_event_is_read_by_its_id() {
    let w = World::new("private").await;
    let newest = events(&w, "").await[0].clone();
    let id = newest["id"].as_i64().expect("id");
    let one = w.app.get(&w.app.root, &format!("/audit_events/{id}")).await;
    assert_eq!(one.expect(200), &newest);
    let missing = w.app.get(&w.app.root, "/audit_events/987654").await;
    assert_eq!(missing.expect(404), &json!({"message": "404 Not found"}));
    let invalid = w.app.get(&w.app.root, "/audit_events/abc").await;
    assert_eq!(invalid.expect(400), &json!({"error": "id is invalid"}));
    let developer = w
        .app
        .get(&w.developer, &format!("/audit_events/{id}"))
        .await;
    assert_eq!(developer.expect(403), &json!({"message": "403 Forbidden"}));
    let anonymous = w
        .app
        .get(&Caller::anonymous(), &format!("/audit_events/{id}"))
        .await;
    assert_eq!(
        anonymous.expect(401),
        &json!({"message": "401 Unauthorized"})
    );
}
