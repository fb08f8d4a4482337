//! Crash safety: 32 clients create, rename and delete links as fast as they can while the
//! relinks process is killed with SIGKILL at random moments (and, on PostgreSQL, while the
//! database itself restarts). After every restart, every write acknowledged with 2xx is there
//! exactly as acknowledged, nothing refused is there, and SQLite's integrity check says ok.
//!
//! CI runs the full count: 20 SIGKILL cycles, and 5 database restarts on PostgreSQL (a quarter
//! of the cycles). `RELINKS_CRASH_CYCLES=100 cargo test --release --test integration crash:: --
//! --nocapture` runs more (with `RELINKS_TEST_DATABASE=postgres` for PostgreSQL) and prints the
//! figures.

use crate::common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::Child;

use common::cluster::Cluster;
use common::TestDatabase;

const TOKEN: &str = "glpat-crash-test-0123456789abcdefghij";
const CLIENTS: usize = 32;
const LINKS: &str = "/projects/1/releases/v1/assets/links";

fn cycles() -> usize {
    std::env::var("RELINKS_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20)
}

struct Server {
    child: Child,
    base: String,
}

async fn start(database: &str, port: u16) -> Server {
    let child = common::relinks_serve(database, port)
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        // 32 clients on one token make far more than 2,000 requests a minute.
        .env("RELINKS_RATE_LIMITS", "off")
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    Server {
        child,
        base: format!("http://127.0.0.1:{port}/api/v4"),
    }
}

/// What a logical link may be now: each client's links are keyed `c<client>-<n>`, and a rename
/// appends `~<k>`, so every name on the server names its key. A write that was acknowledged
/// leaves one possibility; one whose answer never came (the process died, or 503) leaves the
/// states before and after it.
type State = Option<(i64, String)>;

#[derive(Default)]
struct Model {
    links: BTreeMap<String, Vec<State>>,
}

impl Model {
    /// The client's own links whose state is known. Each client touches only its own, so the
    /// writes to one link are sequential and the model can follow them answer by answer.
    fn certain_present(&self, client: usize) -> Vec<(String, i64, String)> {
        let prefix = format!("c{client}-");
        self.links
            .range(prefix.clone()..)
            .take_while(|(key, _)| key.starts_with(&prefix))
            .filter_map(|(key, states)| match states.as_slice() {
                [Some((id, name))] => Some((key.clone(), *id, name.clone())),
                _ => None,
            })
            .collect()
    }
}

#[derive(Default)]
struct Tally {
    acknowledged: AtomicU64,
    refused: AtomicU64,
    unanswered: AtomicU64,
}

enum Outcome {
    Acknowledged(Value),
    /// A 4xx: GitLab's word that nothing was written.
    Refused,
    /// No answer, or 503: the write may or may not have happened.
    Unknown,
}

async fn send(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    body: Option<Value>,
) -> Outcome {
    let mut request = client.request(method, url).header("PRIVATE-TOKEN", TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let Ok(response) = request.send().await else {
        return Outcome::Unknown;
    };
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    match status {
        200..=299 => Outcome::Acknowledged(body),
        503 => Outcome::Unknown,
        500..=599 => panic!("{status} {body}: a crash may never give a 5xx other than 503"),
        _ => Outcome::Refused,
    }
}

/// One client: writes until `stop`, keeping its model true to every answer it got.
async fn client_loop(
    number: usize,
    base: String,
    model: Arc<Mutex<Model>>,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
    serial: Arc<AtomicU64>,
) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    while !stop.load(Ordering::Relaxed) {
        let present = model.lock().expect("model").certain_present(number);
        let choice: u8 = rand::random::<u8>() % 4;
        if present.len() < 3 || choice < 2 {
            let key = format!("c{number}-{}", serial.fetch_add(1, Ordering::Relaxed));
            model
                .lock()
                .expect("model")
                .links
                .insert(key.clone(), vec![None]);
            let body = json!({"name": key, "url": format!("https://e.x/{key}")});
            let outcome = send(
                &client,
                reqwest::Method::POST,
                format!("{base}{LINKS}"),
                Some(body),
            )
            .await;
            let mut model = model.lock().expect("model");
            let states = model.links.get_mut(&key).expect("inserted");
            match outcome {
                Outcome::Acknowledged(link) => {
                    tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                    let id = link["id"].as_i64().expect("id");
                    *states = vec![Some((id, key.clone()))];
                }
                Outcome::Refused => {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                }
                Outcome::Unknown => {
                    tally.unanswered.fetch_add(1, Ordering::Relaxed);
                    // The id is not known: any id with this name will do.
                    states.push(Some((-1, key.clone())));
                }
            }
        } else {
            let (key, id, name) = present[rand::random::<u64>() as usize % present.len()].clone();
            let url = format!("{base}{LINKS}/{id}");
            let (outcome, after) = if choice == 2 {
                let renamed = format!("{key}~{}", serial.fetch_add(1, Ordering::Relaxed));
                let outcome = send(
                    &client,
                    reqwest::Method::PUT,
                    url,
                    Some(json!({"name": renamed})),
                )
                .await;
                (outcome, Some((id, renamed)))
            } else {
                (
                    send(&client, reqwest::Method::DELETE, url, None).await,
                    None,
                )
            };
            let mut model = model.lock().expect("model");
            let states = model.links.get_mut(&key).expect("known");
            match outcome {
                Outcome::Acknowledged(_) => {
                    tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                    *states = vec![after];
                }
                Outcome::Refused => {
                    tally.refused.fetch_add(1, Ordering::Relaxed);
                }
                Outcome::Unknown => {
                    tally.unanswered.fetch_add(1, Ordering::Relaxed);
                    *states = vec![Some((id, name)), after];
                }
            }
        }
    }
}

/// Every link of the release, read page by page.
async fn stored_links(base: &str) -> Vec<(i64, String)> {
    let client = reqwest::Client::new();
    let mut links = Vec::new();
    for page in 1.. {
        let response = client
            .get(format!("{base}{LINKS}?per_page=100&page={page}"))
            .header("PRIVATE-TOKEN", TOKEN)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 200);
        let next = response
            .headers()
            .get("x-next-page")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body: Value = response.json().await.expect("json");
        for link in body.as_array().expect("list") {
            links.push((
                link["id"].as_i64().expect("id"),
                link["name"].as_str().expect("name").to_owned(),
            ));
        }
        if next.is_empty() {
            break;
        }
    }
    links
}

