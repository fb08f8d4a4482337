//! The `relinks` command line: `relinks serve`, `relinks migrate`.

use clap::{Parser, Subcommand};
use mimalloc::MiMalloc;
use tracing_subscriber::EnvFilter;

use relinks::config::{DatabaseConfig, ServeConfig};

/// mimalloc: many small, short-lived allocations per request, on every core.
#[global_allocator]
static GLOBAL: MiMalloc = MiMalloc;

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
    Migrate(DatabaseConfig),
    /// Copy a whole instance (users, tokens, groups, projects, members, tags, protected tags,
    /// releases, links) into an empty database, keeping ids: SQLite to PostgreSQL and back.
    Copy {
        /// The database to read.
        #[arg(long)]
        from: String,
        /// The (empty) database to write; created and migrated when needed.
        #[arg(long)]
        to: String,
    },
}

fn init_logging(json: bool) {
    let filter =
        EnvFilter::try_from_env("RELINKS_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
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
        Command::Migrate(database) => {
            init_logging(false);
            relinks::server::migrate(&database).await?;
            tracing::info!(database = %relinks::server::redact(&database.url), "database is up to date");
            Ok(())
        }
        Command::Copy { from, to } => {
            init_logging(false);
            relinks::copy::run(&DatabaseConfig::new(&from), &DatabaseConfig::new(&to)).await?;
            Ok(())
        }
    }
}
