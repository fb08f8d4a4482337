//! [`StoreError`]: what can go wrong in the store, in the terms the HTTP layer needs (which
//! rule a write broke, what it referred to that is gone, whether the database can serve now).

use super::Constraint;
use crate::domain::link::LinkConflicts;

/// What can go wrong in the store, in the terms the HTTP layer needs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique rule was hit: which one.
    #[error("conflict on {0}")]
    Conflict(Constraint),
    /// A link collides with another link of the same release.
    #[error("link conflicts with another link of the release: {0:?}")]
    LinkConflict(LinkConflicts),
    /// What the write refers to (a release, a project, a user) was deleted by a write that
    /// committed first: the same answer as if it had never been there.
    #[error("the row this write refers to is gone: {0}")]
    Vanished(#[source] sqlx::Error),
    /// An upload's blob was taken by the sweep before its file was committed (its pin was
    /// lost, as when its instance's database connection broke): nothing was recorded, and
    /// the upload can be sent again.
    #[error("the stored bytes of this upload were swept before it was committed")]
    BlobSwept,
    /// A release already holds as many links as it may.
    #[error("the release holds {0} links, its limit")]
    Full(i64),
    /// The database cannot be reached (answered with 503).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            StoreError::Unavailable(error)
        } else if matches!(&error, sqlx::Error::Database(db) if db.is_foreign_key_violation()) {
            StoreError::Vanished(error)
        } else {
            StoreError::Database(error)
        }
    }
}

/// Whether an error means "the database cannot serve now" rather than "this request is wrong":
/// no connection to be had, a broken connection, or PostgreSQL shutting down, starting, out of
/// connections or cancelling a statement that ran too long.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 53: insufficient resources; 57P0x: shutdown, crash,
            // cannot connect now; 57014: statement timeout.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "57014"
        }),
        _ => false,
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
