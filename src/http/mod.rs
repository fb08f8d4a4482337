//! The HTTP layer: the router, request parsing, authentication, the error type and the JSON
//! entities. Handlers call `domain` for rules and `store` for data; nothing below calls up here.

pub mod auth;
pub mod entities;
pub mod error;
pub mod handlers;
pub mod markdown;
pub mod metrics;
pub mod openapi;
pub mod pagination;
pub mod params;
pub mod request;
pub mod router;
pub mod scope;
pub mod urls;

use std::sync::Arc;

pub use router::router;

use crate::store::Store;
use urls::Urls;

/// Settings the HTTP layer needs.
#[derive(Debug, Clone)]
pub struct HttpConfig {
    /// Bodies larger than this are refused with 413.
    pub max_body_bytes: usize,
    /// Requests whose headers (names and values together) are larger get 431.
    pub max_header_bytes: usize,
    /// A request not answered within this time gets 503 (and its work is dropped).
    pub request_timeout: std::time::Duration,
    /// Link and release names longer than this (in characters) are refused.
    pub max_name_length: usize,
    /// A release holds at most this many links.
    pub max_links_per_release: i64,
    /// The key token and session digests are computed with (see `crate::secret`).
    pub token_key: crate::domain::token::TokenKey,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 32 * 1024,
            request_timeout: std::time::Duration::from_secs(30),
            max_name_length: 1024,
            max_links_per_release: 10_000,
            token_key: crate::domain::token::TokenKey::generate(),
        }
    }
}

/// The state every handler gets: the store, the public URLs, the settings and the metrics.
/// Behind one `Arc`: axum hands every request its own clone of the state, and one counter
/// is cheaper than one per part.
#[derive(Debug)]
pub struct App<S>(Arc<AppParts<S>>);

#[derive(Debug)]
pub struct AppParts<S> {
    pub store: S,
    pub urls: Urls,
    pub config: HttpConfig,
    pub metrics: Arc<metrics::Metrics>,
    /// Tokens whose `last_used_at` is being written now (one write per token at a time).
    pub recording_use: std::sync::Mutex<std::collections::HashSet<i64>>,
}

impl<S> Clone for App<S> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<S> std::ops::Deref for App<S> {
    type Target = AppParts<S>;

    fn deref(&self) -> &AppParts<S> {
        &self.0
    }
}

impl<S: Store> App<S> {
    pub fn new(store: S, external_url: &str, config: HttpConfig) -> Self {
        Self(Arc::new(AppParts {
            store,
            urls: Urls::new(external_url),
            config,
            metrics: Arc::new(metrics::Metrics::new()),
            recording_use: Default::default(),
        }))
    }
}
