//! The `relinks` binary as an operator runs it: first start, bootstrap token, crash safety and
//! graceful shutdown.

use crate::common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

use common::{free_port, TestDatabase};

struct Server {
    child: Child,
    base: String,
}

async fn start(db: &TestDatabase, root_token: Option<&str>) -> Server {
    let port = free_port();
    let mut command = common::relinks_serve(&db.url, port);
    command.env("RELINKS_LOG", "warn").stdout(Stdio::piped());
    if let Some(token) = root_token {
        command.env("RELINKS_ROOT_TOKEN", token);
    }
    let child = command.spawn().expect("relinks starts");
    let base = format!("http://127.0.0.1:{port}/api/v4");
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if reqwest::get(format!("{base}/version")).await.is_ok() {
            return Server { child, base };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("relinks did not start");
}

async fn request(
    method: reqwest::Method,
    url: String,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, url)
        .header("PRIVATE-TOKEN", token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("answered");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn terminate(server: &mut Server) -> std::process::ExitStatus {
    let pid = server.child.id().expect("running").to_string();
    Command::new("kill")
        .arg("-TERM")
        .arg(&pid)
        .status()
        .await
        .expect("kill runs");
    tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .expect("exits after SIGTERM")
        .expect("exit status")
}

async fn stdout_of(server: &mut Server) -> String {
    let mut out = String::new();
    if let Some(mut stdout) = server.child.stdout.take() {
        let _ = stdout.read_to_string(&mut out).await;
    }
    out
}

#[tokio::test]
async fn first_start_creates_root_and_prints_its_token_once() {
    let db = TestDatabase::new().await;
    let mut server = start(&db, None).await;
    let stdout = server.child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut token = None;
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(found) = line.split_whitespace().find(|w| w.starts_with("glpat-")) {
            token = Some(found.to_owned());
            break;
        }
    }
    let token = token.expect("a token is printed");
    let (status, me) = request(
        reqwest::Method::GET,
        format!("{}/user", server.base),
        &token,
        None,
    )
    .await;
    assert_eq!((status, me["username"].as_str()), (200, Some("root")));
    assert!(terminate(&mut server).await.success());

    let mut again = start(&db, None).await;
    let (status, _) = request(
        reqwest::Method::GET,
        format!("{}/user", again.base),
        &token,
        None,
    )
    .await;
    assert_eq!(status, 200, "the printed token keeps working");
    assert!(terminate(&mut again).await.success());
    assert!(
        !stdout_of(&mut again).await.contains("glpat-"),
        "the token is printed only once"
    );
}

#[tokio::test]
async fn the_root_token_from_the_environment_is_idempotent() {
    let db = TestDatabase::new().await;
    let token = "glpat-operator-chosen-0123456789abcdef";
    let mut ids = Vec::new();
    for _ in 0..2 {
        let mut server = start(&db, Some(token)).await;
        let (status, me) = request(
            reqwest::Method::GET,
            format!("{}/personal_access_tokens/self", server.base),
            token,
            None,
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(me["scopes"], json!(["api"]));
        ids.push(me["id"].clone());
        assert!(
            !stdout_of_after_stop(&mut server).await.contains(token),
            "a chosen token is never printed"
        );
    }
    assert_eq!(ids[0], ids[1]);
}

async fn stdout_of_after_stop(server: &mut Server) -> String {
    assert!(terminate(server).await.success());
    stdout_of(server).await
}

#[tokio::test]
async fn acknowledged_writes_survive_a_crash() {
    let db = TestDatabase::new().await;
    let token = "glpat-crash-test-token-0123456789";
    let mut server = start(&db, Some(token)).await;
    let post = |path: &str, body: Value| {
        request(
            reqwest::Method::POST,
            format!("{}{path}", server.base),
            token,
            Some(body),
        )
    };
    assert_eq!(post("/projects", json!({"name": "p"})).await.0, 201);
    assert_eq!(
        post("/projects/1/releases", json!({"tag_name": "v1"}))
            .await
            .0,
        201
    );
    let mut acknowledged = 0;
    for i in 0..40 {
        let (status, _) = post(
            "/projects/1/releases/v1/assets/links",
            json!({"name": format!("n{i}"), "url": format!("https://e.x/{i}")}),
        )
        .await;
        if status == 201 {
            acknowledged += 1;
        }
    }
    server.child.kill().await.expect("SIGKILL");
    let mut restarted = start(&db, Some(token)).await;
    let (status, links) = request(
        reqwest::Method::GET,
        format!(
            "{}/projects/1/releases/v1/assets/links?per_page=100",
            restarted.base
        ),
        token,
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(links.as_array().expect("list").len(), acknowledged);
    assert_eq!(acknowledged, 40);
    assert!(terminate(&mut restarted).await.success());
}

#[tokio::test]
async fn sigterm_lets_in_flight_requests_finish() {
    let db = TestDatabase::new().await;
    let token = "glpat-drain-test-token-0123456789";
    let mut server = start(&db, Some(token)).await;
    let post = |path: &str, body: Value| {
        request(
            reqwest::Method::POST,
            format!("{}{path}", server.base),
            token,
            Some(body),
        )
    };
    assert_eq!(post("/projects", json!({"name": "p"})).await.0, 201);
    assert_eq!(
        post("/projects/1/releases", json!({"tag_name": "v1"}))
            .await
            .0,
        201
    );

    // A request whose body is still arriving when the signal comes.
    let address = server
        .base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .expect("host")
        .to_owned();
    let mut stream = TcpStream::connect(&address).await.expect("connects");
    let body = br#"{"name":"late","url":"https://e.x/late"}"#;
    let head = format!(
        "POST /api/v4/projects/1/releases/v1/assets/links HTTP/1.1\r\nHost: {address}\r\nPRIVATE-TOKEN: {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("writes");
    stream.write_all(&body[..10]).await.expect("writes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().expect("running").to_string();
    Command::new("kill")
        .arg("-TERM")
        .arg(&pid)
        .status()
        .await
        .expect("kill runs");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stream
        .write_all(&body[10..])
        .await
        .expect("writes the rest");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("reads");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = tokio::time::timeout(Duration::from_secs(20), server.child.wait())
        .await
        .expect("exits")
        .expect("status");
    assert!(status.success());

    let mut restarted = start(&db, Some(token)).await;
    let (_, links) = request(
        reqwest::Method::GET,
        format!("{}/projects/1/releases/v1/assets/links", restarted.base),
        token,
        None,
    )
    .await;
    assert_eq!(links[0]["name"], "late");
    assert!(terminate(&mut restarted).await.success());
}

#[tokio::test]
async fn migrate_creates_the_schema_and_exits() {
    let db = TestDatabase::new().await;
    for _ in 0..2 {
        let output = Command::new(env!("CARGO_BIN_EXE_relinks"))
            .arg("migrate")
            .arg("--database")
            .arg(&db.url)
            .output()
            .await
            .expect("relinks runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(String::from_utf8_lossy(&output.stderr).contains("database is up to date"));
    }
    let bad = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args(["migrate", "--database", "mysql://nope"])
        .output()
        .await
        .expect("relinks runs");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unsupported database URL"));
}

#[tokio::test]
async fn logs_are_structured_and_never_contain_tokens() {
    let db = TestDatabase::new().await;
    let token = "glpat-secret-that-must-not-be-logged-123";
    let port = free_port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            &db.url,
            "--log-format",
            "json",
        ])
        .env("RELINKS_ROOT_TOKEN", token)
        .env("RELINKS_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starts");
    // Read the logs as they come: a debug log fills a pipe long before the server stops.
    let mut logs = child.stderr.take().expect("stderr");
    let reader = tokio::spawn(async move {
        let mut text = String::new();
        let _ = logs.read_to_string(&mut text).await;
        text
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while client
        .get(format!("{base}/-/liveness"))
        .send()
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "relinks did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client
        .get(format!("{base}/api/v4/user"))
        .header("PRIVATE-TOKEN", token)
        .send()
        .await
        .expect("answered");
    client
        .get(format!("{base}/api/v4/user?private_token={token}"))
        .send()
        .await
        .expect("answered");
    client
        .get(format!("{base}/api/v4/user"))
        .bearer_auth(token)
        .send()
        .await
        .expect("answered");
    client
        .post(format!("{base}/users/sign_in"))
        .form(&[("token", token)])
        .send()
        .await
        .expect("answered");
    client
        .get(format!("{base}/api/v4/user"))
        .header("PRIVATE-TOKEN", "glpat-wrong-secret-also-private")
        .send()
        .await
        .expect("answered");
    let pid = child.id().expect("running").to_string();
    Command::new("kill")
        .arg("-TERM")
        .arg(&pid)
        .status()
        .await
        .expect("kill runs");
    assert!(child.wait().await.expect("exits").success());
    let stderr = reader.await.expect("logs read");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() > 5, "{stderr}");
    for line in &lines {
        serde_json::from_str::<Value>(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    }
    assert!(!stderr.contains(token), "a token reached the logs");
    assert!(
        !stderr.contains("glpat-wrong-secret-also-private"),
        "a token reached the logs"
    );
    assert!(stderr.contains("/api/v4/user"));
}
