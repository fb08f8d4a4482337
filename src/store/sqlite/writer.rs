//! Group commit for SQLite. One task owns the write connection. Each write is a job: the task
//! takes every job waiting, runs each in a savepoint of one transaction (a job that fails is
//! rolled back to its savepoint and changes nothing), commits once, one fsync for the whole
//! batch, and only then hands each job its result. So throughput grows with concurrency while
//! every 2xx still means "on disk". The fsync itself is `wal_sync.rs`'s, on a thread of its own,
//! so that the writer runs the next batch while the disk takes the last one.
//!
//! Every statement is a trip to sqlx's SQLite thread and back, which costs more than most
//! statements themselves: the task puts the bookkeeping of a job (ending the previous job's
//! savepoint, starting its own, telling the audit triggers who is writing) in one call.

use sqlx::{Connection, SqliteConnection};
use tokio::sync::{mpsc, oneshot};

use super::wal_sync::{Finish, WalSync};
use crate::store::audit::AuditContext;
use crate::store::{BoxFuture, StoreError, StoreResult};

/// The most jobs one transaction takes.
const MAX_BATCH: usize = 256;

/// Who is writing, for the audit triggers (the one row of `audit_context`), and a new number
/// for the write (the webhook triggers make one event per subject and write).
const SET_AUDIT_CONTEXT: &str = "UPDATE audit_context SET author_id = $1, author_name = $2, \
     ip_address = $3, request_id = $4, idempotency_key_id = $5, write_id = write_id + 1";

/// The same, from parameters `$first` to `$first + 4`, to go before a statement that binds
/// the ones before (SQLite runs the statements of one call in order, numbered parameters bound
/// across them).
pub fn set_audit_context_from(first: usize) -> String {
    format!(
        "UPDATE audit_context SET author_id = ${first}, author_name = ${}, \
         ip_address = ${}, request_id = ${}, idempotency_key_id = ${}, \
         write_id = write_id + 1; ",
        first + 1,
        first + 2,
        first + 3,
        first + 4
    )
}

/// What a job leaves behind: whether its work succeeded (so its savepoint is kept), and how to
/// hand over its result once the fate of the batch is known.
struct Outcome {
    succeeded: bool,
    finish: Finish,
}

/// A job: runs on the connection. `single` jobs are one statement, atomic by themselves (a
/// failing statement changes nothing, its triggers included): they need no savepoint.
/// `context`: who is writing, set before the job runs; `None` for a job whose statement sets
/// it itself.
struct Job {
    single: bool,
    context: Option<AuditContext>,
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
    /// Starts the task that owns `connection`. `wal_sync`: the thread that makes its commits
    /// durable, when `connection` does not wait for the disk itself (`synchronous=NORMAL`).
    pub fn spawn(connection: SqliteConnection, wal_sync: Option<WalSync>) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(run(connection, queue, wal_sync));
        Self { jobs }
    }

    /// Runs `work` as one atomic, durable write: its result comes back after the commit that
    /// made it durable, or as an error if that commit failed. `single`: `work` runs one
    /// statement. `context`: who is writing (`None` when `work` sets it in its statement).
    pub async fn write<T, F>(
        &self,
        single: bool,
        context: Option<AuditContext>,
        work: F,
    ) -> StoreResult<T>
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
            .send(Job {
                single,
                context,
                run,
            })
            .await
            .map_err(|_| gone())?;
        answer.await.map_err(|_| gone())?
    }
}

/// Runs statements without parameters in one call (one trip to sqlx's worker thread).
async fn execute(connection: &mut SqliteConnection, sql: &str) -> bool {
    sqlx::Executor::execute(&mut *connection, sql).await.is_ok()
}

/// Runs `before` (statements without parameters, possibly none), then sets the audit
/// context, in one call.
async fn execute_with_context(
    connection: &mut SqliteConnection,
    before: &str,
    context: &AuditContext,
) -> bool {
    let sql = format!("{before}{SET_AUDIT_CONTEXT}");
    sqlx::query(&sql)
        .bind(context.author_id)
        .bind(&context.author_name)
        .bind(&context.ip_address)
        .bind(&context.request_id)
        .bind(context.idempotency_key)
        .execute(&mut *connection)
        .await
        .is_ok()
}

/// How the previous job's savepoint ends: kept when its work succeeded, undone when it failed.
fn end_of(succeeded: bool) -> &'static str {
    if succeeded {
        "RELEASE job; "
    } else {
        "ROLLBACK TO job; RELEASE job; "
    }
}

async fn run(
    mut connection: SqliteConnection,
    mut queue: mpsc::Receiver<Job>,
    wal_sync: Option<WalSync>,
) {
    while let Some(first) = queue.recv().await {
        // Everything that queued up while the previous batch was being made durable.
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // A job that is dropped unrun answers that the database is unavailable (its result
        // channel closes): what every job of a batch that cannot even begin gets, and every
        // job once the disk has failed to keep a commit.
        if wal_sync.as_ref().is_some_and(WalSync::failed)
            || !execute(&mut connection, "BEGIN IMMEDIATE").await
        {
            continue;
        }
        let mut finished = Vec::with_capacity(batch.len());
        // The end of the last job's savepoint, not yet sent: it goes with the next call.
        let mut pending_end = "";
        let mut intact = true;
        for job in batch {
            if !intact {
                continue;
            }
            // A job's failure is undone alone; the others of the batch stand.
            let start = if job.single { "" } else { "SAVEPOINT job; " };
            let before = format!("{pending_end}{start}");
            intact = match &job.context {
                Some(context) => execute_with_context(&mut connection, &before, context).await,
                None => before.is_empty() || execute(&mut connection, &before).await,
            };
            if !intact {
                // The bookkeeping failed (the previous job may not have been undone): the
                // whole batch is rolled back below, and this job and the rest are not run.
                continue;
            }
            pending_end = "";
            let outcome = (job.run)(&mut connection).await;
            if !job.single {
                pending_end = end_of(outcome.succeeded);
            }
            finished.push(outcome.finish);
        }
        let committed = intact && execute(&mut connection, &format!("{pending_end}COMMIT")).await;
        if !committed {
            execute(&mut connection, "ROLLBACK").await;
        }
        match &wal_sync {
            Some(wal_sync) if committed => wal_sync.after_flush(finished),
            _ => {
                for finish in finished {
                    finish(committed);
                }
            }
        }
    }
    let _ = connection.close().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_of_the_audit_context_set_the_same_columns() {
        let renumbered = SET_AUDIT_CONTEXT
            .replace("= $1,", "= $8,")
            .replace("= $2,", "= $9,")
            .replace("= $3,", "= $10,")
            .replace("= $4,", "= $11,")
            .replace("= $5", "= $12");
        assert_eq!(format!("{renumbered}; "), set_audit_context_from(8));
    }
}
