//! [`SqlEngine`]: what the shared SQL of `store/sql/` needs from an engine's store. The macros
//! there are expanded once per engine and reach the engine only through this trait, so what an
//! engine must give (and why it differs between SQLite and PostgreSQL) is stated here, once.

use std::future::Future;

use crate::store::audit::AuditContext;
use crate::store::{BoxFuture, StoreResult};

/// A connection of the engine's database.
pub(crate) type Connection<E> = <<E as SqlEngine>::Database as sqlx::Database>::Connection;

/// An engine's store as the shared SQL sees it: its database type, its pools, how it writes,
/// and the few pieces of SQL that cannot be the same text on both engines.
pub(crate) trait SqlEngine {
    /// The sqlx database the macros are expanded for (`sqlx::Sqlite`, `sqlx::Postgres`).
    type Database: sqlx::Database;

    /// The collation that sorts by bytes, as GitLab's tag order does: SQLite calls it
    /// `BINARY`, PostgreSQL `"C"`.
    const BYTE_ORDER: &'static str;

    /// What follows a `SELECT` of a row a write is about to change. PostgreSQL locks it (`FOR
    /// UPDATE`) so that two concurrent updates of one link apply one after the other; SQLite's
    /// one writer already serialises writes, and has no such clause.
    const FOR_UPDATE: &'static str;

    /// SQL to put before a statement, setting the audit context from parameters `$first` to
    /// `$first + 4` (author id, author name, address, request id, idempotency key) in the same call, so that
    /// the write is one round trip. SQLite runs an `UPDATE` of its context row first (two
    /// statements, one call to its thread, parameters numbered across them); PostgreSQL opens
    /// the statement with `WITH audit AS (SELECT set_config(…))`, whose one row the statement
    /// must read ([`Self::AUDITED_ROWS`]) before it writes any, in its own transaction.
    fn audited(first: usize) -> String;

    /// What a statement opened by [`Self::audited`] reads the context's one row `FROM`.
    const AUDITED_ROWS: &'static str;

    /// The rows `(id, ord)` of a JSON array of ids given as text in `$2`, `ord` counting from 1:
    /// each engine has its own JSON table function.
    const JSON_IDS: &'static str;

    /// Whether a `WITH` may hold `UPDATE`s and `INSERT`s (PostgreSQL): then a write that reads
    /// a row, changes it and records its old permanent link is one statement.
    const WRITES_IN_WITH: bool;

    /// Run first in the transaction of a copy's snapshot, to make it one consistent view.
    /// PostgreSQL needs `REPEATABLE READ`; a deferred SQLite transaction's first read fixes
    /// its snapshot already (`None`).
    const SNAPSHOT: Option<&'static str>;

    /// A query for the id the next row of `{table}` would get, without using one up. The
    /// largest id ever given is kept in `sqlite_sequence` by SQLite's `AUTOINCREMENT`, in the
    /// identity column's sequence by PostgreSQL.
    const NEXT_ID: &'static str;

    /// Statements that make `$1` the next id of `{table}`, run in order: SQLite rewrites its
    /// `sqlite_sequence` row, PostgreSQL sets the sequence.
    const SET_NEXT_ID: &'static [&'static str];

    /// Stops the audit triggers for the loading transaction (`relinks copy`: loading rows is
    /// not a write of a user). SQLite keeps the flag in the one row of `audit_context`,
    /// PostgreSQL in a setting local to the transaction.
    const PAUSE_AUDIT: &'static str;

    /// Undoes [`Self::PAUSE_AUDIT`] before the loading transaction commits. PostgreSQL's
    /// setting ends with its transaction by itself (a statement that does nothing).
    const RESUME_AUDIT: &'static str;

    /// The SQL condition "the pin `p` still holds its blob", with `$2` the time now and `$3`
    /// the asking instance. A pin expires; before that it holds while its instance runs.
    /// SQLite's file has one process, the asking one: any other instance's pin is a crashed
    /// one's. PostgreSQL is shared: an instance runs while it holds its advisory lock
    /// ([`Self::hold_instance`]), which PostgreSQL releases when its connection ends.
    const LIVE_PIN: &'static str;

    /// Keeps the advisory lock that makes `instance`'s pins live for as long as this process
    /// runs (PostgreSQL); nothing on SQLite.
    fn hold_instance(&self, instance: i64) -> impl Future<Output = StoreResult<()>> + Send;

    /// How many other instances hold their lock now (PostgreSQL); none on SQLite.
    fn other_instances(&self, instance: i64) -> impl Future<Output = StoreResult<i64>> + Send;

    /// The pool reads go to (read-only on SQLite, beside the one writer).
    fn reader(&self) -> &sqlx::Pool<Self::Database>;

    /// The pool of migrations and of `relinks copy`'s one long transaction (SQLite's writes
    /// go through [`Self::write`], never straight to it).
    fn writer(&self) -> &sqlx::Pool<Self::Database>;

    /// Runs `work` as one atomic, durable write, with the request's audit context set for the
    /// triggers. SQLite commits it together with the writes that arrive beside it (group
    /// commit); PostgreSQL in a transaction of its own.
    fn write<T, F>(&self, work: F) -> impl Future<Output = StoreResult<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Connection<Self>) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static;

    /// [`Self::write`] for work that is one statement: SQLite needs no savepoint for it.
    fn write_one<T, F>(&self, work: F) -> impl Future<Output = StoreResult<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Connection<Self>) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static;

    /// [`Self::write_one`] for a statement that sets the audit context itself (opened by
    /// [`Self::audited`]): `work` is handed the context to bind. The hottest writes (a link's
    /// create, update and delete) are then one call: on SQLite one trip to its thread instead
    /// of two, on PostgreSQL one round trip instead of four (`BEGIN`, context, statement,
    /// `COMMIT`).
    fn write_one_audited<T, F>(&self, work: F) -> impl Future<Output = StoreResult<T>> + Send
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut Connection<Self>, AuditContext) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static;
}
