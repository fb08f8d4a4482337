//! Rate limits as GitLab.com sets them: requests a minute per authenticated user, requests a
//! minute per IP address for unauthenticated traffic, and a ban of an IP address after repeated
//! failed authentications. Over a limit, GitLab's Rack::Attack answer: `429`, `Retry-After`,
//! the `RateLimit-*` headers and the plain-text body `Retry later`.
//!
//! A request counts once, when its caller is known ([`RateTicket::settle`]): against its user
//! when a credential in it is valid, otherwise against its address, as GitLab's Rack::Attack
//! treats a request whose token does not authenticate as unauthenticated. An invalid credential
//! also counts as a failed authentication; past the limit the address is banned. A ban stops
//! what comes from the address without a valid credential, never a request that has one (a
//! NAT or a proxy shares one address among many users, and any web page can make a browser
//! send junk). A request that never names its caller (a stylesheet, a 404) counts against its
//! address after it is answered.
//!
//! Counting is in fixed one-minute windows, in memory. With several instances on PostgreSQL,
//! each instance sends what it counted to the database every half second
//! ([`Limiter::take_pending`]) and learns the total of every instance for the keys it serves
//! ([`Limiter::absorb`]), so the limits hold across instances (within that half second).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

mod ticket;

pub use ticket::{settle, Outcome, RateTicket};

/// The limits; `None` switches one off.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// Requests a minute per authenticated user (GitLab.com: 2,000).
    pub per_user: Option<u64>,
    /// Requests a minute per IP address without credentials (GitLab.com: 500).
    pub per_ip: Option<u64>,
    /// Failed authentications a minute from one IP address before it is banned.
    pub failures_before_ban: Option<u64>,
    /// How long a ban lasts.
    pub ban: Duration,
}

impl RateLimits {
    /// No limits at all (the library's default; `relinks serve` sets GitLab.com's).
    pub fn off() -> Self {
        Self {
            per_user: None,
            per_ip: None,
            failures_before_ban: None,
            ban: Duration::from_secs(3600),
        }
    }
}

const WINDOW_SECS: u64 = 60;
/// Beyond this many keys, counters of past windows are dropped.
const MAX_KEYS: usize = 100_000;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Debug, Default, Clone, Copy)]
struct Counter {
    window: u64,
    /// Every instance's count for the window, as last learnt from the database.
    shared: u64,
    /// This instance's count not yet sent.
    pending: u64,
}

impl Counter {
    fn total(&self) -> u64 {
        self.shared + self.pending
    }
}

/// A refusal: which limit, and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Throttled {
    pub name: &'static str,
    pub limit: u64,
    pub observed: u64,
    pub retry_after: u64,
}

