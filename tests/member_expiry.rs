//! Member expiry (issue 13): a membership whose `expires_at` has come grants nothing from that
//! day on, on projects and groups, inherited ones included, through the API, the pages,
//! permanent links and job tokens; past dates are refused as GitLab refuses them.
//!
//! The API refuses past dates, so an expired membership is made by writing its date straight
//! into the database ([`expire`]).

use crate::common;

use chrono::{Days, NaiveDate, Utc};
use common::{into_reply, Caller, Reply, TestApp, World};
use serde_json::{json, Value};
use sqlx::Connection;

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// `YYYY-MM-DD`, `offset` days from today.
fn day(offset: i64) -> String {
    let today = today();
    let date = if offset < 0 {
        today.checked_sub_days(Days::new(offset.unsigned_abs()))
    } else {
        today.checked_add_days(Days::new(offset.unsigned_abs()))
    };
    date.expect("a date").format("%Y-%m-%d").to_string()
}

#[derive(Clone, Copy)]
enum Source {
    Project(i64),
    Group(i64),
}

/// Sets a membership's `expires_at` straight in the database (`offset` days from today, or
/// none), then makes one harmless write through the API: root mints itself a token. The write
/// is for SQLite's read cache, which keeps the membership rows it has read until any write, so
/// a row changed behind its back would be served as it was read (as would any row changed
/// outside the server). That a kept row stops counting when its day comes, with no write, is
/// the cache's own unit test (`kept_memberships_are_judged_on_the_day_asked`): a test over HTTP
/// cannot wait for midnight.
async fn expire(app: &TestApp, source: Source, user_id: i64, offset: Option<i64>) {
    let date = offset.map(day);
    let (table, column, id) = match source {
        Source::Project(id) => ("project_members", "project_id", id),
        Source::Group(id) => ("group_members", "namespace_id", id),
    };
    let sql = format!("UPDATE {table} SET expires_at = $1 WHERE {column} = $2 AND user_id = $3");
    let url = app.database_url();
    let updated = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
        let done = sqlx::query(&sql)
            .bind(date)
            .bind(id)
            .bind(user_id)
            .execute(&mut conn)
            .await;
        done.expect("updated").rows_affected()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connects");
        let done = sqlx::query(&sql)
            .bind(date)
            .bind(id)
            .bind(user_id)
            .execute(&mut conn)
            .await;
        done.expect("updated").rows_affected()
    };
    assert_eq!(updated, 1, "one membership");
    app.post(
        &app.root,
        "/users/1/personal_access_tokens",
        json!({"name": "bump", "scopes": ["api"]}),
    )
    .await
    .expect(201);
}

/// A group made by root (its owner), under `parent` when given.
async fn group(app: &TestApp, path: &str, parent: Option<i64>, visibility: &str) -> i64 {
    let body = json!({"name": path, "path": path, "parent_id": parent, "visibility": visibility});
    let made = app.post(&app.root, "/groups", body).await;
    made.expect(201)["id"].as_i64().expect("id")
}

fn project_not_found() -> Value {
    json!({"message": "404 Project Not Found"})
}

fn past_date() -> Value {
    json!({"message": {"expires_at": ["cannot be a date in the past"]}})
}

fn ids(list: &Reply) -> Vec<i64> {
    let items = list.expect(200).as_array().expect("a list");
    items.iter().filter_map(|p| p["id"].as_i64()).collect()
}

/// What `who` can do in a private project with a release: see it, its releases, and find it
/// among their projects.
async fn sees(app: &TestApp, who: &Caller, project_id: i64) -> bool {
    let project = app.get(who, &format!("/projects/{project_id}")).await;
    let releases = app
        .get(who, &format!("/projects/{project_id}/releases"))
        .await;
    let mine = ids(&app.get(who, "/projects?membership=true").await);
    let visible = ids(&app.get(who, "/projects").await);
    if project.status == 404 {
        assert_eq!(project.body, project_not_found());
        assert_eq!(releases.expect(404), &project_not_found());
        assert!(!mine.contains(&project_id) && !visible.contains(&project_id));
        false
    } else {
        project.expect(200);
        assert_eq!(releases.expect(200).as_array().map(Vec::len), Some(1));
        assert!(mine.contains(&project_id) && visible.contains(&project_id));
        true
    }
}

