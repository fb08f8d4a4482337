//! `relinks copy --from URL --to URL`: moves a whole instance between databases (SQLite to
//! PostgreSQL and back), ids kept, into an empty target, in one transaction, with progress;
//! then the hosted files its rows refer to, into the target's storage (`--to-storage`, else
//! the target database's default). `relinks copy --from URL --to-storage …` moves only the
//! files, from one storage to another (a local directory to a bucket, say).

use std::io::{IsTerminal, Write};

use anyhow::bail;

use crate::app::{open, redact, storage, Engine};
use crate::blobs::{Blobs, StorageSettings};
use crate::config::DatabaseConfig;
use crate::files::carry::{carry, Carried};
use crate::secret::{self, SecretConfig};
use crate::store::transfer::{Loader, Snapshot, Table, Transfer, TABLES};
use crate::store::Store;

/// Rows read and written per statement.
const BATCH: i64 = 500;

/// How many rows of each table were copied.
#[derive(Debug, Default)]
pub struct CopyReport {
    pub tables: Vec<(&'static str, i64)>,
}

impl CopyReport {
    pub fn rows(&self) -> i64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Progress on stderr: a line rewritten in place on a terminal, one line per table otherwise.
struct Progress {
    terminal: bool,
}

impl Progress {
    fn update(&self, table: &Table, done: i64, total: i64) {
        if self.terminal {
            eprint!("\r  {:<24} {done:>9} / {total}", table.name);
            let _ = std::io::stderr().flush();
        }
    }

    fn finish(&self, table: &Table, total: i64) {
        if self.terminal {
            eprintln!("\r  {:<24} {total:>9} / {total}", table.name);
        } else {
            eprintln!("  {:<24} {total} rows", table.name);
        }
    }
}

/// Copies every table of `from` into `to`, which must be empty.
pub async fn copy<A: Transfer, B: Transfer>(from: &A, to: &B) -> anyhow::Result<CopyReport> {
    let progress = Progress {
        terminal: std::io::stderr().is_terminal(),
    };
    let mut loader = to.loader().await?;
    let mut occupied = Vec::new();
    for table in &TABLES {
        let rows = loader.count(table).await?;
        if rows > 0 {
            occupied.push(format!("{}: {rows}", table.name));
        }
    }
    if !occupied.is_empty() {
        bail!(
            "the target database is not empty ({}); relinks copy only writes into an empty database",
            occupied.join(", ")
        );
    }
    let mut snapshot = from.snapshot().await?;
    let mut report = CopyReport::default();
    for table in &TABLES {
        let total = snapshot.count(table).await?;
        let mut done = 0;
        progress.update(table, done, total);
        while done < total {
            let rows = snapshot.read(table, done, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            loader.insert(table, &rows).await?;
            done += i64::try_from(rows.len()).unwrap_or(BATCH);
            progress.update(table, done, total);
        }
        if table.identity {
            let next = snapshot.next_id(table).await?;
            loader.set_next_id(table, next).await?;
        }
        progress.finish(table, done);
        report.tables.push((table.name, done));
    }
    loader.commit().await?;
    Ok(report)
}

/// Copies, then gives the target the source's key for token digests and the form its digests
/// are stored in, so that every token keeps working there.
async fn copy_with_key<A, B>(
    from: &A,
    to: &B,
    secrets: &SecretConfig,
    from_config: &DatabaseConfig,
    to_config: &DatabaseConfig,
) -> anyhow::Result<CopyReport>
where
    A: Transfer + Store,
    B: Transfer + Store,
{
    let (key, _) = secret::resolve(secrets, &from_config.url, from).await?;
    let report = copy(from, to).await?;
    let place = secret::carry(&key, secrets, &to_config.url, to).await?;
    eprintln!("the key for token digests is carried over ({place:?})");
    if let Some(form) = from.server_setting(secret::DIGESTS_SETTING).await? {
        to.settle_server_setting(secret::DIGESTS_SETTING, &form)
            .await?;
    }
    Ok(report)
}

/// Where the files of the source and the target are (`None`: each database's default).
#[derive(Debug, Clone, Default)]
pub struct Storages {
    pub from: Option<StorageSettings>,
    pub to: Option<StorageSettings>,
}

/// The hosted files the database `config` refers to, carried from `from` into `to` (unless
/// both name the same place).
async fn carry_files<S: Store>(
    store: &S,
    from: &StorageSettings,
    to: &StorageSettings,
) -> anyhow::Result<Carried> {
    if from.location == to.location {
        return Ok(Carried::default());
    }
    let wanted = store.all_blobs().await?;
    eprintln!(
        "copying {} files from {:?} to {:?}",
        wanted.len(),
        from.location,
        to.location
    );
    let (source, target) = (Blobs::open(from).await?, Blobs::open(to).await?);
    carry(&source, &target, &wanted).await
}

/// Copies only the files of the database `from` between two storages (`relinks copy --from
/// URL --to-storage …`): relinks then starts with `--storage` set to the new one.
pub async fn run_files(from: &DatabaseConfig, storages: &Storages) -> anyhow::Result<Carried> {
    let source = storage::settings(storages.from.as_ref(), from);
    let Some(target) = &storages.to else {
        bail!("give --to (a database) or --to-storage (where the files go)");
    };
    let carried = match open(from).await? {
        Engine::Sqlite(store) => carry_files(&store, &source, target).await,
        Engine::Postgres(store) => carry_files(&store, &source, target).await,
    }?;
    eprintln!(
        "copied {} files ({} bytes), {} there already",
        carried.files, carried.bytes, carried.present
    );
    Ok(carried)
}

/// Opens both databases (migrating them) and copies, whatever their engines, then the files
/// the copied rows refer to.
pub async fn run(
    from: &DatabaseConfig,
    to: &DatabaseConfig,
    storages: &Storages,
) -> anyhow::Result<CopyReport> {
    if from.url == to.url {
        bail!("--from and --to name the same database");
    }
    eprintln!("copying {} to {}", redact(&from.url), redact(&to.url));
    let (source, target) = (open(from).await?, open(to).await?);
    let secrets = SecretConfig::from_env();
    let report = match (&source, &target) {
        (Engine::Sqlite(a), Engine::Sqlite(b)) => copy_with_key(a, b, &secrets, from, to).await,
        (Engine::Sqlite(a), Engine::Postgres(b)) => copy_with_key(a, b, &secrets, from, to).await,
        (Engine::Postgres(a), Engine::Sqlite(b)) => copy_with_key(a, b, &secrets, from, to).await,
        (Engine::Postgres(a), Engine::Postgres(b)) => copy_with_key(a, b, &secrets, from, to).await,
    }?;
    eprintln!(
        "copied {} rows in {} tables",
        report.rows(),
        report.tables.len()
    );
    let (source_files, target_files) = (
        storage::settings(storages.from.as_ref(), from),
        storage::settings(storages.to.as_ref(), to),
    );
    let carried = match &target {
        Engine::Sqlite(b) => carry_files(b, &source_files, &target_files).await,
        Engine::Postgres(b) => carry_files(b, &source_files, &target_files).await,
    }?;
    if carried != Carried::default() {
        eprintln!(
            "copied {} files ({} bytes), {} there already",
            carried.files, carried.bytes, carried.present
        );
    }
    Ok(report)
}
