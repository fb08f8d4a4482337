//! Round trips to PostgreSQL per request, counted on the wire: the server talks to PostgreSQL
//! through a proxy here that reads the protocol's messages from relinks to the database. A
//! statement is one flight ending in `Sync` after an `Execute` (or one simple `Query`): one
//! round trip. A `Sync` alone is sqlx's check of a connection the pool takes back, made after the
//! answer has left (it does not delay the request); it is counted apart.
//!
//! The targets: a read and a link write take at most two round trips when the caller, the
//! project and the release are known to the read cache (one to learn whether anything changed
//! since, one for the object when it did or for the write), and a read that follows a write of
//! another instance still sees it (tests/freshness.rs checks that on two instances).

mod postgres_only {
    use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    use crate::common::{self, TestApp, TestDatabase};

    /// What the proxy has seen go to the database, and how long it holds each flight of
    /// messages to it (milliseconds), to make the database's round trips long.
    #[derive(Default)]
    struct Counts {
        statements: AtomicUsize,
        checks: AtomicUsize,
        delay_ms: AtomicU64,
    }

    /// A proxy in front of the PostgreSQL server of `url`; the URL to give relinks instead.
    async fn proxy(url: &str, counts: Arc<Counts>) -> String {
        let (scheme, rest) = url.split_once("://").expect("a URL");
        let (userinfo, rest) = rest.split_once('@').expect("user@host");
        let (upstream, database) = rest.split_once('/').expect("host/database");
        let upstream = upstream.to_owned();
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.expect("PostgreSQL");
                tokio::spawn(relay(client, server, counts.clone()));
            }
        });
        // In the clear, so that the messages can be read.
        format!("{scheme}://{userinfo}@127.0.0.1:{port}/{database}?sslmode=disable")
    }

    /// Forwards both ways, reading the messages relinks sends.
    async fn relay(client: TcpStream, server: TcpStream, counts: Arc<Counts>) {
        let (mut from_client, mut to_client) = client.into_split();
        let (mut from_server, mut to_server) = server.into_split();
        tokio::spawn(async move {
            let _ = tokio::io::copy(&mut from_server, &mut to_client).await;
        });
        let mut pending: Vec<u8> = Vec::new();
        let mut started = false;
        let mut executed = false;
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = match from_client.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let delay = counts.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            if to_server.write_all(&buffer[..n]).await.is_err() {
                return;
            }
            pending.extend_from_slice(&buffer[..n]);
            loop {
                // Before the start-up message, messages have no type byte.
                let header = if started { 5 } else { 4 };
                if pending.len() < header {
                    break;
                }
                let at = header - 4;
                let length = u32::from_be_bytes([
                    pending[at],
                    pending[at + 1],
                    pending[at + 2],
                    pending[at + 3],
                ]) as usize;
                let total = at + length;
                if length < 4 || pending.len() < total {
                    break;
                }
                if !started {
                    // 196608 is protocol 3.0's start-up message; SSL/GSS requests come before it.
                    started = pending.get(4..8) == Some(&196_608u32.to_be_bytes()[..]);
                } else {
                    match pending[0] {
                        b'E' => executed = true,
                        b'Q' => {
                            counts.statements.fetch_add(1, Ordering::SeqCst);
                        }
                        b'S' if executed => {
                            executed = false;
                            counts.statements.fetch_add(1, Ordering::SeqCst);
                        }
                        b'S' => {
                            counts.checks.fetch_add(1, Ordering::SeqCst);
                        }
                        _ => {}
                    }
                }
                pending.drain(..total);
            }
        }
    }

    /// The fewest statements and checks one request took over a few tries (the first try warms
    /// the cache; background work of the server may add to one try, never to all).
    async fn round_trips(
        counts: &Counts,
        mut request: impl AsyncFnMut() -> u16,
        expected: u16,
    ) -> (usize, usize) {
        let mut fewest = (usize::MAX, usize::MAX);
        for _ in 0..4 {
            let before = (
                counts.statements.load(Ordering::SeqCst),
                counts.checks.load(Ordering::SeqCst),
            );
            assert_eq!(request().await, expected);
            // The pool checks a connection after the answer: let it.
            tokio::time::sleep(Duration::from_millis(60)).await;
            let took = (
                counts.statements.load(Ordering::SeqCst) - before.0,
                counts.checks.load(Ordering::SeqCst) - before.1,
            );
            fewest = (fewest.0.min(took.0), fewest.1.min(took.1));
        }
        fewest
    }

    /// What keeps a proxied server running: its database and its stop signal.
    type Held = (TestDatabase, tokio::sync::oneshot::Sender<()>);

    /// relinks on a fresh PostgreSQL database, through the proxy: the proxy's counts, the
    /// app, the id of a private project, and what must be held for the server to run.
    async fn proxied_app() -> (Arc<Counts>, TestApp, i64, Held) {
        let database = TestDatabase::postgres().await;
        let counts = Arc::new(Counts::default());
        let proxied = proxy(&database.url, counts.clone()).await;
        let (base, stop) =
            common::serve_settings(common::settings(&proxied, common::test_config())).await;
        let app = TestApp::attach(base);
        let id = app.project("p", "private", None).await["id"]
            .as_i64()
            .expect("id");
        (counts, app, id, (database, stop))
    }

    #[tokio::test]
    async fn reads_and_link_writes_take_at_most_two_round_trips() {
        let (counts, app, id, _held) = proxied_app().await;
        let links: Vec<_> = (0..100)
            .map(|i| json!({"name": format!("n{i}"), "url": format!("https://e.x/{i}"), "filepath": format!("/f/{i}")}))
            .collect();
        app.post(
            &app.root,
            &format!("/projects/{id}/releases"),
            json!({"tag_name": "v1", "assets": {"links": links}}),
        )
        .await
        .expect(201);
        let link = app
            .get(
                &app.root,
                &format!("/projects/{id}/releases/v1/assets/links/1"),
            )
            .await;
        let link_id = link.expect(200)["id"].as_i64().expect("link id");

        let reads = [
            (
                "GET one link",
                format!("/projects/{id}/releases/v1/assets/links/{link_id}"),
                200,
            ),
            (
                "GET 100 links",
                format!("/projects/{id}/releases/v1/assets/links?per_page=100"),
                200,
            ),
            ("GET a release", format!("/projects/{id}/releases/v1"), 200),
            (
                "permanent link",
                format!("/projects/{id}/releases/v1/downloads/f/1"),
                302,
            ),
        ];
        let mut report = Vec::new();
        for (name, path, status) in &reads {
            let (statements, checks) = round_trips(
                &counts,
                async || app.get(&app.root, path).await.status,
                *status,
            )
            .await;
            report.push(format!("{name}: {statements} statements, {checks} checks"));
        }

        let mut n = 0;
        let (statements, checks) = round_trips(
            &counts,
            async || {
                n += 1;
                let body =
                    json!({"name": format!("new{n}"), "url": format!("https://e.x/new/{n}")});
                app.post(
                    &app.root,
                    &format!("/projects/{id}/releases/v1/assets/links"),
                    body,
                )
                .await
                .status
            },
            201,
        )
        .await;
        report.push(format!(
            "POST create: {statements} statements, {checks} checks"
        ));

        let mut n = 0;
        let (statements, checks) = round_trips(
            &counts,
            async || {
                n += 1;
                let body = json!({"name": format!("renamed{n}")});
                app.put(
                    &app.root,
                    &format!("/projects/{id}/releases/v1/assets/links/{link_id}"),
                    body,
                )
                .await
                .status
            },
            200,
        )
        .await;
        report.push(format!(
            "PUT rename: {statements} statements, {checks} checks"
        ));

        let mut n = 49;
        let (statements, checks) = round_trips(
            &counts,
            async || {
                n += 1;
                let path = format!("/projects/{id}/releases/v1/assets/links/{}", link_id + n);
                app.delete(&app.root, &path).await.status
            },
            200,
        )
        .await;
        report.push(format!("DELETE: {statements} statements, {checks} checks"));

        // A read right after a write: the links part has moved on, the rest is still known.
        let one = format!("/projects/{id}/releases/v1/assets/links/{link_id}");
        let mut fewest = usize::MAX;
        for n in 0..4 {
            let body = json!({"name": format!("again{n}")});
            app.put(&app.root, &one, body).await.expect(200);
            tokio::time::sleep(Duration::from_millis(60)).await;
            let before = counts.statements.load(Ordering::SeqCst);
            app.get(&app.root, &one).await.expect(200);
            fewest = fewest.min(counts.statements.load(Ordering::SeqCst) - before);
        }
        report.push(format!("GET one link after a write: {fewest} statements"));
        eprintln!("{}", report.join("\n"));
        for line in &report {
            let statements: usize = line
                .split(": ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .expect("a count");
            assert!(statements <= 2, "{line}");
        }
    }

    /// Concurrent reads share the round trip that tells them whether anything changed: a
    /// request takes the answer of a check that began after it did (so a write another
    /// instance acknowledged before is seen, tests/freshness.rs), and every request that
    /// arrives while one check is under way waits for the next, one check for them all.
    #[tokio::test]
    async fn concurrent_reads_share_the_round_trip_that_checks_for_changes() {
        const READERS: usize = 60;
        let (counts, app, id, _held) = proxied_app().await;
        let link = json!({"name": "n", "url": "https://e.x/n"});
        let release = json!({"tag_name": "v1", "assets": {"links": [link]}});
        app.post(&app.root, &format!("/projects/{id}/releases"), release)
            .await
            .expect(201);
        let path = format!("/projects/{id}/releases/v1/assets/links");
        app.get(&app.root, &path).await.expect(200);
        tokio::time::sleep(Duration::from_millis(60)).await;

        // Each round trip now takes at least 40 ms: the readers arrive within a few of them.
        counts.delay_ms.store(40, Ordering::SeqCst);
        let before = counts.statements.load(Ordering::SeqCst);
        let reads = (0..READERS).map(|_| app.get(&app.root, &path));
        for reply in futures::future::join_all(reads).await {
            assert_eq!(reply.status, 200);
        }
        let took = counts.statements.load(Ordering::SeqCst) - before;
        eprintln!("{READERS} concurrent reads: {took} statements");
        assert!(took > 0, "the reads checked for changes");
        assert!(
            took <= READERS / 6,
            "{READERS} concurrent reads took {took} statements"
        );
    }
}
