//! Shared caches read the database's generations once per *round*, not once per request: under
//! load, one round trip tells every waiting request whether what it keeps is still current.
//!
//! Why this keeps read-your-writes across instances: a request only takes the answer of a round
//! that *started* after the request did. A write acknowledged (committed) by any instance before
//! the request began has then moved the row the round reads. So a request that arrives while a
//! round is under way does not take that round's answer; it waits for the next round, which every
//! request arriving until it starts joins. Rounds run one at a time, so a request waits at most
//! for the round under way and then its own: two round trips, and one when nothing is under way.
//!
//! A round is run by a task of its own: a request that is dropped (its client went away) cannot
//! leave the others waiting for a round nobody runs.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use crate::store::{StoreError, StoreResult};

/// The rounds of one shared cache.
pub struct Rounds {
    state: Mutex<State>,
    finished: watch::Sender<Finished>,
}

#[derive(Default)]
struct State {
    /// The last round that started (0: none yet).
    started: u64,
    /// Whether a task is set to run the next round (it waits for the one under way).
    next_set: bool,
}

/// The last round that finished, and how.
struct Finished {
    round: u64,
    failure: Option<StoreError>,
}

impl Default for Rounds {
    fn default() -> Self {
        Self {
            state: Mutex::default(),
            finished: watch::Sender::new(Finished {
                round: 0,
                failure: None,
            }),
        }
    }
}

impl Rounds {
    /// Waits for a round that starts after this call. `read` gives the round's work (read the
    /// generations and raise the caches to them), a future that must do nothing until polled:
    /// it is called only when this call is the one that sets the next round going.
    pub async fn join<F, R>(self: &Arc<Self>, read: F) -> StoreResult<()>
    where
        F: FnOnce() -> R,
        R: Future<Output = StoreResult<()>> + Send + 'static,
    {
        let mut finished = self.finished.subscribe();
        let round = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if !std::mem::replace(&mut state.next_set, true) {
                tokio::spawn(Arc::clone(self).run(state.started + 1, read()));
            }
            state.started + 1
        };
        let outcome = match finished.wait_for(|last| last.round >= round).await {
            Ok(last) => last.failure.as_ref().map(again),
            Err(_) => Some(StoreError::Unavailable(sqlx::Error::PoolClosed)),
        };
        outcome.map_or(Ok(()), Err)
    }

    /// Runs round `round` once the one before it has finished.
    async fn run(self: Arc<Self>, round: u64, read: impl Future<Output = StoreResult<()>>) {
        let mut finished = self.finished.subscribe();
        // The sender lives in `self`: waiting cannot fail.
        let _ = finished.wait_for(|last| last.round + 1 >= round).await;
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.started = round;
            state.next_set = false;
        }
        // Should the round end without an answer (its task dropped as the runtime stops, or a
        // panic), its requests and the next round must not wait for ever.
        let mut unanswered = Unanswered {
            rounds: &self,
            round: Some(round),
        };
        let failure = read.await.err();
        unanswered.round = None;
        self.finished.send_replace(Finished { round, failure });
    }
}

/// A round that started, until it has its answer: on drop before that, a failed round.
struct Unanswered<'a> {
    rounds: &'a Rounds,
    round: Option<u64>,
}

impl Drop for Unanswered<'_> {
    fn drop(&mut self) {
        if let Some(round) = self.round {
            self.rounds.finished.send_replace(Finished {
                round,
                failure: Some(StoreError::Unavailable(sqlx::Error::WorkerCrashed)),
            });
        }
    }
}

/// A round's failure, for each request that waited for it: whether the database could not be
/// reached (a 503) is kept.
fn again(error: &StoreError) -> StoreError {
    let text = sqlx::Error::Protocol(error.to_string());
    match error {
        StoreError::Unavailable(_) => StoreError::Unavailable(text),
        _ => StoreError::Database(text),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// A round's work that counts itself and takes `pause`.
    fn counted(
        reads: &Arc<AtomicUsize>,
        pause: Duration,
    ) -> impl FnOnce() -> futures_util::future::BoxFuture<'static, StoreResult<()>> {
        let reads = Arc::clone(reads);
        move || {
            Box::pin(async move {
                reads.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(pause).await;
                Ok(())
            })
        }
    }

    #[tokio::test]
    async fn requests_waiting_together_share_one_round() {
        let rounds = Arc::new(Rounds::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let mut waiting = Vec::new();
        for _ in 0..50 {
            let (rounds, read) = (
                Arc::clone(&rounds),
                counted(&reads, Duration::from_millis(20)),
            );
            waiting.push(tokio::spawn(async move { rounds.join(read).await }));
        }
        for request in waiting {
            assert!(matches!(request.await, Ok(Ok(()))));
        }
        // The first round, or the one after it for those that came while it ran.
        assert!(reads.load(Ordering::SeqCst) <= 2, "{reads:?} rounds");
    }

    #[tokio::test]
    async fn a_request_does_not_take_a_round_that_started_before_it() {
        let rounds = Arc::new(Rounds::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let first = {
            let (rounds, read) = (
                Arc::clone(&rounds),
                counted(&reads, Duration::from_millis(50)),
            );
            tokio::spawn(async move { rounds.join(read).await })
        };
        // The first round is under way (it counted itself): a request now needs the next one.
        while reads.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        rounds
            .join(counted(&reads, Duration::ZERO))
            .await
            .expect("fresh");
        assert_eq!(reads.load(Ordering::SeqCst), 2);
        assert!(matches!(first.await, Ok(Ok(()))));
    }

    #[tokio::test]
    async fn a_failed_round_fails_its_requests_and_the_next_round_is_tried_again() {
        let rounds = Arc::new(Rounds::default());
        let down = || async { Err(StoreError::Unavailable(sqlx::Error::PoolTimedOut)) };
        let failed = rounds.join(down).await;
        assert!(
            matches!(failed, Err(StoreError::Unavailable(_))),
            "{failed:?}"
        );
        let reads = Arc::new(AtomicUsize::new(0));
        rounds
            .join(counted(&reads, Duration::ZERO))
            .await
            .expect("fresh again");
        assert_eq!(reads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_round_that_ends_without_an_answer_fails_and_the_next_runs() {
        let rounds = Arc::new(Rounds::default());
        let panics = || async { panic!("the round's work panics") };
        let failed = tokio::time::timeout(Duration::from_secs(5), rounds.join(panics)).await;
        assert!(
            matches!(failed, Ok(Err(StoreError::Unavailable(_)))),
            "{failed:?}"
        );
        let reads = Arc::new(AtomicUsize::new(0));
        let joined = tokio::time::timeout(
            Duration::from_secs(5),
            rounds.join(counted(&reads, Duration::ZERO)),
        )
        .await;
        assert!(matches!(joined, Ok(Ok(()))));
    }

    #[tokio::test]
    async fn a_dropped_request_leaves_its_round_running() {
        let rounds = Arc::new(Rounds::default());
        let reads = Arc::new(AtomicUsize::new(0));
        let dropped = rounds.join(counted(&reads, Duration::from_millis(30)));
        // Polled once (it sets the round going), then dropped.
        let _ = tokio::time::timeout(Duration::from_millis(1), dropped).await;
        let joined = tokio::time::timeout(
            Duration::from_secs(5),
            rounds.join(counted(&reads, Duration::ZERO)),
        )
        .await;
        assert!(matches!(joined, Ok(Ok(()))));
    }
}
