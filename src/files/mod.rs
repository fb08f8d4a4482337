//! Hosted files end to end, between the HTTP layer and the two stores below it (`store` for
//! rows, `blobs` for bytes): receiving a file so that an acknowledged upload is never lost
//! ([`FileHost::receive`]), and removing bytes nothing refers to any more ([`sweep`]).
//!
//! Receiving keeps `blobs`' order of durable steps: stage (bytes durable under a temporary
//! name) → pin (the database knows the blob, and no sweep may take it) → place (bytes under
//! their digest) → the caller commits its row, which releases the pin in the same transaction.
//! A crash anywhere before the commit leaves only what the sweep at the next start removes.

pub mod carry;
pub mod sweep;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;

use crate::blobs::{BlobError, Blobs, BodyLimits, Staged};
use crate::domain::time::now_micros;
use crate::store::{Blob, HostedFiles, StoreError};

/// How long a pin holds its blob at most: longer than placing any file takes (a server-side
/// copy of 5 GiB in S3 takes about a minute). A pin whose upload was abandoned dies with it.
const PIN_LIFETIME: Duration = Duration::from_secs(3600);

/// How long an upload waits for the sweep to finish removing the same bytes before it is
/// refused (503): the sweep holds a blob for one delete request.
const PIN_PATIENCE: Duration = Duration::from_secs(10);

/// Why a file could not be received.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Blob(#[from] BlobError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A file whose bytes are durable under their digest and pinned: ready to be referred to by
/// a row committed with [`Self::pin`]. Dropped uncommitted, its pin is released (its bytes are
/// then the sweep's).
#[derive(Debug)]
pub struct Received<S: HostedFiles + Clone + Send + Sync + 'static> {
    pub blob: Blob,
    pub pin: i64,
    store: Option<S>,
}

impl<S: HostedFiles + Clone + Send + Sync + 'static> Received<S> {
    /// The row referring to it is committed: the pin went with that commit.
    pub fn committed(mut self) {
        self.store = None;
    }
}

impl<S: HostedFiles + Clone + Send + Sync + 'static> Drop for Received<S> {
    fn drop(&mut self) {
        let Some(store) = self.store.take() else {
            return;
        };
        let pin = self.pin;
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let _ = store.unpin_blob(pin).await;
            });
        }
    }
}

/// The blob store, this instance's identity in the database's pins, and the sweeper's bell.
#[derive(Debug, Clone)]
pub struct FileHost {
    pub blobs: Blobs,
    /// This process among the instances sharing the database (a random positive `i32`: the
    /// second key of its advisory lock on PostgreSQL).
    pub instance: i64,
    /// Rung after a write that may have left blobs unreferenced.
    sweeper: Arc<tokio::sync::Notify>,
    /// When each package's download was last recorded (at most one write a minute each).
    downloads: Arc<std::sync::Mutex<std::collections::HashMap<i64, std::time::Instant>>>,
}

/// A package's `last_downloaded_at` is written at most this often.
const DOWNLOAD_RESOLUTION: Duration = Duration::from_secs(60);

impl FileHost {
    pub fn new(blobs: Blobs) -> Self {
        Self {
            blobs,
            instance: i64::from(rand::random::<u32>() >> 1).max(1),
            sweeper: Arc::default(),
            downloads: Arc::default(),
        }
    }

    /// Whether a download of the package should be recorded now: a burst of downloads makes
    /// one write a minute, not one each.
    pub fn record_download(&self, package_id: i64) -> bool {
        let Ok(mut recorded) = self.downloads.lock() else {
            return false;
        };
        let now = std::time::Instant::now();
        if recorded
            .get(&package_id)
            .is_some_and(|at| now.duration_since(*at) < DOWNLOAD_RESOLUTION)
        {
            return false;
        }
        if recorded.len() > 10_000 {
            recorded.retain(|_, at| now.duration_since(*at) < DOWNLOAD_RESOLUTION);
        }
        recorded.insert(package_id, now);
        true
    }

    /// Receives a body into the storage and pins it (see the module's documentation).
    pub async fn receive<S, E>(
        &self,
        store: &S,
        body: impl Stream<Item = Result<Bytes, E>> + Unpin + Send,
        limits: BodyLimits,
    ) -> Result<Received<S>, FileError>
    where
        S: HostedFiles + Clone + Send + Sync + 'static,
        E: std::error::Error + Send + 'static,
    {
        let mut staged: Staged = self.blobs.stage(body, limits).await?;
        let blob = Blob {
            sha256: staged.info.sha256.clone(),
            size: i64::try_from(staged.info.size).unwrap_or(i64::MAX),
            sha1: staged.info.sha1.clone(),
            md5: staged.info.md5.clone(),
        };
        let pin = self.pin(store, &blob).await?;
        // From here until `committed`, dropping `received` releases the pin.
        let received = Received {
            blob,
            pin,
            store: Some(store.clone()),
        };
        self.blobs.place(&mut staged).await?;
        Ok(received)
    }

    async fn pin<S: HostedFiles>(&self, store: &S, blob: &Blob) -> Result<i64, FileError> {
        let deadline = tokio::time::Instant::now() + PIN_PATIENCE;
        loop {
            let expires_at = now_micros() + PIN_LIFETIME.as_micros() as i64;
            if let Some(pin) = store.pin_blob(blob, self.instance, expires_at).await? {
                return Ok(pin);
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(BlobError::Unavailable(
                    "the same bytes are being removed by the sweep".into(),
                )
                .into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Files were deleted: their blobs may be unreferenced now.
    pub fn removed(&self) {
        self.sweeper.notify_one();
    }

    /// Waits for [`Self::removed`], or `every` at most.
    pub async fn next_sweep(&self, every: Duration) {
        let _ = tokio::time::timeout(every, self.sweeper.notified()).await;
    }
}