#[tokio::test]
async fn an_expired_project_membership_grants_nothing() {
    let w = World::new("private").await;
    let (app, id) = (&w.app, w.project_id);
    assert!(sees(app, &w.developer, id).await);
    for (offset, seen) in [(-1, false), (0, false), (1, true), (-1, false)] {
        expire(app, Source::Project(id), w.developer.id, Some(offset)).await;
        assert_eq!(sees(app, &w.developer, id).await, seen, "expiring {offset}");
    }
    // What the expired developer could write is a 404 too: the project is hidden.
    let link = json!({"name": "late", "url": "https://e.x/late"});
    assert_eq!(
        app.post(&w.developer, &w.links(), link.clone())
            .await
            .expect(404),
        &project_not_found()
    );
    expire(app, Source::Project(id), w.developer.id, None).await;
    assert!(sees(app, &w.developer, id).await, "no date: never expires");
    // An administrator's own memberships are judged the same way (another form of the query).
    let own = ids(&app.get(&app.root, "/projects?membership=true").await);
    assert_eq!(own, vec![id]);
    app.post(&w.developer, &w.links(), link).await.expect(201);
}

#[tokio::test]
async fn an_expired_developer_of_a_public_project_may_no_longer_write() {
    let w = World::new("public").await;
    let app = &w.app;
    let link = |name: &str| json!({"name": name, "url": format!("https://e.x/{name}")});
    app.post(&w.developer, &w.links(), link("before"))
        .await
        .expect(201);
    let project = app
        .get(&w.developer, &format!("/projects/{}", w.project_id))
        .await;
    assert_eq!(
        project.expect(200)["permissions"]["project_access"]["access_level"],
        30
    );
    expire(app, Source::Project(w.project_id), w.developer.id, Some(0)).await;
    // The project is public: it is still seen, as by anyone, but not written.
    app.get(&w.developer, &w.links()).await.expect(200);
    assert_eq!(
        app.post(&w.developer, &w.links(), link("after"))
            .await
            .expect(403),
        &json!({"message": "403 Forbidden"})
    );
    let project = app
        .get(&w.developer, &format!("/projects/{}", w.project_id))
        .await;
    assert_eq!(
        project.expect(200)["permissions"],
        json!({"project_access": null, "group_access": null})
    );
}

#[tokio::test]
async fn an_expired_group_membership_grants_nothing_below_the_group() {
    let app = TestApp::start().await;
    let alice = app.user("alice").await;
    let top = group(&app, "top", None, "private").await;
    let sub = group(&app, "sub", Some(top), "private").await;
    let mut projects = Vec::new();
    for (path, group) in [("in-top", top), ("in-sub", sub)] {
        let id = app.project(path, "private", Some(group)).await["id"]
            .as_i64()
            .expect("id");
        app.release(id, "v1.0").await;
        projects.push(id);
    }
    app.post(
        &app.root,
        &format!("/groups/{top}/members"),
        json!({"user_id": alice.id, "access_level": 30}),
    )
    .await
    .expect(201);
    for (offset, seen) in [(1, true), (0, false), (-1, false), (1, true)] {
        expire(&app, Source::Group(top), alice.id, Some(offset)).await;
        for &id in &projects {
            assert_eq!(sees(&app, &alice, id).await, seen, "expiring {offset}");
        }
        for group in [top, sub] {
            let shown = app.get(&alice, &format!("/groups/{group}")).await;
            assert_eq!(shown.status == 200, seen, "group {group}: {}", shown.text);
        }
    }
    // A direct membership of the project still counts when the group's has expired.
    expire(&app, Source::Group(top), alice.id, Some(-1)).await;
    app.add_member(projects[1], &alice, 20).await;
    assert!(sees(&app, &alice, projects[1]).await);
    assert!(!sees(&app, &alice, projects[0]).await);
}

#[tokio::test]
async fn pages_permanent_links_and_job_tokens_follow_the_membership() {
    let w = World::new("private").await;
    let app = &w.app;
    let token = w.reporter.token.clone().expect("token");
    let page = format!("/{}/-/releases/v1.0", w.project_path);
    let download = format!("/{}/-/releases/v1.0/downloads/bin/first", w.project_path);
    let job = app
        .post(
            &app.root,
            &format!("/projects/{}/job_tokens", w.project_id),
            json!({"user_id": w.reporter.id}),
        )
        .await;
    let job = job.expect(201)["token"].as_str().expect("token").to_owned();
    let get = |path: String, header: (&'static str, String)| async move {
        let request = app
            .client
            .get(app.web_url(&path))
            .header(header.0, header.1);
        into_reply(request.send().await.expect("answered")).await
    };
    let releases = format!("/api/v4/projects/{}/releases", w.project_id);
    let statuses = || async {
        [
            get(page.clone(), ("PRIVATE-TOKEN", token.clone()))
                .await
                .status,
            get(
                format!("{download}?private_token={token}"),
                ("x-none", String::new()),
            )
            .await
            .status,
            get(releases.clone(), ("JOB-TOKEN", job.clone()))
                .await
                .status,
            get("/".into(), ("PRIVATE-TOKEN", token.clone()))
                .await
                .text
                .contains(&w.project_path) as u16,
        ]
    };
    assert_eq!(statuses().await, [200, 302, 200, 1]);
    expire(app, Source::Project(w.project_id), w.reporter.id, Some(-1)).await;
    assert_eq!(statuses().await, [404, 404, 404, 0]);
}

