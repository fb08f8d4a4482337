//! The files relinks hosts (generic package files, project uploads), beside the database: the
//! bytes in a blob store named by their SHA-256, the database saying which files refer to which
//! blob. One backend per kind of storage ([`local`], [`s3`]), chosen once at start like the
//! database engine; [`Blobs`] is what the rest of relinks holds.
//!
//! The order of durable steps is the design (the HTTP layer and `store` keep it):
//! 1. the body is received into a temporary place, hashed as it arrives, and made durable
//!    ([`Blobs::stage`]);
//! 2. the blob is pinned in the database, so that no sweep removes it meanwhile;
//! 3. it takes its name, its digest ([`Blobs::place`]);
//! 4. the file's row is committed, and only then is the upload acknowledged.
//!
//! Deleting is the reverse: the rows go first; a blob nothing refers to any more is claimed in
//! the database, removed from the storage, then forgotten (`crate::files::sweep`). A crash
//! between any two steps leaves at most an unreferenced blob or a temporary file, which the
//! sweep at start removes.

pub mod digest;
pub mod local;
pub mod s3;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};

pub use digest::BlobInfo;
use local::LocalBlobs;
use s3::{S3Blobs, S3Settings};

/// Why a file could not be stored or read.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the file is larger than allowed")]
    TooLarge,
    #[error("the storage is full")]
    Full,
    #[error("the request body ended early or stalled: {0}")]
    Body(String),
    #[error("no such blob")]
    Missing,
    #[error("the storage cannot be reached: {0}")]
    Unavailable(String),
    #[error("storage: {0}")]
    Io(String),
}

/// Bytes `start..end` of a file (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
}

impl ByteRange {
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// How much a body may hold, and how long it may pause.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub max_bytes: u64,
    /// A body that sends nothing for this long is abandoned: a transfer is never cut for
    /// taking long, only for stalling.
    pub idle: Duration,
}

impl BodyLimits {
    pub fn new(max_bytes: u64, idle: Duration) -> Self {
        Self { max_bytes, idle }
    }

    /// The body's next chunk, or `None` at its end. A body whose stream fails with
    /// `ErrorKind::FileTooLarge` (a limit of its own, such as a multipart form's) is too large.
    pub async fn next_chunk<E: std::error::Error + 'static>(
        &self,
        body: &mut (impl Stream<Item = Result<Bytes, E>> + Unpin),
    ) -> Result<Option<Bytes>, BlobError> {
        match tokio::time::timeout(self.idle, body.next()).await {
            Err(_) => Err(BlobError::Body(format!("nothing for {:?}", self.idle))),
            Ok(None) => Ok(None),
            Ok(Some(Err(error))) => {
                let too_large = (&error as &(dyn std::error::Error + 'static))
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::FileTooLarge);
                Err(if too_large {
                    BlobError::TooLarge
                } else {
                    BlobError::Body(error.to_string())
                })
            }
            Ok(Some(Ok(chunk))) => Ok(Some(chunk)),
        }
    }
}

/// A file's bytes on their way out.
pub type BlobStream = BoxStream<'static, std::io::Result<Bytes>>;

/// How a download is named and typed, for a pre-signed URL that makes the storage answer with
/// the headers relinks would have sent.
#[derive(Debug, Clone)]
pub struct DownloadHeaders {
    pub content_type: String,
    pub content_disposition: String,
}

/// What a backend does; [`Blobs`] dispatches to the one configured.
pub(crate) trait Backend: Send + Sync {
    /// Receives `body` into a temporary place, hashing it, within `limits`; durable when it
    /// returns. Returns the temporary key.
    fn stage<E: std::error::Error + Send + 'static>(
        &self,
        body: impl Stream<Item = Result<Bytes, E>> + Unpin + Send,
        limits: BodyLimits,
    ) -> impl std::future::Future<Output = Result<(String, BlobInfo), BlobError>> + Send;
    /// Gives a staged file the name `sha256` (replacing the same bytes stored already);
    /// durable when it returns.
    fn place(
        &self,
        temporary: &str,
        sha256: &str,
    ) -> impl std::future::Future<Output = Result<(), BlobError>> + Send;
    fn remove_temporary(&self, temporary: &str) -> impl std::future::Future<Output = ()> + Send;
    fn read(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> impl std::future::Future<Output = Result<BlobStream, BlobError>> + Send;
    /// Removes a blob; one that is not there is gone already.
    fn delete(
        &self,
        sha256: &str,
    ) -> impl std::future::Future<Output = Result<(), BlobError>> + Send;
    /// Every stored blob's digest.
    fn list(&self) -> impl std::future::Future<Output = Result<Vec<String>, BlobError>> + Send;
    /// Whether the blob is stored.
    fn exists(
        &self,
        sha256: &str,
    ) -> impl std::future::Future<Output = Result<bool, BlobError>> + Send;
    /// Removes temporary files last written more than `age` ago (uploads that never finished).
    fn sweep_temporary(
        &self,
        age: Duration,
    ) -> impl std::future::Future<Output = Result<usize, BlobError>> + Send;
}

