//! The explicit order of a release's links (relinks' extension, issue 17):
//! `PUT …/assets/links/order` with `{"ids": […]}` lists the links in that order from then on,
//! wherever they appear; links created afterwards go to the end; without an order, GitLab's
//! newest first.

use crate::common;

use common::{names, Caller, World};
use serde_json::json;

/// The names of release v1.0's links in every view: the links list, its pages of one link,
/// the release, the releases list, and the release page (in the order the page shows them).
async fn every_view(w: &World, caller: &Caller) -> Vec<Vec<String>> {
    let list = w
        .app
        .get(caller, &format!("{}?per_page=100", w.links()))
        .await;
    let all = names(list.expect(200));
    let mut paged = Vec::new();
    for page in 1..=all.len() {
        let reply = w
            .app
            .get(caller, &format!("{}?per_page=1&page={page}", w.links()))
            .await;
        paged.extend(names(reply.expect(200)));
    }
    let releases = format!("/projects/{}/releases", w.project_id);
    let release = w.app.get(caller, &format!("{releases}/v1.0")).await;
    let listed = w.app.get(caller, &releases).await;
    let v1 = listed
        .expect(200)
        .as_array()
        .expect("releases")
        .iter()
        .find(|r| r["tag_name"] == "v1.0")
        .expect("v1.0")
        .clone();
    let page = w
        .app
        .client
        .get(
            w.app
                .web_url(&format!("/{}/-/releases/v1.0", w.project_path)),
        )
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    // Each link is an anchor whose text is its name (and an arrow when it is external).
    let anchor = |name: &str| {
        let text = format!("noreferrer\">{name}");
        page.match_indices(&text)
            .map(|(at, _)| at)
            .find(|at| matches!(page.as_bytes().get(at + text.len()), Some(b' ' | b'<')))
            .unwrap_or_else(|| panic!("{name} is not on the page"))
    };
    let mut on_page: Vec<(usize, String)> = all.iter().map(|n| (anchor(n), n.clone())).collect();
    on_page.sort();
    vec![
        all,
        paged,
        names(&release.expect(200)["assets"]["links"]),
        names(&v1["assets"]["links"]),
        on_page.into_iter().map(|(_, n)| n).collect(),
    ]
}

fn everywhere(order: &[&str]) -> Vec<Vec<String>> {
    let order: Vec<String> = order.iter().map(|n| (*n).to_owned()).collect();
    vec![order; 5]
}

async fn link_ids(w: &World) -> Vec<(String, i64)> {
    let list = w
        .app
        .get(&w.app.root, &format!("{}?per_page=100", w.links()))
        .await;
    list.expect(200)
        .as_array()
        .expect("array")
        .iter()
        .map(|l| {
            (
                l["name"].as_str().expect("name").to_owned(),
                l["id"].as_i64().expect("id"),
            )
        })
        .collect()
}

fn id_of(ids: &[(String, i64)], name: &str) -> i64 {
    ids.iter().find(|(n, _)| n == name).expect(name).1
}

