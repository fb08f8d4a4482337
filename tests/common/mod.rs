//! The test harness: a real relinks server on a free port with its own fresh database, and
//! ready-made callers. Every scenario talks to it over real HTTP.

#![allow(dead_code)]

pub mod cluster;
pub mod files;

use std::net::SocketAddr;

use reqwest::header::HeaderMap;
use reqwest::{Client, Method};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::sync::oneshot;

use relinks::app::Settings;
use relinks::config::{DatabaseConfig, SecretConfig};
use relinks::http::HttpConfig;

/// `relinks serve` of the built binary on `port` and `database`: quiet, killed with its test,
/// and with no root token or secret from the environment the tests run in. Each test adds what
/// it needs (a later `env` or `stdout` wins).
pub fn relinks_serve(database: &str, port: u16) -> tokio::process::Command {
    let mut command = tokio::process::Command::new(relinks_binary());
    command
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--database", database])
        .env_remove("RELINKS_ROOT_TOKEN")
        .env_remove("RELINKS_STORAGE")
        .env_remove("RELINKS_SECRET")
        .env_remove("RELINKS_SECRET_FILE")
        .env("RELINKS_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    if files::testing_s3() {
        command
            .arg("--storage")
            .arg(format!(
                "s3://{}/{}",
                files::TEST_BUCKET,
                files::prefix_of(database)
            ))
            .env("AWS_ENDPOINT_URL", files::s3_endpoint())
            .env("AWS_ACCESS_KEY_ID", files::TEST_S3_KEY)
            .env("AWS_SECRET_ACCESS_KEY", files::TEST_S3_SECRET)
            .env("AWS_ALLOW_HTTP", "true");
    } else if database.starts_with("postgres") {
        command.arg("--storage").arg(postgres_files_dir(database));
    }
    command
}

/// The `relinks` binary process tests start: `RELINKS_TEST_BINARY` when set (`scripts/test`
/// sets the release build it has just made: the build people run, measured as they run it),
/// else this test build's own.
pub fn relinks_binary() -> std::path::PathBuf {
    std::env::var_os("RELINKS_TEST_BINARY").map_or_else(
        || env!("CARGO_BIN_EXE_relinks").into(),
        std::path::PathBuf::from,
    )
}

/// Whether process tests run the release build (`RELINKS_TEST_BINARY`).
pub fn testing_release_binary() -> bool {
    std::env::var_os("RELINKS_TEST_BINARY").is_some()
}

/// The PostgreSQL server tests create their databases on (trust auth on these machines).
pub fn postgres_admin_url() -> String {
    std::env::var("RELINKS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

/// Whether this run tests PostgreSQL (`RELINKS_TEST_DATABASE=postgres`) or SQLite (default).
pub fn testing_postgres() -> bool {
    std::env::var("RELINKS_TEST_DATABASE").is_ok_and(|v| v.starts_with("postgres"))
}

/// A fresh, empty database for one test: a SQLite file in a temporary directory, or a new
/// PostgreSQL database that is dropped when the test ends.
pub struct TestDatabase {
    pub url: String,
    _dir: Option<TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    /// A database of the engine this run tests.
    pub async fn new() -> Self {
        if testing_postgres() {
            Self::postgres().await
        } else {
            Self::sqlite()
        }
    }

    /// No database (for a client of a server that has its own).
    pub fn none() -> Self {
        Self {
            url: String::new(),
            _dir: None,
            postgres_name: None,
        }
    }

    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("relinks.db").display());
        Self {
            url,
            _dir: Some(dir),
            postgres_name: None,
        }
    }

    /// A fresh database with relinks' schema in place, for a server a test starts on it (as
    /// after `relinks migrate`): on PostgreSQL a copy of a template this test process migrated
    /// once (creating and migrating a database of its own took a second of every test), on
    /// SQLite an empty file, as [`TestDatabase::new`].
    pub async fn migrated() -> Self {
        if testing_postgres() {
            Self::postgres_copy_of(migrated_template().await).await
        } else {
            Self::sqlite()
        }
    }

    /// A new, empty PostgreSQL database (no schema).
    pub async fn postgres() -> Self {
        Self::postgres_copy_of("template1").await
    }

    async fn postgres_copy_of(template: &str) -> Self {
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let admin = postgres_admin_url();
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!(
            "{}{}_{}_{}",
            POSTGRES_TEST_PREFIX,
            std::process::id(),
            n,
            rand_suffix()
        );
        postgres_admin(&format!("CREATE DATABASE {name} TEMPLATE {template}")).await;
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
        Self {
            url: format!("{base}/{name}"),
            _dir: None,
            postgres_name: Some(name),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres_name.is_some()
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64),
    );
    hasher.finish() % 1_000_000
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(name) = self.postgres_name.take() else {
            return;
        };
        let _ = std::fs::remove_dir_all(postgres_files_dir(&self.url));
        // Dropped behind the tests' back (half a second each, here): one the test process
        // leaves when it ends is dropped by the next (see `migrated_template`).
        drop_postgres_databases_behind(vec![name]);
    }
}

