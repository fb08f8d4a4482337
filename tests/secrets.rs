//! Tokens are stored as keyed digests (HMAC-SHA-256 under the server's secret key): the key is
//! made on first start beside a SQLite database (or kept in PostgreSQL when not given), digests
//! from before keys keep working, a bad key is refused, `relinks copy` carries the key, and a
//! token's last use is recorded.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::process::{Child, Command};

use common::{TestApp, TestDatabase};
use relinks::app::{open, Engine};
use relinks::config::DatabaseConfig;
use relinks::domain::token::{unkeyed_digest, TokenKey};
use relinks::store::{Directory, NewPersonalToken, NewUser};

const ROOT: &str = "glpat-secrets-test-0123456789abcdef";

struct Server {
    _child: Child,
    api: String,
}

async fn start(database: &str, root_token: Option<&str>) -> Server {
    let port = common::free_port();
    let mut command = common::relinks_serve(database, port);
    if let Some(token) = root_token {
        command.env("RELINKS_ROOT_TOKEN", token);
    }
    let child = command.spawn().expect("relinks starts");
    common::wait_ready(port).await;
    Server {
        _child: child,
        api: format!("http://127.0.0.1:{port}/api/v4"),
    }
}

async fn status_with(api: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("{api}/user"))
        .header("PRIVATE-TOKEN", token)
        .send()
        .await
        .expect("answered")
        .status()
        .as_u16()
}

/// The digest stored for the token with this id, read straight from the database.
async fn stored_digest(url: &str, id: i64) -> String {
    use sqlx::Connection;
    let sql = "SELECT digest FROM personal_access_tokens WHERE id = $1";
    if url.starts_with("sqlite:") {
        let mut connection = sqlx::SqliteConnection::connect(url).await.expect("opens");
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut connection)
            .await
    } else {
        let mut connection = sqlx::PgConnection::connect(url).await.expect("opens");
        sqlx::query_scalar(sql)
            .bind(id)
            .fetch_one(&mut connection)
            .await
    }
    .expect("the token's digest")
}

/// A user with a token stored as relinks stored them before token keys.
async fn add_unkeyed_token<S: Directory>(store: &S, secret: &str) -> i64 {
    let user = store
        .create_user(&NewUser {
            username: "old".into(),
            name: "Old".into(),
            email: "old@e.x".into(),
            is_admin: false,
        })
        .await
        .expect("user");
    store
        .create_personal_token(&NewPersonalToken {
            user_id: user.id,
            name: "old".into(),
            digest: unkeyed_digest(secret),
            scopes: vec!["api".into()],
            expires_at: None,
        })
        .await
        .expect("token")
        .id
}

async fn key_of(db: &TestDatabase) -> TokenKey {
    if let Some(file) = relinks::secret::file_beside(&db.url) {
        let text = std::fs::read_to_string(file).expect("key file");
        return TokenKey::from_hex(&text).expect("hex key");
    }
    let stored = match open(&DatabaseConfig::new(&db.url)).await.expect("opens") {
        Engine::Sqlite(store) => store.server_setting("token_key").await,
        Engine::Postgres(store) => store.server_setting("token_key").await,
    };
    TokenKey::from_hex(&stored.expect("read").expect("a key in the database")).expect("hex")
}

#[tokio::test]
async fn the_key_is_made_on_first_start_and_digests_are_keyed() {
    let db = TestDatabase::new().await;
    let server = start(&db.url, Some(ROOT)).await;
    assert_eq!(status_with(&server.api, ROOT).await, 200);
    if let Some(file) = relinks::secret::file_beside(&db.url) {
        let mode = std::fs::metadata(&file)
            .expect("key file")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "only the owner may read the key");
    }
    let key = key_of(&db).await;
    let digest = stored_digest(&db.url, 1).await;
    assert_eq!(digest, key.digest(ROOT));
    assert_ne!(digest, unkeyed_digest(ROOT), "never the plain SHA-256");
    // A token made through the API works, and keeps working after a restart.
    let made = reqwest::Client::new()
        .post(format!("{}/users/1/personal_access_tokens", server.api))
        .header("PRIVATE-TOKEN", ROOT)
        .json(&json!({"name": "ci", "scopes": ["api"]}))
        .send()
        .await
        .expect("answered")
        .json::<Value>()
        .await
        .expect("json");
    let secret = made["token"].as_str().expect("token").to_owned();
    assert_eq!(
        stored_digest(&db.url, made["id"].as_i64().expect("id")).await,
        key.digest(&secret)
    );
    drop(server);
    let server = start(&db.url, None).await;
    assert_eq!(status_with(&server.api, ROOT).await, 200);
    assert_eq!(status_with(&server.api, &secret).await, 200);
    assert_eq!(
        status_with(&server.api, "glpat-not-a-token-at-all-000000000").await,
        401
    );
}

