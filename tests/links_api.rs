//! The Release links API, end to end: shapes, status codes, validation messages, parameters.

use crate::common;

use common::{Caller, TestApp, World};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn create_returns_201_with_the_link_in_gitlabs_field_order() {
    let w = World::new("private").await;
    let reply = w
        .app
        .post(
            &w.maintainer,
            &w.links(),
            json!({"name": "app.dmg", "url": "https://example.com/app.dmg", "direct_asset_path": "/bin/app.dmg", "link_type": "package"}),
        )
        .await;
    let body = reply.expect(201);
    assert_eq!(reply.content_type(), "application/json");
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
            "url",
            "direct_asset_url",
            "external",
            "link_type"
        ]
    );
    assert_eq!(body["name"], "app.dmg");
    assert_eq!(body["link_type"], "package");
    assert_eq!(body["external"], true);
    assert_eq!(
        body["direct_asset_url"],
        format!(
            "{}/{}/-/releases/v1.0/downloads/bin/app.dmg",
            w.app.base, w.project_path
        )
    );
}

#[tokio::test]
async fn a_link_without_filepath_has_its_url_as_direct_asset_url() {
    let w = World::new("private").await;
    let body = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "n", "url": "https://example.com/x"}),
        )
        .await
        .expect(201)
        .clone();
    assert_eq!(body["direct_asset_url"], "https://example.com/x");
    assert_eq!(body["link_type"], "other");
}

#[tokio::test]
async fn a_url_inside_the_project_is_not_external() {
    let w = World::new("private").await;
    let url = format!("{}/{}/-/jobs/1/artifacts/file", w.app.base, w.project_path);
    let body = w
        .app
        .post(&w.developer, &w.links(), json!({"name": "n", "url": url}))
        .await
        .expect(201)
        .clone();
    assert_eq!(body["external"], false);
}

#[tokio::test]
async fn get_one_link() {
    let w = World::new("private").await;
    let body = w
        .app
        .get(&w.reporter, &w.link(w.link_id))
        .await
        .expect(200)
        .clone();
    assert_eq!(body["id"], w.link_id);
    assert_eq!(body["name"], "first");
}

#[tokio::test]
async fn delete_returns_the_deleted_link_with_200() {
    let w = World::new("private").await;
    let body = w
        .app
        .delete(&w.developer, &w.link(w.link_id))
        .await
        .expect(200)
        .clone();
    assert_eq!(body["id"], w.link_id);
    assert_eq!(body["name"], "first");
    let again = w.app.get(&w.developer, &w.link(w.link_id)).await;
    assert_eq!(again.expect(404), &json!({"message": "404 Not found"}));
}

#[tokio::test]
async fn update_changes_only_the_given_fields_and_keeps_link_type() {
    let w = World::new("private").await;
    let created = w
        .app
        .post(&w.developer, &w.links(), json!({"name": "n", "url": "https://e.x/1", "link_type": "runbook", "filepath": "/a/b"}))
        .await
        .expect(201)
        .clone();
    let id = created["id"].as_i64().expect("id");
    let updated = w
        .app
        .put(&w.developer, &w.link(id), json!({"name": "renamed"}))
        .await
        .expect(200)
        .clone();
    assert_eq!(updated["name"], "renamed");
    assert_eq!(updated["url"], "https://e.x/1");
    assert_eq!(updated["link_type"], "runbook");
    assert!(updated["direct_asset_url"]
        .as_str()
        .expect("url")
        .ends_with("/downloads/a/b"));
    let typed = w
        .app
        .put(
            &w.developer,
            &w.link(id),
            json!({"url": "https://e.x/2", "link_type": "image"}),
        )
        .await;
    assert_eq!(typed.expect(200)["link_type"], "image");
}

#[tokio::test]
async fn update_with_explicit_null_direct_asset_path_clears_the_filepath() {
    let w = World::new("private").await;
    let updated = w
        .app
        .put(
            &w.developer,
            &w.link(w.link_id),
            json!({"name": "first", "direct_asset_path": null}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(updated["direct_asset_url"], "https://example.com/first");
}

#[tokio::test]
async fn direct_asset_path_wins_over_filepath() {
    let w = World::new("private").await;
    let body = w
        .app
        .post(&w.developer, &w.links(), json!({"name": "n", "url": "https://e.x/n", "filepath": "/old/path", "direct_asset_path": "/new/path"}))
        .await
        .expect(201)
        .clone();
    assert!(body["direct_asset_url"]
        .as_str()
        .expect("url")
        .ends_with("/downloads/new/path"));
    let alias = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "m", "url": "https://e.x/m", "filepath": "/only/alias"}),
        )
        .await
        .expect(201)
        .clone();
    assert!(alias["direct_asset_url"]
        .as_str()
        .expect("url")
        .ends_with("/downloads/only/alias"));
}

