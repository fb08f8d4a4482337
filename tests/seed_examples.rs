//! The curl examples of GitLab's Release links API page (https://docs.gitlab.com/api/releases/links/),
//! run with the real `curl`, with only the host, token, project id, tag and link id changed.

use crate::common;

use common::World;
use serde_json::Value;

/// Runs a shell command line as written in the documentation and parses what curl prints.
async fn run(command: String) -> Value {
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&command)
        .output()
        .await
        .expect("curl runs");
    assert!(
        output.status.success(),
        "{command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "{command} printed no JSON: {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[tokio::test]
async fn the_documented_curl_examples_give_the_documented_answers() {
    let w = World::new("private").await;
    let host = w.app.base.clone();
    let token = w.developer.token.clone().expect("token");
    let project = w.project_id;
    w.app.release(project, "v1.7.0").await;

    // Create a release link.
    let created = run(format!(
        r#"curl --request POST \
--header "PRIVATE-TOKEN: {token}" \
--data name="hellodarwin-amd64" \
--data url="https://gitlab.example.com/mynamespace/hello/-/jobs/688/artifacts/raw/bin/hello-darwin-amd64" \
--data direct_asset_path="/bin/hellodarwin-amd64" \
"{host}/api/v4/projects/{project}/releases/v1.7.0/assets/links""#
    ))
    .await;
    assert_eq!(created["name"], "hellodarwin-amd64");
    assert_eq!(
        created["url"],
        "https://gitlab.example.com/mynamespace/hello/-/jobs/688/artifacts/raw/bin/hello-darwin-amd64"
    );
    assert_eq!(
        created["direct_asset_url"],
        format!(
            "{host}/{}/-/releases/v1.7.0/downloads/bin/hellodarwin-amd64",
            w.project_path
        )
    );
    assert_eq!(created["external"], true);
    assert_eq!(created["link_type"], "other");
    let link = created["id"].as_i64().expect("id");

    // List links of a release.
    let listed = run(format!(
        r#"curl --header "PRIVATE-TOKEN: {token}" "{host}/api/v4/projects/{project}/releases/v1.7.0/assets/links""#
    ))
    .await;
    assert_eq!(listed.as_array().expect("array").len(), 1);
    assert_eq!(listed[0]["id"], link);

    // Get a release link.
    let one = run(format!(
        r#"curl --header "PRIVATE-TOKEN: {token}" "{host}/api/v4/projects/{project}/releases/v1.7.0/assets/links/{link}""#
    ))
    .await;
    assert_eq!(one, created);

    // Update a release link.
    let updated = run(format!(
        r#"curl --request PUT --data name="new name" --data link_type="runbook" \
--header "PRIVATE-TOKEN: {token}" \
"{host}/api/v4/projects/{project}/releases/v1.7.0/assets/links/{link}""#
    ))
    .await;
    assert_eq!(updated["id"], link);
    assert_eq!(updated["name"], "new name");
    assert_eq!(updated["link_type"], "runbook");

    // Delete a release link: the answer is the deleted link.
    let deleted = run(format!(
        r#"curl --request DELETE --header "PRIVATE-TOKEN: {token}" "{host}/api/v4/projects/{project}/releases/v1.7.0/assets/links/{link}""#
    ))
    .await;
    assert_eq!(deleted, updated);
    let after = run(format!(
        r#"curl --header "PRIVATE-TOKEN: {token}" "{host}/api/v4/projects/{project}/releases/v1.7.0/assets/links""#
    ))
    .await;
    assert_eq!(after, Value::Array(Vec::new()));
}
