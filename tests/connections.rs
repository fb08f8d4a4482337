//! Connections as `relinks serve` keeps them: clients that send nothing, send headers slowly or
//! keep an idle connection are closed after the header-read time-out; beyond the connection cap
//! new connections wait for a free slot; a stop waits for in-flight requests only as long as
//! the grace period; and `/-/metrics` (and the readiness details) only answer the monitoring
//! allow-list.

use crate::common;

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::Child;

use common::TestDatabase;

struct Server {
    child: Child,
    port: u16,
    _db: TestDatabase,
}

async fn start(args: &[&str]) -> Server {
    let db = TestDatabase::new().await;
    let port = common::free_port();
    let child = common::relinks_serve(&db.url, port)
        .args(args)
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    Server {
        child,
        port,
        _db: db,
    }
}

/// Reads until the server closes the connection; how long that took (or `None` past `limit`).
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
        }
    }
}

const LIVENESS: &[u8] = b"GET /-/liveness HTTP/1.1\r\nHost: relinks\r\n\r\n";

#[tokio::test]
async fn silent_slow_and_idle_clients_are_closed_after_the_header_time_out() {
    let server = start(&["--header-read-timeout-secs", "1"]).await;
    let address = format!("127.0.0.1:{}", server.port);
    // Says nothing at all.
    let mut silent = TcpStream::connect(&address).await.expect("connects");
    // Starts a request and stalls in its headers.
    let mut slow = TcpStream::connect(&address).await.expect("connects");
    slow.write_all(b"GET /-/liveness HTTP/1.1\r\nHost: relinks\r\nX-Slow: ")
        .await
        .expect("writes");
    // Asks once, then keeps the connection open without a second request.
    let mut idle = TcpStream::connect(&address).await.expect("connects");
    idle.write_all(LIVENESS).await.expect("writes");
    let mut answer = [0u8; 512];
    let read = idle.read(&mut answer).await.expect("answered");
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    for (what, stream) in [
        ("silent", &mut silent),
        ("slow", &mut slow),
        ("idle", &mut idle),
    ] {
        let closed = closed_within(stream, Duration::from_secs(5)).await;
        assert!(
            closed.is_some_and(|after| after < Duration::from_secs(4)),
            "the {what} connection was closed: {closed:?}"
        );
    }
    drop(server.child);
}

#[tokio::test]
async fn beyond_the_cap_new_connections_wait_for_a_free_slot() {
    let server = start(&["--max-connections", "2", "--header-read-timeout-secs", "30"]).await;
    let address = format!("127.0.0.1:{}", server.port);
    let first = TcpStream::connect(&address).await.expect("connects");
    let _second = TcpStream::connect(&address).await.expect("connects");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut third = TcpStream::connect(&address)
        .await
        .expect("queued by the kernel");
    third.write_all(LIVENESS).await.expect("writes");
    let mut answer = [0u8; 512];
    let waiting = tokio::time::timeout(Duration::from_millis(700), third.read(&mut answer)).await;
    assert!(waiting.is_err(), "no slot was free: the third waits");
    drop(first);
    let read = tokio::time::timeout(Duration::from_secs(3), third.read(&mut answer))
        .await
        .expect("answered once a slot is free")
        .expect("reads");
    assert!(String::from_utf8_lossy(&answer[..read]).starts_with("HTTP/1.1 200"));
    drop(server.child);
}

#[tokio::test]
async fn a_stop_waits_for_in_flight_requests_only_for_the_grace_period() {
    let mut server = start(&["--shutdown-grace-secs", "1"]).await;
    let address = format!("127.0.0.1:{}", server.port);
    // A request whose body never comes: in flight until the request time-out (30 s).
    let mut stuck = TcpStream::connect(&address).await.expect("connects");
    stuck
        .write_all(
            b"POST /api/v4/projects HTTP/1.1\r\nHost: relinks\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
        )
        .await
        .expect("writes");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let pid = server.child.id().expect("running").to_string();
    let stopped_at = Instant::now();
    tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait())
        .await
        .expect("relinks stops within the grace period")
        .expect("waits");
    assert!(status.success(), "{status:?}");
    assert!(
        stopped_at.elapsed() < Duration::from_secs(5),
        "{:?}",
        stopped_at.elapsed()
    );
}

async fn get(port: u16, path: &str) -> (u16, String) {
    let reply = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .expect("answered");
    (
        reply.status().as_u16(),
        reply.text().await.unwrap_or_default(),
    )
}

#[tokio::test]
async fn metrics_and_readiness_details_only_for_the_monitoring_allow_list() {
    // The tests reach relinks from 127.0.0.1: with the default list it may read them all.
    let open = start(&[]).await;
    let (status, metrics) = get(open.port, "/-/metrics").await;
    assert_eq!(status, 200);
    assert!(metrics.contains("relinks_objects"));
    assert_eq!(
        get(open.port, "/-/readiness").await,
        (
            200,
            r#"{"status":"ok","db_check":[{"status":"ok"}]}"#.to_owned()
        )
    );
    // A list without loopback: 127.0.0.1 is someone else now.
    let closed = start(&["--metrics-allow", "10.0.0.0/8,192.0.2.7"]).await;
    assert_eq!(
        get(closed.port, "/-/metrics").await,
        (404, "Not Found".to_owned())
    );
    assert_eq!(
        get(closed.port, "/-/readiness").await,
        (200, r#"{"status":"ok"}"#.to_owned()),
        "ready or not, without details"
    );
    assert_eq!(
        get(closed.port, "/-/health").await,
        (200, "GitLab OK".to_owned())
    );
    assert_eq!(get(closed.port, "/-/liveness").await.0, 200);
    // A list that does not parse stops the server at start, saying why.
    let db = TestDatabase::new().await;
    let output = common::relinks_serve(&db.url, common::free_port())
        .args(["--metrics-allow", "not-a-network"])
        .stderr(std::process::Stdio::piped())
        .output()
        .await
        .expect("runs");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("--metrics-allow: not-a-network is not an address or a network"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    drop((open.child, closed.child));
}
