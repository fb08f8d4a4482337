//! The number of SQL statements a request runs does not grow with the data it returns or the
//! data stored: no N+1. Counted on the store itself (no read cache in front), from the events
//! sqlx emits for every statement.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{TestApp, ROOT_TOKEN};
use serde_json::json;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

struct CountStatements;

/// Finds the statement's text among an event's fields.
#[derive(Default)]
struct Statement(String);

impl tracing::field::Visit for Statement {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "db.statement" || field.name() == "summary" {
            self.0.push_str(value);
        }
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" || field.name() == "summary" {
            self.0.push_str(&format!("{value:?}"));
        }
    }
}

impl<S: Subscriber> Layer<S> for CountStatements {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" {
            return;
        }
        let mut statement = Statement::default();
        event.record(&mut statement);
        // A pool opening a connection sets its pragmas: not the request's work.
        if !statement.0.to_uppercase().contains("PRAGMA") {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

async fn count(app: &TestApp, path: &str) -> usize {
    once(app, path).await;
    once(app, path).await
}

async fn once(app: &TestApp, path: &str) -> usize {
    let before = STATEMENTS.load(Ordering::SeqCst);
    let url = if path.starts_with("/projects") {
        app.url(path)
    } else {
        app.web_url(path)
    };
    let reply = app
        .client
        .get(url)
        .header("PRIVATE-TOKEN", ROOT_TOKEN)
        .send()
        .await
        .expect("answered");
    assert!(reply.status().as_u16() < 400, "{path}: {}", reply.status());
    STATEMENTS.load(Ordering::SeqCst) - before
}

#[tokio::test(flavor = "current_thread")]
async fn statements_per_request_do_not_grow_with_the_data() {
    let subscriber = tracing_subscriber::registry().with(CountStatements);
    tracing::subscriber::set_global_default(subscriber)
        .expect("one subscriber for this test binary");

    let database = common::TestDatabase::new().await;
    // Every statement reaches the database: no read cache in front of SQLite.
    let settings = relinks::app::Settings {
        read_cache: false,
        ..common::settings(&database.url, common::test_config())
    };
    let (base, _stop) = common::serve_settings(settings).await;
    let app = TestApp::attach(base);
    let id = app.project("p", "private", None).await["id"]
        .as_i64()
        .expect("id");
    for (tag, links) in [("small", 2), ("big", 100)] {
        let links: Vec<_> = (0..links).map(|i| json!({"name": format!("n{i}"), "url": format!("https://e.x/{tag}/{i}"), "filepath": format!("/f/{i}")})).collect();
        app.post(
            &app.root,
            &format!("/projects/{id}/releases"),
            json!({"tag_name": tag, "assets": {"links": links}}),
        )
        .await
        .expect(201);
    }
    for i in 0..20 {
        app.post(&app.root, &format!("/projects/{id}/releases"), json!({"tag_name": format!("r{i}"), "assets": {"links": [{"name": "x", "url": "https://e.x/x"}]}})).await.expect(201);
    }
    for i in 0..10 {
        app.post(&app.root, "/projects", json!({"name": format!("other{i}")}))
            .await
            .expect(201);
    }
    let pairs = [
        (
            "GET one link",
            format!("/projects/{id}/releases/small/assets/links/1"),
            format!("/projects/{id}/releases/big/assets/links/50"),
        ),
        (
            "GET links",
            format!("/projects/{id}/releases/small/assets/links?per_page=100"),
            format!("/projects/{id}/releases/big/assets/links?per_page=100"),
        ),
        (
            "GET a release",
            format!("/projects/{id}/releases/small"),
            format!("/projects/{id}/releases/big"),
        ),
        (
            "GET releases",
            format!("/projects/{id}/releases?per_page=2"),
            format!("/projects/{id}/releases?per_page=22"),
        ),
        (
            "GET tags",
            format!("/projects/{id}/repository/tags?per_page=2"),
            format!("/projects/{id}/repository/tags?per_page=22"),
        ),
        (
            "GET projects",
            "/projects?per_page=2".to_owned(),
            "/projects?per_page=11".to_owned(),
        ),
        (
            "permanent link",
            "/root/p/-/releases/small/downloads/f/1".to_owned(),
            "/root/p/-/releases/big/downloads/f/99".to_owned(),
        ),
        (
            "release page",
            "/root/p/-/releases/small".to_owned(),
            "/root/p/-/releases/big".to_owned(),
        ),
    ];
    for (what, small, large) in pairs {
        let (a, b) = (count(&app, &small).await, count(&app, &large).await);
        assert!(a > 0, "{what}: statements are counted");
        assert_eq!(
            a, b,
            "{what}: {a} statements with little data, {b} with much"
        );
        eprintln!("{what}: {a} statements");
    }
}
