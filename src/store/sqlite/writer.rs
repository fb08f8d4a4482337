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

/// A job: runs on the connection. `single` jobs are one statement, atomic by themselves (a
/// failing statement changes nothing, its triggers included): they need no savepoint.
struct Job {
    single: bool,
    run: Runner,
}

type Runner = Box<dyn for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, Outcome> + Send>;

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
    /// made it durable, or as an error if that commit failed. `single`: `work` runs one
    /// statement.
    pub async fn write<T, F>(&self, single: bool, work: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(&'c mut SqliteConnection) -> BoxFuture<'c, StoreResult<T>>
            + Send
            + 'static,
    {
        let (done, answer) = oneshot::channel::<StoreResult<T>>();
        let run: Runner = Box::new(move |connection| {
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
        self.jobs
            .send(Job { single, run })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Runs statements without parameters in one call (one trip to sqlx's worker thread).
async fn execute(connection: &mut SqliteConnection, sql: &'static str) -> bool {
    sqlx::Executor::execute(&mut *connection, sql).await.is_ok()
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
        let began = execute(&mut connection, "BEGIN IMMEDIATE").await;
        let mut finished = Vec::with_capacity(batch.len());
        for job in batch {
            // A job's failure is undone alone; the others of the batch stand.
            if job.single {
                finished.push((job.run)(&mut connection).await.finish);
                continue;
            }
            execute(&mut connection, "SAVEPOINT job").await;
            let outcome = (job.run)(&mut connection).await;
            let end = if outcome.succeeded {
                "RELEASE job"
            } else {
                "ROLLBACK TO job; RELEASE job"
            };
            execute(&mut connection, end).await;
            finished.push(outcome.finish);
        }
        let committed = began && execute(&mut connection, "COMMIT").await;
        if began && !committed {
            execute(&mut connection, "ROLLBACK").await;
        }
        // Without the batch's transaction (BEGIN failed), each job committed on its own.
        for finish in finished {
            finish(committed || !began);
        }
    }
    let _ = connection.close().await;
}
