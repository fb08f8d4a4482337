//! Group commit for SQLite. One task owns the write connection. Each write is a job: the task
//! takes every job waiting, runs each in a savepoint of one transaction (a job that fails is
//! rolled back to its savepoint and changes nothing), commits once, one fsync for the whole
//! batch, and only then hands each job its result. So throughput grows with concurrency while
//! every 2xx still means "on disk".

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use crate::store::{BoxFuture, StoreError, StoreResult};

/// The most jobs one transaction takes.
const MAX_BATCH: usize = 256;

/// What a job leaves behind: whether its work succeeded (so its savepoint is kept), and how to
/// hand over its result once the fate of the batch is known.
struct Outcome {
    succeeded: bool,
    finish: Box<dyn FnOnce(bool) + Send>,
}

/// A job: runs on the connection, inside its own savepoint.
type Job = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Outcome> + Send>;

#[derive(Clone, Debug)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

fn gone() -> StoreError {
    StoreError::Unavailable(sqlx::Error::PoolClosed)
}

impl Writer {
    /// Starts the task that owns `connection`.
    pub fn spawn(connection: SqliteConnection) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(run(connection, queue));
        Self { jobs }
    }

    /// Runs `work` as one atomic, durable write: its result comes back after the commit that
    /// made it durable, or as an error if that commit failed.
    pub async fn write<T, F>(&self, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (done, answer) = oneshot::channel::<StoreResult<T>>();
        let job: Job = Box::new(move |connection| {
            Box::pin(async move {
                let result = work(connection).await;
                Outcome {
                    succeeded: result.is_ok(),
                    finish: Box::new(move |committed: bool| {
                        let _ = done.send(match result {
                            Ok(_) if !committed => Err(gone()),
                            other => other,
                        });
                    }),
                }
            })
        });
        self.jobs.send(job).await.map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

async fn execute(connection: &mut SqliteConnection, sql: &str) -> bool {
    sqlx::query(sql).execute(&mut *connection).await.is_ok()
}

async fn run(mut connection: SqliteConnection, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        // Everything that queued up while the previous batch was being made durable.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let size = batch.len();
        let began = execute(&mut connection, "BEGIN IMMEDIATE").await;
        let mut finished = Vec::with_capacity(batch.len());
        for job in batch {
            execute(&mut connection, "SAVEPOINT job").await;
            let outcome = job(&mut connection).await;
            if !outcome.succeeded {
                execute(&mut connection, "ROLLBACK TO job").await;
            }
            // Outside a transaction (BEGIN failed), releasing the savepoint commits the job alone.
            let released = execute(&mut connection, "RELEASE job").await;
            finished.push((outcome.finish, released));
        }
        let committed = began && execute(&mut connection, "COMMIT").await;
        if began && !committed {
            execute(&mut connection, "ROLLBACK").await;
        }
        let ran = started.elapsed();
        for (finish, released) in finished {
            finish(if began { committed } else { released });
        }
        tracing::debug!(size, ?ran, committed, "group commit");
    }
    let _ = connection.close().await;
}
