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
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
        }
    }
}

/// The state every handler gets: the store, the public URLs, the settings and the metrics.
#[derive(Debug, Clone)]
pub struct App<S> {
    pub store: S,
    pub urls: Arc<Urls>,
    pub config: Arc<HttpConfig>,
    pub metrics: Arc<metrics::Metrics>,
}

impl<S: Store> App<S> {
    pub fn new(store: S, external_url: &str, config: HttpConfig) -> Self {
        Self {
            store,
            urls: Arc::new(Urls::new(external_url)),
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::new()),
        }
    }
}
