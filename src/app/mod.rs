//! The one place that builds a running relinks, for `relinks serve`, the tests and the
//! benchmark alike: the store of the engine the URL names (SQLite behind its read cache), the
//! secret key for token digests, the first administrator, the application with its
//! background work (rate-limit counts shared through PostgreSQL), the router, and the
//! connections it is served on until the stop signal. A new part (a blob store, a webhook
//! worker) is added here once and every way of starting relinks gets it.

pub mod connections;
mod dispatch;
pub mod engine;
mod header_timer;
pub mod openapi;
pub mod router;
mod stall;
pub mod storage;

use std::future::Future;

use anyhow::Context;
use tokio::net::TcpListener;

pub use connections::ConnectionLimits;
pub use engine::{migrate, open, redact, Engine};

use crate::bootstrap::ensure_root;
use crate::config::{DatabaseConfig, SecretConfig, ServeConfig};
use crate::http::download_counter::DownloadFlusher;
use crate::http::ratelimit::RateLimits;
use crate::http::{App, HttpConfig};
use crate::store::cached::Cached;
use crate::store::Store;

/// Everything a running relinks is made from.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseConfig,
    /// The public base URL; `http://<listening address>` when none is given.
    pub external_url: Option<String>,
    /// The HTTP layer's settings (its token key is replaced by the one [`SecretConfig`] finds).
    pub http: HttpConfig,
    pub connections: ConnectionLimits,
    pub secrets: SecretConfig,
    /// `root` exists and this exact string is one of its tokens.
    pub root_token: Option<String>,
    /// Reads are answered from a cache in front of the store (a test that counts the
    /// statements reaching the database turns it off).
    pub read_cache: bool,
    /// Where hosted files go; `None`: `<database file>.files` beside a SQLite database.
    pub storage: Option<crate::blobs::StorageSettings>,
}

impl Settings {
    /// The defaults for `database`.
    pub fn new(database: DatabaseConfig) -> Self {
        Self {
            database,
            external_url: None,
            http: HttpConfig::default(),
            connections: ConnectionLimits::default(),
            secrets: SecretConfig::default(),
            root_token: None,
            read_cache: true,
            storage: None,
        }
    }
}

impl Settings {
    /// The settings `relinks serve`'s flags and environment give.
    pub fn from_config(config: &ServeConfig) -> anyhow::Result<Self> {
        let seconds = |n: u64| std::time::Duration::from_secs(n.max(1));
        let monitoring = crate::http::middleware::MonitoringAllowList::parse(&config.metrics_allow)
            .map_err(|e| anyhow::anyhow!("--metrics-allow: {e}"))?;
        Ok(Self {
            database: config.database.clone(),
            external_url: config.external_url.clone(),
            http: HttpConfig {
                max_body_bytes: config.max_body_bytes,
                max_header_bytes: config.max_header_bytes,
                request_timeout: seconds(config.request_timeout_secs),
                max_name_length: config.max_name_length,
                max_links_per_release: config.max_links_per_release.max(1),
                rate_limits: rate_limits(config),
                monitoring,
                transfers: crate::http::TransferLimits {
                    max_generic_file_bytes: config.max_generic_file_bytes,
                    max_upload_bytes: config.max_upload_bytes,
                    idle_timeout: seconds(config.transfer_idle_timeout_secs),
                },
                outbound: crate::outbound::OutboundSettings {
                    allow_local_network: config.allow_local_network,
                    max_bytes: config.verify_max_bytes,
                    timeout: seconds(config.verify_timeout_secs),
                    ..crate::outbound::OutboundSettings::default()
                },
                webhooks: crate::http::webhooks::WebhookSettings {
                    timeout: seconds(config.webhook_timeout_secs),
                    max_attempts: i64::from(config.webhook_attempts.max(1)),
                    ..crate::http::webhooks::WebhookSettings::default()
                },
                ..HttpConfig::default()
            },
            connections: ConnectionLimits {
                header_read_timeout: seconds(config.header_read_timeout_secs),
                max_connections: config.max_connections.max(1),
                shutdown_grace: std::time::Duration::from_secs(config.shutdown_grace_secs),
                write_stall_timeout: seconds(config.transfer_idle_timeout_secs),
            },
            secrets: config.secrets(),
            root_token: config.root_token.clone(),
            read_cache: true,
            storage: config.storage_settings()?,
        })
    }
}

