//! The HTTP layer: the router, request parsing, authentication, the error type and the JSON
//! entities. Handlers call `domain` for rules and `store` for data; nothing below calls up here.

pub mod auth;
pub mod conditional;
pub mod download;
pub mod download_counter;
pub mod entities;
pub mod error;
pub mod handlers;
pub mod hosted;
pub mod idempotency;
pub mod markdown;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod pagination;
pub mod params;
pub mod ratelimit;
pub mod request;
pub mod routes;
pub mod scope;
pub mod transfer;
pub mod urls;
pub mod webhooks;

use std::sync::Arc;

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
    /// Request limits per user and per address (off unless set: `relinks serve` sets them).
    pub rate_limits: ratelimit::RateLimits,
    /// Who may read `/-/metrics` and the readiness check's details.
    pub monitoring: middleware::MonitoringAllowList,
    /// Limits of the routes that receive files.
    pub transfers: TransferLimits,
    /// What downloads of links' files (verification) may do.
    pub outbound: crate::outbound::OutboundSettings,
    /// How often this instance adds the downloads it counted to the database.
    pub download_flush: std::time::Duration,
    /// How webhook events are sent.
    pub webhooks: webhooks::WebhookSettings,
}

/// The routes that receive files have limits of their own (the 1 MiB of the others would
/// refuse every release binary), and are cut when they stall rather than when they take long.
#[derive(Debug, Clone, Copy)]
pub struct TransferLimits {
    /// A generic package file (GitLab's `generic_packages_max_file_size`, 5 GiB).
    pub max_generic_file_bytes: u64,
    /// A project upload (GitLab's `max_attachment_size`, 100 MiB).
    pub max_upload_bytes: u64,
    /// A transfer that moves no byte for this long is abandoned.
    pub idle_timeout: std::time::Duration,
}

impl Default for TransferLimits {
    fn default() -> Self {
        Self {
            max_generic_file_bytes: 5 * 1024 * 1024 * 1024,
            max_upload_bytes: 100 * 1024 * 1024,
            idle_timeout: std::time::Duration::from_secs(60),
        }
    }
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
            rate_limits: ratelimit::RateLimits::off(),
            monitoring: middleware::MonitoringAllowList::loopback(),
            transfers: TransferLimits::default(),
            outbound: crate::outbound::OutboundSettings::default(),
            download_flush: std::time::Duration::from_secs(5),
            webhooks: webhooks::WebhookSettings::default(),
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
    /// Where hosted files' bytes are, and this instance's part in keeping them.
    pub files: crate::files::FileHost,
    pub urls: Urls,
    pub config: HttpConfig,
    pub metrics: Arc<metrics::Metrics>,
    /// The rate limiter's counters (shared with the middleware that bans and throttles).
    pub limiter: Arc<ratelimit::Limiter>,
    /// Tokens whose `last_used_at` is being written now (one write per token at a time).
    pub recording_use: std::sync::Mutex<std::collections::HashSet<i64>>,
    /// Downloads of links' files (verification).
    pub outbound: crate::outbound::Outbound,
    /// Downloads counted and not yet stored.
    pub downloads: download_counter::DownloadCounter,
    /// The key webhooks' secrets are sealed with (derived from the token key).
    pub sealing: crate::domain::sealed::SealingKey,
}

impl HttpConfig {
    /// The limits a release's rules take from the configuration.
    pub fn release_limits(&self) -> crate::domain::release::Limits {
        crate::domain::release::Limits {
            max_name_length: self.max_name_length,
            max_links: self.max_links_per_release,
        }
    }
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
    /// Sends this instance's rate-limit counts to the database every half second and learns
    /// every instance's totals (PostgreSQL, shared by several instances).
    pub fn share_rate_limits(&self) {
        if self.limiter.is_off() {
            return;
        }
        let app = self.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_millis(500));
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                every.tick().await;
                let pending = app.limiter.take_pending();
                if pending.is_empty() {
                    continue;
                }
                match app.store.add_rate_counts(&pending).await {
                    Ok(totals) => app.limiter.absorb(&totals),
                    Err(error) => tracing::warn!(%error, "could not share rate-limit counts"),
                }
            }
        });
    }

    pub fn new(
        store: S,
        files: crate::files::FileHost,
        external_url: &str,
        config: HttpConfig,
    ) -> Self {
        let limiter = Arc::new(ratelimit::Limiter::new(config.rate_limits.clone()));
        let outbound = crate::outbound::Outbound::new(config.outbound);
        let sealing = crate::domain::sealed::SealingKey::of(&config.token_key);
        Self(Arc::new(AppParts {
            store,
            files,
            urls: Urls::new(external_url),
            limiter,
            config,
            metrics: Arc::new(metrics::Metrics::new()),
            recording_use: Default::default(),
            outbound,
            downloads: Default::default(),
            sealing,
        }))
    }
}