/// The names of the databases the tests create: the process's id follows.
const POSTGRES_TEST_PREFIX: &str = "relinks_test_";

/// `statement`, on a connection of its own to the tests' PostgreSQL server.
async fn postgres_admin(statement: &str) {
    use sqlx::Connection;
    let mut connection = sqlx::PgConnection::connect(&postgres_admin_url())
        .await
        .expect("PostgreSQL is reachable");
    sqlx::query(statement)
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("{statement}: {error}"));
    let _ = connection.close().await;
}

/// Drops `names` on a thread of its own, which nothing waits for (Drop may run inside a
/// runtime it must not block).
fn drop_postgres_databases_behind(names: Vec<String>) {
    let admin = postgres_admin_url();
    std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            use sqlx::Connection;
            if let Ok(mut connection) = sqlx::PgConnection::connect(&admin).await {
                for name in names {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut connection)
                        .await;
                }
                let _ = connection.close().await;
            }
        });
    });
}

/// The template [`TestDatabase::migrated`] copies: made and migrated once per test process,
/// by relinks' own `migrate`, with nobody connected to it after. Its maker also drops what
/// test processes that have ended left behind.
async fn migrated_template() -> &'static str {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            drop_postgres_databases_behind(databases_of_ended_test_processes().await);
            let template = TestDatabase::postgres().await;
            relinks::app::engine::migrate(&DatabaseConfig::new(&template.url))
                .await
                .expect("the template database is migrated");
            // Kept to the end of the process (the next one drops it).
            let template = std::mem::ManuallyDrop::new(template);
            template.postgres_name.clone().unwrap_or_default()
        })
        .await
}

/// The tests' databases whose process (named in them) no longer runs.
async fn databases_of_ended_test_processes() -> Vec<String> {
    use sqlx::Connection;
    let Ok(mut connection) = sqlx::PgConnection::connect(&postgres_admin_url()).await else {
        return Vec::new();
    };
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE starts_with(datname, $1)")
            .bind(POSTGRES_TEST_PREFIX)
            .fetch_all(&mut connection)
            .await
            .unwrap_or_default();
    let _ = connection.close().await;
    names
        .into_iter()
        .filter(|name| {
            let pid = name[POSTGRES_TEST_PREFIX.len()..].split('_').next();
            pid.is_some_and(|pid| !std::path::Path::new("/proc").join(pid).exists())
        })
        .collect()
}

/// A port nothing listens on now (for a `relinks` process a test starts).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Waits until the `relinks` process on `port` reports ready (its database reachable);
/// panics after 30 seconds.
pub async fn wait_ready(port: u16) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("http://127.0.0.1:{port}/-/readiness")).await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("relinks did not start (without manual repair)");
}

/// One key for every test server, so that instances sharing a database (and copies of one)
/// accept the same tokens.
pub const TEST_KEY_HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

pub fn test_key() -> relinks::domain::token::TokenKey {
    relinks::domain::token::TokenKey::from_hex(TEST_KEY_HEX).expect("a valid key")
}

/// The default settings with [`test_key`], and a webhook sender that looks for events only
/// hourly: the tests counting statements and round trips count nothing of it (the webhook
/// tests set a short period).
pub fn test_config() -> HttpConfig {
    HttpConfig {
        token_key: test_key(),
        webhooks: relinks::http::webhooks::WebhookSettings {
            poll: std::time::Duration::from_secs(3600),
            ..relinks::http::webhooks::WebhookSettings::default()
        },
        ..HttpConfig::default()
    }
}

/// Where a test server on the PostgreSQL database `url` keeps its files: a directory of its
/// own (a SQLite server's default is beside its database file, in the test's temporary
/// directory), removed with the database.
pub fn postgres_files_dir(url: &str) -> std::path::PathBuf {
    let name = url.rsplit('/').next().unwrap_or("relinks");
    std::env::temp_dir().join("relinks-test-files").join(name)
}

