//! The permission matrix of gitlab-behaviour.md §4.4 for the five link endpoints, written once
//! as a table: (project variant, caller) → (status of reads, status of writes).

mod common;

use common::{Caller, World};
use reqwest::Method;
use serde_json::json;

/// What a caller gets: reads (list, get), reads that GitLab guards with `read_code` too (one
/// release, its permanent links through the API) and writes (create, update, delete; on
/// success 201 for create and 200 for the others).
#[derive(Clone, Copy, Debug)]
struct Expect {
    read: u16,
    code: u16,
    write: u16,
}

const OK: Expect = Expect {
    read: 200,
    code: 200,
    write: 200,
};
const READ_ONLY: Expect = Expect {
    read: 200,
    code: 200,
    write: 403,
};
const HIDDEN: Expect = Expect {
    read: 404,
    code: 404,
    write: 404,
};
const FORBIDDEN: Expect = Expect {
    read: 403,
    code: 403,
    write: 403,
};
const UNAUTHORIZED: Expect = Expect {
    read: 401,
    code: 401,
    write: 401,
};

/// A guest of a private project reads releases but not code (`authorize_read_code!`).
const GUEST_OF_PRIVATE: Expect = Expect {
    read: 200,
    code: 403,
    write: 403,
};

/// The project variants: visibility and releases feature.
const VARIANTS: [(&str, &str); 4] = [
    ("private", "enabled"),
    ("internal", "enabled"),
    ("public", "enabled"),
    ("public", "private"),
];

/// The expected cell for each caller in each variant, in `VARIANTS` order.
fn matrix() -> Vec<(&'static str, [Expect; 4])> {
    vec![
        ("anonymous", [HIDDEN, HIDDEN, READ_ONLY, FORBIDDEN]),
        ("outsider", [HIDDEN, READ_ONLY, READ_ONLY, FORBIDDEN]),
        ("guest", [GUEST_OF_PRIVATE, READ_ONLY, READ_ONLY, READ_ONLY]),
        ("reporter", [READ_ONLY, READ_ONLY, READ_ONLY, READ_ONLY]),
        ("developer", [OK, OK, OK, OK]),
        ("maintainer", [OK, OK, OK, OK]),
        ("owner", [OK, OK, OK, OK]),
        ("admin", [OK, OK, OK, OK]),
        ("job token of the project", [OK, OK, OK, OK]),
        (
            "job token of another project",
            [FORBIDDEN, FORBIDDEN, FORBIDDEN, FORBIDDEN],
        ),
        (
            "read_api token",
            [READ_ONLY, READ_ONLY, READ_ONLY, READ_ONLY],
        ),
        ("expired token", [UNAUTHORIZED; 4]),
        ("revoked token", [UNAUTHORIZED; 4]),
    ]
}

/// Sends as a caller that may be a job token (JOB-TOKEN header) rather than a personal one.
struct Who {
    caller: Caller,
    job_token: Option<String>,
}

async fn callers(w: &World) -> Vec<(&'static str, Who)> {
    let app = &w.app;
    let plain = |c: &Caller| Who {
        caller: c.clone(),
        job_token: None,
    };
    let job = |token: String| Who {
        caller: Caller::anonymous(),
        job_token: Some(token),
    };
    let mint = |project_id: i64, user_id: i64| async move {
        let reply = app
            .post(
                &app.root,
                &format!("/projects/{project_id}/job_tokens"),
                json!({"user_id": user_id}),
            )
            .await;
        reply.expect(201)["token"]
            .as_str()
            .expect("token")
            .to_owned()
    };
    let other = app.project("other", "private", None).await["id"]
        .as_i64()
        .expect("id");
    app.add_member(other, &w.developer, 30).await;
    let reader = app.user_with("reader", false, &["read_api"]).await;
    app.add_member(w.project_id, &reader, 30).await;
    let expired = app.user("expired").await;
    app.add_member(w.project_id, &expired, 30).await;
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let token = app
        .post(
            &app.root,
            &format!("/users/{}/personal_access_tokens", expired.id),
            json!({"name": "old", "scopes": ["api"], "expires_at": today}),
        )
        .await;
    let expired = expired.with_token(token.expect(201)["token"].as_str().expect("token"));
    let owner = app.user("owner").await;
    app.add_member(w.project_id, &owner, 50).await;
    let revoked = app.user("revoked").await;
    app.add_member(w.project_id, &revoked, 30).await;
    app.delete(&revoked, "/personal_access_tokens/self")
        .await
        .expect(204);
    vec![
        ("anonymous", plain(&Caller::anonymous())),
        ("outsider", plain(&w.outsider)),
        ("guest", plain(&w.guest)),
        ("reporter", plain(&w.reporter)),
        ("developer", plain(&w.developer)),
        ("maintainer", plain(&w.maintainer)),
        ("owner", plain(&owner)),
        ("admin", plain(&app.root)),
        (
            "job token of the project",
            job(mint(w.project_id, w.developer.id).await),
        ),
        (
            "job token of another project",
            job(mint(other, w.developer.id).await),
        ),
        ("read_api token", plain(&reader)),
        ("expired token", plain(&expired)),
        ("revoked token", plain(&revoked)),
    ]
}