#[tokio::test]
async fn form_bodies_work_like_the_seed_curl_examples() {
    let w = World::new("private").await;
    let reply = w
        .app
        .form(
            &w.developer,
            Method::POST,
            &w.links(),
            &[
                ("name", "hellodarwin-amd64"),
                ("url", "https://e.x/hello"),
                ("direct_asset_path", "/bin/hellodarwin-amd64"),
            ],
        )
        .await;
    assert_eq!(reply.expect(201)["name"], "hellodarwin-amd64");
    let id = reply.body["id"].as_i64().expect("id");
    let updated = w
        .app
        .form(
            &w.developer,
            Method::PUT,
            &w.link(id),
            &[("name", "new name"), ("link_type", "runbook")],
        )
        .await;
    assert_eq!(updated.expect(200)["link_type"], "runbook");
}

#[tokio::test]
async fn query_string_parameters_are_read_too() {
    let w = World::new("private").await;
    let path = format!("{}?name=q&url=https%3A%2F%2Fe.x%2Fq", w.links());
    let reply = w.app.send(&w.developer, Method::POST, &path, None).await;
    assert_eq!(reply.expect(201)["name"], "q");
}

#[tokio::test]
async fn url_whitespace_is_stripped_before_saving() {
    let w = World::new("private").await;
    let body = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "n", "url": "  https://e.x/s \n"}),
        )
        .await;
    assert_eq!(body.expect(201)["url"], "https://e.x/s");
}

#[tokio::test]
async fn missing_required_parameters_are_grape_errors() {
    let w = World::new("private").await;
    let cases = [
        (json!({"url": "https://e.x"}), "name is missing"),
        (json!({"name": "n"}), "url is missing"),
        (json!({}), "name is missing, url is missing"),
        (
            json!({"name": "n", "url": "https://e.x", "link_type": "bogus"}),
            "link_type does not have a valid value",
        ),
        (
            json!({"name": ["a"], "url": "https://e.x"}),
            "name is invalid",
        ),
    ];
    for (body, error) in cases {
        let reply = w.app.post(&w.developer, &w.links(), body).await;
        assert_eq!(reply.expect(400), &json!({ "error": error }));
    }
}

#[tokio::test]
async fn put_needs_name_or_url() {
    let w = World::new("private").await;
    for body in [
        json!({}),
        json!({"link_type": "image"}),
        json!({"direct_asset_path": "/x/y"}),
    ] {
        let reply = w.app.put(&w.developer, &w.link(w.link_id), body).await;
        assert_eq!(
            reply.expect(400),
            &json!({"error": "name, url are missing, at least one parameter must be provided"})
        );
    }
}

#[tokio::test]
async fn non_integer_link_id_is_a_parameter_error() {
    let w = World::new("private").await;
    let reply = w.app.get(&w.developer, &format!("{}/abc", w.links())).await;
    assert_eq!(reply.expect(400), &json!({"error": "link_id is invalid"}));
}

#[tokio::test]
async fn validation_messages_match_gitlab() {
    let w = World::new("private").await;
    let cases = [
        (
            json!({"name": "", "url": "https://e.x/a"}),
            json!(["Name can't be blank"]),
        ),
        (
            json!({"name": "n", "url": ""}),
            json!(["Url can't be blank", "Url must be a valid URL"]),
        ),
        (
            json!({"name": "n", "url": "wrong_url"}),
            json!(["Url is blocked: Only allowed schemes are http, https, ftp"]),
        ),
        (
            json!({"name": "n", "url": "torrent://e.x/a"}),
            json!(["Url is blocked: Only allowed schemes are http, https, ftp"]),
        ),
        (
            json!({"name": "n", "url": "https://e.x/a\nb"}),
            json!(["Url is blocked: URI is invalid"]),
        ),
        (
            json!({"name": "n", "url": "http://-bad.example/"}),
            json!(["Url is blocked: Hostname or IP address invalid"]),
        ),
        (
            json!({"name": "n", "url": "https://e.x/b", "filepath": "no-slash"}),
            json!(["Filepath is in an invalid format"]),
        ),
        (
            json!({"name": "n", "url": "https://e.x/c", "filepath": ""}),
            json!(["Filepath is in an invalid format"]),
        ),
        (
            json!({"name": "n", "url": "https://e.x/d", "filepath": format!("/{}", "a".repeat(128))}),
            json!(["Filepath is too long (maximum is 128 characters)"]),
        ),
        (
            json!({"name": null, "url": null}),
            json!([
                "Url can't be blank",
                "Url must be a valid URL",
                "Name can't be blank"
            ]),
        ),
    ];
    for (body, messages) in cases {
        let reply = w.app.post(&w.developer, &w.links(), body.clone()).await;
        assert_eq!(
            reply.expect(400),
            &json!({ "message": messages }),
            "for {body}"
        );
    }
}

