//! The file storage a running relinks uses: where it is by default (beside a SQLite database,
//! `<database file>.files`), opened once, this instance made known to the database, the sweep
//! at start (before the first request) and the routine sweeps after it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use crate::blobs::{s3::S3Settings, Blobs, StorageLocation, StorageSettings};
use crate::config::DatabaseConfig;
use crate::files::sweep::{keep_sweeping, sweep, Pass};
use crate::files::FileHost;
use crate::store::Store;

/// How often the routine sweep runs when no delete rings for it earlier.
const SWEEP_EVERY: Duration = Duration::from_secs(600);

/// The storage when none is configured: `<database file>.files` beside a SQLite database,
/// `relinks-files` in the working directory for PostgreSQL.
pub fn default_location(database: &DatabaseConfig) -> StorageLocation {
    let path = crate::config::sqlite_file(&database.url).map_or_else(
        || PathBuf::from("relinks-files"),
        |file| {
            let mut name = file.into_os_string();
            name.push(".files");
            PathBuf::from(name)
        },
    );
    StorageLocation::Directory(path)
}

/// The storage `configured` names, or the default one.
pub fn settings(
    configured: Option<&StorageSettings>,
    database: &DatabaseConfig,
) -> StorageSettings {
    configured.cloned().unwrap_or_else(|| StorageSettings {
        location: default_location(database),
        s3: S3Settings::default(),
    })
}

/// Opens the storage, registers this instance, sweeps what a previous run left behind, and
/// keeps sweeping in the background.
pub async fn open<S: Store>(
    store: &S,
    storage: &StorageSettings,
    database: &DatabaseConfig,
) -> anyhow::Result<FileHost> {
    let blobs = Blobs::open(storage)
        .await
        .with_context(|| format!("opening the file storage {:?}", storage.location))?;
    let host = FileHost::new(blobs);
    store
        .hold_instance(host.instance)
        .await
        .context("registering this instance in the database")?;
    // Alone on the database, no upload can be in flight: every temporary file is abandoned.
    let others = store.other_instances(host.instance).await.unwrap_or(1);
    if database.is_postgres() && host.blobs.is_local() {
        warn_if_shared(others);
    }
    tracing::info!(storage = %host.blobs.describe(), "file storage");
    sweep(
        store,
        &host,
        Pass::Start {
            only_instance: others == 0,
        },
    )
    .await;
    keep_sweeping(store.clone(), host.clone(), SWEEP_EVERY);
    Ok(host)
}

/// Several instances on one PostgreSQL database with files in a local directory each: a file
/// uploaded through one is missing on the others.
fn warn_if_shared(others: i64) {
    if others == 0 {
        tracing::info!(
            "files are in a local directory: run one instance on this database, or give every \
             instance the same S3 bucket (--storage s3://bucket/prefix)"
        );
    } else {
        tracing::warn!(
            others,
            "several relinks instances use this PostgreSQL database, but this one keeps files in \
             a local directory: files uploaded through one instance are missing on the others. \
             Give every instance the same S3 bucket (--storage s3://bucket/prefix)"
        );
    }
}
