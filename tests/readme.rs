//! README.md's commands as a newcomer types them, on a clean copy of the repository: the server
//! command exactly as written answers, the curl walk-through runs from start to end, every
//! `relinks …` line uses flags the binary has, and `.ci/run` calls README's test command.
//!
//! The copy holds what a fresh clone holds (the files git tracks, or would track: nothing
//! ignored, so no database, virtualenv or `node_modules`), with their timestamps, and finds
//! the release build `scripts/test` made in a copy made the same way: the copy is always at the
//! same place (`readme-clean-copy` in the target directory), made anew for each test, one test
//! at a time, and builds into `readme` there (cargo names a copy's artifacts as the checkout's:
//! in one target directory, one would pass for the other). A copy elsewhere would be built
//! again in full.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

fn repository() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn readme() -> String {
    std::fs::read_to_string(repository().join("README.md")).expect("README.md")
}

/// The `sh` code blocks of the README section under `heading`, in order.
fn shell_blocks(readme: &str, heading: &str) -> Vec<String> {
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has a section '## {heading}'"));
    section
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split_once("\n```").map(|(code, _)| code.to_owned()))
        .collect()
}

/// Every `sh` block of the README.
fn all_shell_lines(readme: &str) -> Vec<String> {
    readme
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split_once("\n```").map(|(code, _)| code.to_owned()))
        .flat_map(|code| code.lines().map(str::to_owned).collect::<Vec<_>>())
        .collect()
}

/// Held by the test using the clean copy: one at a time.
static COPY_IN_USE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repository().join("target"), PathBuf::from)
}

/// Copies the files of a fresh clone into `target/readme-clean-copy` (emptied first), keeping
/// their modification times (and their directories'), so that cargo sees the sources it built
/// last.
fn clean_copy() -> PathBuf {
    let source = repository();
    let listed = std::process::Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(&source)
        .output()
        .expect("git lists the repository's files");
    assert!(listed.status.success(), "git ls-files failed");
    let copy = target_dir().join("readme-clean-copy");
    if copy.exists() {
        std::fs::remove_dir_all(&copy).expect("the last copy goes");
    }
    let mut directories = std::collections::BTreeSet::new();
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let relative = Path::new(std::str::from_utf8(name).expect("a UTF-8 file name"));
        let from = source.join(relative);
        if !from.is_file() {
            continue; // deleted in the working tree, not yet in git
        }
        let to = copy.join(relative);
        let parent = to.parent().expect("a file has a directory");
        std::fs::create_dir_all(parent).expect("directories");
        std::fs::copy(&from, &to).expect("copy");
        keep_mtime(&from, &to);
        let mut directory = relative.parent();
        while let Some(d) = directory.filter(|d| !d.as_os_str().is_empty()) {
            directories.insert(d.to_path_buf());
            directory = d.parent();
        }
    }
    // Deepest first: setting a directory's time must come after everything written into it.
    for directory in directories.iter().rev() {
        keep_mtime(&source.join(directory), &copy.join(directory));
    }
    copy
}

fn keep_mtime(from: &Path, to: &Path) {
    let modified = std::fs::metadata(from)
        .and_then(|m| m.modified())
        .expect("mtime");
    std::fs::File::open(to)
        .and_then(|f| f.set_modified(modified))
        .expect("set mtime");
}