/// The caller of a matrix row.
fn caller_named<'a>(all: &'a [(&'static str, Who)], name: &str) -> &'a Who {
    &all.iter()
        .find(|(n, _)| *n == name)
        .expect("caller defined")
        .1
}

async fn send(
    w: &World,
    who: &Who,
    method: Method,
    path: &str,
    body: Option<serde_json::Value>,
) -> common::Reply {
    let mut request = w.app.client.request(method, w.app.url(path));
    if let Some(token) = &who.caller.token {
        request = request.header("PRIVATE-TOKEN", token);
    }
    if let Some(token) = &who.job_token {
        request = request.header("JOB-TOKEN", token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    common::into_reply(request.send().await.expect("answered")).await
}

async fn check_variant(index: usize) {
    let (visibility, releases) = VARIANTS[index];
    let w = World::new(visibility).await;
    w.app
        .put(
            &w.app.root,
            &format!("/projects/{}", w.project_id),
            json!({"releases_access_level": releases}),
        )
        .await
        .expect(200);
    let all = callers(&w).await;
    let mut failures = Vec::new();
    for (i, (name, cell)) in matrix().into_iter().enumerate() {
        let expect = cell[index];
        let who = caller_named(&all, name);
        // Each row writes its own link and release, so that updates and deletes have something
        // to act on.
        let own = w
            .app
            .post(
                &w.app.root,
                &w.links(),
                json!({"name": format!("row{i}"), "url": format!("https://e.x/row{i}"), "direct_asset_path": format!("/bin/row{i}")}),
            )
            .await;
        let own_id = own.expect(201)["id"].as_i64().expect("id");
        let releases_path = format!("/projects/{}/releases", w.project_id);
        w.app
            .post(
                &w.app.root,
                &releases_path,
                json!({"tag_name": format!("own{i}")}),
            )
            .await
            .expect(201);
        let own_release = format!("{releases_path}/own{i}");
        let create_ok = if expect.write == 200 {
            201
        } else {
            expect.write
        };
        let download_ok = if expect.code == 200 { 302 } else { expect.code };
        // The latest-release permalink needs only `read_release` (no `read_code`).
        let latest_ok = if expect.read == 200 { 302 } else { expect.read };
        let steps = [
            ("list", Method::GET, w.links(), None, expect.read),
            ("get", Method::GET, w.link(own_id), None, expect.read),
            (
                "permanent link",
                Method::GET,
                format!("{releases_path}/v1.0/downloads/bin/row{i}"),
                None,
                download_ok,
            ),
            (
                "latest permalink",
                Method::GET,
                format!("{releases_path}/permalink/latest"),
                None,
                latest_ok,
            ),
            (
                "latest permalink with a suffix",
                Method::GET,
                format!("{releases_path}/permalink/latest/downloads/bin/row{i}"),
                None,
                latest_ok,
            ),
            (
                "list releases",
                Method::GET,
                releases_path.clone(),
                None,
                expect.read,
            ),
            (
                "get release",
                Method::GET,
                own_release.clone(),
                None,
                expect.code,
            ),
            (
                "create release",
                Method::POST,
                releases_path.clone(),
                Some(json!({"tag_name": format!("new{i}"), "ref": "main"})),
                create_ok,
            ),
            (
                "update release",
                Method::PUT,
                own_release.clone(),
                Some(json!({"description": "changed"})),
                expect.write,
            ),
            (
                "delete release",
                Method::DELETE,
                own_release.clone(),
                None,
                expect.write,
            ),
            (
                "create",
                Method::POST,
                w.links(),
                Some(json!({"name": format!("new{i}"), "url": format!("https://e.x/new{i}")})),
                create_ok,
            ),
            (
                "update",
                Method::PUT,
                w.link(own_id),
                Some(json!({"name": format!("renamed{i}")})),
                expect.write,
            ),
            ("delete", Method::DELETE, w.link(own_id), None, expect.write),
        ];
        for (endpoint, method, path, body, status) in steps {
            let reply = send(&w, who, method, &path, body).await;
            if reply.status != status {
                failures.push(format!(
                    "{visibility}/{releases} {name} {endpoint}: expected {status}, got {} {}",
                    reply.status, reply.text
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "permission matrix failures:\n{}",
        failures.join("\n")
    );
}

/// The project's other resources, for the same callers and variants: one string per variant,
/// what `view code push maintain` give (`ok`: the endpoint's success status):
/// - view: the project (`GET /projects/:id`), its members, one member;
/// - code: its tags and protected tags, one of each (GitLab's `read_code`);
/// - push: creating and deleting a tag (Developer and above);
/// - maintain: protecting and unprotecting a tag, adding, changing and removing a member,
///   changing the project (Maintainer and above).
///
/// CI job tokens are only read on the releases routes: anywhere else they are no credentials.
fn resource_matrix() -> Vec<(&'static str, [&'static str; 4])> {
    const HIDDEN: &str = "404 404 404 404";
    // As for links: an anonymous write is forbidden (403), not unauthenticated.
    const PUBLIC_ANONYMOUS: &str = "ok ok 403 403";
    const ANONYMOUS: [&str; 4] = [HIDDEN, HIDDEN, PUBLIC_ANONYMOUS, PUBLIC_ANONYMOUS];
    const READER: &str = "ok ok 403 403";
    const DEVELOPER: &str = "ok ok ok 403";
    const MAINTAINER: &str = "ok ok ok ok";
    const EXPIRED: &str = "401 401 401 401";
    vec![
        ("anonymous", ANONYMOUS),
        ("outsider", [HIDDEN, READER, READER, READER]),
        ("guest", ["ok 403 403 403", READER, READER, READER]),
        ("reporter", [READER; 4]),
        ("developer", [DEVELOPER; 4]),
        ("maintainer", [MAINTAINER; 4]),
        ("owner", [MAINTAINER; 4]),
        ("admin", [MAINTAINER; 4]),
        ("job token of the project", ANONYMOUS),
        ("job token of another project", ANONYMOUS),
        ("read_api token", [READER; 4]),
        ("expired token", [EXPIRED; 4]),
        ("revoked token", [EXPIRED; 4]),
    ]
}

/// An endpoint of the resource matrix: its class (a column of the table), name, request and
/// success status.
type ClassedStep = (
    usize,
    &'static str,
    Method,
    String,
    Option<serde_json::Value>,
    u16,
);

async fn check_resources(index: usize) {
    let (visibility, releases) = VARIANTS[index];
    let w = World::new(visibility).await;
    let app = &w.app;
    let project = format!("/projects/{}", w.project_id);
    app.put(
        &app.root,
        &project,
        json!({"releases_access_level": releases}),
    )
    .await
    .expect(200);
    let all = callers(&w).await;
    let mut failures = Vec::new();
    for (i, (name, cell)) in resource_matrix().into_iter().enumerate() {
        let who = caller_named(&all, name);
        // What this row may change or remove, made by root.
        let newcomer = app.user(&format!("newcomer{i}")).await;
        let member = app.user(&format!("member{i}")).await;
        app.add_member(w.project_id, &member, 10).await;
        app.post(
            &app.root,
            &format!("{project}/repository/tags"),
            json!({"tag_name": format!("d{i}"), "ref": "main"}),
        )
        .await
        .expect(201);
        app.post(
            &app.root,
            &format!("{project}/protected_tags"),
            json!({"name": format!("q{i}-*")}),
        )
        .await
        .expect(201);
        let expected: Vec<&str> = cell[index].split(' ').collect();
        let steps: [ClassedStep; 15] = [
            (0, "project", Method::GET, project.clone(), None, 200),
            (
                0,
                "one member",
                Method::GET,
                format!("{project}/members/{}", member.id),
                None,
                200,
            ),
            (
                1,
                "one tag",
                Method::GET,
                format!("{project}/repository/tags/d{i}"),
                None,
                200,
            ),
            (
                1,
                "one protected tag",
                Method::GET,
                format!("{project}/protected_tags/q{i}-*"),
                None,
                200,
            ),
            (
                0,
                "members",
                Method::GET,
                format!("{project}/members"),
                None,
                200,
            ),
            (
                1,
                "tags",
                Method::GET,
                format!("{project}/repository/tags"),
                None,
                200,
            ),
            (
                1,
                "protected tags",
                Method::GET,
                format!("{project}/protected_tags"),
                None,
                200,
            ),
            (
                2,
                "create tag",
                Method::POST,
                format!("{project}/repository/tags"),
                Some(json!({"tag_name": format!("t{i}"), "ref": "main"})),
                201,
            ),
            (
                2,
                "delete tag",
                Method::DELETE,
                format!("{project}/repository/tags/d{i}"),
                None,
                204,
            ),
            (
                3,
                "protect tag",
                Method::POST,
                format!("{project}/protected_tags"),
                Some(json!({"name": format!("p{i}-*")})),
                201,
            ),
            (
                3,
                "unprotect tag",
                Method::DELETE,
                format!("{project}/protected_tags/q{i}-*"),
                None,
                204,
            ),
            (
                3,
                "add member",
                Method::POST,
                format!("{project}/members"),
                Some(json!({"user_id": newcomer.id, "access_level": 10})),
                201,
            ),
            (
                3,
                "change member",
                Method::PUT,
                format!("{project}/members/{}", member.id),
                Some(json!({"access_level": 20})),
                200,
            ),
            (
                3,
                "remove member",
                Method::DELETE,
                format!("{project}/members/{}", member.id),
                None,
                204,
            ),
            (
                3,
                "change project",
                Method::PUT,
                project.clone(),
                Some(json!({"description": format!("row {i}")})),
                200,
            ),
        ];
        for (class, endpoint, method, path, body, success) in steps {
            let status = match expected[class] {
                "ok" => success,
                code => code.parse().expect("a status"),
            };
            let reply = send(&w, who, method, &path, body).await;
            if reply.status != status {
                failures.push(format!(
                    "{visibility}/{releases} {name} {endpoint}: expected {status}, got {} {}",
                    reply.status, reply.text
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "resource matrix failures:\n{}",
        failures.join("\n")
    );
}

/// The instance's own endpoints (no project variant), in this order: version, the current
/// user, users, one user, create a user, audit events, create a project, create a group, make
/// a token for a user, make a CI job token, the token itself, create a project for another user
/// (`ok`: the endpoint's success).
fn instance_matrix() -> Vec<(&'static str, &'static str)> {
    const USER: &str = "ok ok ok ok 403 403 ok ok 403 403 ok 403";
    const ADMIN: &str = "ok ok ok ok ok ok ok ok ok ok ok ok";
    const NOBODY: &str = "401 401 ok ok 401 401 401 401 401 401 401 401";
    const EXPIRED: &str = "401 401 401 401 401 401 401 401 401 401 401 401";
    vec![
        ("anonymous", NOBODY),
        ("outsider", USER),
        ("guest", USER),
        ("reporter", USER),
        ("developer", USER),
        ("maintainer", USER),
        ("owner", USER),
        ("admin", ADMIN),
        ("job token of the project", NOBODY),
        ("job token of another project", NOBODY),
        (
            "read_api token",
            "ok ok ok ok 403 403 403 403 403 403 ok 403",
        ),
        ("expired token", EXPIRED),
        ("revoked token", EXPIRED),
    ]
}

#[tokio::test]
async fn instance_matrix_of_every_caller() {
    let w = World::new("private").await;
    let all = callers(&w).await;
    let mut failures = Vec::new();
    for (i, (name, row)) in instance_matrix().into_iter().enumerate() {
        let who = caller_named(&all, name);
        let expected: Vec<&str> = row.split(' ').collect();
        let steps: [(&str, Method, String, Option<serde_json::Value>, u16); 12] = [
            ("version", Method::GET, "/version".into(), None, 200),
            ("current user", Method::GET, "/user".into(), None, 200),
            ("users", Method::GET, "/users".into(), None, 200),
            ("one user", Method::GET, "/users/1".into(), None, 200),
            (
                "create user",
                Method::POST,
                "/users".into(),
                Some(
                    json!({"username": format!("made{i}"), "name": "Made", "email": format!("made{i}@e.x"), "password": "x"}),
                ),
                201,
            ),
            (
                "audit events",
                Method::GET,
                "/audit_events".into(),
                None,
                200,
            ),
            (
                "create project",
                Method::POST,
                "/projects".into(),
                Some(json!({"name": format!("own{i}")})),
                201,
            ),
            (
                "create group",
                Method::POST,
                "/groups".into(),
                Some(json!({"name": format!("g{i}"), "path": format!("g{i}")})),
                201,
            ),
            (
                "make a token",
                Method::POST,
                format!("/users/{}/personal_access_tokens", w.guest.id),
                Some(json!({"name": "t", "scopes": ["api"]})),
                201,
            ),
            (
                "make a job token",
                Method::POST,
                format!("/projects/{}/job_tokens", w.project_id),
                Some(json!({"user_id": w.developer.id})),
                201,
            ),
            (
                "own token",
                Method::GET,
                "/personal_access_tokens/self".into(),
                None,
                200,
            ),
            (
                "create a project for a user",
                Method::POST,
                format!("/projects/user/{}", w.guest.id),
                Some(json!({"name": format!("for-guest{i}")})),
                201,
            ),
        ];
        for (step, (endpoint, method, path, body, success)) in steps.into_iter().enumerate() {
            let status = match expected[step] {
                "ok" => success,
                code => code.parse().expect("a status"),
            };
            let reply = send(&w, who, method, &path, body).await;
            if reply.status != status {
                failures.push(format!(
                    "{name} {endpoint}: expected {status}, got {} {}",
                    reply.status, reply.text
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "instance matrix failures:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn resources_matrix_on_a_private_project() {
    check_resources(0).await;
}

#[tokio::test]
async fn resources_matrix_on_an_internal_project() {
    check_resources(1).await;
}

#[tokio::test]
async fn resources_matrix_on_a_public_project() {
    check_resources(2).await;
}

#[tokio::test]
async fn resources_matrix_on_a_public_project_with_members_only_releases() {
    check_resources(3).await;
}

#[tokio::test]
async fn matrix_on_a_private_project() {
    check_variant(0).await;
}

#[tokio::test]
async fn matrix_on_an_internal_project() {
    check_variant(1).await;
}

#[tokio::test]
async fn matrix_on_a_public_project() {
    check_variant(2).await;
}

#[tokio::test]
async fn matrix_on_a_public_project_with_members_only_releases() {
    check_variant(3).await;
}

#[tokio::test]
async fn error_bodies_of_the_matrix_are_gitlabs() {
    let w = World::new("private").await;
    let hidden = w.app.get(&w.outsider, &w.links()).await;
    assert_eq!(
        hidden.expect(404),
        &json!({"message": "404 Project Not Found"})
    );
    let forbidden = w
        .app
        .post(
            &w.reporter,
            &w.links(),
            json!({"name": "x", "url": "https://e.x/x"}),
        )
        .await;
    assert_eq!(forbidden.expect(403), &json!({"message": "403 Forbidden"}));
    let unknown = w
        .app
        .get(&Caller::anonymous().with_token("glpat-nope"), &w.links())
        .await;
    assert_eq!(unknown.expect(401), &json!({"message": "401 Unauthorized"}));
}

#[tokio::test]
async fn expired_and_revoked_tokens_get_oauth_bodies() {
    let w = World::new("public").await;
    let user = w.app.user("someone").await;
    let today = chrono::Utc::now()
        .date_naive()
        .format("%Y-%m-%d")
        .to_string();
    let token = w
        .app
        .post(
            &w.app.root,
            &format!("/users/{}/personal_access_tokens", user.id),
            json!({"name": "old", "scopes": ["api"], "expires_at": today}),
        )
        .await;
    let expired = user.with_token(token.expect(201)["token"].as_str().expect("token"));
    let reply = w.app.get(&expired, &w.links()).await;
    assert_eq!(
        reply.expect(401),
        &json!({"error": "invalid_token", "error_description": "Token is expired. You can either do re-authorization or token refresh."})
    );
    assert!(reply
        .header("www-authenticate")
        .expect("challenge")
        .contains("error=\"invalid_token\""));

    w.app
        .delete(&user, "/personal_access_tokens/self")
        .await
        .expect(204);
    let revoked = w.app.get(&user, &w.links()).await;
    assert_eq!(
        revoked.expect(401),
        &json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."})
    );
}

#[tokio::test]
async fn read_api_tokens_cannot_write() {
    let w = World::new("private").await;
    let reader = w.app.user_with("reader", false, &["read_api"]).await;
    w.app.add_member(w.project_id, &reader, 40).await;
    w.app.get(&reader, &w.links()).await.expect(200);
    let reply = w
        .app
        .post(
            &reader,
            &w.links(),
            json!({"name": "x", "url": "https://e.x/x"}),
        )
        .await;
    assert_eq!(
        reply.expect(403),
        &json!({
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": "api"
        })
    );
}

#[tokio::test]
async fn a_job_token_of_another_project_is_refused_with_gitlabs_reason() {
    let w = World::new("private").await;
    let other = w.app.project("other", "private", None).await;
    let other_id = other["id"].as_i64().expect("id");
    let minted = w
        .app
        .post(
            &w.app.root,
            &format!("/projects/{other_id}/job_tokens"),
            json!({"user_id": 1}),
        )
        .await;
    let token = minted.expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let reply = w
        .app
        .client
        .get(w.app.url(&w.links()))
        .header("JOB-TOKEN", &token)
        .send()
        .await
        .expect("answered");
    let reply = common::into_reply(reply).await;
    assert_eq!(
        reply.expect(403),
        &json!({"message": "403 Forbidden - Authentication by CI/CD job token not allowed from root/other to root/app."})
    );
}

#[tokio::test]
async fn job_tokens_are_ignored_outside_the_releases_routes() {
    let w = World::new("private").await;
    let minted = w
        .app
        .post(
            &w.app.root,
            &format!("/projects/{}/job_tokens", w.project_id),
            json!({"user_id": w.developer.id}),
        )
        .await;
    let token = minted.expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let url = w.app.url(&format!("/projects/{}", w.project_id));
    let reply = common::into_reply(
        w.app
            .client
            .get(url)
            .header("JOB-TOKEN", &token)
            .send()
            .await
            .expect("answered"),
    )
    .await;
    assert_eq!(
        reply.expect(404),
        &json!({"message": "404 Project Not Found"})
    );
    let param = format!("{}?job_token={token}", w.links());
    w.app.get(&Caller::anonymous(), &param).await.expect(200);
}

#[tokio::test]
async fn tokens_are_accepted_in_every_place_gitlab_reads_them() {
    let w = World::new("private").await;
    let token = w.developer.token.clone().expect("token");
    let url = w.app.url(&w.links());
    let bearer = w
        .app
        .client
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .expect("answered");
    assert_eq!(bearer.status().as_u16(), 200);
    let lower = w
        .app
        .client
        .get(&url)
        .header("private-token", &token)
        .send()
        .await
        .expect("answered");
    assert_eq!(lower.status().as_u16(), 200);
    let param = w
        .app
        .get(
            &Caller::anonymous(),
            &format!("{}?private_token={token}", w.links()),
        )
        .await;
    param.expect(200);
}

#[tokio::test]
async fn protected_tags_keep_developers_out_of_matching_releases() {
    let w = World::new("private").await;
    let protected_tags = format!("/projects/{}/protected_tags", w.project_id);
    let protect = |name: &str, level: i64| {
        w.app.post(
            &w.app.root,
            &protected_tags,
            json!({"name": name, "create_access_level": level}),
        )
    };
    protect("v*", 40).await.expect(201);
    let body = json!({"name": "x", "url": "https://e.x/x"});
    w.app
        .post(&w.developer, &w.links(), body.clone())
        .await
        .expect(403);
    w.app
        .put(&w.developer, &w.link(w.link_id), json!({"name": "y"}))
        .await
        .expect(403);
    w.app
        .delete(&w.developer, &w.link(w.link_id))
        .await
        .expect(403);
    w.app.get(&w.developer, &w.links()).await.expect(200);
    w.app
        .post(&w.maintainer, &w.links(), body)
        .await
        .expect(201);
    // A reporter asking to change a missing link still learns only that it is missing.
    w.app
        .delete(&w.reporter, &w.link(987_654))
        .await
        .expect(404);

    w.app
        .delete(
            &w.app.root,
            &format!("/projects/{}/protected_tags/v*", w.project_id),
        )
        .await
        .expect(204);
    protect("*", 0).await.expect(201);
    let blocked = json!({"name": "z", "url": "https://e.x/z"});
    w.app
        .post(&w.maintainer, &w.links(), blocked.clone())
        .await
        .expect(403);
    w.app
        .post(&w.app.root, &w.links(), blocked)
        .await
        .expect(403);
}

#[tokio::test]
async fn disabled_releases_stop_everyone() {
    let w = World::new("public").await;
    w.app
        .put(
            &w.app.root,
            &format!("/projects/{}", w.project_id),
            json!({"releases_access_level": "disabled"}),
        )
        .await
        .expect(200);
    for caller in [&w.app.root, &w.maintainer, &Caller::anonymous()] {
        assert_eq!(
            w.app.get(caller, &w.links()).await.expect(403),
            &json!({"message": "403 Forbidden"})
        );
    }
}

#[tokio::test]
async fn group_members_inherit_access_to_the_groups_projects() {
    let w = World::new("private").await;
    let group = w
        .app
        .post(
            &w.app.root,
            "/groups",
            json!({"name": "Acme", "path": "acme"}),
        )
        .await;
    let group_id = group.expect(201)["id"].as_i64().expect("id");
    let sub = w
        .app
        .post(
            &w.app.root,
            "/groups",
            json!({"name": "Tools", "path": "tools", "parent_id": group_id}),
        )
        .await;
    let sub_id = sub.expect(201)["id"].as_i64().expect("id");
    let project = w.app.project("deep", "private", Some(sub_id)).await;
    assert_eq!(project["path_with_namespace"], "acme/tools/deep");
    let id = project["id"].as_i64().expect("id");
    w.app.release(id, "v1").await;
    let member = w.app.user("member").await;
    let links = "/projects/acme%2Ftools%2Fdeep/releases/v1/assets/links";
    w.app.get(&member, links).await.expect(404);
    w.app
        .post(
            &w.app.root,
            &format!("/groups/{group_id}/members"),
            json!({"user_id": member.id, "access_level": 30}),
        )
        .await
        .expect(201);
    w.app
        .post(&member, links, json!({"name": "a", "url": "https://e.x/a"}))
        .await
        .expect(201);
    let seen = w.app.get(&member, &format!("/projects/{id}")).await;
    assert_eq!(
        seen.expect(200)["permissions"],
        json!({"project_access": null, "group_access": {"access_level": 30, "notification_level": 3}})
    );
    w.app
        .delete(
            &w.app.root,
            &format!("/groups/{group_id}/members/{}", member.id),
        )
        .await
        .expect(204);
    w.app.get(&member, links).await.expect(404);
}