/// The storage of a test server on `url`: S3 when this run tests it, else the engine's default
/// on SQLite and a directory of the database's own on PostgreSQL.
pub fn test_storage(url: &str) -> Option<relinks::blobs::StorageSettings> {
    url.starts_with("postgres")
        .then(|| relinks::blobs::StorageSettings {
            location: relinks::blobs::StorageLocation::Directory(postgres_files_dir(url)),
            s3: Default::default(),
        })
}

/// The settings every test server has: the test key, root with [`ROOT_TOKEN`], and `config`
/// (its token key is the test key too).
pub fn settings(url: &str, config: HttpConfig) -> Settings {
    Settings {
        storage: test_storage(url),
        http: config,
        secrets: SecretConfig {
            secret: Some(TEST_KEY_HEX.to_owned()),
            secret_file: None,
        },
        root_token: Some(ROOT_TOKEN.to_owned()),
        ..Settings::new(DatabaseConfig::new(url))
    }
}

/// Serves `settings` on a free port through relinks' one entry point (`app::serve_on`, as
/// `relinks serve` does) until the returned sender is dropped; returns once it answers.
pub async fn serve_settings(settings: Settings) -> (String, oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address: SocketAddr = listener.local_addr().expect("address");
    let base = format!("http://{address}");
    let (stop, stopped) = oneshot::channel::<()>();
    let mut server = tokio::spawn(relinks::app::serve_on(listener, settings, async {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Ok(reply) = reqwest::get(format!("{base}/-/liveness")).await {
            if reply.status() == 200 {
                return (base, stop);
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "relinks did not start"
        );
        if let Ok(ended) =
            tokio::time::timeout(std::time::Duration::from_millis(10), &mut server).await
        {
            panic!("relinks stopped before it answered: {ended:?}");
        }
    }
}

/// Where a test's writes go to be read by `reader`: on PostgreSQL a second instance on the same
/// database, as several stateless instances share one PostgreSQL (the sender stops it); on
/// SQLite, where one process owns the file, `reader` itself.
pub async fn writer_for(reader: &TestApp) -> (TestApp, Option<oneshot::Sender<()>>) {
    if reader.database_url().starts_with("postgres") {
        let (base, stop) = serve_url(reader.database_url(), test_config()).await;
        (TestApp::attach(base), Some(stop))
    } else {
        (TestApp::attach(reader.base.clone()), None)
    }
}

/// Serves the database at `url` with `config`.
pub async fn serve_url(url: &str, config: HttpConfig) -> (String, oneshot::Sender<()>) {
    serve_settings(settings(url, config)).await
}

/// One answer, with its body parsed when it is JSON.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub text: String,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status and returns the body, showing the body when the status differs.
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(
            self.status, status,
            "unexpected status, body: {}",
            self.text
        );
        &self.body
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }
}

/// Project 1 (`p`) and its release `v1`, made through the API at `base` (`…/api/v4`) with
/// `token`: what the crash tests write into.
pub async fn project_with_release(base: &str, token: &str) {
    let client = reqwest::Client::new();
    for (path, body) in [
        ("/projects", json!({"name": "p"})),
        (
            "/projects/1/releases",
            json!({"tag_name": "v1", "ref": "main"}),
        ),
    ] {
        let response = client
            .post(format!("{base}{path}"))
            .header("PRIVATE-TOKEN", token)
            .json(&body)
            .send()
            .await
            .expect("answered");
        assert_eq!(response.status(), 201, "{path}");
    }
}

/// The `name` of each link of a JSON array of links, in order.
pub fn names(links: &Value) -> Vec<String> {
    links
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["name"].as_str().expect("name").to_owned())
        .collect()
}

/// A caller: a user with a personal access token, or anonymous.
#[derive(Debug, Clone)]
pub struct Caller {
    pub id: i64,
    pub username: String,
    pub token: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self {
            id: 0,
            username: String::new(),
            token: None,
        }
    }

    pub fn with_token(&self, token: &str) -> Self {
        Self {
            token: Some(token.to_owned()),
            ..self.clone()
        }
    }
}

/// A running relinks with an empty database, and `root`.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub root: Caller,
    /// Where the server keeps hosted files (`None` for an attached server).
    pub storage: Option<relinks::blobs::StorageSettings>,
    _stop: oneshot::Sender<()>,
    // Dropped last: the server stops before its database goes.
    _database: TestDatabase,
}

pub const ROOT_TOKEN: &str = "glpat-test-root-token-0123456789";

impl TestApp {
    pub async fn start() -> Self {
        Self::start_with(test_config()).await
    }

