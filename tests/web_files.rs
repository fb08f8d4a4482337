//! Hosted files on the pages: a release page shows each hosted file's size and SHA-256 beside
//! its link, and a project's packages have pages of their own (the `web_path` the Packages
//! API hands out), for whoever may read the project's packages.

use crate::common;

use serde_json::json;

use common::files::{random_bytes, sha256_hex};
use common::{Caller, World};

fn generic(project: i64, rest: &str) -> String {
    format!("/projects/{project}/packages/generic/{rest}")
}

async fn page(w: &World, caller: &Caller, path: &str) -> (u16, String) {
    let reply = w.app.get(caller, &w.app.web_url(path)).await;
    (reply.status, reply.text)
}

#[tokio::test]
async fn a_release_page_shows_the_size_and_digest_of_hosted_files() {
    let w = World::new("public").await;
    let bytes = random_bytes(3_250_000);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "app/1.0/app.tar.gz"),
            bytes.clone(),
        )
        .await
        .expect(201);
    let upload = w
        .app
        .upload(&w.developer, w.project_id, "notes.pdf", vec![1; 812])
        .await;
    let upload_url = format!(
        "{}{}",
        w.app.base,
        upload.expect(201)["full_path"].as_str().expect("path")
    );
    let package_url = w.app.url(&generic(w.project_id, "app/1.0/app.tar.gz"));
    for (name, url) in [
        ("app", package_url.as_str()),
        ("notes", upload_url.as_str()),
        ("elsewhere", "https://example.com/x.zip"),
    ] {
        w.app
            .post(&w.developer, &w.links(), json!({"name": name, "url": url}))
            .await
            .expect(201);
    }
    let (status, html) = page(
        &w,
        &Caller::anonymous(),
        &format!("/{}/-/releases/v1.0", w.project_path),
    )
    .await;
    assert_eq!(status, 200);
    let sha = sha256_hex(&bytes);
    assert!(
        html.contains(&format!(
            "3.1 MiB · SHA-256 <code class=\"digest\">{sha}</code>"
        )),
        "{html}"
    );
    assert!(html.contains(&format!("data-copy=\"{sha}\"")));
    assert!(html.contains(&format!(
        "812 B · SHA-256 <code class=\"digest\">{}</code>",
        sha256_hex(&[1; 812])
    )));
    assert_eq!(
        html.matches("class=\"digest\"").count(),
        2,
        "nothing for a link elsewhere"
    );
}

#[tokio::test]
async fn a_project_s_packages_have_pages_of_their_own() {
    let w = World::new("private").await;
    let bytes = random_bytes(2000);
    w.app
        .put_file(
            &w.developer,
            &generic(w.project_id, "app/1.0/dir/app.bin"),
            bytes.clone(),
        )
        .await
        .expect(201);
    w.app
        .put_file(
            &w.developer,
            &format!(
                "{}?status=hidden",
                generic(w.project_id, "secret/1.0/s.bin")
            ),
            vec![1],
        )
        .await
        .expect(201);
    let list = w
        .app
        .get(&w.reporter, &format!("/projects/{}/packages", w.project_id))
        .await;
    let web_path = list.expect(200)[0]["_links"]["web_path"]
        .as_str()
        .expect("web_path")
        .to_owned();
    let packages = format!("/{}/-/packages", w.project_path);
    let (status, html) = page(&w, &w.reporter, &packages).await;
    assert_eq!(status, 200);
    assert!(html.contains("app 1.0"), "{html}");
    assert!(!html.contains("secret"), "hidden packages are not listed");
    assert!(html.contains(&sha256_hex(&bytes)));
    assert!(
        html.contains(&format!(
            "href=\"{}\"",
            w.app.url(&generic(w.project_id, "app/1.0/dir/app.bin"))
        )),
        "{html}"
    );
    let (status, html) = page(&w, &w.reporter, &web_path).await;
    assert_eq!(status, 200);
    assert!(html.contains("dir/app.bin"));
    for caller in [Caller::anonymous(), w.outsider.clone(), w.guest.clone()] {
        let (status, _) = page(&w, &caller, &packages).await;
        assert_eq!(status, 404, "{}", caller.username);
        let (status, _) = page(&w, &caller, &web_path).await;
        assert_eq!(status, 404, "{}", caller.username);
    }
    let (status, _) = page(&w, &w.reporter, &format!("{packages}/999999")).await;
    assert_eq!(status, 404);
}