#[derive(Debug)]
enum Backends {
    Local(LocalBlobs),
    S3(Box<S3Blobs>),
}

/// Calls the same method on whichever backend is configured.
macro_rules! on_backend {
    ($self:expr, $backend:ident => $call:expr) => {
        match &$self.0.backend {
            Backends::Local($backend) => $call,
            Backends::S3($backend) => $call,
        }
    };
}

/// Where relinks keeps files, as `--storage` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageLocation {
    /// A local directory (made when missing).
    Directory(std::path::PathBuf),
    /// `s3://bucket/prefix`.
    S3 { bucket: String, prefix: String },
}

impl StorageLocation {
    /// `s3://bucket[/prefix]`, `file:///path` or a plain path.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(rest) = text.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("{text}: no bucket (s3://bucket/prefix)"));
            }
            return Ok(Self::S3 {
                bucket: bucket.to_owned(),
                prefix: prefix.trim_matches('/').to_owned(),
            });
        }
        let path = text.strip_prefix("file://").unwrap_or(text);
        if path.is_empty() {
            return Err("an empty storage path".into());
        }
        if text.contains("://") && !text.starts_with("file://") {
            return Err(format!(
                "{text}: a storage is a directory, file:///path or s3://bucket/prefix"
            ));
        }
        Ok(Self::Directory(path.into()))
    }

    pub fn is_local(&self) -> bool {
        matches!(self, Self::Directory(_))
    }
}

/// Everything that decides where files go and how they come back.
#[derive(Debug, Clone)]
pub struct StorageSettings {
    pub location: StorageLocation,
    pub s3: S3Settings,
}

#[derive(Debug)]
struct Inner {
    backend: Backends,
    /// Downloads from S3 are redirected to a pre-signed URL valid this long (`None`: streamed
    /// through relinks, GitLab's `proxy_download`).
    redirect_downloads: Option<Duration>,
}

/// The blob store relinks was started with. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Blobs(Arc<Inner>);

impl Blobs {
    /// Opens the storage `settings` name (a local directory is made, with its layout, when
    /// missing; a bucket is only configured, and checked by the first request).
    pub async fn open(settings: &StorageSettings) -> Result<Self, BlobError> {
        let (backend, redirect_downloads) = match &settings.location {
            StorageLocation::Directory(root) => {
                (Backends::Local(LocalBlobs::open(root).await?), None)
            }
            StorageLocation::S3 { bucket, prefix } => (
                Backends::S3(Box::new(S3Blobs::open(bucket, prefix, &settings.s3)?)),
                settings.s3.redirect_downloads,
            ),
        };
        Ok(Self(Arc::new(Inner {
            backend,
            redirect_downloads,
        })))
    }

    /// A local directory (tests, `relinks copy`).
    pub async fn local(root: &std::path::Path) -> Result<Self, BlobError> {
        Self::open(&StorageSettings {
            location: StorageLocation::Directory(root.to_path_buf()),
            s3: S3Settings::default(),
        })
        .await
    }

