//! The embedded SQLite engine: one file, WAL mode, and no write acknowledged before it is on
//! disk, so that it survives a crash of the process or the machine.
//!
//! All writes go through one connection owned by the group-commit task (`writer.rs`): SQLite
//! never has to arbitrate between writers, a write's checks and inserts cannot interleave with
//! another's, and concurrent writes share one fsync, made on a thread of its own
//! (`wal_sync.rs`, the reason that connection is `synchronous=NORMAL`; every other one is
//! `FULL`), and checkpoints run on a connection of their own (`checkpoint.rs`). Reads use a
//! pool of their own that WAL lets run beside the writer.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, SqliteConnection, SqlitePool};

use super::audit::AuditContext;
use super::sql::engine::SqlEngine;
use super::sql::{
    directory::directory_impl, hooks::hooks_impl, hosted_files::hosted_files_impl,
    projects::projects_impl, releases::releases_impl, transfer::transfer_impl,
};
use super::{BoxFuture, StoreError, StoreResult};

mod checkpoint;
mod wal_sync;
mod writer;

/// SQLite's store.
#[derive(Clone, Debug)]
pub struct SqliteStore {
    reader: SqlitePool,
    /// For migrations and `relinks copy`'s one long transaction (nothing else writes then).
    writer: SqlitePool,
    group: writer::Writer,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");

impl SqliteStore {
    /// Opens (creating when missing) the database at `url` (`sqlite://relative.db` or
    /// `sqlite:///absolute/path.db`) and applies pending migrations.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::Database)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.clone())
            .await?;
        MIGRATOR
            .run(&writer)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        // Only `relinks copy` needs this pool again: its connection (and the pages migrating
        // read) would sit idle in the server's memory, so it is closed, to be opened on use.
        writer.close().await;
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_lazy_with(options.clone());
        // A job's statement that fails must be undone alone, so SQLite keeps a statement
        // journal of the pages it changes (and a job's savepoint keeps one too). By default
        // that journal spills to a temporary file past 64 KiB, which a batch of jobs passes:
        // two writes to that file for every page changed, most of a create's system calls.
        // In memory it holds one batch's changed pages at most, and is gone at its commit.
        let group = options.clone().pragma("temp_store", "memory");
        let group = match wal_of(&options) {
            Some(wal) => {
                let mut checkpoints = checkpoint::spawn(options.clone());
                let wal_sync =
                    wal_sync::WalSync::start(wal, move |writes| checkpoints.flushed(writes))
                        .map_err(|e| StoreError::Database(e.into()))?;
                let group = group
                    .synchronous(SqliteSynchronous::Normal)
                    .pragma(
                        "wal_autocheckpoint",
                        checkpoint::WRITER_CHECKPOINT_PAGES.to_string(),
                    )
                    .connect()
                    .await?;
                writer::Writer::spawn(group, Some(wal_sync))
            }
            None => writer::Writer::spawn(group.connect().await?, None),
        };
        let reader = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options.read_only(true))
            .await?;
        Ok(Self {
            reader,
            writer,
            group,
        })
    }

    /// Hands `work` to the group-commit writer with who is writing: the writer sets the audit
    /// context for the triggers in the same call to SQLite as the job's savepoint. If the work
    /// fails, the context stays, unused.
    async fn write_as<T, F>(&self, single: bool, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> super::BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let context = super::audit::current();
        self.group.write(single, Some(context), work).await
    }
}

/// The WAL file of the database `options` opens, when it is a file (it is not for an in-memory
/// database, whose commits SQLite keeps by itself).
fn wal_of(options: &SqliteConnectOptions) -> Option<std::path::PathBuf> {
    let database = std::fs::canonicalize(options.get_filename()).ok()?;
    let mut wal = database.into_os_string();
    wal.push("-wal");
    Some(wal.into())
}

/// SQLite's side of what the shared SQL needs ([`SqlEngine`] says why each piece differs).
impl SqlEngine for SqliteStore {
    type Database = sqlx::Sqlite;
    const BYTE_ORDER: &'static str = "BINARY";
    const FOR_UPDATE: &'static str = "";
    const AUDITED_ROWS: &'static str = "(SELECT 1)";
    const WRITES_IN_WITH: bool = false;
    const JSON_IDS: &'static str =
        "SELECT CAST(value AS INTEGER) AS id, key + 1 AS ord FROM json_each($2)";
    const SNAPSHOT: Option<&'static str> = None;
    const NEXT_ID: &'static str =
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0) + 1";
    const SET_NEXT_ID: &'static [&'static str] = &[
        "DELETE FROM sqlite_sequence WHERE name = '{table}' AND $1 IS NOT NULL",
        "INSERT INTO sqlite_sequence (name, seq) VALUES ('{table}', $1 - 1)",
    ];
    const PAUSE_AUDIT: &'static str = "UPDATE audit_context SET paused = 1";
    const RESUME_AUDIT: &'static str = "UPDATE audit_context SET paused = 0";
    const LIVE_PIN: &'static str = "(p.expires_at >= $2 AND p.instance = $3)";

    async fn hold_instance(&self, _instance: i64) -> StoreResult<()> {
        Ok(())
    }

    async fn other_instances(&self, _instance: i64) -> StoreResult<i64> {
        Ok(0)
    }

    fn audited(first: usize) -> String {
        writer::set_audit_context_from(first)
    }

    fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    fn writer(&self) -> &SqlitePool {
        &self.writer
    }

    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.write_as(false, work).await
    }

    async fn write_one<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        self.write_as(true, work).await
    }

    async fn write_one_audited<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection, AuditContext) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let context = super::audit::current();
        self.group
            .write(true, None, move |conn| work(conn, context))
            .await
    }
}

directory_impl!(SqliteStore, sqlx::Sqlite);
projects_impl!(SqliteStore, sqlx::Sqlite);
releases_impl!(SqliteStore, sqlx::Sqlite);
hosted_files_impl!(SqliteStore, sqlx::Sqlite);
hooks_impl!(SqliteStore, sqlx::Sqlite);
transfer_impl!(SqliteStore, sqlx::Sqlite);

impl super::Store for SqliteStore {
    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }

    fn pool_usage(&self) -> (u32, usize) {
        (
            self.reader.size() + self.writer.size(),
            self.reader.num_idle() + self.writer.num_idle(),
        )
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}
