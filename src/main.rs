//! The `relinks` command line: `relinks serve`, `migrate`, `copy`, `backup`, `restore`.

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
    about = "GitLab's Release links API, self-hosted and small",
    after_help = ENVIRONMENT_ONLY
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The settings that have no flag, so that `--help` shows them too: secrets stay out of
/// command lines (and so out of `ps`).
const ENVIRONMENT_ONLY: &str = "\
Settings read from the environment only:
  RELINKS_ROOT_TOKEN  makes sure the administrator `root` exists and this exact string is one
                      of its personal access tokens (scope api)
  RELINKS_SECRET      the secret key for token digests, 64 hex digits (`openssl rand -hex 32`);
                      wins over --secret-file
  RELINKS_LOG         the log level filter, e.g. `debug` or `info,sqlx=warn` (default)";

#[derive(Subcommand)]
enum Command {
    /// Run the server.
    #[command(after_help = ENVIRONMENT_ONLY)]
    Serve(Box<ServeConfig>),
    /// Create the database or apply pending migrations, then exit.
    Migrate(DatabaseConfig),
    /// Copy a whole instance (users, tokens, groups, projects, members, tags, protected tags,
    /// releases, links) into an empty database, keeping ids: SQLite to PostgreSQL and back.
    Copy {
        /// The database to read.
        #[arg(long)]
        from: String,
        /// The (empty) database to write; created and migrated when needed. Without it, only
        /// the files are copied, to --to-storage.
        #[arg(long)]
        to: Option<String>,
        /// Where the source's files are (default: beside its SQLite database).
        #[arg(long)]
        from_storage: Option<String>,
        /// Where the files go: a directory or s3://bucket/prefix (default: beside the target's
        /// SQLite database).
        #[arg(long)]
        to_storage: Option<String>,
        #[command(flatten)]
        s3: relinks::config::S3Config,
    },
    /// Write a consistent snapshot of a SQLite instance, while it runs, to a new file.
    Backup {
        /// The database to snapshot.
        #[arg(
            long = "database",
            env = "RELINKS_DATABASE_URL",
            default_value = "sqlite://relinks.db"
        )]
        database: String,
        /// The snapshot file to create (the files go beside it, into `<file>.files`).
        #[arg(long)]
        to: std::path::PathBuf,
        /// Where the instance keeps its files (default: beside its database).
        #[arg(long, env = "RELINKS_STORAGE")]
        storage: Option<String>,
    },
    /// Put a snapshot in place of a SQLite database (stop the server first).
    Restore {
        /// The snapshot written by `relinks backup`.
        #[arg(long)]
        from: std::path::PathBuf,
        /// The database to restore into.
        #[arg(
            long = "database",
            env = "RELINKS_DATABASE_URL",
            default_value = "sqlite://relinks.db"
        )]
        database: String,
        /// Replace an existing database.
        #[arg(long)]
        replace: bool,
        /// Where the instance keeps its files (default: beside its database).
        #[arg(long, env = "RELINKS_STORAGE")]
        storage: Option<String>,
    },
}

/// A storage named on the command line (`--storage`, `--to-storage`…).
fn storage_flag(
    text: Option<&str>,
    s3: &relinks::config::S3Config,
) -> anyhow::Result<Option<relinks::blobs::StorageSettings>> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let location = relinks::blobs::StorageLocation::parse(text).map_err(|e| anyhow::anyhow!(e))?;
    Ok(Some(relinks::blobs::StorageSettings {
        location,
        s3: s3.settings(),
    }))
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
            relinks::app::serve(*config).await
        }
        Command::Migrate(database) => {
            init_logging(false);
            relinks::app::migrate(&database).await?;
            tracing::info!(database = %relinks::app::redact(&database.url), "database is up to date");
            Ok(())
        }
        Command::Backup {
            database,
            to,
            storage,
        } => {
            init_logging(false);
            let storage = storage_flag(storage.as_deref(), &relinks::config::S3Config::default())?;
            let snapshot = relinks::backup::backup(&database, &to, storage.as_ref()).await?;
            println!(
                "snapshot written to {}: {} bytes, {} releases, {} links, {} files",
                snapshot.path.display(),
                snapshot.bytes,
                snapshot.releases,
                snapshot.links,
                snapshot.files.files + snapshot.files.present
            );
            Ok(())
        }
        Command::Restore {
            from,
            database,
            replace,
            storage,
        } => {
            init_logging(false);
            let storage = storage_flag(storage.as_deref(), &relinks::config::S3Config::default())?;
            let restored =
                relinks::backup::restore(&from, &database, replace, storage.as_ref()).await?;
            println!(
                "{} restored from {}: {} releases, {} links, {} files",
                restored.path.display(),
                from.display(),
                restored.releases,
                restored.links,
                restored.files.files + restored.files.present
            );
            Ok(())
        }
        Command::Copy {
            from,
            to,
            from_storage,
            to_storage,
            s3,
        } => {
            init_logging(false);
            let storages = relinks::copy::Storages {
                from: storage_flag(from_storage.as_deref(), &s3)?,
                to: storage_flag(to_storage.as_deref(), &s3)?,
            };
            let from = DatabaseConfig::new(&from);
            match to {
                Some(to) => {
                    relinks::copy::run(&from, &DatabaseConfig::new(&to), &storages).await?;
                }
                None => {
                    relinks::copy::run_files(&from, &storages).await?;
                }
            }
            Ok(())
        }
    }
}