    /// Receives a body, hashing it as it arrives, within `limits`. The file is durable but
    /// nameless: [`Self::place`] it, or drop it (its temporary file is then removed).
    pub async fn stage<E: std::error::Error + Send + 'static>(
        &self,
        body: impl Stream<Item = Result<Bytes, E>> + Unpin + Send,
        limits: BodyLimits,
    ) -> Result<Staged, BlobError> {
        let (temporary, info) = on_backend!(self, b => b.stage(body, limits).await)?;
        Ok(Staged {
            blobs: self.clone(),
            temporary: Some(temporary),
            info,
        })
    }

    /// Gives a staged file its name, its digest; durable when it returns. The same bytes
    /// stored already are simply replaced.
    pub async fn place(&self, staged: &mut Staged) -> Result<(), BlobError> {
        let Some(temporary) = staged.temporary.as_deref() else {
            return Ok(());
        };
        on_backend!(self, b => b.place(temporary, &staged.info.sha256).await)?;
        staged.temporary = None;
        Ok(())
    }

    /// The bytes of `range` (all when `None`), as a stream.
    pub async fn read(
        &self,
        sha256: &str,
        range: Option<ByteRange>,
    ) -> Result<BlobStream, BlobError> {
        on_backend!(self, b => b.read(sha256, range).await)
    }

    pub async fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        on_backend!(self, b => b.delete(sha256).await)
    }

    /// Every blob stored, by digest.
    pub async fn list(&self) -> Result<Vec<String>, BlobError> {
        on_backend!(self, b => b.list().await)
    }

    pub async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        on_backend!(self, b => b.exists(sha256).await)
    }

    /// Stores the blob `sha256` as a hard link to `source`, a file of another local storage on
    /// the same file system (a backup's files, taken or put back in no time and no space);
    /// durable when it returns. `false` when this storage is not local or the link cannot be
    /// made (another file system): copy the bytes instead.
    pub async fn link_from(
        &self,
        source: &std::path::Path,
        sha256: &str,
    ) -> Result<bool, BlobError> {
        match &self.0.backend {
            Backends::Local(local) => local.link_from(source, sha256).await,
            Backends::S3(_) => Ok(false),
        }
    }

    /// Where a blob's file is, in a local storage.
    pub fn local_path(&self, sha256: &str) -> Option<std::path::PathBuf> {
        match &self.0.backend {
            Backends::Local(local) => Some(local.path_of(sha256)),
            Backends::S3(_) => None,
        }
    }

    /// Removes temporary files left by uploads that stopped more than `age` ago.
    pub async fn sweep_temporary(&self, age: Duration) -> Result<usize, BlobError> {
        on_backend!(self, b => b.sweep_temporary(age).await)
    }

    /// A short-lived URL to redirect a download to, when relinks is configured to hand those
    /// out (S3 only; `None` means: stream the bytes).
    pub fn presigned_url(&self, sha256: &str, headers: &DownloadHeaders) -> Option<String> {
        let ttl = self.0.redirect_downloads?;
        match &self.0.backend {
            Backends::S3(s3) => s3.presigned_get(sha256, headers, ttl),
            Backends::Local(_) => None,
        }
    }

    /// Whether the files are in a local directory (which other machines cannot share).
    pub fn is_local(&self) -> bool {
        matches!(self.0.backend, Backends::Local(_))
    }

    /// The local directory, when the files are in one.
    pub fn local_root(&self) -> Option<&std::path::Path> {
        match &self.0.backend {
            Backends::Local(local) => Some(local.root()),
            Backends::S3(_) => None,
        }
    }

    /// What the logs and the start-up line call this storage.
    pub fn describe(&self) -> String {
        match &self.0.backend {
            Backends::Local(local) => format!("directory {}", local.root().display()),
            Backends::S3(s3) => s3.describe(),
        }
    }
}

/// A file received and durable, not yet under its name. Dropped before it is placed (an
/// upload refused after its body arrived, or abandoned by its client), its temporary file is
/// removed.
pub struct Staged {
    blobs: Blobs,
    temporary: Option<String>,
    pub info: BlobInfo,
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged")
            .field("temporary", &self.temporary)
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        let Some(temporary) = self.temporary.take() else {
            return;
        };
        let blobs = self.blobs.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                on_backend!(blobs, b => b.remove_temporary(&temporary).await);
            });
        }
    }
}

/// The first two pairs of hex digits as two directory levels: `ab/cd/abcd…`. Keeps any one
/// directory small however many files there are.
pub fn sharded(sha256: &str) -> String {
    let first = sha256.get(..2).unwrap_or("__");
    let second = sha256.get(2..4).unwrap_or("__");
    format!("{first}/{second}/{sha256}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_locations() {
        assert_eq!(
            StorageLocation::parse("s3://releases/relinks/prod/"),
            Ok(StorageLocation::S3 {
                bucket: "releases".into(),
                prefix: "relinks/prod".into()
            })
        );
        assert_eq!(
            StorageLocation::parse("s3://releases"),
            Ok(StorageLocation::S3 {
                bucket: "releases".into(),
                prefix: String::new()
            })
        );
        assert_eq!(
            StorageLocation::parse("/var/lib/relinks/files"),
            Ok(StorageLocation::Directory("/var/lib/relinks/files".into()))
        );
        assert_eq!(
            StorageLocation::parse("file:///srv/files"),
            Ok(StorageLocation::Directory("/srv/files".into()))
        );
        assert!(StorageLocation::parse("s3://").is_err());
        assert!(StorageLocation::parse("gs://bucket").is_err());
        assert!(StorageLocation::parse("").is_err());
        assert_eq!(sharded("abcdef"), "ab/cd/abcdef");
    }
}
