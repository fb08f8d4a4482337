//! Crash safety of hosted files: 16 clients upload files (generic package files and project
//! uploads) and delete them as fast as they can while the relinks process is killed with
//! SIGKILL at random moments. After every restart (and its sweep), every file whose upload was
//! acknowledged downloads with the digest it was uploaded with, a file whose deletion was
//! acknowledged is gone, what no answer acknowledged is either there whole or not at all, no
//! temporary file is left, and the storage holds exactly the bytes the database refers to.
//!
//! `RELINKS_CRASH_CYCLES=30 cargo test --release --test integration crash_files::
//! -- --nocapture` runs more.

use crate::common;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::process::Child;

use common::files::{random_bytes, sha256_hex, storage_of_process};
use common::TestDatabase;

const TOKEN: &str = "glpat-crash-files-0123456789abcdefgh";
const CLIENTS: usize = 16;

fn cycles() -> usize {
    std::env::var("RELINKS_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(8, |n: usize| n.div_ceil(2))
}

async fn start(database: &str, port: u16) -> Child {
    let child = common::relinks_serve(database, port)
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        .env("RELINKS_RATE_LIMITS", "off")
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    child
}

/// Where a file lives: a package (by its name) or an upload (by its file name).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Package(String),
    Upload(String),
}

/// What a file may be now: `None` gone, `Some(sha)` there with these bytes. An acknowledged
/// write leaves one possibility; an unanswered one the states before and after it.
#[derive(Default)]
struct Model {
    files: BTreeMap<Key, Vec<Option<String>>>,
    /// Ids to delete files by, once known.
    ids: BTreeMap<Key, i64>,
}

#[derive(Default)]
struct Tally {
    acknowledged: AtomicU64,
    unanswered: AtomicU64,
}

enum Outcome {
    Acknowledged(Value),
    Refused,
    Unknown,
}

async fn answer(request: reqwest::RequestBuilder) -> Outcome {
    let Ok(response) = request.header("PRIVATE-TOKEN", TOKEN).send().await else {
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

async fn upload(client: &reqwest::Client, base: &str, key: &Key, bytes: Vec<u8>) -> Outcome {
    match key {
        Key::Package(name) => {
            let url = format!(
                "{base}/api/v4/projects/1/packages/generic/{name}/1.0/f.bin?select=package_file"
            );
            answer(client.put(url).body(bytes)).await
        }
        Key::Upload(name) => {
            let part = reqwest::multipart::Part::bytes(bytes).file_name(name.clone());
            let form = reqwest::multipart::Form::new().part("file", part);
            answer(
                client
                    .post(format!("{base}/api/v4/projects/1/uploads"))
                    .multipart(form),
            )
            .await
        }
    }
}

async fn delete(client: &reqwest::Client, base: &str, key: &Key, id: i64) -> Outcome {
    let what = match key {
        Key::Package(_) => "packages",
        Key::Upload(_) => "uploads",
    };
    answer(client.delete(format!("{base}/api/v4/projects/1/{what}/{id}"))).await
}

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
        let known: Vec<(Key, i64)> = {
            let model = model.lock().expect("model");
            let prefix = format!("c{number}-");
            model
                .ids
                .iter()
                .filter(|(key, _)| matches!(key, Key::Package(n) | Key::Upload(n) if n.starts_with(&prefix)))
                .filter(|(key, _)| matches!(model.files.get(key).map(Vec::as_slice), Some([Some(_)])))
                .map(|(key, id)| (key.clone(), *id))
                .collect()
        };
        if known.len() < 2 || rand::random::<u8>() % 3 != 0 {
            let n = serial.fetch_add(1, Ordering::Relaxed);
            let name = format!("c{number}-{n}");
            let key = if n % 2 == 0 {
                Key::Package(name)
            } else {
                Key::Upload(format!("{name}.bin"))
            };
            let bytes = random_bytes(10_000 + (rand::random::<u32>() % 200_000) as usize);
            let sha = sha256_hex(&bytes);
            model
                .lock()
                .expect("model")
                .files
                .insert(key.clone(), vec![None]);
            let outcome = upload(&client, &base, &key, bytes).await;
            let mut model = model.lock().expect("model");
            match outcome {
                Outcome::Acknowledged(body) => {
                    tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                    let id = match key {
                        Key::Package(_) => body["package_id"].as_i64(),
                        Key::Upload(_) => body["id"].as_i64(),
                    };
                    model.files.insert(key.clone(), vec![Some(sha)]);
                    if let Some(id) = id {
                        model.ids.insert(key, id);
                    }
                }
                Outcome::Refused => {}
                Outcome::Unknown => {
                    tally.unanswered.fetch_add(1, Ordering::Relaxed);
                    model.files.insert(key, vec![None, Some(sha)]);
                }
            }
        } else {
            let (key, id) = known[rand::random::<u64>() as usize % known.len()].clone();
            let outcome = delete(&client, &base, &key, id).await;
            let mut model = model.lock().expect("model");
            let before = model.files.get(&key).cloned().unwrap_or_default();
            match outcome {
                Outcome::Acknowledged(_) => {
                    tally.acknowledged.fetch_add(1, Ordering::Relaxed);
                    model.files.insert(key.clone(), vec![None]);
                    model.ids.remove(&key);
                }
                Outcome::Refused => {}
                Outcome::Unknown => {
                    tally.unanswered.fetch_add(1, Ordering::Relaxed);
                    let mut states = before;
                    states.push(None);
                    model.files.insert(key, states);
                }
            }
        }
    }
}

