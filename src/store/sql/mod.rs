//! The SQL both engines share. Every query here runs unchanged on SQLite and PostgreSQL
//! (`$n` placeholders, `lower()` for case-insensitive names, `COUNT(*) FILTER`, `RETURNING`,
//! `ON CONFLICT`); the few pieces that cannot be (the byte-order collation, row locks, how a
//! copy's snapshot begins and where generated ids are kept) and how an engine reads and writes
//! are what [`engine::SqlEngine`] asks of each store.
//!
//! The implementations are macros expanded once per engine (`directory_impl!(SqliteStore,
//! sqlx::Sqlite)`), so each engine gets its own statically typed implementation of the store
//! traits from a single text: sqlx's executors are concrete per database, and generic code over
//! `sqlx::Database` would need a bound for every type bound in every query. The macros reach
//! the engine only through `SqlEngine` (`<$store as SqlEngine>::BYTE_ORDER`, `self.write(…)`).

pub mod directory;
pub(crate) mod engine;
pub mod projects;
pub mod releases;
pub mod rows;
pub mod transfer;

/// The name of the unique rule a violation broke (the index or constraint name on PostgreSQL,
/// SQLite's message, which names the index or its columns), if that is what the error is.
pub fn unique_violation(error: &sqlx::Error) -> Option<String> {
    match error {
        sqlx::Error::Database(db) if db.is_unique_violation() => Some(
            db.constraint()
                .map(str::to_owned)
                .unwrap_or_else(|| db.message().to_owned()),
        ),
        _ => None,
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
