//! A read cache in front of a store. Hot reads (tokens, users, projects, memberships, protected
//! tags, tags, releases, links) are answered from memory. The cache has three parts: who may do
//! what (users, tokens, sessions, namespaces, projects, memberships, protected tags), releases
//! (tags and releases) and links (links, and the HTTP layer's rendered JSON of them). A write
//! starts a new generation of every part it can change, before it is acknowledged: a link write
//! leaves the other parts alone (links come and go all day while releases, tokens and
//! memberships stay), a tag or release write starts releases and links, any other write starts
//! all three.
//!
//! Why this is safe: an entry is stored under the generation read *before* its database read,
//! and is only ever served while that generation is still current. Nothing time-dependent is
//! cached as a decision: token and session expiry are checked on every request from the cached
//! row, and memberships are kept with their expiry dates, judged on the day of each request. One
//! field is exempt: a link write touches its release's `updated_at` in the database (GitLab's
//! `touch: true`) but leaves cached releases alone; no answer shows a release's `updated_at`,
//! and the filters on it are run in the database.
//!
//! Where the generations come from depends on who writes the database:
//! - **One writer** ([`Cached::new`], SQLite: one process owns the file). The generations are
//!   counters in memory; a write moves them after its commit and before it returns, so once a
//!   write is acknowledged no read can be served a value from before it.
//! - **Shared** ([`Cached::shared`], PostgreSQL: other instances write too). The database keeps
//!   the generations in one row that triggers move in every write's own transaction
//!   (`cache_generations`). A request has that row read once, before its first cached read
//!   ([`Cached::fresh`]), by a round that starts after the request began (`rounds.rs`: the
//!   requests waiting together share one round trip), and the counters in memory are raised to
//!   it: a write committed by any instance before the request began has moved the row, so
//!   entries kept from before it are no longer current. The counters in memory are the
//!   database's generation times 2^[`LOCAL_BITS`] plus this instance's own writes since, which
//!   must be seen by the rest of the request that made them. Outside a request (background
//!   work) nothing is served from memory: there is no moment the values could be checked
//!   against.
//!
//! `read_cache.rs` is the cache itself; `directory.rs`, `projects.rs` and `releases.rs` say,
//! for each operation of the store's part of that name, what is kept and which part a write
//! starts anew.

use std::future::Future;
use std::sync::Arc;

use super::{Store, StoreResult};

mod directory;
mod hooks;
mod hosted_files;
mod projects;
mod read_cache;
mod releases;
mod rounds;

pub use read_cache::{key, KeyPart, ReadCache};

/// The low bits of a shared cache's generation: this instance's own writes since the
/// database's generation was last read.
pub const LOCAL_BITS: u32 = 20;

tokio::task_local! {
    /// Set once the current request has read the database's generations (shared caches).
    static REQUEST: Arc<tokio::sync::OnceCell<()>>;
}

/// Runs `work` (one request) as one unit of freshness: a shared cache reads the database's
/// generations once in it, before the first value it serves.
pub async fn request_scope<F: Future>(work: F) -> F::Output {
    REQUEST.scope(Arc::default(), work).await
}

/// A store with a [`ReadCache`] for each part in front.
#[derive(Clone)]
pub struct Cached<S> {
    inner: S,
    /// Users, tokens, sessions, namespaces, projects, memberships, protected tags.
    access: Arc<ReadCache>,
    /// Tags and releases.
    releases: Arc<ReadCache>,
    /// Links, and what the HTTP layer renders from them.
    links: Arc<ReadCache>,
    /// Other processes write the database too: its generations are read once per request.
    shared: bool,
    /// The rounds that read those generations (shared caches).
    rounds: Arc<rounds::Rounds>,
    /// Nothing is served from memory: every read reaches the store (a test that counts the
    /// statements reaching the database). A mode rather than the bare store, so that the
    /// server is compiled once per engine, not twice (its code is most of its idle memory).
    bypass: bool,
}

impl<S> Cached<S> {
    /// A cache in front of a store that is the only writer of its database.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            access: Arc::default(),
            releases: Arc::default(),
            links: Arc::default(),
            shared: false,
            rounds: Arc::default(),
            bypass: false,
        }
    }

    /// The store with nothing kept: every read reaches it.
    pub fn uncached(inner: S) -> Self {
        Self {
            bypass: true,
            ..Self::new(inner)
        }
    }

    /// A cache in front of a database other processes write too.
    pub fn shared(inner: S) -> Self {
        Self {
            shared: true,
            ..Self::new(inner)
        }
    }

    /// After a write that may change anything.
    fn changed(&self) {
        self.access.invalidate();
        self.releases_changed();
    }

    /// After a write of tags or releases (a release takes its links with it, or brings some).
    fn releases_changed(&self) {
        self.releases.invalidate();
        self.links.invalidate();
    }
}

impl<S: Store> Cached<S> {
    /// The parts, in the order of the database's generations.
    fn parts(&self) -> [Arc<ReadCache>; 3] {
        [&self.access, &self.releases, &self.links].map(Arc::clone)
    }

    /// Whether values kept in memory may be served now. Never for an uncached store; always
    /// for one that is the only writer; for a shared one, within a request, once the request
    /// has read the database's generations (the first call in a request reads them: one round
    /// trip).
    pub async fn fresh(&self) -> StoreResult<bool> {
        if self.bypass {
            return Ok(false);
        }
        if !self.shared {
            return Ok(true);
        }
        let Ok(observed) = REQUEST.try_with(Arc::clone) else {
            return Ok(false);
        };
        observed
            .get_or_try_init(|| {
                self.rounds.join(|| {
                    let (inner, parts) = (self.inner.clone(), self.parts());
                    async move {
                        if let Some(generations) = inner.cache_generations().await? {
                            for (part, generation) in parts.iter().zip(generations) {
                                part.observe(generation);
                            }
                        }
                        Ok(())
                    }
                })
            })
            .await?;
        Ok(true)
    }

    /// `part`'s value for `key`, or `read`'s when nothing may be served from memory now.
    async fn read<T, F>(&self, part: &ReadCache, key: String, read: F) -> StoreResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = StoreResult<T>>,
    {
        self.read_sized(part, key, |_| std::mem::size_of::<T>(), read)
            .await
    }

    /// [`Self::read`] for values that hold more than their own size (`size` estimates it).
    async fn read_sized<T, F>(
        &self,
        part: &ReadCache,
        key: String,
        size: impl FnOnce(&T) -> usize,
        read: F,
    ) -> StoreResult<T>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = StoreResult<T>>,
    {
        if self.fresh().await? {
            part.read_sized(key, size, read).await
        } else {
            read.await
        }
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Cached<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Store for Cached<S> {
    async fn close(&self) {
        self.inner.close().await;
    }

    async fn content_memo(&self) -> StoreResult<Option<&ReadCache>> {
        Ok(self.fresh().await?.then_some(&*self.links))
    }

    async fn access_memo(&self) -> StoreResult<Option<&ReadCache>> {
        Ok(self.fresh().await?.then_some(&*self.access))
    }

    fn pool_usage(&self) -> (u32, usize) {
        self.inner.pool_usage()
    }

    fn scopes_requests(&self) -> bool {
        self.shared && !self.bypass
    }

    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod expiry_tests;
