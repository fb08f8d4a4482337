//! The permission matrix (GitLab's `ProjectPolicy` and `GroupPolicy` as relinks applies them),
//! written once as tables: (project variant, caller) → the status of each endpoint.

use crate::common;

use common::{Caller, World};
use reqwest::Method;
use serde_json::{json, Value};

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

/// A receiver of webhooks on loopback (answers 200): its URL.
async fn hook_receiver() -> String {
    let app = axum::Router::new().route("/hook", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

/// A World whose project is of the variant `VARIANTS[index]`, on a server that may send
/// webhooks to loopback (the receivers of the hooks rows).
async fn world_of_variant(index: usize) -> World {
    let (visibility, releases) = VARIANTS[index];
    let app = common::TestApp::start_with_settings(|settings| {
        settings.http.outbound.allow_local_network = true;
    })
    .await;
    let w = World::on(app, visibility).await;
    w.app
        .put(
            &w.app.root,
            &format!("/projects/{}", w.project_id),
            json!({"releases_access_level": releases}),
        )
        .await
        .expect(200);
    w
}

async fn check_variant(index: usize) {
    let (visibility, releases) = VARIANTS[index];
    let w = world_of_variant(index).await;
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
        // Verifying a link downloads its file: this one is on loopback, which the server
        // refuses to reach (422 once the caller may write), so the row needs no network.
        let local = w
            .app
            .post(
                &w.app.root,
                &w.links(),
                json!({"name": format!("local{i}"), "url": format!("http://127.0.0.1:9/row{i}")}),
            )
            .await;
        let local_id = local.expect(201)["id"].as_i64().expect("id");
        let verify_ok = if expect.write == 200 {
            422
        } else {
            expect.write
        };
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
        // The latest-release permalink leads to `GET /releases/:tag`, and has its rule
        // (GitLab's `authorize_read_code!`).
        let latest_ok = download_ok;
        // Ordering the release's links names all of them, and replacing them gives the same
        // set again (relinks' extensions).
        let links_now = w
            .app
            .get(&w.app.root, &format!("{}?per_page=100", w.links()))
            .await;
        let links_now = links_now.expect(200).as_array().expect("links");
        let every_link: Vec<Value> = links_now.iter().map(|l| l["id"].clone()).collect();
        let same_set: Vec<Value> = links_now
            .iter()
            .map(|l| {
                let path = l["direct_asset_url"].as_str().unwrap_or_default();
                let filepath = path.split_once("/downloads").map(|(_, p)| p.to_owned());
                json!({"name": l["name"], "url": l["url"], "filepath": filepath})
            })
            .collect();
        let steps = [
            ("list", Method::GET, w.links(), None, expect.read),
            ("get", Method::GET, w.link(own_id), None, expect.read),
            (
                "link downloads",
                Method::GET,
                format!("{}/downloads", w.link(own_id)),
                None,
                expect.read,
            ),
            (
                "release downloads",
                Method::GET,
                format!("{releases_path}/v1.0/downloads"),
                None,
                expect.read,
            ),
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
                "order",
                Method::PUT,
                format!("{}/order", w.links()),
                Some(json!({ "ids": every_link })),
                expect.write,
            ),
            (
                "replace",
                Method::PUT,
                w.links(),
                Some(json!({ "links": same_set })),
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
            (
                "verify",
                Method::POST,
                format!("{}/verify", w.link(local_id)),
                Some(json!({})),
                verify_ok,
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
    assert_no_failures("permission matrix", &failures);
}

/// The project's other resources, for the same callers and variants: one string per variant,
/// what `view members code push maintain manage own` give (`ok`: the endpoint's success status):
/// - view: the project (`GET /projects/:id`);
/// - members: its members, one member (GitLab's Members API authenticates first: 401 for
///   anonymous callers, even on a public project);
/// - code: its tags and protected tags, one of each (GitLab's `read_code`);
/// - push: creating and deleting a tag (Developer and above);
/// - maintain: protecting and unprotecting a tag, changing the project (Maintainer and above);
/// - manage: adding, changing and removing a member (Maintainer and above, after
///   authentication);
/// - own: deleting the project (Owner), on a project of the row's own, where the row's caller
///   has the same role;
/// - hooks: its webhooks, one hook, its events, creating, changing, testing and deleting one
///   (Maintainer and above; GitLab's ProjectHooks authenticate first: 401 for anonymous
///   callers, and for job tokens, which are no credentials there).
///
/// CI job tokens are only read on the releases routes: anywhere else they are no credentials.
fn resource_matrix() -> Vec<(&'static str, [&'static str; 4])> {
    const HIDDEN: &str = "404 401 404 404 404 401 404 401";
    // As for links: an anonymous write is forbidden (403), not unauthenticated.
    const PUBLIC_ANONYMOUS: &str = "ok 401 ok 403 403 401 403 401";
    const ANONYMOUS: [&str; 4] = [HIDDEN, HIDDEN, PUBLIC_ANONYMOUS, PUBLIC_ANONYMOUS];
    const OUTSIDER_HIDDEN: &str = "404 404 404 404 404 404 404 404";
    const READER: &str = "ok ok ok 403 403 403 403 403";
    const DEVELOPER: &str = "ok ok ok ok 403 403 403 403";
    const MAINTAINER: &str = "ok ok ok ok ok ok 403 ok";
    const OWNER: &str = "ok ok ok ok ok ok ok ok";
    const EXPIRED: &str = "401 401 401 401 401 401 401 401";
    vec![
        ("anonymous", ANONYMOUS),
        ("outsider", [OUTSIDER_HIDDEN, READER, READER, READER]),
        (
            "guest",
            ["ok ok 403 403 403 403 403 403", READER, READER, READER],
        ),
        ("reporter", [READER; 4]),
        ("developer", [DEVELOPER; 4]),
        ("maintainer", [MAINTAINER; 4]),
        ("owner", [OWNER; 4]),
        ("admin", [OWNER; 4]),
        ("job token of the project", ANONYMOUS),
        ("job token of another project", ANONYMOUS),
        ("read_api token", [READER; 4]),
        ("expired token", [EXPIRED; 4]),
        ("revoked token", [EXPIRED; 4]),
    ]
}

/// The role each matrix caller has in the project (and in the groups of the group matrix).
fn role_of(name: &str) -> Option<i64> {
    match name {
        "guest" => Some(10),
        "reporter" => Some(20),
        "developer" | "read_api token" | "expired token" | "revoked token" => Some(30),
        "maintainer" => Some(40),
        "owner" => Some(50),
        _ => None,
    }
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

/// The status a cell of a table expects: `ok` is the step's own success status.
fn expected_status(cell: &str, success: u16) -> u16 {
    match cell {
        "ok" => success,
        code => code.parse().expect("a status"),
    }
}

/// Sends each step as `who`, and records every answer that is not the one its class expects
/// (`row` names the caller and variant in the report).
async fn run_steps(
    w: &World,
    who: &Who,
    expected: &[&str],
    steps: Vec<ClassedStep>,
    row: &str,
    failures: &mut Vec<String>,
) {
    for (class, endpoint, method, path, body, success) in steps {
        let status = expected_status(expected[class], success);
        let reply = send(w, who, method, &path, body).await;
        if reply.status != status {
            failures.push(format!(
                "{row} {endpoint}: expected {status}, got {} {}",
                reply.status, reply.text
            ));
        }
    }
}

/// Fails the test with every cell that did not hold, not just the first.
fn assert_no_failures(table: &str, failures: &[String]) {
    assert!(
        failures.is_empty(),
        "{table} failures:\n{}",
        failures.join("\n")
    );
}

async fn check_resources(index: usize) {
    let (visibility, releases) = VARIANTS[index];
    let w = world_of_variant(index).await;
    let app = &w.app;
    let project = format!("/projects/{}", w.project_id);
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
        // A project of the row's own to delete, where the row's caller has the same role.
        let doomed = app.project(&format!("doomed{i}"), visibility, None).await["id"]
            .as_i64()
            .expect("id");
        if let Some(level) = role_of(name) {
            app.add_member(doomed, &who.caller, level).await;
        }
        // A hook of the project's, to read, test, change and delete.
        let receiver = hook_receiver().await;
        let hook = app
            .post(
                &app.root,
                &format!("{project}/hooks"),
                json!({"url": receiver, "releases_events": true}),
            )
            .await;
        let hook = format!("{project}/hooks/{}", hook.expect(201)["id"]);
        let expected: Vec<&str> = cell[index].split(' ').collect();
        let steps: [ClassedStep; 23] = [
            (0, "project", Method::GET, project.clone(), None, 200),
            (
                1,
                "one member",
                Method::GET,
                format!("{project}/members/{}", member.id),
                None,
                200,
            ),
            (
                2,
                "one tag",
                Method::GET,
                format!("{project}/repository/tags/d{i}"),
                None,
                200,
            ),
            (
                2,
                "one protected tag",
                Method::GET,
                format!("{project}/protected_tags/q{i}-*"),
                None,
                200,
            ),
            (
                1,
                "members",
                Method::GET,
                format!("{project}/members"),
                None,
                200,
            ),
            (
                2,
                "tags",
                Method::GET,
                format!("{project}/repository/tags"),
                None,
                200,
            ),
            (
                2,
                "protected tags",
                Method::GET,
                format!("{project}/protected_tags"),
                None,
                200,
            ),
            (
                3,
                "create tag",
                Method::POST,
                format!("{project}/repository/tags"),
                Some(json!({"tag_name": format!("t{i}"), "ref": "main"})),
                201,
            ),
            (
                3,
                "delete tag",
                Method::DELETE,
                format!("{project}/repository/tags/d{i}"),
                None,
                204,
            ),
            (
                4,
                "protect tag",
                Method::POST,
                format!("{project}/protected_tags"),
                Some(json!({"name": format!("p{i}-*")})),
                201,
            ),
            (
                4,
                "unprotect tag",
                Method::DELETE,
                format!("{project}/protected_tags/q{i}-*"),
                None,
                204,
            ),
            (
                5,
                "add member",
                Method::POST,
                format!("{project}/members"),
                Some(json!({"user_id": newcomer.id, "access_level": 10})),
                201,
            ),
            (
                5,
                "change member",
                Method::PUT,
                format!("{project}/members/{}", member.id),
                Some(json!({"access_level": 20})),
                200,
            ),
            (
                5,
                "remove member",
                Method::DELETE,
                format!("{project}/members/{}", member.id),
                None,
                204,
            ),
            (
                4,
                "change project",
                Method::PUT,
                project.clone(),
                Some(json!({"description": format!("row {i}")})),
                200,
            ),
            (
                7,
                "hooks",
                Method::GET,
                format!("{project}/hooks"),
                None,
                200,
            ),
            (7, "one hook", Method::GET, hook.clone(), None, 200),
            (
                7,
                "hook events",
                Method::GET,
                format!("{hook}/events"),
                None,
                200,
            ),
            (
                7,
                "create hook",
                Method::POST,
                format!("{project}/hooks"),
                Some(json!({"url": receiver})),
                201,
            ),
            (
                7,
                "change hook",
                Method::PUT,
                hook.clone(),
                Some(json!({"tag_push_events": true})),
                200,
            ),
            (
                7,
                "test hook",
                Method::POST,
                format!("{hook}/test/tag_push_events"),
                Some(json!({})),
                201,
            ),
            (7, "delete hook", Method::DELETE, hook.clone(), None, 204),
            (
                6,
                "delete project",
                Method::DELETE,
                format!("/projects/{doomed}"),
                None,
                202,
            ),
        ];
        let row = format!("{visibility}/{releases} {name}");
        run_steps(&w, who, &expected, steps.into(), &row, &mut failures).await;
    }
    assert_no_failures("resource matrix", &failures);
}

/// The instance's own endpoints (no project variant), in this order: version, the current
/// user, users, one user, create a user, audit events, one audit event, the projects the
/// caller can see, create a project, create a group, make
/// a token for a user, make a CI job token, the token itself, create a project for another user,
/// the guest's token by id, revoke a token of the guest's by id, revoke the caller's own token
/// (`ok`: the endpoint's success). GitLab tells only administrators that a token does not
/// exist (401 to others), refuses to revoke someone else's token with 400, and lets a token of
/// any scope revoke itself.
fn instance_matrix() -> Vec<(&'static str, &'static str)> {
    const USER: &str = "ok ok ok ok 403 403 403 ok ok ok 403 403 ok 403 401 400 ok";
    const GUEST: &str = "ok ok ok ok 403 403 403 ok ok ok 403 403 ok 403 ok ok ok";
    const ADMIN: &str = "ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok ok";
    const NOBODY: &str = "401 401 ok ok 401 401 401 ok 401 401 401 401 401 401 401 401 401";
    const EXPIRED: &str = "401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401 401";
    vec![
        ("anonymous", NOBODY),
        ("outsider", USER),
        ("guest", GUEST),
        ("reporter", USER),
        ("developer", USER),
        ("maintainer", USER),
        ("owner", USER),
        ("admin", ADMIN),
        ("job token of the project", NOBODY),
        ("job token of another project", NOBODY),
        (
            "read_api token",
            "ok ok ok ok 403 403 403 ok 403 403 403 403 ok 403 401 403 ok",
        ),
        ("expired token", EXPIRED),
        ("revoked token", EXPIRED),
    ]
}

#[tokio::test]
async fn instance_matrix_of_every_caller() {
    let w = World::new("private").await;
    let all = callers(&w).await;
    let app = &w.app;
    let token_id = |reply: &common::Reply| reply.expect(201)["id"].as_i64().expect("id");
    let guest_token = app.get(&w.guest, "/personal_access_tokens/self").await;
    let guest_token = guest_token.expect(200)["id"].as_i64().expect("id");
    // Made before any row runs: the administrator's row revokes root's own token.
    let mut spare = Vec::new();
    for i in 0..instance_matrix().len() {
        let made = app
            .post(
                &app.root,
                &format!("/users/{}/personal_access_tokens", w.guest.id),
                json!({"name": format!("spare{i}"), "scopes": ["api"]}),
            )
            .await;
        spare.push(token_id(&made));
    }
    let event = app.get(&app.root, "/audit_events").await.expect(200)[0]["id"].clone();
    let mut failures = Vec::new();
    for (i, (name, row)) in instance_matrix().into_iter().enumerate() {
        let who = caller_named(&all, name);
        let expected: Vec<&str> = row.split(' ').collect();
        let steps: [(&str, Method, String, Option<serde_json::Value>, u16); 17] = [
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
                "one audit event",
                Method::GET,
                format!("/audit_events/{event}"),
                None,
                200,
            ),
            ("projects", Method::GET, "/projects".into(), None, 200),
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
            (
                "the guest's token",
                Method::GET,
                format!("/personal_access_tokens/{guest_token}"),
                None,
                200,
            ),
            (
                "revoke a token of the guest's",
                Method::DELETE,
                format!("/personal_access_tokens/{}", spare[i]),
                None,
                204,
            ),
            (
                "revoke the own token",
                Method::DELETE,
                "/personal_access_tokens/self".into(),
                None,
                204,
            ),
        ];
        // Each step is a column of its own.
        let steps: Vec<ClassedStep> = steps
            .into_iter()
            .enumerate()
            .map(|(column, (endpoint, method, path, body, success))| {
                (column, endpoint, method, path, body, success)
            })
            .collect();
        run_steps(&w, who, &expected, steps, name, &mut failures).await;
    }
    assert_no_failures("instance matrix", &failures);
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

/// The group endpoints for every caller, in a private, an internal and a public group where
/// each caller has the role it has in the project: what `view members manage` give (`ok`: the
/// endpoint's success):
/// - view: the group (`GET /groups/:id`);
/// - members: its members, one member (the Members API authenticates first: 401 anonymous);
/// - manage: adding, changing and removing a member: owners only (GitLab's GroupPolicy gives
///   `admin_group_member` to owners, where projects let maintainers manage members).
fn group_matrix() -> Vec<(&'static str, [&'static str; 3])> {
    const ANONYMOUS: [&str; 3] = ["404 401 401", "404 401 401", "ok 401 401"];
    const MEMBER: [&str; 3] = ["ok ok 403"; 3];
    const OWNER: [&str; 3] = ["ok ok ok"; 3];
    vec![
        ("anonymous", ANONYMOUS),
        ("outsider", ["404 404 404", "ok ok 403", "ok ok 403"]),
        ("guest", MEMBER),
        ("reporter", MEMBER),
        ("developer", MEMBER),
        ("maintainer", MEMBER),
        ("owner", OWNER),
        ("admin", OWNER),
        ("job token of the project", ANONYMOUS),
        ("job token of another project", ANONYMOUS),
        ("read_api token", MEMBER),
        ("expired token", ["401 401 401"; 3]),
        ("revoked token", ["401 401 401"; 3]),
    ]
}

#[tokio::test]
async fn group_matrix_of_every_caller() {
    let w = World::new("private").await;
    let app = &w.app;
    let all = callers(&w).await;
    let mut failures = Vec::new();
    for (index, visibility) in ["private", "internal", "public"].into_iter().enumerate() {
        let made = app
            .post(
                &app.root,
                "/groups",
                json!({"name": visibility, "path": format!("team-{visibility}"), "visibility": visibility}),
            )
            .await;
        let group = format!("/groups/{}", made.expect(201)["id"]);
        for (name, who) in &all {
            if let Some(level) = role_of(name) {
                app.post(
                    &app.root,
                    &format!("{group}/members"),
                    json!({"user_id": who.caller.id, "access_level": level}),
                )
                .await
                .expect(201);
            }
        }
        for (i, (name, cell)) in group_matrix().into_iter().enumerate() {
            let who = caller_named(&all, name);
            let newcomer = app.user(&format!("new-{visibility}{i}")).await;
            let member = app.user(&format!("member-{visibility}{i}")).await;
            app.post(
                &app.root,
                &format!("{group}/members"),
                json!({"user_id": member.id, "access_level": 10}),
            )
            .await
            .expect(201);
            let one = format!("{group}/members/{}", member.id);
            let steps: [ClassedStep; 6] = [
                (0, "group", Method::GET, group.clone(), None, 200),
                (
                    1,
                    "members",
                    Method::GET,
                    format!("{group}/members"),
                    None,
                    200,
                ),
                (1, "one member", Method::GET, one.clone(), None, 200),
                (
                    2,
                    "add member",
                    Method::POST,
                    format!("{group}/members"),
                    Some(json!({"user_id": newcomer.id, "access_level": 10})),
                    201,
                ),
                (
                    2,
                    "change member",
                    Method::PUT,
                    one.clone(),
                    Some(json!({"access_level": 20})),
                    200,
                ),
                (2, "remove member", Method::DELETE, one, None, 204),
            ];
            let expected: Vec<&str> = cell[index].split(' ').collect();
            let row = format!("{visibility} group, {name}");
            run_steps(&w, who, &expected, steps.into(), &row, &mut failures).await;
        }
    }
    assert_no_failures("group matrix", &failures);
}

/// What browsers and scripts following permanent links get, for every caller in every variant:
/// `read code sign-in public` (`ok`: the endpoint's success):
/// - read: the releases page (the API's `GET /releases`);
/// - code: a release's page, the latest-release permalink with and without a suffix and a
///   permanent link to an asset (the API's `GET /releases/:tag`: GitLab's `read_code` too);
/// - sign-in: signing in with the caller's token (personal tokens with `api` or `read_api`);
/// - public: the home page, the sign-in form, signing out.
///
/// A browser that may not see something gets the 404 page, never a 401 or a 403. Each row is
/// checked twice: with the caller's token in `PRIVATE-TOKEN` (job tokens in `JOB-TOKEN`, which
/// pages do not read), and with the session its sign-in made (none when it was refused). Bad
/// credentials count as none.
fn web_matrix() -> Vec<(&'static str, [&'static str; 4])> {
    const ANONYMOUS: [&str; 4] = [
        "404 404 401 ok",
        "404 404 401 ok",
        "ok ok 401 ok",
        "404 404 401 ok",
    ];
    const MEMBER: [&str; 4] = ["ok ok ok ok"; 4];
    vec![
        ("anonymous", ANONYMOUS),
        (
            "outsider",
            [
                "404 404 ok ok",
                "ok ok ok ok",
                "ok ok ok ok",
                "404 404 ok ok",
            ],
        ),
        (
            "guest",
            ["ok 404 ok ok", "ok ok ok ok", "ok ok ok ok", "ok ok ok ok"],
        ),
        ("reporter", MEMBER),
        ("developer", MEMBER),
        ("maintainer", MEMBER),
        ("owner", MEMBER),
        ("admin", MEMBER),
        ("job token of the project", ANONYMOUS),
        ("job token of another project", ANONYMOUS),
        ("read_api token", MEMBER),
        ("expired token", ANONYMOUS),
        ("revoked token", ANONYMOUS),
    ]
}

/// A request outside the API, with the given headers and an optional form body.
async fn send_web(
    w: &World,
    method: Method,
    path: &str,
    headers: &[(&str, String)],
    form: Option<&[(&str, &str)]>,
) -> common::Reply {
    let mut request = w.app.client.request(method, w.app.web_url(path));
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(form) = form {
        request = request.form(form);
    }
    common::into_reply(request.send().await.expect("answered")).await
}

async fn check_web(index: usize) -> Vec<String> {
    let (visibility, releases) = VARIANTS[index];
    let w = world_of_variant(index).await;
    let all = callers(&w).await;
    let base = format!("/{}/-/releases", w.project_path);
    let mut failures = Vec::new();
    for (name, cell) in web_matrix() {
        let who = caller_named(&all, name);
        let expected: Vec<&str> = cell[index].split(' ').collect();
        let status = |class: usize, success: u16| expected_status(expected[class], success);
        let mut report = |credentials: &str, step: &str, wanted: u16, reply: &common::Reply| {
            if reply.status != wanted {
                failures.push(format!(
                    "{visibility}/{releases} {name} ({credentials}) {step}: expected {wanted}, got {}",
                    reply.status
                ));
            }
        };
        // Signing in, with the caller's personal token or job token as the form's token.
        let secret = who
            .caller
            .token
            .clone()
            .or_else(|| who.job_token.clone())
            .unwrap_or_default();
        let form = [("token", secret.as_str()), ("return_to", "/")];
        let signed = common::post_sign_in(&w.app, &form).await;
        report("form", "sign in", status(2, 303), &signed);
        let session = signed
            .header("set-cookie")
            .and_then(|c| c.split(';').next())
            .map(|c| vec![("cookie", c.to_owned())])
            .unwrap_or_default();
        let header = match (&who.caller.token, &who.job_token) {
            (Some(token), _) => vec![("private-token", token.clone())],
            (None, Some(job)) => vec![("job-token", job.clone())],
            (None, None) => Vec::new(),
        };
        let steps = [
            ("releases page", base.clone(), status(0, 200)),
            ("release page", format!("{base}/v1.0"), status(1, 200)),
            (
                "latest permalink",
                format!("{base}/permalink/latest"),
                status(1, 302),
            ),
            (
                "latest permalink with a suffix",
                format!("{base}/permalink/latest/downloads/bin/first"),
                status(1, 302),
            ),
            (
                "permanent link",
                format!("{base}/v1.0/downloads/bin/first"),
                status(1, 302),
            ),
            ("home page", "/".to_owned(), status(3, 200)),
            ("sign-in form", "/users/sign_in".to_owned(), status(3, 200)),
        ];
        for (credentials, headers) in [("token", &header), ("session", &session)] {
            for (step, path, wanted) in &steps {
                let reply = send_web(&w, Method::GET, path, headers, None).await;
                report(credentials, step, *wanted, &reply);
            }
        }
        let session_cookies: Vec<&str> = session.iter().map(|(_, c)| c.as_str()).collect();
        let out = common::post_form(&w.app, "/users/sign_out", &[], &session_cookies).await;
        report("session", "sign out", status(3, 303), &out);
    }
    failures
}

#[tokio::test]
async fn web_matrix_of_every_caller() {
    let mut failures = Vec::new();
    for index in 0..VARIANTS.len() {
        failures.extend(check_web(index).await);
    }
    assert_no_failures("web matrix", &failures);
}
