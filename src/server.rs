//! Running relinks: open the store named by the URL (the engine is chosen here, once), make
//! sure there is an administrator, serve HTTP until SIGINT or SIGTERM, let in-flight requests
//! finish, close the store.

use anyhow::{bail, Context};
use tokio::net::TcpListener;

use crate::bootstrap::ensure_root;
use crate::config::{DatabaseConfig, ServeConfig};
use crate::http::{router, App, HttpConfig};
use crate::store::cached::Cached;
use crate::store::postgres::PgStore;
use crate::store::sqlite::SqliteStore;
use crate::store::Store;

/// An opened store of either engine.
#[derive(Clone, Debug)]
pub enum Engine {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

/// Opens the database a URL names (creating or migrating it), by its scheme.
pub async fn open(database: &DatabaseConfig) -> anyhow::Result<Engine> {
    let url = database.url.as_str();
    let engine = if url.starts_with("sqlite:") {
        Engine::Sqlite(
            SqliteStore::connect(url)
                .await
                .with_context(|| format!("opening {url}"))?,
        )
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let store = PgStore::connect(url, &database.pg_settings())
            .await
            .with_context(|| format!("connecting to {}", redact(url)))?;
        Engine::Postgres(store)
    } else {
        bail!(
            "unsupported database URL {}: use sqlite://path.db or postgres://user@host/db",
            redact(url)
        );
    };
    Ok(engine)
}

/// A URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
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
    tracing::info!("shutting down: finishing in-flight requests");
}

pub async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    match open(&config.database).await? {
        // This process is the only writer of a SQLite file: reads can be cached. PostgreSQL is
        // shared with other instances, so it is always asked.
        Engine::Sqlite(store) => run(Cached::new(store), config).await,
        Engine::Postgres(store) => run(store, config).await,
    }
}

async fn run<S: Store>(store: S, config: ServeConfig) -> anyhow::Result<()> {
    let (token_key, source) =
        crate::secret::resolve(&config.secrets(), &config.database.url, &store).await?;
    tracing::info!(?source, "secret key for token digests");
    let rekeyed = store.key_token_digests(&token_key).await?;
    if rekeyed > 0 {
        tracing::info!(rekeyed, "token digests from before token keys now keyed");
    }
    if let Some(token) = ensure_root(&store, config.root_token.as_deref(), &token_key).await? {
        // Printed once, on the terminal, never logged.
        println!();
        println!("  relinks created the administrator 'root' with this personal access token:");
        println!();
        println!("      {token}");
        println!();
        println!(
            "  It is shown only now. Keep it safe (set RELINKS_ROOT_TOKEN to choose your own)."
        );
        println!();
    }
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let external_url = config.external_url();
    let http = HttpConfig {
        max_body_bytes: config.max_body_bytes,
        max_header_bytes: config.max_header_bytes,
        request_timeout: std::time::Duration::from_secs(config.request_timeout_secs.max(1)),
        max_name_length: config.max_name_length,
        max_links_per_release: config.max_links_per_release.max(1),
        token_key,
        rate_limits: config.rate_limits(),
    };
    let app = App::new(store.clone(), &external_url, http);
    if !config.database.url.starts_with("sqlite:") {
        app.share_rate_limits();
    }
    tracing::info!(address = %listener.local_addr()?, %external_url, "relinks is ready");
    let service = router(app).into_make_service_with_connect_info::<std::net::SocketAddr>();
    axum::serve(listener, service)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    store.close().await;
    Ok(())
}

/// `relinks migrate`: create or upgrade the schema, then close.
pub async fn migrate(database: &DatabaseConfig) -> anyhow::Result<()> {
    match open(database).await? {
        Engine::Sqlite(store) => store.close().await,
        Engine::Postgres(store) => store.close().await,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(super::redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
