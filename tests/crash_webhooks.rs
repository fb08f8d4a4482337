//! Webhook events across crashes (issue 19): 32 clients create releases while the relinks
//! process is killed with SIGKILL at random moments. Once it runs again, every release that
//! exists has had its Release Hook `create` delivered at least once, all attempts at one event
//! carry one `Idempotency-Key`, and no event of a release that does not exist (its write rolled
//! back) was ever delivered. On PostgreSQL, two instances share the work: nothing is lost, and
//! no event is ever being delivered twice at once.

use crate::common;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{json, Value};
use tokio::process::Child;

use common::TestDatabase;

const TOKEN: &str = "glpat-crash-hooks-0123456789abcdefghij";
const CLIENTS: usize = 32;
const CYCLES: usize = 4;

/// What the receiver saw: each delivery's key and body, and deliveries of one key that
/// overlapped in time.
#[derive(Default)]
struct Seen {
    deliveries: Mutex<Vec<(String, Value)>>,
    in_flight: Mutex<HashSet<String>>,
    overlaps: AtomicUsize,
}

impl Seen {
    /// Each release's `create` deliveries: tag → the keys they carried.
    fn creates(&self) -> BTreeMap<String, Vec<String>> {
        let mut creates: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, body) in self.deliveries.lock().expect("lock").iter() {
            if body["action"] == "create" {
                let tag = body["tag"].as_str().unwrap_or_default().to_owned();
                creates.entry(tag).or_default().push(key.clone());
            }
        }
        creates
    }
}

/// A delivery being received; out of flight when dropped.
struct InFlight(Arc<Seen>, String);

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut in_flight) = self.0.in_flight.lock() {
            in_flight.remove(&self.1);
        }
    }
}

/// A receiver that takes 20 ms over each delivery (so that two at once would overlap).
async fn receiver(seen: Arc<Seen>) -> String {
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let seen = Arc::clone(&seen);
            async move {
                let key = headers
                    .get("idempotency-key")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                if !seen.in_flight.lock().expect("lock").insert(key.clone()) {
                    seen.overlaps.fetch_add(1, Ordering::Relaxed);
                }
                // Out of flight however the delivery ends: a sender killed mid-way drops its
                // connection, and the server drops this handler with it.
                let _done = InFlight(Arc::clone(&seen), key.clone());
                tokio::time::sleep(Duration::from_millis(20)).await;
                let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                seen.deliveries
                    .lock()
                    .expect("lock")
                    .push((key.clone(), body));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let base = format!("http://{}/hook", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn start(database: &str, port: u16) -> (Child, String) {
    let child = common::relinks_serve(database, port)
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        .env("RELINKS_RATE_LIMITS", "off")
        .env("RELINKS_ALLOW_LOCAL_NETWORK", "true")
        .env("RELINKS_WEBHOOK_TIMEOUT_SECS", "1")
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    (child, format!("http://127.0.0.1:{port}/api/v4"))
}

/// Clients creating releases `c<client>-<n>` on the servers in turn until `stop`; the tags
/// acknowledged with 201 (`acked` counts them as they come).
async fn load(
    bases: Vec<String>,
    stop: Arc<AtomicBool>,
    acked: Arc<AtomicUsize>,
) -> BTreeSet<String> {
    let acknowledged = Arc::new(Mutex::new(BTreeSet::new()));
    let serial = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (bases, stop, acknowledged, serial, acked) = (
            bases.clone(),
            Arc::clone(&stop),
            Arc::clone(&acknowledged),
            Arc::clone(&serial),
            Arc::clone(&acked),
        );
        clients.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            while !stop.load(Ordering::Relaxed) {
                let n = serial.fetch_add(1, Ordering::Relaxed);
                let tag = format!("c{client}-{n}");
                let base = &bases[n % bases.len()];
                let answer = http
                    .post(format!("{base}/projects/1/releases"))
                    .header("PRIVATE-TOKEN", TOKEN)
                    .json(&json!({"tag_name": tag, "ref": "main"}))
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await;
                match answer {
                    Ok(response) if response.status() == 201 => {
                        acknowledged.lock().expect("lock").insert(tag);
                        acked.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                }
            }
        }));
    }
    for client in clients {
        client.await.expect("a client panicked");
    }
    let tags = acknowledged.lock().expect("lock").clone();
    tags
}