#[tokio::test]
async fn name_url_and_filepath_are_unique_within_a_release() {
    let w = World::new("private").await;
    let same = w
        .app
        .post(&w.developer, &w.links(), json!({"name": "first", "url": "https://example.com/first", "direct_asset_path": "/bin/first"}))
        .await;
    assert_eq!(
        same.expect(400),
        &json!({"message": ["Url has already been taken", "Name has already been taken", "Filepath has already been taken"]})
    );
    let name_only = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "first", "url": "https://example.com/other"}),
        )
        .await;
    assert_eq!(
        name_only.expect(400),
        &json!({"message": ["Name has already been taken"]})
    );
    // Case matters, and another release may reuse everything.
    w.app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "First", "url": "https://example.com/First"}),
        )
        .await
        .expect(201);
    w.app.release(w.project_id, "v2.0").await;
    let other_release = format!("/projects/{}/releases/v2.0/assets/links", w.project_id);
    w.app
        .post(&w.developer, &other_release, json!({"name": "first", "url": "https://example.com/first", "direct_asset_path": "/bin/first"}))
        .await
        .expect(201);
}

#[tokio::test]
async fn renaming_into_a_taken_name_is_refused_but_keeping_ones_own_is_fine() {
    let w = World::new("private").await;
    let second = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "second", "url": "https://e.x/2"}),
        )
        .await;
    let id = second.expect(201)["id"].as_i64().expect("id");
    let clash = w
        .app
        .put(&w.developer, &w.link(id), json!({"name": "first"}))
        .await;
    assert_eq!(
        clash.expect(400),
        &json!({"message": ["Name has already been taken"]})
    );
    w.app
        .put(&w.developer, &w.link(id), json!({"name": "second"}))
        .await
        .expect(200);
}

#[tokio::test]
async fn an_update_answers_in_gitlabs_order_without_reading_the_link_first() {
    let w = World::new("private").await;
    // A link that is not there: 404 whether the change is valid or not (404 comes first).
    for body in [
        json!({"name": "fine"}),
        json!({"url": "javascript:alert(1)"}),
    ] {
        assert_eq!(
            w.app
                .put(&w.developer, &w.link(999_999), body)
                .await
                .expect(404),
            &json!({"message": "404 Not found"})
        );
    }
    // A bad change and a taken URL: every message of the link as it would be.
    let second = w
        .app
        .post(
            &w.developer,
            &w.links(),
            json!({"name": "second", "url": "https://e.x/2"}),
        )
        .await;
    let id = second.expect(201)["id"].as_i64().expect("id");
    let both = w
        .app
        .put(
            &w.developer,
            &w.link(id),
            json!({"name": " ", "url": "https://e.x/2"}),
        )
        .await;
    assert_eq!(
        both.expect(400),
        &json!({"message": ["Name can't be blank"]})
    );
    let taken_and_bad = w
        .app
        .put(
            &w.developer,
            &w.link(w.link_id),
            json!({"name": " ", "url": "https://e.x/2"}),
        )
        .await;
    assert_eq!(
        taken_and_bad.expect(400),
        &json!({"message": ["Url has already been taken", "Name can't be blank"]})
    );
    // A valid change that takes a URL: found by the unique rule, the same message.
    let taken = w
        .app
        .put(
            &w.developer,
            &w.link(w.link_id),
            json!({"url": "https://e.x/2"}),
        )
        .await;
    assert_eq!(
        taken.expect(400),
        &json!({"message": ["Url has already been taken"]})
    );
    // What failed changed nothing.
    let first = w.app.get(&w.developer, &w.link(w.link_id)).await;
    assert_ne!(first.expect(200)["url"], "https://e.x/2");
}