impl IntoResponse for Throttled {
    fn into_response(self) -> Response {
        let reset = now_secs() + self.retry_after;
        let mut response = (StatusCode::TOO_MANY_REQUESTS, "Retry later\n").into_response();
        let headers = response.headers_mut();
        let set = [
            (header::RETRY_AFTER.as_str(), self.retry_after.to_string()),
            ("ratelimit-name", self.name.to_owned()),
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-observed", self.observed.to_string()),
            (
                "ratelimit-remaining",
                self.limit.saturating_sub(self.observed).to_string(),
            ),
            ("ratelimit-reset", reset.to_string()),
        ];
        for (name, value) in set {
            if let (Ok(name), Ok(value)) = (
                header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                headers.insert(name, value);
            }
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

/// `user:<id>`, written into `buffer` (an id has at most 20 characters).
fn user_key(user_id: i64, buffer: &mut [u8; 32]) -> &str {
    let mut number = itoa::Buffer::new();
    let digits = number.format(user_id).as_bytes();
    let end = 5 + digits.len();
    buffer[..5].copy_from_slice(b"user:");
    buffer[5..end].copy_from_slice(digits);
    std::str::from_utf8(&buffer[..end]).unwrap_or("user:")
}

/// The counters of one instance.
#[derive(Debug)]
pub struct Limiter {
    pub limits: RateLimits,
    /// Keyed with foldhash: every request is counted here.
    counters: Mutex<HashMap<String, Counter, foldhash::fast::RandomState>>,
    /// Banned addresses, and until when (seconds since the epoch).
    bans: Mutex<HashMap<IpAddr, u64>>,
}

impl Limiter {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            counters: Mutex::default(),
            bans: Mutex::default(),
        }
    }

    pub fn is_off(&self) -> bool {
        self.limits.per_user.is_none()
            && self.limits.per_ip.is_none()
            && self.limits.failures_before_ban.is_none()
    }

    /// Counts one request under `key`, unless the window's count has reached `limit`.
    fn hit(&self, name: &'static str, key: &str, limit: u64) -> Result<u64, Throttled> {
        let now = now_secs();
        let window = now / WINDOW_SECS;
        let Ok(mut counters) = self.counters.lock() else {
            return Ok(0);
        };
        if counters.len() > MAX_KEYS {
            counters.retain(|_, c| c.window == window);
        }
        // Looked up by reference first: the key exists for all but a window's first request.
        let counter = match counters.get_mut(key) {
            Some(counter) => counter,
            None => counters.entry(key.to_owned()).or_default(),
        };
        if counter.window != window {
            *counter = Counter {
                window,
                ..Counter::default()
            };
        }
        if counter.total() >= limit {
            return Err(Throttled {
                name,
                limit,
                observed: counter.total(),
                retry_after: (window + 1) * WINDOW_SECS - now,
            });
        }
        counter.pending += 1;
        Ok(counter.total())
    }

    /// A request from an authenticated user.
    pub fn user_request(&self, user_id: i64) -> Result<(), Throttled> {
        match self.limits.per_user {
            Some(limit) => {
                // Written on the stack: the key is copied only the first time it is counted.
                let mut key = [0u8; 32];
                let key = user_key(user_id, &mut key);
                self.hit("throttle_authenticated_api", key, limit).map(drop)
            }
            None => Ok(()),
        }
    }

    /// A request without credentials.
    pub fn anonymous_request(&self, ip: IpAddr) -> Result<(), Throttled> {
        match self.limits.per_ip {
            Some(limit) => self
                .hit("throttle_unauthenticated_api", &format!("ip:{ip}"), limit)
                .map(drop),
            None => Ok(()),
        }
    }

    /// A failed authentication from `ip`: past the limit, the address is banned.
    pub fn failed_authentication(&self, ip: IpAddr) {
        let Some(limit) = self.limits.failures_before_ban else {
            return;
        };
        let Ok(count) = self.hit("auth_failures", &format!("authfail:{ip}"), u64::MAX) else {
            return;
        };
        if count >= limit {
            self.ban(ip);
        }
    }

    fn ban(&self, ip: IpAddr) {
        if let Ok(mut bans) = self.bans.lock() {
            let until = now_secs() + self.limits.ban.as_secs();
            if bans.insert(ip, until).is_none() {
                tracing::warn!(%ip, "banned after repeated failed authentications");
            }
        }
    }

    /// The ban on `ip`, if there is one now.
    pub fn banned(&self, ip: IpAddr) -> Result<(), Throttled> {
        let Ok(mut bans) = self.bans.lock() else {
            return Ok(());
        };
        let now = now_secs();
        match bans.get(&ip) {
            Some(&until) if until > now => Err(Throttled {
                name: "auth_failures_ban",
                limit: self.limits.failures_before_ban.unwrap_or_default(),
                observed: self.limits.failures_before_ban.unwrap_or_default(),
                retry_after: until - now,
            }),
            Some(_) => {
                bans.remove(&ip);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// What this instance counted since the last sync: `(key, window, count)`.
    pub fn take_pending(&self) -> Vec<(String, i64, i64)> {
        let Ok(mut counters) = self.counters.lock() else {
            return Vec::new();
        };
        let window = now_secs() / WINDOW_SECS;
        counters.retain(|_, c| c.window + 1 >= window);
        counters
            .iter_mut()
            .filter(|(_, c)| c.pending > 0)
            .map(|(key, c)| {
                let sent = (key.clone(), c.window as i64, c.pending as i64);
                c.shared += c.pending;
                c.pending = 0;
                sent
            })
            .collect()
    }

    /// Every instance's totals for the keys this one sent: its picture of the shared counts.
    pub fn absorb(&self, totals: &[(String, i64, i64)]) {
        let mut to_ban = Vec::new();
        if let Ok(mut counters) = self.counters.lock() {
            for (key, window, total) in totals {
                if let Some(counter) = counters.get_mut(key) {
                    if counter.window as i64 == *window {
                        counter.shared = counter.shared.max(*total as u64);
                        if let (Some(ip), Some(limit)) = (
                            key.strip_prefix("authfail:").and_then(|ip| ip.parse().ok()),
                            self.limits.failures_before_ban,
                        ) {
                            if counter.total() >= limit {
                                to_ban.push(ip);
                            }
                        }
                    }
                }
            }
        }
        for ip in to_ban {
            self.ban(ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_user: u64, per_ip: u64, failures: u64) -> RateLimits {
        RateLimits {
            per_user: Some(per_user),
            per_ip: Some(per_ip),
            failures_before_ban: Some(failures),
            ban: Duration::from_secs(600),
        }
    }

    #[test]
    fn user_keys_hold_any_id() {
        let mut buffer = [0u8; 32];
        assert_eq!(user_key(42, &mut buffer), "user:42");
        assert_eq!(user_key(i64::MIN, &mut buffer), "user:-9223372036854775808");
    }

    #[test]
    fn counts_up_to_the_limit_then_refuses_until_the_window_ends() {
        let limiter = Limiter::new(limits(3, 2, 5));
        for _ in 0..3 {
            assert!(limiter.user_request(1).is_ok());
        }
        let refused = limiter.user_request(1).expect_err("over the limit");
        assert_eq!(refused.limit, 3);
        assert!((1..=60).contains(&refused.retry_after));
        assert!(
            limiter.user_request(2).is_ok(),
            "another user has their own count"
        );
        let ip: IpAddr = "192.0.2.1".parse().expect("ip");
        assert!(limiter.anonymous_request(ip).is_ok());
        assert!(limiter.anonymous_request(ip).is_ok());
        assert!(limiter.anonymous_request(ip).is_err());
    }

    #[test]
    fn repeated_failures_ban_an_address() {
        let limiter = Limiter::new(limits(10, 10, 3));
        let ip: IpAddr = "192.0.2.9".parse().expect("ip");
        limiter.failed_authentication(ip);
        limiter.failed_authentication(ip);
        assert!(limiter.banned(ip).is_ok());
        limiter.failed_authentication(ip);
        let ban = limiter.banned(ip).expect_err("banned");
        assert!(ban.retry_after > 590);
        assert!(limiter.banned("192.0.2.10".parse().expect("ip")).is_ok());
    }

    #[test]
    fn counts_learnt_from_other_instances_count_here() {
        let limiter = Limiter::new(limits(5, 5, 3));
        assert!(limiter.user_request(7).is_ok());
        let sent = limiter.take_pending();
        assert_eq!(sent.len(), 1);
        let (key, window, count) = sent[0].clone();
        assert_eq!(count, 1);
        // Other instances counted four more in this window.
        limiter.absorb(&[(key, window, 5)]);
        assert!(limiter.user_request(7).is_err());
        assert!(limiter.take_pending().is_empty());
    }
}