/// The limits the flags set; `0` switches one off.
fn rate_limits(config: &ServeConfig) -> RateLimits {
    if config.rate_limits == "off" {
        return RateLimits::off();
    }
    let limit = |n: u64| (n > 0).then_some(n);
    RateLimits {
        per_user: limit(config.rate_limit_per_user),
        per_ip: limit(config.rate_limit_per_ip),
        failures_before_ban: limit(config.auth_failures_before_ban),
        ban: std::time::Duration::from_secs(config.auth_ban_secs),
    }
}

/// A relinks ready to serve: the application and its router, not yet on a socket.
pub struct Built {
    pub router: router::AppService,
    /// Stored what the instance counted before the store closes.
    downloads: crate::http::download_counter::DownloadFlusher,
    closer: Closer,
}

/// How the store is closed when serving ends.
enum Closer {
    Sqlite(crate::store::sqlite::SqliteStore),
    Postgres(crate::store::postgres::PgStore),
}

impl Built {
    pub async fn close(self) {
        self.downloads.stop().await;
        match self.closer {
            Closer::Sqlite(store) => store.close().await,
            Closer::Postgres(store) => store.close().await,
        }
    }
}

/// Opens the store and builds the application for `external_url`. The application is
/// compiled once per engine: the store is always behind a [`Cached`], which serves nothing from
/// memory when `read_cache` is off.
pub async fn build(settings: &Settings, external_url: &str) -> anyhow::Result<Built> {
    match open(&settings.database).await? {
        Engine::Sqlite(store) => {
            // This process is the only writer of a SQLite file: reads can be cached.
            let cached = if settings.read_cache {
                Cached::new(store.clone())
            } else {
                Cached::uncached(store.clone())
            };
            let (router, downloads) = assemble(cached, settings, external_url).await?;
            Ok(Built {
                router,
                downloads,
                closer: Closer::Sqlite(store),
            })
        }
        Engine::Postgres(store) => {
            // PostgreSQL is shared with other instances: the cache checks the database's
            // generations once per request.
            let cached = if settings.read_cache {
                Cached::shared(store.clone())
            } else {
                Cached::uncached(store.clone())
            };
            let (router, downloads) = assemble(cached, settings, external_url).await?;
            Ok(Built {
                router,
                downloads,
                closer: Closer::Postgres(store),
            })
        }
    }
}

/// The secret key, the first administrator, the application and its background work.
async fn assemble<S: Store>(
    store: S,
    settings: &Settings,
    external_url: &str,
) -> anyhow::Result<(router::AppService, DownloadFlusher)> {
    let (token_key, source) =
        crate::secret::resolve(&settings.secrets, &settings.database.url, &store).await?;
    tracing::info!(?source, "secret key for token digests");
    let rekeyed = store.key_token_digests(&token_key).await?;
    if rekeyed > 0 {
        tracing::info!(rekeyed, "token digests from before token keys now keyed");
    }
    let versioned = store.fill_version_keys().await?;
    if versioned > 0 {
        tracing::info!(
            versioned,
            "releases from before version keys now have theirs"
        );
    }
    if let Some(token) = ensure_root(&store, settings.root_token.as_deref(), &token_key).await? {
        print_root_token(&token);
    }
    let http = HttpConfig {
        token_key,
        ..settings.http.clone()
    };
    let storage = storage::settings(settings.storage.as_ref(), &settings.database);
    let files = storage::open(&store, &storage, &settings.database).await?;
    let app = App::new(store, files, external_url, http);
    if settings.database.is_postgres() {
        app.share_rate_limits();
    }
    let downloads = DownloadFlusher::start(app.clone(), app.config.download_flush);
    app.send_webhooks();
    Ok((router::router(app), downloads))
}

/// Printed once, on the terminal, never logged.
fn print_root_token(token: &str) {
    println!();
    println!("  relinks created the administrator 'root' with this personal access token:");
    println!();
    println!("      {token}");
    println!();
    println!("  It is shown only now. Keep it safe (set RELINKS_ROOT_TOKEN to choose your own).");
    println!();
}

/// Serves on `listener` until `shutdown` completes; in-flight requests finish (within the
/// grace period), then the store is closed.
pub async fn serve_on(
    listener: TcpListener,
    settings: Settings,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let address = listener.local_addr()?;
    let external_url = match &settings.external_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => format!("http://{address}"),
    };
    let built = build(&settings, &external_url).await?;
    tracing::info!(%address, %external_url, "relinks is ready");
    connections::serve_connections(
        listener,
        built.router.clone(),
        settings.connections,
        shutdown,
    )
    .await;
    built.close().await;
    Ok(())
}

/// `relinks serve`: listens where the configuration says, until SIGINT or SIGTERM.
pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let settings = Settings::from_config(&config)?;
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    serve_on(listener, settings, shutdown_signal()).await
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
}
