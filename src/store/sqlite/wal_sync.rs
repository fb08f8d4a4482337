//! Makes committed batches durable off the writer's path. The group-commit connection runs
//! with `synchronous=NORMAL`: its `COMMIT` writes the batch's pages to the WAL file but does not
//! wait for the disk. A thread of this module then flushes the WAL file (`fdatasync`) and only
//! after that hands each job of the batch its result, so every 2xx still means "on disk", while
//! the writer already runs the next batch: the flush of one batch overlaps the work of the next,
//! instead of the writer waiting a millisecond or more per batch for the disk.
//!
//! Batches that commit while a flush is under way share the next one: one flush covers every
//! page written to the file before it began. SQLite's checkpoints under `NORMAL` still sync the
//! WAL before copying it into the database file and the database file before the WAL can be
//! reused, so nothing acknowledged depends on this thread once it has been copied.
//!
//! A failed flush leaves it unknown what the disk holds (Linux may even drop the pages it could
//! not write, so a later flush would succeed without them). The batches waiting get the
//! database-unavailable error, and so does every write after it: the writer stops, as
//! PostgreSQL stops on a failed fsync, until the server is restarted and SQLite recovers from
//! what is on disk.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use tokio::sync::oneshot;

/// How a job learns its batch's fate: `true` once its batch is durable.
pub type Finish = Box<dyn FnOnce(bool) + Send>;

/// A committed batch waiting for its flush: its jobs, and who waits until they have heard.
struct Committed {
    finished: Vec<Finish>,
    heard: oneshot::Sender<()>,
}

/// The flushing thread, as the writer sees it.
#[derive(Debug)]
pub struct WalSync {
    batches: mpsc::Sender<Committed>,
    failed: Arc<AtomicBool>,
}

impl WalSync {
    /// Starts the thread that flushes the WAL file at `wal` (`<database>-wal`), calling
    /// `flushed` with the number of writes each flush that succeeded made durable.
    pub fn start(wal: PathBuf, flushed: impl FnMut(usize) + Send + 'static) -> io::Result<Self> {
        Self::start_with(move || std::fs::File::open(&wal)?.sync_data(), flushed)
    }

    /// Starts the thread with `flush` as what makes the committed pages durable (the tests
    /// give one they control).
    pub fn start_with(
        mut flush: impl FnMut() -> io::Result<()> + Send + 'static,
        mut flushed: impl FnMut(usize) + Send + 'static,
    ) -> io::Result<Self> {
        let (batches, waiting) = mpsc::channel::<Committed>();
        let failed = Arc::new(AtomicBool::new(false));
        let failure = failed.clone();
        std::thread::Builder::new()
            .name("relinks-wal-sync".into())
            .spawn(move || {
                while let Ok(first) = waiting.recv() {
                    // Every batch committed by now: this flush covers them all.
                    let mut committed = vec![first];
                    while let Ok(more) = waiting.try_recv() {
                        committed.push(more);
                    }
                    let durable = !failure.load(Ordering::Acquire)
                        && match flush() {
                            Ok(()) => true,
                            Err(error) => {
                                tracing::error!(
                                    %error,
                                    "could not flush SQLite's WAL file: writes are refused \
                                     until relinks is restarted"
                                );
                                failure.store(true, Ordering::Release);
                                false
                            }
                        };
                    let mut writes = 0;
                    for batch in committed {
                        writes += batch.finished.len();
                        for finish in batch.finished {
                            finish(durable);
                        }
                        let _ = batch.heard.send(());
                    }
                    if durable {
                        flushed(writes);
                    }
                }
            })?;
        Ok(Self { batches, failed })
    }

    /// Hands over a committed batch: each job hears after the flush that covers it. What it
    /// returns ends once they have (whether that flush succeeded or not).
    pub fn after_flush(&self, finished: Vec<Finish>) -> oneshot::Receiver<()> {
        let (heard, all_heard) = oneshot::channel();
        if let Err(mpsc::SendError(batch)) = self.batches.send(Committed { finished, heard }) {
            for finish in batch.finished {
                finish(false);
            }
        }
        all_heard
    }

    /// Whether a flush has failed: then nothing more may be committed.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;
    use std::time::Duration;

    use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
    use sqlx::ConnectOptions;

    use super::*;
    use crate::store::sqlite::writer::Writer;
    use crate::store::{StoreError, StoreResult};

    /// A flush the test holds until it sends a result, counting the flushes begun.
    struct Held {
        results: mpsc::Sender<io::Result<()>>,
        begun: Arc<AtomicUsize>,
        /// Flushes reported as succeeded (what wakes the checkpoints).
        flushed: Arc<AtomicUsize>,
    }

