//! Running relinks: open the store named by the URL, make sure there is an administrator,
//! serve HTTP until SIGINT or SIGTERM, let in-flight requests finish, close the store.

use anyhow::{bail, Context};
use tokio::net::TcpListener;

use crate::bootstrap::ensure_root;
use crate::config::ServeConfig;
use crate::http::{router, App, HttpConfig};
use crate::store::sqlite::SqliteStore;

/// Opens the SQLite store of a `sqlite:` URL, or explains which URLs are supported.
pub async fn open_sqlite(url: &str) -> anyhow::Result<SqliteStore> {
    if !url.starts_with("sqlite:") {
        bail!("unsupported database URL {url:?}: use sqlite://path.db");
    }
    SqliteStore::connect(url)
        .await
        .with_context(|| format!("opening database {url}"))
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
    let store = open_sqlite(&config.database_url).await?;
    if let Some(token) = ensure_root(&store, config.root_token.as_deref()).await? {
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
    let app = App::new(
        store.clone(),
        &external_url,
        HttpConfig {
            max_body_bytes: config.max_body_bytes,
        },
    );
    tracing::info!(address = %listener.local_addr()?, %external_url, "relinks is ready");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving HTTP")?;
    store.close().await;
    Ok(())
}