    /// A client for a server started elsewhere (it owns its database).
    pub fn attach(base: String) -> Self {
        let (stop, _) = oneshot::channel::<()>();
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let root = Caller {
            id: 1,
            username: "root".into(),
            token: Some(ROOT_TOKEN.into()),
        };
        Self {
            base,
            client,
            root,
            storage: None,
            _stop: stop,
            _database: TestDatabase::none(),
        }
    }

    pub async fn start_with(config: HttpConfig) -> Self {
        Self::start_with_settings(|settings| settings.http = config).await
    }

    /// A server whose settings `adjust` changes from the tests' (its database is new).
    pub async fn start_with_settings(adjust: impl FnOnce(&mut Settings)) -> Self {
        let database = TestDatabase::migrated().await;
        let mut settings = settings(&database.url, test_config());
        adjust(&mut settings);
        let storage =
            relinks::app::storage::settings(settings.storage.as_ref(), &settings.database);
        let (base, stop) = serve_settings(settings).await;
        let root = Caller {
            id: 1,
            username: "root".into(),
            token: Some(ROOT_TOKEN.into()),
        };
        // Redirects are part of what is tested, so they are not followed.
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            base,
            client,
            root,
            storage: Some(storage),
            _stop: stop,
            _database: database,
        }
    }

    /// The URL of this server's database (empty for an attached server).
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// A URL outside the API (pages, permanent links): the path as given.
    pub fn web_url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else if path.starts_with("/api/") || path.starts_with("/-/") || !path.starts_with('/') {
            format!("{}{}", self.base, path)
        } else {
            format!("{}/api/v4{path}", self.base)
        }
    }

    /// Sends a request as `caller`; `body` goes as JSON when given.
    pub async fn send(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path));
        if let Some(token) = &caller.token {
            request = request.header("PRIVATE-TOKEN", token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        into_reply(request.send().await.expect("request is answered")).await
    }

    pub async fn get(&self, caller: &Caller, path: &str) -> Reply {
        self.send(caller, Method::GET, path, None).await
    }

    pub async fn post(&self, caller: &Caller, path: &str, body: Value) -> Reply {
        self.send(caller, Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, caller: &Caller, path: &str, body: Value) -> Reply {
        self.send(caller, Method::PUT, path, Some(body)).await
    }

    pub async fn delete(&self, caller: &Caller, path: &str) -> Reply {
        self.send(caller, Method::DELETE, path, None).await
    }

    /// Sends a form-encoded body, as `curl --data` does.
    pub async fn form(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        pairs: &[(&str, &str)],
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path)).form(pairs);
        if let Some(token) = &caller.token {
            request = request.header("PRIVATE-TOKEN", token);
        }
        into_reply(request.send().await.expect("request is answered")).await
    }

    /// A new user with an `api` token (or other scopes), made by root.
    pub async fn user(&self, username: &str) -> Caller {
        self.user_with(username, false, &["api"]).await
    }

    pub async fn user_with(&self, username: &str, admin: bool, scopes: &[&str]) -> Caller {
        let created = self
            .post(
                &self.root,
                "/users",
                json!({"username": username, "name": username, "email": format!("{username}@example.com"), "admin": admin}),
            )
            .await;
        let id = created.expect(201)["id"].as_i64().expect("user id");
        let token = self
            .post(
                &self.root,
                &format!("/users/{id}/personal_access_tokens"),
                json!({"name": "t", "scopes": scopes}),
            )
            .await;
        let secret = token.expect(201)["token"]
            .as_str()
            .expect("token")
            .to_owned();
        Caller {
            id,
            username: username.into(),
            token: Some(secret),
        }
    }

    /// A project of root's in `namespace` (a group path) or root's own namespace.
    pub async fn project(&self, path: &str, visibility: &str, namespace: Option<i64>) -> Value {
        let mut body = json!({"name": path, "path": path, "visibility": visibility});
        if let Some(ns) = namespace {
            body["namespace_id"] = json!(ns);
        }
        self.post(&self.root, "/projects", body)
            .await
            .expect(201)
            .clone()
    }

    pub async fn add_member(&self, project_id: i64, user: &Caller, level: i64) {
        self.post(
            &self.root,
            &format!("/projects/{project_id}/members"),
            json!({"user_id": user.id, "access_level": level}),
        )
        .await
        .expect(201);
    }

    pub async fn release(&self, project_id: i64, tag: &str) -> Value {
        self.post(
            &self.root,
            &format!("/projects/{project_id}/releases"),
            json!({"tag_name": tag}),
        )
        .await
        .expect(201)
        .clone()
    }
}

pub async fn into_reply(response: reqwest::Response) -> Reply {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        text,
        body,
    }
}

