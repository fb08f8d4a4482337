//! The timer of hyper's header-read time-out, one per connection. hyper asks its timer for a new
//! sleep each time a connection waits for a request's headers, and drops it once they are in:
//! with tokio's timer (`hyper_util`'s `TokioTimer`), every request put an entry into tokio's
//! timer wheel and took it out again, a thirtieth of the time relinks spends on a cached read.
//!
//! Here a connection keeps one tokio sleep for its whole life, and each of hyper's sleeps is a
//! deadline on it. A later deadline (each request's is later than the one before) only moves
//! the sleep's expiry, which tokio does without touching the wheel; the wheel sees the sleep
//! again only when it comes due. A sleep that comes due while hyper is not waiting for headers
//! (a request still being answered) wakes the connection once, for nothing, and waits for the
//! next deadline.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::time::Sleep;

/// One connection's timer (hyper takes it through `http1::Builder::timer`).
pub struct ConnectionTimer {
    sleep: Arc<Mutex<Pin<Box<Sleep>>>>,
}

impl ConnectionTimer {
    pub fn new() -> Self {
        // Not in tokio's wheel until polled: a deadline sets it first.
        let idle = tokio::time::sleep(Duration::from_secs(86_400));
        Self {
            sleep: Arc::new(Mutex::new(Box::pin(idle))),
        }
    }
}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(self.now() + duration)
    }

    /// tokio's clock, which the sleeps keep (the same as the system's, but when a test stops
    /// it).
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Deadline {
            sleep: self.sleep.clone(),
            deadline: tokio::time::Instant::from_std(deadline),
        })
    }
}

/// One of hyper's sleeps: the connection's sleep, due at `deadline`.
struct Deadline {
    sleep: Arc<Mutex<Pin<Box<Sleep>>>>,
    deadline: tokio::time::Instant,
}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Only this connection's task takes the lock: it is never contended, and nothing that
        // holds it can panic.
        let mut sleep = self.sleep.lock().unwrap_or_else(PoisonError::into_inner);
        if sleep.deadline() != self.deadline {
            sleep.as_mut().reset(self.deadline);
        }
        sleep.as_mut().poll(cx)
    }
}

impl hyper::rt::Sleep for Deadline {}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::rt::Timer as _;

    /// How long `timer`'s sleep of `ms` took, in milliseconds.
    async fn slept(timer: &ConnectionTimer, ms: u64) -> u128 {
        let start = Instant::now();
        timer.sleep(Duration::from_millis(ms)).await;
        start.elapsed().as_millis()
    }

    /// Whether `sleep` is still pending 20 ms on (it is then dropped, as hyper drops one).
    async fn pending_for_a_while(sleep: Pin<Box<dyn hyper::rt::Sleep>>) -> bool {
        tokio::time::timeout(Duration::from_millis(20), sleep)
            .await
            .is_err()
    }

    #[tokio::test]
    async fn each_deadline_comes_due_on_time_on_the_one_sleep() {
        let timer = ConnectionTimer::new();
        let first = slept(&timer, 200).await;
        assert!((200..1_000).contains(&first), "{first} ms");
        // A sleep dropped before its deadline (headers came in time) leaves the next to its own.
        assert!(pending_for_a_while(timer.sleep(Duration::from_millis(100))).await);
        let later = slept(&timer, 300).await;
        assert!((300..1_100).contains(&later), "{later} ms");
        // A deadline earlier than the last one is kept too.
        assert!(pending_for_a_while(timer.sleep(Duration::from_secs(60))).await);
        let earlier = slept(&timer, 200).await;
        assert!((200..1_000).contains(&earlier), "{earlier} ms");
    }
}
