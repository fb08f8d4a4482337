//! The real GitLab clients, unmodified, against relinks: python-gitlab (library and CLI),
//! @gitbeaker/rest, semantic-release with @semantic-release/gitlab, and release-it. Their own
//! test files live in `clients/`; this starts relinks (on this run's engine) and runs them
//! against it.
//!
//! `scripts/test` installs the pinned clients first; a missing client is a failure, not a skip.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{TestApp, ROOT_TOKEN};

fn clients_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("clients")
}

/// Whether a client is installed: a missing one fails the test (a test that did not run must
/// not count as passed); `scripts/test` installs them all.
fn installed(path: &Path, what: &str) -> bool {
    assert!(
        path.exists(),
        "{what} is not installed at {} (scripts/test installs it)",
        path.display()
    );
    true
}

async fn run(mut command: tokio::process::Command, app: &TestApp, what: &str) {
    let output = command
        .env("GITLAB_URL", &app.base)
        .env("GITLAB_ROOT_TOKEN", ROOT_TOKEN)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap_or_else(|e| panic!("{what} could not start: {e}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{what} failed:\n{stdout}\n{stderr}"
    );
    eprintln!(
        "{what}:\n{}",
        stdout
            .lines()
            .rev()
            .take(12)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_gitlab_library_and_command_line() {
    let python = clients_dir().join("python/.venv/bin/python");
    if !installed(&python, "python-gitlab") {
        return;
    }
    let app = TestApp::start().await;
    let mut command = tokio::process::Command::new(python);
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(clients_dir().join("python"));
    run(command, &app, "python-gitlab").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gitbeaker_and_semantic_release() {
    let node_modules = clients_dir().join("node/node_modules");
    if !installed(&node_modules, "the npm clients") {
        return;
    }
    let app = TestApp::start().await;
    let mut command = tokio::process::Command::new("node");
    command
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg(clients_dir().join("node/tests"))
        .current_dir(clients_dir().join("node"));
    run(command, &app, "gitbeaker and semantic-release").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_pages_in_headless_chromium() {
    let node_modules = clients_dir().join("node/node_modules/playwright-core");
    let chromium = Path::new("/usr/bin/chromium");
    if !installed(&node_modules, "playwright-core") || !installed(chromium, "Debian's chromium") {
        return;
    }
    let app = TestApp::start().await;
    // Screenshots are kept as artifacts of the run, one folder per engine.
    let engine = if common::testing_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let shots = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(engine);
    let mut command = tokio::process::Command::new("node");
    command
        .arg("--test")
        .arg("--test-reporter=spec")
        .arg(clients_dir().join("node/browser"))
        .env("SCREENSHOT_DIR", &shots)
        .current_dir(clients_dir().join("node"));
    run(command, &app, "the release pages in Chromium").await;
    for shot in [
        "1-not-signed-in",
        "2-releases",
        "3-release",
        "4-followed-permanent-link",
        "5-phone",
        "6-downloads-and-immutable",
    ] {
        assert!(
            shots.join(format!("{shot}.png")).exists(),
            "{shot}.png was taken"
        );
    }
}