async fn get_json(client: &reqwest::Client, url: String) -> Value {
    let response = client
        .get(url)
        .header("PRIVATE-TOKEN", TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

/// What the server holds: each package's or upload's key, id and the SHA-256 of its bytes as
/// downloaded.
async fn stored_files(base: &str) -> BTreeMap<Key, (i64, String)> {
    let client = reqwest::Client::new();
    let mut stored = BTreeMap::new();
    for page in 1.. {
        let packages = get_json(
            &client,
            format!("{base}/api/v4/projects/1/packages?per_page=100&page={page}"),
        )
        .await;
        let packages = packages.as_array().expect("list").clone();
        for package in &packages {
            let name = package["name"].as_str().expect("name").to_owned();
            let url = format!("{base}/api/v4/projects/1/packages/generic/{name}/1.0/f.bin");
            let bytes = client
                .get(url)
                .header("PRIVATE-TOKEN", TOKEN)
                .send()
                .await
                .expect("answered");
            assert_eq!(bytes.status(), 200, "{name} is listed, so it downloads");
            let sha = sha256_hex(&bytes.bytes().await.expect("bytes"));
            stored.insert(
                Key::Package(name),
                (package["id"].as_i64().expect("id"), sha),
            );
        }
        if packages.len() < 100 {
            break;
        }
    }
    for page in 1.. {
        let uploads = get_json(
            &client,
            format!("{base}/api/v4/projects/1/uploads?per_page=100&page={page}"),
        )
        .await;
        let uploads = uploads.as_array().expect("list").clone();
        for upload in &uploads {
            let id = upload["id"].as_i64().expect("id");
            let bytes = client
                .get(format!("{base}/api/v4/projects/1/uploads/{id}"))
                .header("PRIVATE-TOKEN", TOKEN)
                .send()
                .await
                .expect("answered");
            assert_eq!(bytes.status(), 200);
            let sha = sha256_hex(&bytes.bytes().await.expect("bytes"));
            stored.insert(
                Key::Upload(upload["filename"].as_str().expect("name").to_owned()),
                (id, sha),
            );
        }
        if uploads.len() < 100 {
            break;
        }
    }
    stored
}

/// Compares the server with the model (then takes what it holds as the truth), and the storage
/// with the database.
async fn check_and_settle(base: &str, database: &str, model: &Mutex<Model>) -> usize {
    let stored = stored_files(base).await;
    {
        let mut model = model.lock().expect("model");
        for (key, (_, sha)) in &stored {
            let states = model
                .files
                .get(key)
                .unwrap_or_else(|| panic!("{key:?} is stored but was never written"));
            assert!(
                states.contains(&Some(sha.clone())),
                "{key:?} holds {sha}, but its acknowledged state is one of {states:?}"
            );
        }
        for (key, states) in &mut model.files {
            match stored.get(key) {
                Some((_, sha)) => *states = vec![Some(sha.clone())],
                None => {
                    assert!(
                        states.contains(&None),
                        "{key:?} was acknowledged as {states:?} but is gone"
                    );
                    *states = vec![None];
                }
            }
        }
        model.files.retain(|_, states| states != &vec![None]);
        model.ids = stored
            .iter()
            .map(|(key, (id, _))| (key.clone(), *id))
            .collect();
    }
    let mut referred: Vec<String> = stored.values().map(|(_, sha)| sha.clone()).collect();
    referred.sort();
    referred.dedup();
    let blobs = relinks::blobs::Blobs::open(&storage_of_process(database))
        .await
        .expect("storage");
    let mut held = blobs.list().await.expect("lists");
    held.sort();
    assert_eq!(
        held, referred,
        "the storage holds exactly the bytes the database refers to"
    );
    if let Some(root) = blobs.local_root() {
        assert_eq!(
            std::fs::read_dir(root.join("tmp")).expect("tmp").count(),
            0,
            "no temporary file is left"
        );
    }
    stored.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_files_survive_sigkill_and_nothing_else_is_left() {
    let db = TestDatabase::new().await;
    let port = common::free_port();
    let mut child = start(&db.url, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let created = reqwest::Client::new()
        .post(format!("{base}/api/v4/projects"))
        .header("PRIVATE-TOKEN", TOKEN)
        .json(&json!({"name": "p"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), 201);
    let model = Arc::new(Mutex::new(Model::default()));
    let tally = Arc::new(Tally::default());
    let serial = Arc::new(AtomicU64::new(0));
    let mut held = 0;
    for _ in 0..cycles() {
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..CLIENTS)
            .map(|n| {
                tokio::spawn(client_loop(
                    n,
                    base.clone(),
                    model.clone(),
                    stop.clone(),
                    tally.clone(),
                    serial.clone(),
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300 + rand::random::<u64>() % 900)).await;
        child.start_kill().expect("SIGKILL");
        let _ = child.wait().await;
        stop.store(true, Ordering::Relaxed);
        for client in clients {
            client.await.expect("a client panicked");
        }
        child = start(&db.url, port).await;
        held = check_and_settle(&base, &db.url, &model).await;
    }
    let acknowledged = tally.acknowledged.load(Ordering::Relaxed);
    eprintln!(
        "{} SIGKILLs survived: {acknowledged} acknowledged uploads and deletes checked, {} unanswered, {held} files held at the end",
        cycles(),
        tally.unanswered.load(Ordering::Relaxed)
    );
    assert!(acknowledged > 0);
}