#[tokio::test]
async fn an_order_holds_everywhere_and_new_links_go_to_the_end() {
    let w = World::new("public").await;
    let root = w.app.root.clone();
    for name in ["b", "c"] {
        w.app
            .post(
                &root,
                &w.links(),
                json!({"name": name, "url": format!("https://e.x/{name}")}),
            )
            .await
            .expect(201);
    }
    // GitLab's order until one is set: newest first ("first" is World's own link).
    let anonymous = Caller::anonymous();
    assert_eq!(
        every_view(&w, &anonymous).await,
        everywhere(&["c", "b", "first"])
    );

    let ids = link_ids(&w).await;
    let order = json!({"ids": [id_of(&ids, "first"), id_of(&ids, "c"), id_of(&ids, "b")]});
    let ordered = w
        .app
        .put(&w.developer, &format!("{}/order", w.links()), order)
        .await;
    assert_eq!(names(ordered.expect(200)), ["first", "c", "b"]);
    assert_eq!(ordered.body[0]["id"], json!(id_of(&ids, "first")));
    assert_eq!(
        every_view(&w, &anonymous).await,
        everywhere(&["first", "c", "b"])
    );

    // Created afterwards: at the end, in the order they came.
    for name in ["d", "e"] {
        w.app
            .post(
                &root,
                &w.links(),
                json!({"name": name, "url": format!("https://e.x/{name}")}),
            )
            .await
            .expect(201);
    }
    assert_eq!(
        every_view(&w, &anonymous).await,
        everywhere(&["first", "c", "b", "d", "e"])
    );

    // A rename and a delete keep the others' places.
    w.app
        .put(&root, &w.link(id_of(&ids, "c")), json!({"name": "c2"}))
        .await
        .expect(200);
    w.app
        .delete(&root, &w.link(id_of(&ids, "b")))
        .await
        .expect(200);
    assert_eq!(
        every_view(&w, &anonymous).await,
        everywhere(&["first", "c2", "d", "e"])
    );

    // The order is audited as changes of the links' places.
    let events = w.app.get(&root, "/audit_events?per_page=100").await;
    let placed = events
        .expect(200)
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| {
            e["details"]["from"]["position"].is_null() && e["details"]["to"]["position"] == json!(2)
        })
        .count();
    assert_eq!(placed, 1, "one link was put second by the order");
}

#[tokio::test]
async fn an_order_must_name_every_link_once_and_is_refused_as_gitlab_refuses() {
    let w = World::new("private").await;
    let root = w.app.root.clone();
    w.app
        .post(
            &root,
            &w.links(),
            json!({"name": "b", "url": "https://e.x/b"}),
        )
        .await
        .expect(201);
    let ids = link_ids(&w).await;
    let (first, b) = (id_of(&ids, "first"), id_of(&ids, "b"));
    let path = format!("{}/order", w.links());
    let refused = |reply: &common::Reply, body: &str| {
        assert_eq!((reply.status, reply.text.as_str()), (400, body));
    };
    let incomplete = r#"{"message":"ids must list every link of the release exactly once"}"#;
    for ids in [
        json!([first]),
        json!([first, b, b]),
        json!([first, first]),
        json!([first, b + 1000]),
        json!([]),
    ] {
        refused(
            &w.app.put(&root, &path, json!({"ids": ids})).await,
            incomplete,
        );
    }
    refused(
        &w.app.put(&root, &path, json!({})).await,
        r#"{"error":"ids is missing"}"#,
    );
    for ids in [json!("x"), json!(["x"]), json!([1.5]), json!({"a": 1})] {
        refused(
            &w.app.put(&root, &path, json!({"ids": ids})).await,
            r#"{"error":"ids is invalid"}"#,
        );
    }
    // Nothing changed: still newest first.
    assert_eq!(
        link_ids(&w)
            .await
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["b", "first"]
    );

    // Parameters first, then the caller, the project, the release, the permission.
    let order = json!({"ids": [first, b]});
    let reporter = w.app.put(&w.reporter, &path, order.clone()).await;
    assert_eq!(
        (reporter.status, reporter.text.as_str()),
        (403, r#"{"message":"403 Forbidden"}"#)
    );
    let outsider = w.app.put(&w.outsider, &path, order.clone()).await;
    assert_eq!(
        (outsider.status, outsider.text.as_str()),
        (404, r#"{"message":"404 Project Not Found"}"#)
    );
    let missing = w
        .app
        .put(
            &root,
            &format!("/projects/{}/releases/v9/assets/links/order", w.project_id),
            order.clone(),
        )
        .await;
    assert_eq!(
        (missing.status, missing.text.as_str()),
        (404, r#"{"message":"404 Not found"}"#)
    );
    let anonymous = w.app.put(&Caller::anonymous(), &path, order.clone()).await;
    assert_eq!(anonymous.status, 404);

    // A form body works as Grape reads it (ids[]=…).
    let form = w
        .app
        .client
        .put(w.app.url(&path))
        .header("PRIVATE-TOKEN", root.token.clone().expect("token"))
        .form(&[("ids[]", first.to_string()), ("ids[]", b.to_string())])
        .send()
        .await
        .expect("answered");
    let form = common::into_reply(form).await;
    assert_eq!(names(form.expect(200)), ["first", "b"]);
}
