//! The OpenAPI document: it lists exactly the routes the server answers, and real answers of
//! every operation (successes and errors) conform to its schemas.

use crate::common;

use std::collections::BTreeSet;

use common::{Caller, Reply, TestApp, World};
use relinks::app::openapi::document;
use relinks::app::router::all_routes;
use relinks::store::sqlite::SqliteStore;
use reqwest::Method;
use serde_json::{json, Value};

#[test]
fn the_document_lists_exactly_the_routes_the_server_answers() {
    // What the router serves (and the pages the web dispatcher serves), as the route tables
    // give it to the router: methods, and paths with `{*rest}` written `{rest}`.
    let mut routed = BTreeSet::new();
    let mut dispatched = 0;
    for route in all_routes::<SqliteStore>() {
        dispatched += usize::from(route.handler.is_none());
        for method in route.methods() {
            let path = route.router_path().replace("{*", "{");
            assert!(
                routed.insert((method.as_str().to_lowercase(), path.clone())),
                "{method} {path} is declared twice"
            );
        }
    }
    assert_eq!(
        dispatched, 8,
        "the release, package and webhook pages and the permanent links"
    );
    let doc = document();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "post", "put", "delete", "patch", "head"].contains(&method.as_str()) {
                documented.insert((method.clone(), path.clone()));
            }
        }
    }
    let missing: Vec<_> = routed.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&routed).collect();
    assert!(
        missing.is_empty(),
        "routes missing from the document: {missing:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented operations nobody answers: {phantom:?}"
    );
    assert_eq!(routed.len(), 119);
}

/// `/help/api` shows the document as a page, offline: every operation and every schema, and
/// no script beyond the site's own.
#[tokio::test]
async fn the_api_page_shows_every_operation_and_schema() {
    let app = TestApp::start().await;
    let page = app
        .get(&Caller::anonymous(), &app.web_url("/help/api"))
        .await;
    page.expect(200);
    assert!(
        page.content_type().starts_with("text/html"),
        "{}",
        page.content_type()
    );
    let doc = document();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let heading = format!("{} {}", method.to_uppercase(), path);
            assert!(page.text.contains(&heading), "the page shows {heading}");
            let id = op["operationId"].as_str().expect("operation id");
            assert!(
                page.text.contains(&format!("id=\"{id}\"")),
                "{id} has an anchor"
            );
        }
    }
    for name in doc["components"]["schemas"]
        .as_object()
        .expect("schemas")
        .keys()
    {
        assert!(
            page.text.contains(&format!("id=\"schema-{name}\"")),
            "schema {name}"
        );
    }
    assert!(!page.text.contains("<script>"), "no inline script");
    assert!(page.text.contains("href=\"/api/v4/openapi.json\""));
}

#[test]
fn the_document_declares_gitlabs_auth_schemes_and_entity_schemas() {
    let doc = document();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["private_token"]["name"], "PRIVATE-TOKEN");
    assert_eq!(schemes["job_token"]["name"], "JOB-TOKEN");
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    for schema in [
        "LinkEntity",
        "ReleaseEntity",
        "ProjectEntity",
        "UserEntity",
        "MessageError",
        "ParamError",
        "OAuthError",
    ] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema}"
        );
    }
}

/// Checks an answer against the document's schema for its operation and status.
fn conforms(method: &Method, template: &str, reply: &Reply) {
    let doc = document();
    let operation = &doc["paths"][template][method.as_str().to_lowercase()];
    assert!(
        operation.is_object(),
        "{method} {template} is not documented"
    );
    let status = reply.status.to_string();
    let response = operation["responses"]
        .get(&status)
        .unwrap_or(&operation["responses"]["default"]);
    assert!(
        response.is_object(),
        "{method} {template} {status} is not documented"
    );
    let Some(schema) = response["content"]["application/json"].get("schema") else {
        assert!(
            reply.text.is_empty() || reply.content_type() != "application/json",
            "{method} {template} {status}: undocumented body"
        );
        return;
    };
    let mut root = schema.as_object().cloned().unwrap_or_default();
    root.insert("components".into(), doc["components"].clone());
    let validator = jsonschema::validator_for(&Value::Object(root)).expect("schema compiles");
    let problems: Vec<String> = validator
        .iter_errors(&reply.body)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{method} {template} {status} does not match its schema: {problems:?}\n{}",
        reply.text
    );
}

async fn check(
    w: &World,
    caller: &Caller,
    method: Method,
    template: &str,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let reply = w.app.send(caller, method.clone(), path, body).await;
    conforms(&method, template, &reply);
    reply
}

