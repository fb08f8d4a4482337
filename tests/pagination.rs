//! Offset pagination of the links list: order, the full header set, absolute Link URLs that carry
//! the route captures as GitLab's do, and the parameter rules.

use crate::common;

use common::World;
use serde_json::json;

async fn world_with_links(extra: usize) -> World {
    let w = World::new("private").await;
    for i in 0..extra {
        w.app
            .post(
                &w.developer,
                &w.links(),
                json!({"name": format!("l{i}"), "url": format!("https://e.x/{i}")}),
            )
            .await
            .expect(201);
    }
    w
}

#[tokio::test]
async fn pages_carry_gitlabs_headers_and_links() {
    let w = world_with_links(5).await; // 6 links in all
    let base = format!(
        "{}/api/v4/projects/{id}/releases/v1.0/assets/links",
        w.app.base,
        id = w.project_id
    );
    let link = |page: i64| {
        format!(
            "{base}?id={}&page={page}&per_page=2&tag_name=v1.0",
            w.project_id
        )
    };

    let first = w
        .app
        .get(&w.developer, &format!("{}?per_page=2", w.links()))
        .await;
    let names: Vec<&str> = first
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["l4", "l3"]);
    assert_eq!(first.header("x-total"), Some("6"));
    assert_eq!(first.header("x-total-pages"), Some("3"));
    assert_eq!(first.header("x-per-page"), Some("2"));
    assert_eq!(first.header("x-page"), Some("1"));
    assert_eq!(first.header("x-next-page"), Some("2"));
    assert_eq!(first.header("x-prev-page"), Some(""));
    assert_eq!(
        first.header("link"),
        Some(
            format!(
                "<{}>; rel=\"next\", <{}>; rel=\"first\", <{}>; rel=\"last\"",
                link(2),
                link(1),
                link(3)
            )
            .as_str()
        )
    );

    let second = w.app.get(&w.developer, &link(2)).await;
    assert_eq!(second.header("x-prev-page"), Some("1"));
    assert_eq!(second.header("x-next-page"), Some("3"));
    assert_eq!(
        second.header("link"),
        Some(
            format!(
                "<{}>; rel=\"prev\", <{}>; rel=\"next\", <{}>; rel=\"first\", <{}>; rel=\"last\"",
                link(1),
                link(3),
                link(1),
                link(3)
            )
            .as_str()
        )
    );

    let last = w.app.get(&w.developer, &link(3)).await;
    let names: Vec<&str> = last
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["l0", "first"]);
    assert_eq!(last.header("x-next-page"), Some(""));
    assert_eq!(last.header("x-prev-page"), Some("2"));
}

#[tokio::test]
async fn following_next_links_visits_every_link_once() {
    let w = world_with_links(24).await;
    let mut url = w.app.url(&format!("{}?per_page=7", w.links()));
    let mut seen = Vec::new();
    loop {
        let reply = w.app.get(&w.developer, &url).await;
        for link in reply.expect(200).as_array().expect("list") {
            seen.push(link["id"].as_i64().expect("id"));
        }
        let next = reply.header("link").and_then(|h| {
            h.split(", ")
                .find(|part| part.ends_with("rel=\"next\""))
                .map(str::to_owned)
        });
        match next {
            Some(part) => {
                url = part
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .expect("url")
                    .to_owned();
            }
            None => break,
        }
    }
    assert_eq!(seen.len(), 25);
    let mut sorted = seen.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first");
}

#[tokio::test]
async fn page_size_defaults_caps_and_refusals() {
    let w = world_with_links(25).await;
    let default = w.app.get(&w.developer, &w.links()).await;
    assert_eq!(default.expect(200).as_array().expect("list").len(), 20);
    assert_eq!(default.header("x-per-page"), Some("20"));
    let capped = w
        .app
        .get(&w.developer, &format!("{}?per_page=500", w.links()))
        .await;
    assert_eq!(capped.header("x-per-page"), Some("100"));
    assert_eq!(capped.expect(200).as_array().expect("list").len(), 26);
    let negative = w
        .app
        .get(&w.developer, &format!("{}?per_page=-4&page=-2", w.links()))
        .await;
    assert_eq!(
        (negative.header("x-per-page"), negative.header("x-page")),
        (Some("20"), Some("1"))
    );
    let zero = w
        .app
        .get(&w.developer, &format!("{}?per_page=0", w.links()))
        .await;
    assert_eq!(
        zero.expect(400),
        &json!({"error": "per_page has a value not allowed"})
    );
    let word = w
        .app
        .get(&w.developer, &format!("{}?page=two", w.links()))
        .await;
    assert_eq!(word.expect(400), &json!({"error": "page is invalid"}));
    let beyond = w
        .app
        .get(&w.developer, &format!("{}?page=9", w.links()))
        .await;
    assert_eq!(beyond.expect(200), &json!([]));
    assert_eq!(
        (beyond.header("x-next-page"), beyond.header("x-prev-page")),
        (Some(""), Some(""))
    );
}

#[tokio::test]
async fn an_empty_list_has_one_page() {
    let w = World::new("private").await;
    w.app.release(w.project_id, "v2.0").await;
    let reply = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/releases/v2.0/assets/links", w.project_id),
        )
        .await;
    assert_eq!(reply.expect(200), &json!([]));
    assert_eq!(reply.header("x-total"), Some("0"));
    assert_eq!(reply.header("x-total-pages"), Some("1"));
    assert_eq!(reply.header("x-page"), Some("1"));
}

#[tokio::test]
async fn links_created_together_are_ordered_by_id_newest_first() {
    let w = World::new("private").await;
    let links: Vec<_> = (0..4)
        .map(|i| json!({"name": format!("n{i}"), "url": format!("https://e.x/{i}")}))
        .collect();
    w.app
        .post(
            &w.app.root,
            &format!("/projects/{}/releases", w.project_id),
            json!({"tag_name": "v3", "assets": {"links": links}}),
        )
        .await
        .expect(201);
    let list = w
        .app
        .get(
            &w.developer,
            &format!("/projects/{}/releases/v3/assets/links", w.project_id),
        )
        .await;
    let names: Vec<&str> = list
        .expect(200)
        .as_array()
        .expect("list")
        .iter()
        .map(|l| l["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["n3", "n2", "n1", "n0"]);
}

#[tokio::test]
async fn link_headers_keep_other_query_parameters_and_encoded_paths() {
    let w = world_with_links(2).await;
    let encoded = w.project_path.replace('/', "%2F");
    let path = format!("/projects/{encoded}/releases/v1.0/assets/links?per_page=1&sudo=x");
    let reply = w.app.get(&w.developer, &path).await;
    let link = reply.header("link").expect("link");
    let expected = format!(
        "<{}/api/v4/projects/{encoded}/releases/v1.0/assets/links?id={encoded}&page=2&per_page=1&sudo=x&tag_name=v1.0>; rel=\"next\"",
        w.app.base
    );
    assert!(link.starts_with(&expected), "{link}");
}