#[tokio::test]
async fn digests_stored_before_keys_keep_working_and_are_keyed_once() {
    let db = TestDatabase::new().await;
    let old = "glpat-from-before-token-keys-000000";
    let id = match open(&DatabaseConfig::new(&db.url)).await.expect("opens") {
        Engine::Sqlite(store) => add_unkeyed_token(&store, old).await,
        Engine::Postgres(store) => add_unkeyed_token(&store, old).await,
    };
    let server = start(&db.url, None).await;
    assert_eq!(status_with(&server.api, old).await, 200);
    let key = key_of(&db).await;
    assert_eq!(stored_digest(&db.url, id).await, key.digest(old));
    drop(server);
    // A second start finds the digests keyed already and leaves them be.
    let server = start(&db.url, None).await;
    assert_eq!(status_with(&server.api, old).await, 200);
    assert_eq!(stored_digest(&db.url, id).await, key.digest(old));
}

#[tokio::test]
async fn a_secret_that_is_not_a_key_stops_the_start_with_a_clear_message() {
    let db = TestDatabase::new().await;
    let output = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db.url])
        .env("RELINKS_SECRET", "hunter2")
        .env("RELINKS_LOG", "error")
        .output()
        .await
        .expect("runs");
    assert!(!output.status.success());
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(
        text.contains("RELINKS_SECRET must hold 64 hex digits"),
        "{text}"
    );
    assert!(
        !text.contains("hunter2"),
        "the secret is never printed: {text}"
    );
}

#[tokio::test]
async fn a_key_from_the_environment_is_used_and_no_file_is_made() {
    let db = TestDatabase::new().await;
    let key = TokenKey::generate();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    drop(listener);
    let _child = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--database",
            &db.url,
        ])
        .env("RELINKS_SECRET", key.to_hex())
        .env("RELINKS_ROOT_TOKEN", ROOT)
        .env("RELINKS_LOG", "error")
        .kill_on_drop(true)
        .spawn()
        .expect("starts");
    let api = format!("http://127.0.0.1:{port}/api/v4");
    let deadline = Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{api}/version")).await.is_err() {
        assert!(Instant::now() < deadline, "relinks did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(status_with(&api, ROOT).await, 200);
    assert_eq!(stored_digest(&db.url, 1).await, key.digest(ROOT));
    if let Some(file) = relinks::secret::file_beside(&db.url) {
        assert!(!file.exists());
    }
}

#[tokio::test]
async fn relinks_copy_carries_the_key_so_tokens_work_on_the_target() {
    let source = TestDatabase::sqlite();
    let server = start(&source.url, Some(ROOT)).await;
    assert_eq!(status_with(&server.api, ROOT).await, 200);
    drop(server);
    let target = TestDatabase::new().await;
    let output = Command::new(env!("CARGO_BIN_EXE_relinks"))
        .args(["copy", "--from", &source.url, "--to", &target.url])
        .env_remove("RELINKS_SECRET")
        .env_remove("RELINKS_SECRET_FILE")
        .env("RELINKS_LOG", "error")
        .output()
        .await
        .expect("runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // No RELINKS_ROOT_TOKEN: the copied digest must match under the carried key.
    let server = start(&target.url, None).await;
    assert_eq!(status_with(&server.api, ROOT).await, 200);
    assert_eq!(key_of(&target).await, key_of(&source).await);
}

#[tokio::test]
async fn a_tokens_last_use_is_recorded() {
    let app = TestApp::start().await;
    let user = app.user("ci").await;
    let token: Value = app
        .get(&user, "/personal_access_tokens/self")
        .await
        .expect(200)
        .clone();
    let id = token["id"].as_i64().expect("id");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let seen = app
            .get(&app.root, &format!("/personal_access_tokens/{id}"))
            .await;
        if seen.expect(200)["last_used_at"].is_string() {
            break;
        }
        assert!(Instant::now() < deadline, "last_used_at was never written");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
