//! The PostgreSQL engine, for teams that run several stateless relinks instances on one
//! database. Migrations take PostgreSQL's advisory lock, so instances starting together apply
//! them once. Requests that cannot get a connection within `acquire_timeout` fail with 503
//! instead of queueing while the database is away; the pool reconnects by itself when it is back.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool};

use super::audit::AuditContext;
use super::sql::engine::SqlEngine;
use super::sql::{
    directory::directory_impl, hooks::hooks_impl, hosted_files::hosted_files_impl,
    projects::projects_impl, releases::releases_impl, transfer::transfer_impl,
};
use super::{BoxFuture, StoreError, StoreResult};

mod begin;
mod instance;

/// A pooled connection idle for this long is pinged before a request may use it.
const IDLE_BEFORE_CHECK: Duration = Duration::from_secs(1);

/// How a PostgreSQL pool behaves.
#[derive(Debug, Clone)]
pub struct PgSettings {
    pub max_connections: u32,
    /// Longest a statement may run before PostgreSQL cancels it.
    pub statement_timeout: Duration,
    /// Longest a request waits for a connection before it is answered 503.
    pub acquire_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            statement_timeout: Duration::from_secs(10),
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// PostgreSQL's store. Reads and writes share one pool; PostgreSQL's own locking and the
/// unique indexes keep racing writers (on any instance) correct.
#[derive(Clone, Debug)]
pub struct PgStore {
    reader: PgPool,
    writer: PgPool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

impl PgStore {
    /// Connects to `url` (`postgres://user@host:port/db`) and applies pending migrations.
    pub async fn connect(url: &str, settings: &PgSettings) -> Result<Self, StoreError> {
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(StoreError::Database)?
            .application_name("relinks")
            .options([("statement_timeout", timeout_ms.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            // A connection that has been idle may have been broken by a database restart: it
            // is checked before use, not by a request. One that was used a moment ago is not
            // (a check is a round trip: under load it would double every query's).
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= IDLE_BEFORE_CHECK {
                        sqlx::Connection::ping(conn).await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|e| StoreError::Database(e.into()))?;
        Ok(Self {
            reader: pool.clone(),
            writer: pool,
        })
    }
}

/// PostgreSQL's side of what the shared SQL needs ([`SqlEngine`] says why each piece differs).
impl SqlEngine for PgStore {
    type Database = sqlx::Postgres;
    const BYTE_ORDER: &'static str = "\"C\"";
    const FOR_UPDATE: &'static str = " FOR UPDATE";
    const AUDITED_ROWS: &'static str = "audit";
    const WRITES_IN_WITH: bool = true;
    const JSON_IDS: &'static str = "SELECT value::bigint AS id, ord \
         FROM json_array_elements_text($2::json) WITH ORDINALITY AS t(value, ord)";
    const SNAPSHOT: Option<&'static str> =
        Some("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const NEXT_ID: &'static str = "SELECT COALESCE(pg_sequence_last_value(\
         pg_get_serial_sequence('{table}', 'id')::regclass), 0) + 1";
    const SET_NEXT_ID: &'static [&'static str] =
        &["SELECT setval(pg_get_serial_sequence('{table}', 'id'), $1, false)"];
    const PAUSE_AUDIT: &'static str = "SELECT set_config('relinks.paused', 'on', true)";
    const RESUME_AUDIT: &'static str = "SELECT 1";
    const LIVE_PIN: &'static str = "(p.expires_at >= $2 AND (p.instance = $3 OR EXISTS (\
         SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted \
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND l.classid = 1919249000::oid AND l.objid = p.instance::oid AND l.objsubid = 2)))";

    async fn hold_instance(&self, instance: i64) -> StoreResult<()> {
        instance::hold(self.writer.connect_options().as_ref().clone(), instance).await
    }

    async fn other_instances(&self, instance: i64) -> StoreResult<i64> {
        Ok(sqlx::query_scalar(
            "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND classid = $1::oid AND objsubid = 2 AND objid <> $2::oid",
        )
        .bind(i64::from(instance::INSTANCE_LOCKS))
        .bind(instance)
        .fetch_one(&self.reader)
        .await?)
    }

    fn audited(first: usize) -> String {
        format!(
            "WITH audit AS (SELECT \
             set_config('relinks.author_id', COALESCE(${first}::text, ''), true), \
             set_config('relinks.author_name', COALESCE(${}, ''), true), \
             set_config('relinks.ip_address', COALESCE(${}, ''), true), \
             set_config('relinks.request_id', COALESCE(${}, ''), true), \
             set_config('relinks.idempotency_key', COALESCE(${}::text, ''), true)) ",
            first + 1,
            first + 2,
            first + 3,
            first + 4
        )
    }

    fn reader(&self) -> &PgPool {
        &self.reader
    }

    fn writer(&self) -> &PgPool {
        &self.writer
    }

    /// Commits when `work` succeeds, rolls back when it fails. The transaction starts with the
    /// request's audit context set, in the `BEGIN`'s own round trip. It runs in a task of its
    /// own: a request dropped mid-way (its client went away) does not cut it short between
    /// `COMMIT` and its answer, which left sqlx to send a `ROLLBACK` after the `COMMIT`
    /// ("there is no transaction in progress"); once begun, a write ends as it would have.
    async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        let begin = begin::statement(&super::audit::current());
        let pool = self.writer.clone();
        let transaction = tokio::spawn(async move {
            let mut tx = pool.begin_with(begin).await?;
            match work(&mut tx).await {
                Ok(value) => {
                    tx.commit().await?;
                    Ok(value)
                }
                Err(error) => {
                    let _ = tx.rollback().await;
                    Err(error)
                }
            }
        });
        transaction
            .await
            .map_err(|_| StoreError::Database(sqlx::Error::WorkerCrashed))?
    }

    /// One statement is a transaction by itself; it is run like any other write (its triggers
    /// need the audit context).
    async fn write_one<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection) -> BoxFuture<'c, StoreResult<T>> + Send + 'static,
    {
        self.write(work).await
    }

    /// The statement sets the audit context itself ([`SqlEngine::AUDIT_FROM_8`]): it runs alone,
    /// its own transaction, one round trip.
    async fn write_one_audited<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut PgConnection, AuditContext) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let mut conn = self.writer.acquire().await?;
        work(&mut conn, super::audit::current()).await
    }
}

directory_impl!(PgStore, sqlx::Postgres);
projects_impl!(PgStore, sqlx::Postgres);
releases_impl!(PgStore, sqlx::Postgres);
hosted_files_impl!(PgStore, sqlx::Postgres);
hooks_impl!(PgStore, sqlx::Postgres);
transfer_impl!(PgStore, sqlx::Postgres);

impl super::Store for PgStore {
    async fn close(&self) {
        self.writer.close().await;
    }

    fn pool_usage(&self) -> (u32, usize) {
        (self.writer.size(), self.writer.num_idle())
    }

    async fn cache_generations(&self) -> StoreResult<Option<[i64; 3]>> {
        let (access, releases, links): (i64, i64, i64) =
            sqlx::query_as("SELECT access, releases, links FROM cache_generations WHERE id = 1")
                .fetch_one(&self.reader)
                .await?;
        Ok(Some([access, releases, links]))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.reader).await?;
        Ok(())
    }
}