/// `script` run by bash in `directory` as its own process group, with the README's own
/// environment (none of the test run's RELINKS_* and cargo's variables), listening on `port`.
fn shell(script: &str, directory: &Path, port: u16) -> Child {
    let target = target_dir();
    let mut command = Command::new("bash");
    command
        .args(["-c", script])
        .current_dir(directory)
        .env("CARGO_TARGET_DIR", target.join("readme"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // A newcomer's shell has none of the variables cargo sets for a test (`CARGO_PKG_*`,
    // `CARGO_BIN_EXE_*`, `OUT_DIR`, …): build scripts that read them would rebuild the crates
    // the release build made, and the test must not be served what the README's user is not.
    for (name, _) in std::env::vars_os() {
        let name_text = name.to_string_lossy();
        let cargos = name_text.starts_with("CARGO")
            && !matches!(name_text.as_ref(), "CARGO_HOME" | "CARGO_TARGET_DIR");
        // Also clippy's, which scripts/test builds the tests with.
        let rusts = name_text.starts_with("RUSTC")
            || name_text.starts_with("RUSTDOC")
            || name_text.starts_with("CLIPPY");
        if name_text.starts_with("RELINKS_") || cargos || rusts || name_text == "OUT_DIR" {
            command.env_remove(name);
        }
    }
    command.env("RELINKS_LISTEN", format!("127.0.0.1:{port}"));
    command.spawn().expect("bash runs")
}

/// Stops a shell and everything it started (cargo, relinks).
async fn stop_group(child: &mut Child) {
    if let Some(pid) = child.id() {
        // The group goes after `--`: procps-ng 4.0.2 reads `kill -TERM -12345` as
        // kill(-1, SIGTERM), which signals every process there is (and stopped CI runs).
        let _ = Command::new("kill")
            .args(["-s", "TERM", "--", &format!("-{pid}")])
            .status()
            .await;
    }
    let _ = tokio::time::timeout(Duration::from_secs(20), child.wait()).await;
}

/// Lines of a child's stream, gathered in the background.
fn collect(
    stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (send, receive) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut lines = BufReader::new(stream).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

/// The first build of a fresh machine compiles everything: give it time.
const FIRST_START: Duration = Duration::from_secs(900);

mod sqlite_only {
    use super::*;

    /// README's first command, as written, on a clean copy: it builds, serves on the embedded
    /// defaults (a `relinks.db` in the working directory), prints root's token, and answers.
    #[tokio::test]
    async fn the_readme_server_command_serves_from_a_clean_copy() {
        let blocks = shell_blocks(&readme(), "The two commands");
        let command = blocks
            .first()
            .expect("the server command")
            .trim()
            .to_owned();
        let _turn = COPY_IN_USE.lock().await;
        let copy = clean_copy();
        let port = common::free_port();
        let mut server = shell(&command, &copy, port);
        let mut stdout = collect(server.stdout.take().expect("stdout"));
        let mut stderr = collect(server.stderr.take().expect("stderr"));
        let deadline = Instant::now() + FIRST_START;
        let mut log = Vec::new();
        loop {
            let line = tokio::time::timeout_at(deadline.into(), stderr.recv())
                .await
                .unwrap_or_else(|_| {
                    panic!("`{command}` was not ready in time:\n{}", log.join("\n"))
                });
            let Some(line) = line else {
                panic!("`{command}` stopped:\n{}", log.join("\n"));
            };
            let ready = line.contains("relinks is ready");
            log.push(line);
            if ready {
                break;
            }
        }
        let base = format!("http://127.0.0.1:{port}");
        let health = reqwest::get(format!("{base}/-/health"))
            .await
            .expect("answers");
        assert_eq!(health.text().await.expect("text"), "GitLab OK");
        // The token printed once on the terminal is root's.
        let mut printed = Vec::new();
        while let Ok(Some(line)) = tokio::time::timeout(Duration::from_secs(2), stdout.recv()).await
        {
            printed.push(line);
            if printed.iter().any(|l| l.trim().starts_with("glpat-")) {
                break;
            }
        }
        let token = printed
            .iter()
            .map(|l| l.trim())
            .find(|l| l.starts_with("glpat-"))
            .unwrap_or_else(|| panic!("root's token is printed: {printed:?}"))
            .to_owned();
        let user: serde_json::Value = reqwest::Client::new()
            .get(format!("{base}/api/v4/user"))
            .header("PRIVATE-TOKEN", token)
            .send()
            .await
            .expect("answers")
            .json()
            .await
            .expect("json");
        assert_eq!(user["username"], "root");
        assert!(
            copy.join("relinks.db").exists(),
            "the database is where README says"
        );
        stop_group(&mut server).await;
    }

    /// The walk-through, run by bash from its first line to its last, on a clean copy: each
    /// curl must get a 2xx or 3xx (a wrapper checks what README's plain `curl -s` does not).
    #[tokio::test]
    async fn the_readme_walk_through_runs_to_the_end() {
        let blocks = shell_blocks(&readme(), "A walk-through with curl");
        let walk = blocks.first().expect("the walk-through").clone();
        assert!(
            walk.contains("127.0.0.1:8080"),
            "the walk-through names its address"
        );
        let _turn = COPY_IN_USE.lock().await;
        let copy = clean_copy();
        let port = common::free_port();
        let checked = format!(
            "set -eo pipefail\n\
             curl() {{\n\
               local out code\n\
               out=$(command curl -sS -w '\\n%{{http_code}}' \"$@\") || return\n\
               code=${{out##*$'\\n'}}\n\
               printf '%s\\n' \"${{out%$'\\n'*}}\"\n\
               case $code in 2??|3??) ;; *) echo \"curl $*: HTTP $code\" >&2; return 22 ;; esac\n\
             }}\n\
             {}\n\
             echo WALK-THROUGH-DONE\n",
            walk.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
        );
        let mut run = shell(&checked, &copy, port);
        let mut stdout = collect(run.stdout.take().expect("stdout"));
        let mut stderr = collect(run.stderr.take().expect("stderr"));
        let deadline = Instant::now() + FIRST_START;
        let mut printed = Vec::new();
        let mut done = false;
        let mut exited = false;
        while !done {
            let line = tokio::select! {
                line = tokio::time::timeout_at(deadline.into(), stdout.recv()) => line,
                // bash ended: whatever it printed has arrived within a moment (the server it
                // started may hold the output open, so no end of stream is coming).
                _ = run.wait(), if !exited => {
                    exited = true;
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            match line {
                Ok(Some(line)) if line == "WALK-THROUGH-DONE" => done = true,
                Ok(Some(line)) => printed.push(line),
                Ok(None) | Err(_) => break,
            }
            if exited && stdout.is_empty() {
                break;
            }
        }
        if !done {
            stop_group(&mut run).await;
            let mut errors = Vec::new();
            while let Ok(line) = stderr.try_recv() {
                errors.push(line);
            }
            panic!(
                "the walk-through stopped:\n{}\n{}",
                printed.join("\n"),
                errors.join("\n")
            );
        }
        let all = printed.join("\n");
        for expected in [
            "\"path_with_namespace\":\"root/hello\"",
            "\"tag_name\":\"v1.7.0\"",
            "\"name\":\"hellodarwin-amd64\"",
            "\"name\":\"new name\"",
            "location: https://ci.example.com/artifacts/hello-darwin-amd64",
            "\"username\":\"ci\"",
            "\"access_level\":30",
        ] {
            assert!(
                all.to_ascii_lowercase()
                    .contains(&expected.to_ascii_lowercase()),
                "the walk-through printed {expected}:\n{all}"
            );
        }
        stop_group(&mut run).await;
    }
}

/// Each `relinks <command> …` line in README uses a command and flags the binary knows.
#[tokio::test]
async fn every_relinks_command_in_the_readme_exists() {
    let lines = all_shell_lines(&readme());
    let commands: Vec<&String> = lines.iter().filter(|l| l.starts_with("relinks ")).collect();
    assert!(
        commands.len() >= 4,
        "README shows relinks' commands: {commands:?}"
    );
    for line in commands {
        let words: Vec<&str> = line
            .split('#')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        let subcommand = words[1];
        let help = std::process::Command::new(env!("CARGO_BIN_EXE_relinks"))
            .args([subcommand, "--help"])
            .output()
            .expect("relinks runs");
        assert!(
            help.status.success(),
            "`relinks {subcommand}` exists ({line})"
        );
        let help = String::from_utf8_lossy(&help.stdout);
        for flag in words.iter().filter(|w| w.starts_with("--")) {
            assert!(
                help.contains(&format!("{flag} ")) || help.contains(&format!("{flag}\n")),
                "`relinks {subcommand}` has {flag} ({line})"
            );
        }
    }
}

/// `.ci/run` calls exactly README's test command.
#[test]
fn ci_runs_the_readme_test_command() {
    let blocks = shell_blocks(&readme(), "The two commands");
    let test_command = blocks.get(1).expect("the test command").trim();
    let ci = std::fs::read_to_string(repository().join(".ci/run")).expect(".ci/run");
    let last = ci
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default();
    assert_eq!(last.trim(), format!("exec {test_command}"));
}

/// `relinks --help` and `relinks serve --help` name the settings that have no flag.
#[test]
fn help_names_the_environment_only_settings() {
    for args in [&["--help"][..], &["serve", "--help"][..]] {
        let help = std::process::Command::new(env!("CARGO_BIN_EXE_relinks"))
            .args(args)
            .output()
            .expect("relinks runs");
        let text = String::from_utf8_lossy(&help.stdout);
        for name in ["RELINKS_ROOT_TOKEN", "RELINKS_SECRET", "RELINKS_LOG"] {
            assert!(
                text.contains(name),
                "relinks {args:?} mentions {name}:\n{text}"
            );
        }
    }
}
