//! A read cache in front of a store that is the only writer of its database (SQLite: one
//! process owns the file). Hot reads (tokens, users, projects, memberships, protected tags,
//! tags, releases, links) are answered from memory. The cache has three parts: who may do what
//! (users, tokens, sessions, namespaces, projects, memberships, protected tags), releases (tags
//! and releases) and links (links, and the HTTP layer's rendered JSON of them). A write starts
//! a new generation of every part it can change, before it is acknowledged: a link write
//! leaves the other parts alone (links come and go all day while releases, tokens and
//! memberships stay), a tag or release write starts releases and links, any other write starts
//! all three.
//!
//! Why this is safe: an entry is stored under the generation read *before* its database read,
//! and is only ever served while that generation is still current. A write bumps the
//! generation after its commit and before it returns, so once a write is acknowledged no read
//! can be served a value from before it. Nothing time-dependent is cached as a decision: token
//! and session expiry are checked on every request from the cached row, and memberships are
//! kept with their expiry dates, judged on the day of each request. One field is exempt: a
//! link write touches its release's `updated_at` in the database (GitLab's `touch: true`) but
//! leaves cached releases alone; no answer shows a release's `updated_at`, and the filters on it
//! are run in the database. PostgreSQL stores are never wrapped: other instances write there
//! too.
//!
//! `read_cache.rs` is the cache itself; `directory.rs`, `projects.rs` and `releases.rs` say,
//! for each operation of the store's part of that name, what is kept and which part a write
//! starts anew.

use std::sync::Arc;

use super::{Store, StoreResult};

mod directory;
mod hosted_files;
mod projects;
mod read_cache;
mod releases;

pub use read_cache::ReadCache;

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
}

impl<S> Cached<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            access: Arc::default(),
            releases: Arc::default(),
            links: Arc::default(),
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

    fn content_memo(&self) -> Option<&ReadCache> {
        Some(&self.links)
    }

    fn pool_usage(&self) -> (u32, usize) {
        self.inner.pool_usage()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}

#[cfg(test)]
mod expiry_tests;
