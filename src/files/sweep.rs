//! The sweep: removes the bytes nothing refers to any more, and what uploads that never
//! committed left behind. Each blob is claimed in the database first (no file refers to it, no
//! live pin holds it; marked `deleting`, which stops new pins), then its bytes are removed,
//! then the row; so a committed file's bytes are never removed, on any number of instances,
//! and a crash half-way is finished by the next sweep.

use std::time::Duration;

use super::FileHost;
use crate::domain::time::now_micros;
use crate::store::{Claim, Store};

/// Temporary files older than this are abandoned uploads, whoever wrote them: a live upload
/// writes continuously (a stalled one is cut after its idle time-out), and an S3 temporary
/// object lives only between its upload and its copy.
const ABANDONED_AFTER: Duration = Duration::from_secs(3600);

/// Blobs handled per database query.
const BATCH: i64 = 500;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub temporary: usize,
    pub unknown: usize,
    pub blobs: usize,
}

/// When the sweep runs, and how thoroughly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pass {
    /// At start, before serving: every blob of the storage is checked against the database,
    /// and, when no other instance runs on the database (always so on SQLite), every temporary
    /// file is an abandoned one.
    Start { only_instance: bool },
    /// Now and then, and after deletes: blobs the database says are unreferenced, and old
    /// temporary files.
    Routine,
}

/// Runs one sweep; errors are logged and leave the rest for the next one.
pub async fn sweep<S: Store>(store: &S, host: &FileHost, pass: Pass) -> Swept {
    let mut swept = Swept::default();
    let age = match pass {
        Pass::Start {
            only_instance: true,
        } => Duration::ZERO,
        _ => ABANDONED_AFTER,
    };
    match host.blobs.sweep_temporary(age).await {
        Ok(n) => swept.temporary = n,
        Err(error) => tracing::warn!(%error, "could not sweep temporary files"),
    }
    if matches!(pass, Pass::Start { .. }) {
        swept.unknown = claim_unknown(store, host).await;
    }
    swept.blobs = remove_unreferenced(store, host).await;
    if swept != Swept::default() {
        tracing::info!(?swept, storage = %host.blobs.describe(), "swept the file storage");
    }
    swept
}

/// Stored blobs the database does not know: recorded as `deleting` (so that no upload pins
/// them meanwhile); `remove_unreferenced` then removes them like any claimed blob.
async fn claim_unknown<S: Store>(store: &S, host: &FileHost) -> usize {
    let stored = match host.blobs.list().await {
        Ok(stored) => stored,
        Err(error) => {
            tracing::warn!(%error, "could not list the stored files");
            return 0;
        }
    };
    let mut claimed = 0;
    for chunk in stored.chunks(BATCH as usize) {
        match store.claim_unknown_blobs(chunk).await {
            Ok(unknown) => claimed += unknown.len(),
            Err(error) => {
                tracing::warn!(%error, "could not check stored files against the database");
                break;
            }
        }
    }
    claimed
}

async fn remove_unreferenced<S: Store>(store: &S, host: &FileHost) -> usize {
    let mut removed = 0;
    loop {
        let candidates = match store
            .sweepable_blobs(host.instance, now_micros(), BATCH)
            .await
        {
            Ok(candidates) => candidates,
            Err(error) => {
                tracing::warn!(%error, "could not look for unreferenced files");
                return removed;
            }
        };
        let mut progress = false;
        for sha256 in &candidates {
            match remove(store, host, sha256).await {
                Ok(true) => {
                    removed += 1;
                    progress = true;
                }
                Ok(false) => {}
                Err(error) => {
                    tracing::warn!(%error, sha256, "could not remove an unreferenced file");
                }
            }
        }
        // A full batch may have more behind it; a batch of kept blobs (pinned meanwhile) does
        // not, until the next sweep.
        if (candidates.len() as i64) < BATCH || !progress {
            return removed;
        }
    }
}

async fn remove<S: Store>(store: &S, host: &FileHost, sha256: &str) -> Result<bool, String> {
    match store
        .claim_blob(sha256, host.instance, now_micros())
        .await
        .map_err(|e| e.to_string())?
    {
        Claim::Kept | Claim::Gone => Ok(false),
        Claim::Claimed => {
            host.blobs.delete(sha256).await.map_err(|e| e.to_string())?;
            store.forget_blob(sha256).await.map_err(|e| e.to_string())?;
            Ok(true)
        }
    }
}

/// Sweeps after deletes, and every `every`, for as long as the process runs.
pub fn keep_sweeping<S: Store>(store: S, host: FileHost, every: Duration) {
    tokio::spawn(async move {
        loop {
            host.next_sweep(every).await;
            sweep(&store, &host, Pass::Routine).await;
        }
    });
}