#[tokio::test]
async fn missing_release_and_link_are_lowercase_not_found() {
    let w = World::new("private").await;
    let path = format!("/projects/{}/releases/v9.9/assets/links", w.project_id);
    assert_eq!(
        w.app.get(&w.developer, &path).await.expect(404),
        &json!({"message": "404 Not found"})
    );
    assert_eq!(
        w.app.get(&w.developer, &w.link(999_999)).await.expect(404),
        &json!({"message": "404 Not found"})
    );
    assert_eq!(
        w.app
            .get(&w.developer, "/projects/999999/releases/v1.0/assets/links")
            .await
            .expect(404),
        &json!({"message": "404 Project Not Found"})
    );
}

#[tokio::test]
async fn a_link_of_another_release_is_not_found() {
    let w = World::new("private").await;
    w.app.release(w.project_id, "v2.0").await;
    let path = format!(
        "/projects/{}/releases/v2.0/assets/links/{}",
        w.project_id, w.link_id
    );
    assert_eq!(
        w.app.get(&w.developer, &path).await.expect(404),
        &json!({"message": "404 Not found"})
    );
    assert_eq!(
        w.app.delete(&w.developer, &path).await.expect(404),
        &json!({"message": "404 Not found"})
    );
}

#[tokio::test]
async fn projects_are_found_by_encoded_path_and_tags_may_hold_slashes() {
    let w = World::new("private").await;
    w.app.release(w.project_id, "release/1.0").await;
    let encoded = w.project_path.replace('/', "%2F");
    let path = format!("/projects/{encoded}/releases/release%2F1.0/assets/links");
    let created = w
        .app
        .post(
            &w.developer,
            &path,
            json!({"name": "n", "url": "https://e.x/n", "filepath": "/bin/n"}),
        )
        .await;
    let body = created.expect(201);
    assert_eq!(
        body["direct_asset_url"],
        format!(
            "{}/{}/-/releases/release%2F1.0/downloads/bin/n",
            w.app.base, w.project_path
        )
    );
    let upper = format!(
        "/projects/{}/releases/release%2F1.0/assets/links",
        encoded.to_uppercase()
    );
    assert_eq!(
        w.app
            .get(&w.developer, &upper)
            .await
            .expect(200)
            .as_array()
            .expect("list")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_project_id_without_slash_that_is_not_a_number_is_not_found() {
    let w = World::new("private").await;
    let reply = w
        .app
        .get(&w.developer, "/projects/app/releases/v1.0/assets/links")
        .await;
    assert_eq!(
        reply.expect(404),
        &json!({"message": "404 Project Not Found"})
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_grape_404s() {
    let app = TestApp::start().await;
    for (method, path) in [
        (Method::GET, "/api/v4/nothing"),
        (Method::PATCH, "/api/v4/projects/1/releases/v1/assets/links"),
        (Method::GET, "/elsewhere"),
    ] {
        let reply = app.send(&app.root, method, path, None).await;
        assert_eq!(reply.expect(404), &json!({"error": "404 Not Found"}));
        assert_eq!(reply.content_type(), "application/json");
    }
}

#[tokio::test]
async fn anonymous_callers_read_public_projects() {
    let w = World::new("public").await;
    let reply = w.app.get(&Caller::anonymous(), &w.links()).await;
    assert_eq!(reply.expect(200).as_array().expect("list").len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_creates_of_the_same_link_give_exactly_one_201() {
    let w = World::new("private").await;
    let links = w.links();
    let attempts = (0..24).map(|_| {
        w.app.post(
            &w.developer,
            &links,
            json!({"name": "race", "url": "https://e.x/race", "filepath": "/race/bin"}),
        )
    });
    let replies = futures::future::join_all(attempts).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(created, 1);
    for reply in replies.iter().filter(|r| r.status != 201) {
        assert_eq!(
            reply.expect(400),
            &json!({"message": ["Url has already been taken", "Name has already been taken", "Filepath has already been taken"]})
        );
    }
    let all = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(all.expect(200).as_array().expect("list").len(), 2);
}

#[tokio::test]
async fn head_requests_are_answered_like_get_without_a_body() {
    let w = World::new("private").await;
    let reply = w
        .app
        .send(&w.developer, Method::HEAD, &w.links(), None)
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("x-total"), Some("1"));
    assert!(reply.text.is_empty());
    // The length GET's answer has, as Rack answers HEAD.
    let get = w.app.get(&w.developer, &w.links()).await;
    let length = get.text.len().to_string();
    assert_eq!(reply.header("content-length"), Some(length.as_str()));
}