/// Waits until `count` writes have been acknowledged, or 20 s (a machine too slow for that
/// many still gets its kill).
async fn until_acknowledged(acked: &AtomicUsize, count: usize) {
    for _ in 0..400 {
        if acked.load(Ordering::Relaxed) >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn stored_tags(base: &str) -> BTreeSet<String> {
    let http = reqwest::Client::new();
    let mut tags = BTreeSet::new();
    for page in 1.. {
        let releases: Vec<Value> = http
            .get(format!(
                "{base}/projects/1/releases?per_page=100&page={page}"
            ))
            .header("PRIVATE-TOKEN", TOKEN)
            .send()
            .await
            .expect("answered")
            .json()
            .await
            .expect("releases");
        if releases.is_empty() {
            break;
        }
        tags.extend(
            releases
                .iter()
                .filter_map(|r| r["tag_name"].as_str().map(str::to_owned)),
        );
    }
    tags.remove("v1");
    tags
}

async fn add_hook(base: &str, url: &str) {
    let response = reqwest::Client::new()
        .post(format!("{base}/projects/1/hooks"))
        .header("PRIVATE-TOKEN", TOKEN)
        .json(&json!({"url": url, "releases_events": true}))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 201);
}

/// Waits until every stored release's `create` has come, then checks what came against what
/// is stored.
async fn check_deliveries(
    seen: &Seen,
    stored: &BTreeSet<String>,
    acknowledged: &BTreeSet<String>,
) -> usize {
    let missing_from_store: Vec<&String> = acknowledged.difference(stored).collect();
    assert!(
        missing_from_store.is_empty(),
        "acknowledged, not stored: {missing_from_store:?}"
    );
    // Waits while deliveries keep coming (one hook's go out one at a time), and gives up after
    // 20 s without one.
    let (mut last, mut still) = (0, 0);
    while still < 200 && !stored.iter().all(|tag| seen.creates().contains_key(tag)) {
        let now = seen.deliveries.lock().expect("lock").len();
        still = if now == last { still + 1 } else { 0 };
        last = now;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let creates = seen.creates();
    let undelivered: Vec<&String> = stored
        .iter()
        .filter(|t| !creates.contains_key(*t))
        .collect();
    assert!(
        undelivered.is_empty(),
        "stored, never delivered: {undelivered:?}"
    );
    let phantoms: Vec<&String> = creates.keys().filter(|t| !stored.contains(*t)).collect();
    assert!(
        phantoms.is_empty(),
        "delivered, never committed: {phantoms:?}"
    );
    for (tag, keys) in &creates {
        assert!(
            keys.iter().all(|k| k == &keys[0]),
            "the attempts at {tag}'s event carry one key: {keys:?}"
        );
    }
    assert_eq!(
        seen.overlaps.load(Ordering::Relaxed),
        0,
        "no event twice at once"
    );
    creates.values().map(Vec::len).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_committed_release_is_announced_and_no_rolled_back_one_ever_is() {
    let db = TestDatabase::new().await;
    let port = common::free_port();
    let (mut child, base) = start(&db.url, port).await;
    common::project_with_release(&base, TOKEN).await;
    let seen = Arc::new(Seen::default());
    add_hook(&base, &receiver(Arc::clone(&seen)).await).await;
    let mut acknowledged = BTreeSet::new();
    for _ in 0..CYCLES {
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let running = tokio::spawn(load(
            vec![base.clone()],
            Arc::clone(&stop),
            Arc::clone(&acked),
        ));
        // The kill comes after a random number of acknowledged writes, not after a time: a
        // fast machine would otherwise store thousands of releases whose deliveries (one at a
        // time, in order) then take minutes, and a slow one none. The 32 clients keep writing
        // until it, so every cycle has writes in flight to cut.
        until_acknowledged(&acked, 8 + usize::from(rand::random::<u8>() % 40)).await;
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        stop.store(true, Ordering::Relaxed);
        acknowledged.extend(running.await.expect("load"));
        (child, _) = start(&db.url, port).await;
    }
    let stored = stored_tags(&base).await;
    let delivered = check_deliveries(&seen, &stored, &acknowledged).await;
    eprintln!(
        "{CYCLES} SIGKILLs: {} releases acknowledged, {} stored, {delivered} create deliveries",
        acknowledged.len(),
        stored.len()
    );
    assert!(!acknowledged.is_empty());
    let _ = child.start_kill();
}

/// Tests of PostgreSQL alone: `scripts/test` runs them in that engine's pass only.
mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn two_instances_share_the_events_without_losing_or_doubling_one() {
        let db = TestDatabase::new().await;
        assert!(db.is_postgres(), "runs in the PostgreSQL pass only");
        let (one, two) = (common::free_port(), common::free_port());
        let (mut first, first_base) = start(&db.url, one).await;
        let (mut second, second_base) = start(&db.url, two).await;
        common::project_with_release(&first_base, TOKEN).await;
        let seen = Arc::new(Seen::default());
        add_hook(&first_base, &receiver(Arc::clone(&seen)).await).await;
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(AtomicUsize::new(0));
        let running = tokio::spawn(load(
            vec![first_base.clone(), second_base.clone()],
            Arc::clone(&stop),
            Arc::clone(&acked),
        ));
        // One instance dies mid-way: its claims lapse, and the other sends what it held.
        until_acknowledged(&acked, 100).await;
        first.start_kill().expect("SIGKILL");
        let _ = first.wait().await;
        until_acknowledged(&acked, 200).await;
        stop.store(true, Ordering::Relaxed);
        let acknowledged = running.await.expect("load");
        let stored = stored_tags(&second_base).await;
        let delivered = check_deliveries(&seen, &stored, &acknowledged).await;
        eprintln!(
            "two instances: {} releases stored, {delivered} create deliveries",
            stored.len()
        );
        let _ = second.start_kill();
    }
}
