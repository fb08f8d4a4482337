//! Storage: the [`Store`] trait, defined by the operations the product needs, and one
//! implementation per database engine. The engine is chosen once, at start-up, from the URL
//! scheme; everything above is generic over `S: Store` (static dispatch).
//!
//! The store knows nothing of HTTP. It keeps the invariants a database must keep even when
//! requests race: unique names, URLs and filepaths per release, one release per tag, ids never
//! reused, and an acknowledged write on disk before it is acknowledged.
//!
//! `Store` is split in four parts, each in its file: [`Directory`] (users, tokens, namespaces),
//! [`Projects`] (projects, memberships, tags), [`Releases`] (releases, links) and
//! [`HostedFiles`] (blobs, packages, uploads). `records/`
//! holds what they take and give, `error.rs` and `constraint.rs` how they fail. `sql/` has the
//! SQL both engines share, `sqlite/` and `postgres/` the engines, `cached/` the read cache in
//! front of SQLite, `transfer.rs` the tables as `relinks copy` sees them.

pub mod audit;
pub mod cached;
mod constraint;
mod directory;
mod error;
mod hooks;
mod hosted_files;
pub mod postgres;
mod projects;
pub mod records;
mod releases;
pub mod sql;
pub mod sqlite;
pub mod transfer;

use std::future::Future;

pub use constraint::Constraint;
pub use directory::Directory;
pub use error::{StoreError, StoreResult};
pub use hooks::Hooks;
pub use hosted_files::HostedFiles;
pub use projects::Projects;
pub use records::*;
pub use releases::Releases;

/// A boxed future, for the closures a store's writes run in.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One page of a listing and the total number of rows.
pub type Page<T> = (Vec<T>, i64);

/// The operations relinks needs from a database: its five parts ([`Directory`], [`Projects`],
/// [`Releases`], [`HostedFiles`], [`Hooks`]), plus a health check.
pub trait Store:
    Directory + Projects + Releases + HostedFiles + Hooks + Clone + Send + Sync + 'static
{
    /// Closes the connections, letting running statements finish.
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// Connections open and idle in the pool (for metrics).
    fn pool_usage(&self) -> (u32, usize);

    /// Whether the database answers (readiness).
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;

    /// A cache for values computed from links and the releases and projects they belong to
    /// (rendered JSON), emptied by every write that could change them. `None` for a store
    /// without a read cache, and when the cache's values may not be served now (a shared cache
    /// outside a request): then nothing derived from stored data may outlive its request.
    fn content_memo(&self) -> impl Future<Output = StoreResult<Option<&cached::ReadCache>>> + Send {
        async { Ok(None) }
    }

    /// The read cache of who may do what (users and tokens), for values derived from them;
    /// emptied by every write to them. `None` as for [`Store::content_memo`].
    fn access_memo(&self) -> impl Future<Output = StoreResult<Option<&cached::ReadCache>>> + Send {
        async { Ok(None) }
    }

    /// Whether each request must run in [`cached::request_scope`]: a cache shared with other
    /// processes reads the database's generations once per request and keeps, in that scope,
    /// that it has. A store that is its database's only writer needs no scope.
    fn scopes_requests(&self) -> bool {
        false
    }

    /// The generations of the read caches' parts (who may do what, releases, links) as the
    /// database keeps them, for a database that several processes write (PostgreSQL); `None`
    /// where the one writer keeps them in memory.
    fn cache_generations(&self) -> impl Future<Output = StoreResult<Option<[i64; 3]>>> + Send {
        async { Ok(None) }
    }
}