/// A project with one member of each role and a release `v1.0` with one link.
pub struct World {
    pub app: TestApp,
    pub project_id: i64,
    pub project_path: String,
    pub maintainer: Caller,
    pub developer: Caller,
    pub reporter: Caller,
    pub guest: Caller,
    pub outsider: Caller,
    pub link_id: i64,
}

impl World {
    pub async fn new(visibility: &str) -> Self {
        Self::on(TestApp::start().await, visibility).await
    }

    /// The world on a server started with settings of its own.
    pub async fn on(app: TestApp, visibility: &str) -> Self {
        let project = app.project("app", visibility, None).await;
        let project_id = project["id"].as_i64().expect("project id");
        let project_path = project["path_with_namespace"]
            .as_str()
            .expect("path")
            .to_owned();
        let maintainer = app.user("maintainer").await;
        let developer = app.user("developer").await;
        let reporter = app.user("reporter").await;
        let guest = app.user("guest").await;
        let outsider = app.user("outsider").await;
        app.add_member(project_id, &maintainer, 40).await;
        app.add_member(project_id, &developer, 30).await;
        app.add_member(project_id, &reporter, 20).await;
        app.add_member(project_id, &guest, 10).await;
        app.release(project_id, "v1.0").await;
        let link = app
            .post(
                &app.root,
                &format!("/projects/{project_id}/releases/v1.0/assets/links"),
                json!({"name": "first", "url": "https://example.com/first", "direct_asset_path": "/bin/first"}),
            )
            .await;
        let link_id = link.expect(201)["id"].as_i64().expect("link id");
        Self {
            app,
            project_id,
            project_path,
            maintainer,
            developer,
            reporter,
            guest,
            outsider,
            link_id,
        }
    }

    pub fn links(&self) -> String {
        format!("/projects/{}/releases/v1.0/assets/links", self.project_id)
    }

    pub fn link(&self, id: i64) -> String {
        format!("{}/{id}", self.links())
    }
}

/// The sign-in form as a browser gets it: its pre-session cookie (`name=value`) and the token
/// the form carries (the two must come back together).
pub async fn sign_in_form(app: &TestApp) -> (String, String) {
    let reply = into_reply(
        app.client
            .get(app.web_url("/users/sign_in"))
            .send()
            .await
            .expect("answered"),
    )
    .await;
    let cookie = reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a pre-session cookie")
        .to_owned();
    (cookie, form_token(&reply.text))
}

/// The CSRF token in a page's form.
pub fn form_token(page: &str) -> String {
    page.split("name=\"authenticity_token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the form's token")
        .to_owned()
}

/// Posts `fields` to the form at `path` as a browser does after loading the sign-in form: with
/// its cookie, its token and, when given, more cookies (a session).
pub async fn post_form(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    cookies: &[&str],
) -> Reply {
    let (cookie, token) = sign_in_form(app).await;
    let mut form = fields.to_vec();
    form.push(("authenticity_token", &token));
    let mut all = vec![cookie.as_str()];
    all.extend_from_slice(cookies);
    into_reply(
        app.client
            .post(app.web_url(path))
            .header("cookie", all.join("; "))
            .form(&form)
            .send()
            .await
            .expect("answered"),
    )
    .await
}

/// Signs in through the form with `fields` (`token`, `return_to`).
pub async fn post_sign_in(app: &TestApp, fields: &[(&str, &str)]) -> Reply {
    post_form(app, "/users/sign_in", fields, &[]).await
}

/// Signs in with `token`; the session cookie (`name=value`).
pub async fn signed_in_session(app: &TestApp, token: &str) -> String {
    let reply = post_sign_in(app, &[("token", token), ("return_to", "/")]).await;
    assert_eq!(reply.status, 303, "{}", reply.text);
    reply
        .header("set-cookie")
        .and_then(|c| c.split(';').next())
        .expect("a session cookie")
        .to_owned()
}

/// Runs one statement without parameters straight on the database at `url` (either engine),
/// for a state the API cannot make (rows from before a migration, say); the rows it touched.
pub async fn execute_sql(url: &str, sql: &str) -> u64 {
    use sqlx::Connection;
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connects");
        let done = sqlx::query(sql).execute(&mut conn).await;
        done.expect("statement runs").rows_affected()
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connects");
        let done = sqlx::query(sql).execute(&mut conn).await;
        done.expect("statement runs").rows_affected()
    }
}

/// The HTML of a page, fetched without credentials.
pub async fn page_text(app: &TestApp, path: &str) -> String {
    app.client
        .get(app.web_url(path))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html")
}
