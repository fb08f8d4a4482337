//! PostgreSQL as the store of several instances: migrations applied once when instances start
//! together, racing writes from different instances, reads right after writes, and a database
//! restart in the middle of a stream of requests. These run in the PostgreSQL pass of the suite
//! (`RELINKS_TEST_DATABASE=postgres`).

use crate::common;

use std::time::{Duration, Instant};

use common::cluster::Cluster;
use common::{TestDatabase, ROOT_TOKEN};
use relinks::config::DatabaseConfig;
use relinks::store::postgres::{PgSettings, PgStore};
use serde_json::{json, Value};
use tokio::sync::oneshot;

/// A relinks instance on a PostgreSQL URL, in this process, with its own pool.
struct Instance {
    base: String,
    _stop: oneshot::Sender<()>,
}

async fn instance(url: &str, pool: &PgSettings) -> Instance {
    let database = DatabaseConfig {
        database_pool_size: pool.max_connections,
        statement_timeout_ms: pool.statement_timeout.as_millis() as u64,
        acquire_timeout_ms: pool.acquire_timeout.as_millis() as u64,
        ..DatabaseConfig::new(url)
    };
    let settings = relinks::app::Settings {
        database,
        ..common::settings(url, common::test_config())
    };
    let (base, stop) = common::serve_settings(settings).await;
    Instance { base, _stop: stop }
}

async fn call(method: reqwest::Method, url: String, body: Option<Value>) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client");
    let mut request = client
        .request(method, url)
        .header("PRIVATE-TOKEN", ROOT_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            (status, response.json().await.unwrap_or(Value::Null))
        }
        Err(_) => (0, Value::Null),
    }
}

