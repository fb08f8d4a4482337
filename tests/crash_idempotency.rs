//! Idempotency keys across crashes: 16 clients create links, each under a key of its own, while
//! the relinks process is killed with SIGKILL at random moments. After every restart each key
//! is sent again with its request, and what the retry gets must agree with what is stored: a
//! link that exists was written under its key, so the retry gets the kept answer (a replay) or
//! is told the answer was lost, never a second run; a link that does not exist was never
//! written, so the retry runs (a replay there would be an answer kept without its write).

use crate::common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::process::Child;

use common::TestDatabase;

const TOKEN: &str = "glpat-crash-keys-0123456789abcdefghij";
const CLIENTS: usize = 16;
const CYCLES: usize = 6;
const LINKS: &str = "/projects/1/releases/v1/assets/links";

async fn start(database: &str, port: u16) -> (Child, String) {
    let child = common::relinks_serve(database, port)
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        .env("RELINKS_RATE_LIMITS", "off")
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    (child, format!("http://127.0.0.1:{port}/api/v4"))
}

/// A keyed create of link `name` (the key is the name).
async fn create(client: &reqwest::Client, base: &str, name: &str) -> Option<(u16, Value, bool)> {
    let response = client
        .post(format!("{base}{LINKS}"))
        .header("PRIVATE-TOKEN", TOKEN)
        .header("Idempotency-Key", name)
        .json(&json!({"name": name, "url": format!("https://example.com/{name}")}))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let body = response.json::<Value>().await.ok()?;
    Some((status, body, replayed))
}

async fn stored_names(client: &reqwest::Client, base: &str) -> std::collections::HashSet<String> {
    let mut names = std::collections::HashSet::new();
    for page in 1.. {
        let response = client
            .get(format!("{base}{LINKS}?per_page=100&page={page}"))
            .header("PRIVATE-TOKEN", TOKEN)
            .send()
            .await
            .expect("answered");
        let links: Vec<Value> = response.json().await.expect("links");
        if links.is_empty() {
            break;
        }
        names.extend(
            links
                .iter()
                .filter_map(|l| l["name"].as_str().map(str::to_owned)),
        );
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_and_its_write_survive_or_vanish_together() {
    let db = TestDatabase::new().await;
    let port = common::free_port();
    let (mut child, base) = start(&db.url, port).await;
    let client = reqwest::Client::new();
    common::project_with_release(&base, TOKEN).await;
    let (mut replayed, mut lost, mut rerun) = (0, 0, 0);
    for cycle in 0..CYCLES {
        let sent = Arc::new(Mutex::new(Vec::<String>::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let serial = Arc::new(AtomicUsize::new(0));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (client, base, sent, stop, serial) = (
                    client.clone(),
                    base.clone(),
                    sent.clone(),
                    stop.clone(),
                    serial.clone(),
                );
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        let name = format!("k{cycle}-{}", serial.fetch_add(1, Ordering::Relaxed));
                        if let Ok(mut sent) = sent.lock() {
                            sent.push(name.clone());
                        }
                        if let Some((status, body, _)) = create(&client, &base, &name).await {
                            assert!(status == 201 || status == 503, "{status} {body}");
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(150 + rand::random::<u64>() % 500)).await;
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.expect("a client panicked");
        }
        (child, _) = start(&db.url, port).await;
        let stored = stored_names(&client, &base).await;
        let names = sent.lock().map(|s| s.clone()).unwrap_or_default();
        for name in names {
            let existed = stored.contains(&name);
            let (status, body, was_replayed) = create(&client, &base, &name)
                .await
                .expect("answered after the restart");
            match (existed, status, was_replayed) {
                (true, 201, true) => replayed += 1,
                (true, 422, false) => {
                    assert_eq!(
                        body["message"],
                        "A request with this Idempotency-Key made its change, but its answer was lost"
                    );
                    lost += 1;
                }
                (false, 201, false) => rerun += 1,
                _ => panic!("{name}: stored {existed}, the retry got {status} {body} (replayed {was_replayed})"),
            }
        }
    }
    eprintln!("{CYCLES} SIGKILLs: {replayed} replays, {lost} answers lost, {rerun} re-runs of unwritten keys");
    assert!(replayed > 0);
}
