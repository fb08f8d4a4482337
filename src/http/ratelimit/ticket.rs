//! A request's place in the limits: made by the middleware, settled once by whoever learns who
//! the caller is (authentication on the API, the viewer on the pages, the sign-in form).

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::{Limiter, Throttled};

/// Who a request turned out to be, for counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A valid credential of this user.
    User(i64),
    /// No credential the route reads (or one that is genuine but not for this route).
    Anonymous,
    /// Anonymous, on the one page a banned address may still load: the sign-in form, where
    /// whoever shares the address signs in with a valid token.
    SignInForm,
    /// A credential that does not authenticate: unknown, expired or revoked.
    Failed,
    /// Refused before anything was looked at (a cross-site form post): counts toward nothing.
    Uncounted,
}

/// One request's place in the limits: made by the middleware, settled once by whoever learns
/// who the caller is. Later settlements of the same request change nothing.
#[derive(Debug, Clone)]
pub struct RateTicket(Arc<TicketInner>);

#[derive(Debug)]
struct TicketInner {
    limiter: Arc<Limiter>,
    ip: IpAddr,
    settled: AtomicBool,
}

impl RateTicket {
    pub fn new(limiter: Arc<Limiter>, ip: IpAddr) -> Self {
        Self(Arc::new(TicketInner {
            limiter,
            ip,
            settled: AtomicBool::new(false),
        }))
    }

    pub fn is_settled(&self) -> bool {
        self.0.settled.load(Ordering::Acquire)
    }

    /// Counts the request as `outcome`; `Err` is the 429 to answer instead.
    pub fn settle(&self, outcome: Outcome) -> Result<(), Throttled> {
        if self.0.settled.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let (limiter, ip) = (&self.0.limiter, self.0.ip);
        match outcome {
            Outcome::User(user_id) => limiter.user_request(user_id),
            Outcome::Uncounted => Ok(()),
            Outcome::SignInForm => limiter.anonymous_request(ip),
            Outcome::Anonymous => {
                limiter.banned(ip)?;
                limiter.anonymous_request(ip)
            }
            Outcome::Failed => {
                limiter.banned(ip)?;
                limiter.anonymous_request(ip)?;
                limiter.failed_authentication(ip);
                Ok(())
            }
        }
    }
}

/// Settles `ticket` when there is one (there is none when limits are off, or for health checks).
pub fn settle(ticket: Option<&RateTicket>, outcome: Outcome) -> Result<(), Throttled> {
    ticket.map_or(Ok(()), |ticket| ticket.settle(outcome))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::http::ratelimit::RateLimits;

    fn limits(per_user: u64, per_ip: u64, failures: u64) -> RateLimits {
        RateLimits {
            per_user: Some(per_user),
            per_ip: Some(per_ip),
            failures_before_ban: Some(failures),
            ban: Duration::from_secs(600),
        }
    }

    #[test]
    fn a_ban_stops_anonymous_and_failed_requests_but_not_valid_credentials() {
        let limiter = Arc::new(Limiter::new(limits(100, 100, 2)));
        let ip: IpAddr = "192.0.2.20".parse().expect("ip");
        let request = || RateTicket::new(limiter.clone(), ip);
        assert!(request().settle(Outcome::Failed).is_ok());
        assert!(
            request().settle(Outcome::Failed).is_ok(),
            "the second failure bans"
        );
        assert!(request().settle(Outcome::Failed).is_err());
        assert!(request().settle(Outcome::Anonymous).is_err());
        assert!(request().settle(Outcome::User(1)).is_ok());
        assert!(request().settle(Outcome::Uncounted).is_ok());
        assert!(request().settle(Outcome::SignInForm).is_ok());
    }

    #[test]
    fn a_request_counts_once_and_failures_count_against_the_address() {
        let limiter = Arc::new(Limiter::new(limits(100, 2, 100)));
        let ip: IpAddr = "192.0.2.21".parse().expect("ip");
        let ticket = RateTicket::new(limiter.clone(), ip);
        assert!(ticket.settle(Outcome::Failed).is_ok());
        assert!(
            ticket.settle(Outcome::Failed).is_ok(),
            "settled already: no count"
        );
        assert!(ticket.is_settled());
        assert!(RateTicket::new(limiter.clone(), ip)
            .settle(Outcome::Anonymous)
            .is_ok());
        assert!(
            RateTicket::new(limiter, ip)
                .settle(Outcome::Failed)
                .is_err(),
            "two counted against the address already"
        );
    }
}