/// Tests of PostgreSQL alone: `scripts/test` runs them in that engine's pass only.
mod postgres_only {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn instances_starting_together_apply_migrations_once() {
        let database = TestDatabase::postgres().await;
        let settings = PgSettings::default();
        let starts = (0..3).map(|_| PgStore::connect(&database.url, &settings));
        for started in futures::future::join_all(starts).await {
            started.expect("every instance starts");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn three_instances_on_one_database_behave_as_one_server() {
        let database = TestDatabase::postgres().await;
        let settings = PgSettings::default();
        let instances = [
            instance(&database.url, &settings).await,
            instance(&database.url, &settings).await,
            instance(&database.url, &settings).await,
        ];
        let api = |i: usize, path: &str| format!("{}/api/v4{path}", instances[i % 3].base);
        assert_eq!(
            call(
                reqwest::Method::POST,
                api(0, "/projects"),
                Some(json!({"name": "p"}))
            )
            .await
            .0,
            201
        );
        assert_eq!(
            call(
                reqwest::Method::POST,
                api(1, "/projects/1/releases"),
                Some(json!({"tag_name": "v1"}))
            )
            .await
            .0,
            201
        );

        let same =
            json!({"name": "same", "url": "https://e.x/same", "direct_asset_path": "/bin/same"});
        let attempts = (0..50).map(|i| {
            call(
                reqwest::Method::POST,
                api(i, "/projects/1/releases/v1/assets/links"),
                Some(same.clone()),
            )
        });
        let replies = futures::future::join_all(attempts).await;
        assert_eq!(
            replies.iter().filter(|(s, _)| *s == 201).count(),
            1,
            "{replies:?}"
        );
        for (status, body) in replies.iter().filter(|(s, _)| *s != 201) {
            assert_eq!(*status, 400, "{body}");
            assert_eq!(
                body,
                &json!({"message": ["Url has already been taken", "Name has already been taken", "Filepath has already been taken"]})
            );
        }

        for i in 0..30 {
            let body = json!({"name": format!("n{i}"), "url": format!("https://e.x/{i}")});
            let (status, created) = call(
                reqwest::Method::POST,
                api(i, "/projects/1/releases/v1/assets/links"),
                Some(body),
            )
            .await;
            assert_eq!(status, 201);
            let id = created["id"].as_i64().expect("id");
            for other in 1..3 {
                let (status, read) = call(
                    reqwest::Method::GET,
                    api(
                        i + other,
                        &format!("/projects/1/releases/v1/assets/links/{id}"),
                    ),
                    None,
                )
                .await;
                assert_eq!(
                    (status, &read["name"]),
                    (200, &created["name"]),
                    "read on another instance right after the 201"
                );
            }
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_database_restart_gives_503_and_recovers_without_losing_acknowledged_writes() {
        let cluster = Cluster::create().await;
        let settings = PgSettings {
            acquire_timeout: Duration::from_secs(1),
            ..PgSettings::default()
        };
        let server = instance(&cluster.url(), &settings).await;
        let api = |path: &str| format!("{}/api/v4{path}", server.base);
        assert_eq!(
            call(
                reqwest::Method::POST,
                api("/projects"),
                Some(json!({"name": "p"}))
            )
            .await
            .0,
            201
        );
        assert_eq!(
            call(
                reqwest::Method::POST,
                api("/projects/1/releases"),
                Some(json!({"tag_name": "v1"}))
            )
            .await
            .0,
            201
        );

        // A stream of creates, recording every answer and how long it took.
        let (stop_stream, mut stopped) = oneshot::channel::<()>();
        let stream_api = api("/projects/1/releases/v1/assets/links");
        let stream = tokio::spawn(async move {
            let mut answers: Vec<(String, u16, Value, Duration)> = Vec::new();
            for i in 0.. {
                if stopped.try_recv().is_ok() {
                    break;
                }
                let name = format!("link-{i}");
                let started = Instant::now();
                let (status, body) = call(
                    reqwest::Method::POST,
                    stream_api.clone(),
                    Some(json!({"name": name, "url": format!("https://e.x/{i}")})),
                )
                .await;
                answers.push((name, status, body, started.elapsed()));
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answers
        });

        tokio::time::sleep(Duration::from_millis(800)).await;
        cluster.stop().await;
        let down_at = Instant::now();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let (ready_status, ready) = call(
            reqwest::Method::GET,
            format!("{}/-/readiness", server.base),
            None,
        )
        .await;
        assert_eq!(ready_status, 503, "{ready}");
        assert_eq!(ready["status"], "failed");
        cluster.start().await;
        let up_at = Instant::now();

        // 2xx again within seconds of the database being back.
        let recovered = loop {
            let (status, _) = call(
                reqwest::Method::GET,
                api("/projects/1/releases/v1/assets/links"),
                None,
            )
            .await;
            if status == 200 {
                break up_at.elapsed();
            }
            assert!(
                up_at.elapsed() < Duration::from_secs(15),
                "no recovery after the database came back"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = stop_stream.send(());
        let answers = stream.await.expect("stream ends");
        eprintln!(
            "outage: {:?} down, recovered {:?} after restart, {} requests",
            up_at - down_at,
            recovered,
            answers.len()
        );

        let unavailable: Vec<_> = answers.iter().filter(|(_, s, _, _)| *s == 503).collect();
        assert!(!unavailable.is_empty(), "the stream saw the outage");
        for (_, _, body, took) in &unavailable {
            assert_eq!(body, &json!({"message": "503 Service Unavailable"}));
            assert!(
                *took < Duration::from_secs(5),
                "503 comes fast, not after a hang: {took:?}"
            );
        }
        for (name, status, body, _) in &answers {
            assert!(matches!(status, 201 | 503), "{name}: {status} {body}");
        }
        assert!(
            answers.last().is_some_and(|(_, s, _, _)| *s == 201),
            "the stream ends in success"
        );

        let mut stored = std::collections::HashSet::new();
        for page in 1.. {
            let (status, list) = call(
                reqwest::Method::GET,
                api(&format!(
                    "/projects/1/releases/v1/assets/links?per_page=100&page={page}"
                )),
                None,
            )
            .await;
            assert_eq!(status, 200);
            let items = list.as_array().expect("list");
            if items.is_empty() {
                break;
            }
            stored.extend(
                items
                    .iter()
                    .map(|l| l["name"].as_str().expect("name").to_owned()),
            );
        }
        let acknowledged: Vec<_> = answers
            .iter()
            .filter(|(_, s, _, _)| *s == 201)
            .map(|(n, _, _, _)| n.clone())
            .collect();
        for name in &acknowledged {
            assert!(stored.contains(name), "{name} was acknowledged but is gone");
        }
        eprintln!(
            "{} acknowledged creates checked, {} answered 503",
            acknowledged.len(),
            unavailable.len()
        );
        drop(server);
    }
}
