//! Schemathesis (pinned in `clients/schemathesis/`) against the OpenAPI document relinks serves:
//! generated requests over every operation, with a valid administrator's token and with an
//! invalid one. No answer may be a 5xx, and every answer must conform to the document (status
//! code, content type, headers, body schema). `scripts/test` installs it;
//! a missing install fails instead of skipping.

use crate::common;

use std::path::{Path, PathBuf};

use serde_json::json;

use common::{TestApp, ROOT_TOKEN};

/// Operations that revoke the token they are called with: run apart, with a token to spare.
const REVOKING: &str = "^/api/v4/personal_access_tokens/";

fn schemathesis() -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/schemathesis/.venv/bin/schemathesis");
    // Missing, it fails the test: a test that did not run must not count as passed.
    assert!(
        path.exists(),
        "Schemathesis is not installed at {} (scripts/test installs it)",
        path.display()
    );
    Some(path)
}

/// One run; returns how many test cases it generated.
async fn run(
    binary: &Path,
    app: &TestApp,
    (label, token): (&str, &str),
    filter: &[&str],
    examples: u32,
) -> u64 {
    let report = tempfile::tempdir().expect("report dir");
    let output = tokio::process::Command::new(binary)
        .arg("run")
        .arg(format!("{}/api/v4/openapi.json", app.base))
        .args(["--url", &app.base])
        .args(["--header", &format!("PRIVATE-TOKEN: {token}")])
        .args(["--max-examples", &examples.to_string()])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,\
             response_schema_conformance,response_headers_conformance",
        ])
        .args(["--suppress-health-check", "all"])
        .args(["--seed", "20261129"])
        // One worker: with two, Python 3.11 sometimes fails compiling Schemathesis' own code in
        // parallel threads ("AST constructor recursion depth mismatch"), a crash of the tool.
        .args(["--workers", "1"])
        // The stateful phase infers links between operations that it then finds invalid.
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(filter)
        .arg("--report-dir")
        .arg(report.path())
        .env("NO_COLOR", "1")
        .current_dir(report.path())
        .output()
        .await
        .expect("schemathesis runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "Schemathesis found failures:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // "Test cases:\n  2710 generated, …"
    let generated = stdout
        .lines()
        .filter_map(|line| line.trim().split_once(" generated,"))
        .find_map(|(count, _)| count.trim().parse().ok())
        .unwrap_or_else(|| panic!("no count of generated cases in:\n{stdout}"));
    eprintln!("{generated} generated requests ({label}, {filter:?})");
    generated
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_requests_get_no_5xx_and_conform_to_the_document() {
    let Some(binary) = schemathesis() else {
        return;
    };
    let app = TestApp::start().await;
    // Something to find: a project, a release with a link, a member, a protected tag.
    let project = app.project("app", "private", None).await;
    let id = project["id"].as_i64().expect("id");
    let release = format!("/projects/{id}/releases");
    app.post(
        &app.root,
        &release,
        json!({"tag_name": "v1", "assets": {"links": [
            {"name": "app", "url": "https://e.x/app", "direct_asset_path": "/bin/app"}
        ]}}),
    )
    .await
    .expect(201);
    let developer = app.user("dev").await;
    app.add_member(id, &developer, 30).await;
    let spare = app.user_with("spare", true, &["api"]).await;

    let spare_token = spare.token.clone().expect("token");
    let runs = [
        (
            "an administrator's token",
            ROOT_TOKEN,
            &["--exclude-path-regex", REVOKING][..],
            15,
        ),
        (
            "an invalid token",
            "glpat-not-a-valid-token-00000000",
            &[][..],
            5,
        ),
        (
            "a token to spare",
            spare_token.as_str(),
            &["--include-path-regex", REVOKING][..],
            25,
        ),
    ];
    // The three runs at once: each is one single-threaded Python process, and their operations
    // do not meet (the administrator's run leaves out what the spare token revokes).
    let counts =
        futures::future::join_all(runs.into_iter().map(|(label, token, filter, examples)| {
            run(&binary, &app, (label, token), filter, examples)
        }))
        .await;
    let generated: u64 = counts.into_iter().sum();
    eprintln!("{generated} generated requests in all");
    assert!(
        generated >= 2_000,
        "only {generated} requests were generated"
    );
}