/// Compares the server with the model, then settles every open question with what is stored.
async fn check_and_settle(base: &str, model: &Mutex<Model>) -> usize {
    let stored = stored_links(base).await;
    let mut model = model.lock().expect("model");
    let mut seen = BTreeMap::new();
    for (id, name) in &stored {
        let key = name.split('~').next().unwrap_or_default().to_owned();
        let states = model
            .links
            .get(&key)
            .unwrap_or_else(|| panic!("{name} is stored but was never written"));
        let matches = states.iter().any(|state| match state {
            Some((known_id, known_name)) => {
                known_name == name && (*known_id == *id || *known_id == -1)
            }
            None => false,
        });
        assert!(
            matches,
            "{key} is stored as #{id} {name:?}, but its acknowledged state is one of {states:?}"
        );
        assert!(
            seen.insert(key, (*id, name.clone())).is_none(),
            "one key, two links"
        );
    }
    for (key, states) in &mut model.links {
        match seen.get(key) {
            Some((id, name)) => *states = vec![Some((*id, name.clone()))],
            None => {
                assert!(
                    states.contains(&None),
                    "{key} was acknowledged as {states:?} but is gone"
                );
                *states = vec![None];
            }
        }
    }
    model.links.retain(|_, states| states != &vec![None]);
    stored.len()
}

async fn integrity_check(database: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::SqliteConnection::connect(database)
        .await
        .expect("the database opens");
    let result: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut connection)
        .await
        .expect("integrity_check runs");
    assert_eq!(result, "ok");
    let _ = connection.close().await;
}

async fn prepare(base: &str) {
    common::project_with_release(base, TOKEN).await;
}

/// Runs the clients against `base` until `interrupt` has happened, then stops them.
async fn load_until<F: std::future::Future<Output = ()>>(
    base: &str,
    model: &Arc<Mutex<Model>>,
    tally: &Arc<Tally>,
    serial: &Arc<AtomicU64>,
    interrupt: F,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|number| {
            tokio::spawn(client_loop(
                number,
                base.to_owned(),
                model.clone(),
                stop.clone(),
                tally.clone(),
                serial.clone(),
            ))
        })
        .collect();
    interrupt.await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("a client panicked");
    }
}

fn random_load_time() -> Duration {
    Duration::from_millis(150 + rand::random::<u64>() % 600)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_at_random_moments() {
    let db = TestDatabase::new().await;
    let port = common::free_port();
    let mut server = start(&db.url, port).await;
    prepare(&server.base).await;
    let model = Arc::new(Mutex::new(Model::default()));
    let tally = Arc::new(Tally::default());
    let serial = Arc::new(AtomicU64::new(0));
    let mut stored = 0;
    for _ in 0..cycles() {
        let child = &mut server.child;
        load_until(&server.base, &model, &tally, &serial, async {
            tokio::time::sleep(random_load_time()).await;
            child.start_kill().expect("SIGKILL");
            let _ = child.wait().await;
        })
        .await;
        if !db.is_postgres() {
            integrity_check(&db.url).await;
        }
        server = start(&db.url, port).await;
        stored = check_and_settle(&server.base, &model).await;
    }
    let acknowledged = tally.acknowledged.load(Ordering::Relaxed);
    eprintln!(
        "{} SIGKILLs survived: {acknowledged} acknowledged writes checked, {} unanswered, {} refused, {stored} links stored at the end",
        cycles(),
        tally.unanswered.load(Ordering::Relaxed),
        tally.refused.load(Ordering::Relaxed),
    );
    assert!(acknowledged > 0);
}

/// Tests of PostgreSQL alone: `scripts/test` runs them in that engine's pass only.
mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn acknowledged_writes_survive_database_restarts() {
        let cluster = Cluster::create().await;
        let port = common::free_port();
        let server = start(&cluster.url(), port).await;
        prepare(&server.base).await;
        let model = Arc::new(Mutex::new(Model::default()));
        let tally = Arc::new(Tally::default());
        let serial = Arc::new(AtomicU64::new(0));
        let restarts = cycles().div_ceil(4);
        for _ in 0..restarts {
            load_until(&server.base, &model, &tally, &serial, async {
                tokio::time::sleep(random_load_time()).await;
                cluster.stop().await;
                tokio::time::sleep(Duration::from_millis(200)).await;
                cluster.start().await;
                tokio::time::sleep(random_load_time()).await;
            })
            .await;
            // The same process, without a restart, answers again and holds every acknowledged write.
            let deadline = Instant::now() + Duration::from_secs(20);
            while reqwest::get(format!("http://127.0.0.1:{port}/-/readiness"))
                .await
                .map_or(true, |r| r.status() != 200)
            {
                assert!(Instant::now() < deadline, "relinks did not recover");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            check_and_settle(&server.base, &model).await;
        }
        eprintln!(
        "{restarts} database restarts survived: {} acknowledged writes checked, {} unanswered or 503",
        tally.acknowledged.load(Ordering::Relaxed),
        tally.unanswered.load(Ordering::Relaxed),
    );
    }
}
