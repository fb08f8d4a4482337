//! Copies the WAL into the database file beside the writer, not in its way. By default SQLite
//! checkpoints in the `COMMIT` that takes the WAL past 1,000 pages: a batch of creates changes
//! about 200, so every fifth batch the writer would copy the log and wait for two fsyncs (the
//! WAL, then the database file) before it could take the next batch. Here a connection of its
//! own checkpoints once [`CHECKPOINT_EVERY_WRITES`] writes have been flushed since the last
//! (`PASSIVE`: it never blocks the writer or a reader), so the writer's own checkpoint, kept at
//! [`WRITER_CHECKPOINT_PAGES`] as a bound, finds little left to copy. A checkpoint syncs the
//! WAL before it copies and the database file before the WAL may be reused, so nothing
//! acknowledged depends on it.

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};
use tokio::sync::watch;

/// When the writer checkpoints by itself (`wal_autocheckpoint`): the background checkpoints
/// copy while the writer appends, so the WAL is rarely all copied at the start of a batch,
/// which is when SQLite starts it again from its beginning. The writer's checkpoint finishes
/// the copy and lets it start over: the WAL file stays under this many pages (16 MiB).
pub const WRITER_CHECKPOINT_PAGES: u32 = 4_000;

/// About as many pages as SQLite's own default (1,000) for writes like a link's create, a
/// few pages each: a checkpoint after every flush took a tenth more CPU per request under
/// reads mixed with writes, copying the same hot pages and syncing twice each time.
pub const CHECKPOINT_EVERY_WRITES: usize = 128;

/// Asks for checkpoints: any number of requests while one runs make one more after it.
#[derive(Debug)]
pub struct Wake {
    checkpoint: watch::Sender<()>,
    /// Writes flushed since the last request.
    writes: usize,
}

impl Wake {
    /// Counts `writes` made durable, and asks for a checkpoint every
    /// [`CHECKPOINT_EVERY_WRITES`].
    pub fn flushed(&mut self, writes: usize) {
        self.writes += writes;
        if self.writes >= CHECKPOINT_EVERY_WRITES {
            self.writes = 0;
            self.checkpoint.send_replace(());
        }
    }
}

/// Starts the task that checkpoints when woken, on a connection it opens with `options` at
/// the first wake (a server that only reads never holds it); it ends, and closes the
/// connection, when its [`Wake`] is dropped.
pub fn spawn(options: SqliteConnectOptions) -> Wake {
    let (checkpoint, mut woken) = watch::channel(());
    tokio::spawn(async move {
        let mut connection: Option<SqliteConnection> = None;
        while woken.changed().await.is_ok() {
            let open = match connection.as_mut() {
                Some(open) => open,
                None => match options.connect().await {
                    Ok(opened) => connection.insert(opened),
                    Err(error) => {
                        tracing::debug!(%error, "could not open the checkpoint connection");
                        continue;
                    }
                },
            };
            if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *open)
                .await
            {
                // The next flush asks again; the writer's own checkpoint bounds the WAL.
                tracing::debug!(%error, "background checkpoint failed");
            }
        }
        if let Some(connection) = connection {
            let _ = sqlx::Connection::close(connection).await;
        }
    });
    Wake {
        checkpoint,
        writes: 0,
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use sqlx::sqlite::SqliteJournalMode;

    use super::*;

    #[tokio::test]
    async fn enough_writes_flushed_copy_the_wal_into_the_database_file() {
        let dir = tempfile::tempdir().expect("dir");
        let database = dir.path().join("test.db");
        let options = SqliteConnectOptions::new()
            .filename(&database)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        let mut writer = options
            .clone()
            .pragma("wal_autocheckpoint", "0")
            .connect()
            .await
            .expect("writer");
        sqlx::Executor::execute(
            &mut writer,
            "CREATE TABLE t (b BLOB); \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) \
             INSERT INTO t SELECT randomblob(1000) FROM n;",
        )
        .await
        .expect("rows");
        let size = || std::fs::metadata(&database).map_or(0, |m| m.len());
        let before = size();
        let mut wake = spawn(options);
        wake.flushed(CHECKPOINT_EVERY_WRITES - 1);
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(size(), before, "nothing copied before enough writes");
        wake.flushed(1);
        for _ in 0..500 {
            if size() > before + 1_000_000 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!(
            "the rows never reached the database file ({} bytes)",
            size()
        );
    }
}
