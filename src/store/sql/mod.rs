//! The SQL both engines share. Every query here runs unchanged on SQLite and PostgreSQL
//! (`$n` placeholders, `lower()` for case-insensitive names, `COUNT(*) FILTER`, `RETURNING`,
//! `ON CONFLICT`); the few pieces that cannot be (the byte-order collation, row locks, how a
//! copy's snapshot begins and where generated ids are kept) and how an engine reads and writes
//! are what `engine::SqlEngine` asks of each store.
//!
//! The implementations are macros expanded once per engine (`directory_impl!(SqliteStore,
//! sqlx::Sqlite)`), so each engine gets its own statically typed implementation of the store
//! traits from a single text: sqlx's executors are concrete per database, and generic code over
//! `sqlx::Database` would need a bound for every type bound in every query. The macros reach
//! the engine only through `SqlEngine` (`<$store as SqlEngine>::BYTE_ORDER`, `self.write(…)`).

pub mod directory;
pub(crate) mod engine;
pub mod hooks;
pub mod hosted_files;
pub mod projects;
pub mod releases;
pub mod rows;
pub mod transfer;

use crate::store::{Constraint, StoreError};

/// The unique rule a failed statement broke, if that is how it failed (the name the database
/// reports, read by [`Constraint::reported`]).
pub fn violated(error: &sqlx::Error) -> Option<Constraint> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            Constraint::reported(db.constraint().unwrap_or_else(|| db.message()))
        }
        _ => None,
    }
}

/// A failed write as the store reports it: a broken unique rule is a
/// [`StoreError::Conflict`] naming the rule, anything else what `From<sqlx::Error>` makes of it.
pub fn conflict(error: sqlx::Error) -> StoreError {
    match violated(&error) {
        Some(rule) => StoreError::Conflict(rule),
        None => error.into(),
    }
}

/// `($1, $2, …)` placeholders starting after `first - 1` already-bound parameters.
pub fn placeholders(first: usize, count: usize) -> String {
    let list: Vec<String> = (first..first + count).map(|i| format!("${i}")).collect();
    format!("({})", list.join(", "))
}

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and `\` taken literally.
pub fn like_pattern(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}