#[tokio::test]
async fn answers_of_every_operation_conform_to_the_document() {
    let w = World::new("private").await;
    let app: &TestApp = &w.app;
    let root = app.root.clone();
    let id = w.project_id;
    let served = app.get(&Caller::anonymous(), "/api/v4/openapi.json").await;
    assert_eq!(served.expect(200), document());

    let l = "/api/v4/projects/{id}/releases/{tag_name}/assets/links";
    let one = "/api/v4/projects/{id}/releases/{tag_name}/assets/links/{link_id}";
    let links = w.links();
    check(&w, &w.reporter, Method::GET, l, &links, None)
        .await
        .expect(200);
    check(
        &w,
        &w.reporter,
        Method::GET,
        l,
        &format!("{links}?per_page=0"),
        None,
    )
    .await
    .expect(400);
    check(&w, &w.outsider, Method::GET, l, &links, None)
        .await
        .expect(404);
    check(
        &w,
        &Caller::anonymous().with_token("glpat-x"),
        Method::GET,
        l,
        &links,
        None,
    )
    .await
    .expect(401);
    let created = check(
        &w,
        &w.developer,
        Method::POST,
        l,
        &links,
        Some(json!({"name": "n", "url": "https://e.x/n", "filepath": "/a/b"})),
    )
    .await;
    let link_id = created.expect(201)["id"].as_i64().expect("id");
    check(
        &w,
        &w.developer,
        Method::POST,
        l,
        &links,
        Some(json!({"name": "n", "url": "https://e.x/n"})),
    )
    .await
    .expect(400);
    check(
        &w,
        &w.reporter,
        Method::POST,
        l,
        &links,
        Some(json!({"name": "m", "url": "https://e.x/m"})),
    )
    .await
    .expect(403);
    check(&w, &w.reporter, Method::GET, one, &w.link(link_id), None)
        .await
        .expect(200);
    check(
        &w,
        &w.developer,
        Method::PUT,
        one,
        &w.link(link_id),
        Some(json!({"name": "n2"})),
    )
    .await
    .expect(200);
    check(
        &w,
        &w.developer,
        Method::PUT,
        one,
        &w.link(link_id),
        Some(json!({})),
    )
    .await
    .expect(400);
    check(
        &w,
        &w.developer,
        Method::DELETE,
        one,
        &w.link(link_id),
        None,
    )
    .await
    .expect(200);
    check(&w, &w.developer, Method::GET, one, &w.link(link_id), None)
        .await
        .expect(404);

    let r = "/api/v4/projects/{id}/releases";
    let rt = "/api/v4/projects/{id}/releases/{tag_name}";
    let releases = format!("/projects/{id}/releases");
    let body = json!({"tag_name": "v2", "assets": {"links": [{"name": "a", "url": "https://e.x/a", "link_type": "image"}]}});
    check(
        &w,
        &w.developer,
        Method::POST,
        r,
        &releases,
        Some(body.clone()),
    )
    .await
    .expect(201);
    check(&w, &w.developer, Method::POST, r, &releases, Some(body))
        .await
        .expect(409);
    check(
        &w,
        &w.reporter,
        Method::GET,
        r,
        &format!("{releases}?include_html_description=true"),
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.reporter,
        Method::GET,
        rt,
        &format!("{releases}/v2"),
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.reporter,
        Method::GET,
        rt,
        &format!("{releases}/nope"),
        None,
    )
    .await
    .expect(404);
    check(
        &w,
        &w.developer,
        Method::PUT,
        rt,
        &format!("{releases}/v2"),
        Some(json!({"description": "d"})),
    )
    .await
    .expect(200);
    check(
        &w,
        &w.developer,
        Method::PUT,
        rt,
        &format!("{releases}/v2"),
        Some(json!({})),
    )
    .await
    .expect(400);
    check(
        &w,
        &w.developer,
        Method::DELETE,
        rt,
        &format!("{releases}/v2"),
        None,
    )
    .await
    .expect(200);

    let t = "/api/v4/projects/{id}/repository/tags";
    let tt = "/api/v4/projects/{id}/repository/tags/{tag_name}";
    let tags = format!("/projects/{id}/repository/tags");
    check(
        &w,
        &w.developer,
        Method::POST,
        t,
        &tags,
        Some(json!({"tag_name": "t1", "ref": "main"})),
    )
    .await
    .expect(201);
    check(
        &w,
        &w.developer,
        Method::POST,
        t,
        &tags,
        Some(json!({"tag_name": "t1", "ref": "main"})),
    )
    .await
    .expect(409);
    check(&w, &w.reporter, Method::GET, t, &tags, None)
        .await
        .expect(200);
    check(
        &w,
        &w.reporter,
        Method::GET,
        tt,
        &format!("{tags}/v1.0"),
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.developer,
        Method::DELETE,
        tt,
        &format!("{tags}/t1"),
        None,
    )
    .await
    .expect(204);

    let p = "/api/v4/projects/{id}/protected_tags";
    let pt = "/api/v4/projects/{id}/protected_tags/{name}";
    let protected = format!("/projects/{id}/protected_tags");
    check(
        &w,
        &w.maintainer,
        Method::POST,
        p,
        &protected,
        Some(json!({"name": "x*"})),
    )
    .await
    .expect(201);
    check(
        &w,
        &w.maintainer,
        Method::POST,
        p,
        &protected,
        Some(json!({"name": "x*"})),
    )
    .await
    .expect(409);
    check(&w, &w.reporter, Method::GET, p, &protected, None)
        .await
        .expect(200);
    check(
        &w,
        &w.reporter,
        Method::GET,
        pt,
        &format!("{protected}/x*"),
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.maintainer,
        Method::DELETE,
        pt,
        &format!("{protected}/x*"),
        None,
    )
    .await
    .expect(204);

    let pr = "/api/v4/projects";
    let pid = "/api/v4/projects/{id}";
    check(
        &w,
        &w.developer,
        Method::GET,
        pr,
        "/projects?membership=true",
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.developer,
        Method::POST,
        pr,
        "/projects",
        Some(json!({"name": "mine"})),
    )
    .await
    .expect(201);
    check(
        &w,
        &w.developer,
        Method::POST,
        pr,
        "/projects",
        Some(json!({"name": "mine"})),
    )
    .await
    .expect(400);
    check(
        &w,
        &root,
        Method::POST,
        "/api/v4/projects/user/{user_id}",
        &format!("/projects/user/{}", w.guest.id),
        Some(json!({"name": "gift"})),
    )
    .await
    .expect(201);
    check(
        &w,
        &w.reporter,
        Method::GET,
        pid,
        &format!("/projects/{id}"),
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.maintainer,
        Method::PUT,
        pid,
        &format!("/projects/{id}"),
        Some(json!({"description": "d"})),
    )
    .await
    .expect(200);
    let mine = format!("/projects/{}%2Fmine", w.developer.username);
    check(&w, &w.developer, Method::DELETE, pid, &mine, None)
        .await
        .expect(202);

    for (kind, base) in [
        ("projects", format!("/projects/{id}/members")),
        ("groups", String::new()),
    ] {
        let base = if kind == "groups" {
            let group = check(
                &w,
                &root,
                Method::POST,
                "/api/v4/groups",
                "/groups",
                Some(json!({"name": "G", "path": "g"})),
            )
            .await;
            let gid = group.expect(201)["id"].as_i64().expect("id");
            check(
                &w,
                &root,
                Method::GET,
                "/api/v4/groups/{id}",
                &format!("/groups/{gid}"),
                None,
            )
            .await
            .expect(200);
            format!("/groups/{gid}/members")
        } else {
            base
        };
        let m = format!("/api/v4/{kind}/{{id}}/members");
        let mu = format!("/api/v4/{kind}/{{id}}/members/{{user_id}}");
        let who = format!("{base}/{}", w.outsider.id);
        check(&w, &root, Method::GET, &m, &base, None)
            .await
            .expect(200);
        check(
            &w,
            &root,
            Method::POST,
            &m,
            &base,
            Some(json!({"user_id": w.outsider.id, "access_level": 20, "expires_at": "2000-01-01"})),
        )
        .await
        .expect(400);
        check(
            &w,
            &root,
            Method::POST,
            &m,
            &base,
            Some(json!({"user_id": w.outsider.id, "access_level": 20})),
        )
        .await
        .expect(201);
        check(
            &w,
            &root,
            Method::POST,
            &m,
            &base,
            Some(json!({"user_id": w.outsider.id, "access_level": 20})),
        )
        .await
        .expect(409);
        check(&w, &root, Method::GET, &mu, &who, None)
            .await
            .expect(200);
        check(
            &w,
            &root,
            Method::PUT,
            &mu,
            &who,
            Some(json!({"access_level": 30, "expires_at": "2000-01-01"})),
        )
        .await
        .expect(400);
        check(
            &w,
            &root,
            Method::PUT,
            &mu,
            &who,
            Some(json!({"access_level": 30})),
        )
        .await
        .expect(200);
        check(&w, &root, Method::DELETE, &mu, &who, None)
            .await
            .expect(204);
        check(&w, &root, Method::GET, &mu, &who, None)
            .await
            .expect(404);
    }

    check(&w, &root, Method::GET, "/api/v4/user", "/user", None)
        .await
        .expect(200);
    check(
        &w,
        &Caller::anonymous(),
        Method::GET,
        "/api/v4/user",
        "/user",
        None,
    )
    .await
    .expect(401);
    check(
        &w,
        &root,
        Method::GET,
        "/api/v4/users",
        "/users?username=guest",
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &w.guest,
        Method::GET,
        "/api/v4/users/{user_id}",
        &format!("/users/{}", w.guest.id),
        None,
    )
    .await
    .expect(200);
    let user = check(
        &w,
        &root,
        Method::POST,
        "/api/v4/users",
        "/users",
        Some(json!({"username": "z", "name": "Z", "email": "z@example.com"})),
    )
    .await;
    let user_id = user.expect(201)["id"].as_i64().expect("id");
    check(
        &w,
        &root,
        Method::POST,
        "/api/v4/users",
        "/users",
        Some(json!({"username": "z", "name": "Z", "email": "z@example.com"})),
    )
    .await
    .expect(409);
    check(
        &w,
        &w.guest,
        Method::POST,
        "/api/v4/users",
        "/users",
        Some(json!({"username": "y", "name": "Y", "email": "y@example.com"})),
    )
    .await
    .expect(403);
    let tokens = "/api/v4/users/{user_id}/personal_access_tokens";
    let token = check(
        &w,
        &root,
        Method::POST,
        tokens,
        &format!("/users/{user_id}/personal_access_tokens"),
        Some(json!({"name": "t", "scopes": ["read_api"]})),
    )
    .await;
    let secret = token.expect(201)["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let token_id = token.body["id"].as_i64().expect("id");
    let z = Caller {
        id: user_id,
        username: "z".into(),
        token: Some(secret),
    };
    check(
        &w,
        &z,
        Method::GET,
        "/api/v4/personal_access_tokens/self",
        "/personal_access_tokens/self",
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &z,
        Method::POST,
        l,
        &links,
        Some(json!({"name": "q", "url": "https://e.x/q"})),
    )
    .await
    .expect(403);
    check(
        &w,
        &root,
        Method::GET,
        "/api/v4/personal_access_tokens/{token_id}",
        &format!("/personal_access_tokens/{token_id}"),
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &root,
        Method::DELETE,
        "/api/v4/personal_access_tokens/{token_id}",
        &format!("/personal_access_tokens/{token_id}"),
        None,
    )
    .await
    .expect(204);
    check(&w, &z, Method::GET, "/api/v4/user", "/user", None)
        .await
        .expect(401);
    check(
        &w,
        &w.guest,
        Method::DELETE,
        "/api/v4/personal_access_tokens/self",
        "/personal_access_tokens/self",
        None,
    )
    .await
    .expect(204);
    check(
        &w,
        &root,
        Method::POST,
        "/api/v4/projects/{id}/job_tokens",
        &format!("/projects/{id}/job_tokens"),
        Some(json!({"user_id": w.developer.id})),
    )
    .await
    .expect(201);
    check(&w, &root, Method::GET, "/api/v4/version", "/version", None)
        .await
        .expect(200);
    let events = check(
        &w,
        &root,
        Method::GET,
        "/api/v4/audit_events",
        "/audit_events",
        None,
    )
    .await;
    let event = events.expect(200)[0]["id"].clone();
    for (who, path, status) in [
        (&root, format!("/audit_events/{event}"), 200),
        (&root, "/audit_events/987654".to_owned(), 404),
        (&w.developer, format!("/audit_events/{event}"), 403),
    ] {
        check(
            &w,
            who,
            Method::GET,
            "/api/v4/audit_events/{id}",
            &path,
            None,
        )
        .await
        .expect(status);
    }
    check(
        &w,
        &Caller::anonymous(),
        Method::GET,
        "/-/liveness",
        "/-/liveness",
        None,
    )
    .await
    .expect(200);
    check(
        &w,
        &Caller::anonymous(),
        Method::GET,
        "/-/readiness",
        "/-/readiness",
        None,
    )
    .await
    .expect(200);
}