#[tokio::test]
async fn past_dates_are_refused_on_create_and_update() {
    let w = World::new("private").await;
    let app = &w.app;
    // Public, so that a developer sees it and is refused for want of a role.
    let group = group(app, "g", None, "public").await;
    let newbie = app.user("newbie").await;
    for members in [
        format!("/projects/{}/members", w.project_id),
        format!("/groups/{group}/members"),
    ] {
        let before = app.get(&app.root, &members).await.expect(200).clone();
        let add = |expires_at: String| json!({"user_id": newbie.id, "access_level": 20, "expires_at": expires_at});
        // Permissions come first: a developer may not add anyone, whatever the date.
        app.post(&w.developer, &members, add(day(-1)))
            .await
            .expect(403);
        assert_eq!(
            app.post(&app.root, &members, add(day(-1)))
                .await
                .expect(400),
            &past_date()
        );
        assert_eq!(app.get(&app.root, &members).await.expect(200), &before);
        let added = app.post(&app.root, &members, add(day(0))).await;
        assert_eq!(added.expect(201)["expires_at"], json!(day(0)));
        // An existing member is answered before the date is validated.
        assert_eq!(
            app.post(&app.root, &members, add(day(-1)))
                .await
                .expect(409),
            &json!({"message": "Member already exists"})
        );
        let one = format!("{members}/{}", newbie.id);
        let shown = app.get(&app.root, &one).await.expect(200).clone();
        for change in [
            json!({"access_level": 30, "expires_at": day(-1)}),
            json!({"access_level": 20, "expires_at": "1999-12-31"}),
        ] {
            assert_eq!(
                app.put(&app.root, &one, change).await.expect(400),
                &past_date()
            );
            assert_eq!(app.get(&app.root, &one).await.expect(200), &shown);
        }
        let changed = app
            .put(
                &app.root,
                &one,
                json!({"access_level": 30, "expires_at": day(1)}),
            )
            .await;
        let changed = changed.expect(200);
        assert_eq!(
            (
                changed["access_level"].clone(),
                changed["expires_at"].clone()
            ),
            (json!(30), json!(day(1)))
        );
        let renewed = app
            .put(
                &app.root,
                &one,
                json!({"access_level": 30, "expires_at": day(0)}),
            )
            .await;
        assert_eq!(renewed.expect(200)["expires_at"], json!(day(0)));
    }
}

#[tokio::test]
async fn member_lists_show_expiry_dates_expired_ones_included() {
    let w = World::new("private").await;
    let app = &w.app;
    let members = format!("/projects/{}/members", w.project_id);
    app.put(
        &app.root,
        &format!("{members}/{}", w.guest.id),
        json!({"access_level": 10, "expires_at": "2999-12-31"}),
    )
    .await
    .expect(200);
    expire(app, Source::Project(w.project_id), w.reporter.id, Some(-3)).await;
    let list = app.get(&app.root, &members).await;
    let by_user = |id: i64| {
        list.body
            .as_array()
            .and_then(|l| l.iter().find(|m| m["id"] == id))
            .map(|m| m["expires_at"].clone())
    };
    list.expect(200);
    assert_eq!(by_user(w.guest.id), Some(json!("2999-12-31")));
    assert_eq!(
        by_user(w.reporter.id),
        Some(json!(day(-3))),
        "listed until removed"
    );
    assert_eq!(by_user(w.developer.id), Some(Value::Null));
    let one = app
        .get(&app.root, &format!("{members}/{}", w.reporter.id))
        .await;
    assert_eq!(one.expect(200)["expires_at"], json!(day(-3)));
}

/// An expired owner owns nothing: it is not counted for the last-owner rule, and it is not the
/// last owner itself.
#[tokio::test]
async fn expired_owners_do_not_count_as_owners() {
    let app = TestApp::start().await;
    let alice = app.user("alice").await;
    let top = group(&app, "top", None, "private").await;
    let members = format!("/groups/{top}/members");
    app.post(
        &app.root,
        &members,
        json!({"user_id": alice.id, "access_level": 50}),
    )
    .await
    .expect(201);
    // Root (the creator) and Alice own the group; root's ownership ends.
    expire(&app, Source::Group(top), app.root.id, Some(0)).await;
    let alice_member = format!("{members}/{}", alice.id);
    let forbidden = json!({"message": "403 Forbidden"});
    assert_eq!(
        app.put(&alice, &alice_member, json!({"access_level": 40}))
            .await
            .expect(403),
        &forbidden,
        "Alice is the last owner in force"
    );
    assert_eq!(
        app.delete(&app.root, &alice_member).await.expect(403),
        &forbidden
    );
    // Root's expired membership may go: no owner in force is lost.
    app.delete(&alice, &format!("{members}/{}", app.root.id))
        .await
        .expect(204);
}
