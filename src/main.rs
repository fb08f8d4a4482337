//! The `relinks` command line: `relinks serve`, `relinks migrate`.

use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use relinks::config::ServeConfig;

#[derive(Parser)]
#[command(
    name = "relinks",
    version,
    about = "GitLab's Release links API, self-hosted and small"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeConfig),
    /// Create the database or apply pending migrations, then exit.
    Migrate {
        /// Database URL, as for `serve`.
        #[arg(
            long = "database",
            env = "RELINKS_DATABASE_URL",
            default_value = "sqlite://relinks.db"
        )]
        database_url: String,
    },
}

fn init_logging(json: bool) {
    let filter = EnvFilter::try_from_env("RELINKS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(config) => {
            init_logging(config.log_format == "json");
            tracing::debug!(?config, "configuration");
            relinks::server::serve(config).await
        }
        Command::Migrate { database_url } => {
            init_logging(false);
            let store = relinks::server::open_sqlite(&database_url).await?;
            store.close().await;
            tracing::info!(%database_url, "database is up to date");
            Ok(())
        }
    }
}