    async fn writer_with_held_flush(dir: &tempfile::TempDir) -> (Writer, Held) {
        let mut connection = SqliteConnectOptions::new()
            .filename(dir.path().join("test.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .connect()
            .await
            .expect("database");
        sqlx::Executor::execute(&mut connection, "CREATE TABLE t (n INTEGER)")
            .await
            .expect("table");
        let (results, held) = mpsc::channel();
        let begun = Arc::new(AtomicUsize::new(0));
        let counter = begun.clone();
        let flushed = Arc::new(AtomicUsize::new(0));
        let succeeded = flushed.clone();
        let wal_sync = WalSync::start_with(
            move || {
                counter.fetch_add(1, Ordering::SeqCst);
                held.recv().unwrap_or(Ok(()))
            },
            move |writes| {
                succeeded.fetch_add(writes, Ordering::SeqCst);
            },
        )
        .expect("thread");
        (
            Writer::spawn(connection, Some(wal_sync)),
            Held {
                results,
                begun,
                flushed,
            },
        )
    }

    fn insert(writer: &Writer, n: i64) -> tokio::task::JoinHandle<StoreResult<()>> {
        let writer = writer.clone();
        tokio::spawn(async move {
            writer
                .write(true, None, move |connection| {
                    Box::pin(async move {
                        sqlx::query("INSERT INTO t VALUES ($1)")
                            .bind(n)
                            .execute(connection)
                            .await
                            .map(drop)
                            .map_err(StoreError::from)
                    })
                })
                .await
        })
    }

    async fn until(what: impl Fn() -> bool) {
        for _ in 0..500 {
            if what() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("waited 5 s");
    }

    #[tokio::test]
    async fn a_write_is_answered_only_after_the_flush_that_covers_it() {
        let dir = tempfile::tempdir().expect("dir");
        let (writer, held) = writer_with_held_flush(&dir).await;
        let first = insert(&writer, 1);
        until(|| held.begun.load(Ordering::SeqCst) == 1).await;
        // Arriving while the first flush is held, both wait (in the next batch), and one
        // flush covers both.
        let second = insert(&writer, 2);
        let third = insert(&writer, 3);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!first.is_finished() && !second.is_finished() && !third.is_finished());
        held.results.send(Ok(())).expect("flush");
        first.await.expect("task").expect("first write");
        until(|| held.begun.load(Ordering::SeqCst) == 2).await;
        assert!(!second.is_finished() && !third.is_finished());
        held.results.send(Ok(())).expect("flush");
        second.await.expect("task").expect("second write");
        third.await.expect("task").expect("third write");
        assert_eq!(held.begun.load(Ordering::SeqCst), 2);
        until(|| held.flushed.load(Ordering::SeqCst) == 3).await;
    }

    /// The committed rows of `t` where `filter` holds, as another connection sees them.
    async fn rows_where(dir: &tempfile::TempDir, filter: &str) -> i64 {
        let mut reader = SqliteConnectOptions::new()
            .filename(dir.path().join("test.db"))
            .connect()
            .await
            .expect("reader");
        sqlx::query_scalar(&format!("SELECT COUNT(*) FROM t WHERE {filter}"))
            .fetch_one(&mut reader)
            .await
            .expect("count")
    }

    async fn rows(dir: &tempfile::TempDir) -> i64 {
        rows_where(dir, "TRUE").await
    }

    #[tokio::test]
    async fn a_small_batch_commits_after_the_last_flush_and_a_large_one_without_waiting() {
        let dir = tempfile::tempdir().expect("dir");
        let (writer, held) = writer_with_held_flush(&dir).await;
        let first = insert(&writer, 0);
        until(|| held.begun.load(Ordering::SeqCst) == 1).await;
        // Spawned now, each: the writes must be queued before the pause below.
        let mut small = Vec::new();
        for n in 1..4 {
            small.push(insert(&writer, n));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            rows(&dir).await,
            1,
            "a small batch waits for the last flush"
        );
        // The small batch grows past ENOUGH_TO_COMMIT, and commits with the first flush held.
        let mut large = Vec::new();
        for n in 4..40 {
            large.push(insert(&writer, n));
        }
        for _ in 0..500 {
            if rows(&dir).await == 40 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            rows(&dir).await,
            40,
            "a large batch commits without waiting"
        );
        assert!(!first.is_finished(), "the first flush is still held");
        for _ in 0..2 {
            held.results.send(Ok(())).expect("flush");
        }
        first.await.expect("task").expect("first write");
        for write in small.into_iter().chain(large) {
            write.await.expect("task").expect("write");
        }
    }

    #[tokio::test]
    async fn a_failed_flush_fails_its_writes_and_refuses_every_later_one() {
        let dir = tempfile::tempdir().expect("dir");
        let (writer, held) = writer_with_held_flush(&dir).await;
        let first = insert(&writer, 1);
        until(|| held.begun.load(Ordering::SeqCst) == 1).await;
        held.results
            .send(Err(io::Error::other("the disk failed")))
            .expect("flush");
        let unavailable =
            |result: StoreResult<()>| matches!(result, Err(StoreError::Unavailable(_)));
        assert!(unavailable(first.await.expect("task")));
        assert!(unavailable(insert(&writer, 2).await.expect("task")));
        assert_eq!(
            rows_where(&dir, "n = 2").await,
            0,
            "nothing is committed after a failed flush"
        );
        assert_eq!(held.flushed.load(Ordering::SeqCst), 0);
    }
}
