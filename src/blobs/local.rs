//! Files in a local directory, named by their SHA-256 and sharded in two levels
//! (`blobs/ab/cd/abcd…`), with a `VERSION` file for later layout changes. A file arrives in
//! `tmp/`, is fsynced, and takes its name by a rename whose directory is fsynced too: once
//! [`LocalBlobs::place`](Backend::place) returns, the bytes survive a crash or a power cut.

use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::mpsc;

use super::digest::{is_sha256, BlobInfo, HashPipeline};
use super::{sharded, Backend, BlobError, BlobStream, BodyLimits, ByteRange};

const LAYOUT_VERSION: &str = "1\n";

/// Chunks queued for the writing thread.
const WRITE_QUEUE: usize = 4;

/// Bytes read from disk at a time when serving a file.
const READ_CHUNK: usize = 256 * 1024;

/// A directory of files by digest.
#[derive(Debug)]
pub struct LocalBlobs {
    root: PathBuf,
}

/// ENOSPC and EDQUOT: the disk (or the quota) is full.
pub(crate) fn io_error(error: &std::io::Error) -> BlobError {
    if matches!(error.raw_os_error(), Some(28 | 122)) || error.kind() == ErrorKind::StorageFull {
        BlobError::Full
    } else {
        BlobError::Io(error.to_string())
    }
}

fn join_error(error: &tokio::task::JoinError) -> BlobError {
    BlobError::Io(error.to_string())
}

/// Makes a rename or a new entry in `directory` durable.
fn sync_directory(directory: &Path) -> std::io::Result<()> {
    std::fs::File::open(directory)?.sync_all()
}

/// The directory a blob's file goes in, made (durably: the new directories' entries are
/// fsynced too) when it is the first of its shard.
fn shard_of<'a>(target: &'a Path, blobs: &Path) -> std::io::Result<&'a Path> {
    let shard = target
        .parent()
        .ok_or_else(|| std::io::Error::other("a blob path without a directory"))?;
    if !shard.exists() {
        std::fs::create_dir_all(shard)?;
        if let Some(upper) = shard.parent() {
            sync_directory(upper)?;
        }
        sync_directory(blobs)?;
    }
    Ok(shard)
}

/// Removes a temporary file unless disarmed: an upload whose request is dropped half-way (its
/// client went away) leaves nothing behind.
struct Temporary(Option<PathBuf>);

impl Drop for Temporary {
    fn drop(&mut self) {
        if let Some(path) = self.0.take() {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl LocalBlobs {
    /// The directory `root`, made (with its layout) when missing.
    pub async fn open(root: &Path) -> Result<Self, BlobError> {
        let root = root.to_path_buf();
        let opened = root.clone();
        tokio::task::spawn_blocking(move || Self::prepare(&opened))
            .await
            .map_err(|e| join_error(&e))??;
        Ok(Self { root })
    }

    fn prepare(root: &Path) -> Result<(), BlobError> {
        let made = !root.exists();
        for directory in [root.join("blobs"), root.join("tmp")] {
            std::fs::create_dir_all(&directory).map_err(|e| io_error(&e))?;
        }
        let version = root.join("VERSION");
        match std::fs::read_to_string(&version) {
            Ok(text) if text == LAYOUT_VERSION => Ok(()),
            Ok(text) => Err(BlobError::Io(format!(
                "{} says layout {}; this relinks knows layout 1",
                version.display(),
                text.trim()
            ))),
            Err(_) => {
                std::fs::write(&version, LAYOUT_VERSION).map_err(|e| io_error(&e))?;
                sync_directory(root).map_err(|e| io_error(&e))?;
                if made {
                    if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                        sync_directory(parent).map_err(|e| io_error(&e))?;
                    }
                }
                Ok(())
            }
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub(super) fn path_of(&self, sha256: &str) -> PathBuf {
        self.root.join("blobs").join(sharded(sha256))
    }

    /// A temporary key is the file's name in `tmp/`: nothing else is accepted, so that no key
    /// can name a path outside it.
    fn temporary_path(&self, key: &str) -> Option<PathBuf> {
        let plain = key.len() == 37
            && key.ends_with(".part")
            && key[..32].bytes().all(|b| b.is_ascii_hexdigit());
        plain.then(|| self.root.join("tmp").join(key))
    }

    /// See [`super::Blobs::link_from`].
    pub(super) async fn link_from(&self, source: &Path, sha256: &str) -> Result<bool, BlobError> {
        if !is_sha256(sha256) {
            return Err(BlobError::Io(format!("not a digest: {sha256}")));
        }
        let (source, target) = (source.to_path_buf(), self.path_of(sha256));
        let blobs = self.root.join("blobs");
        tokio::task::spawn_blocking(move || {
            let shard = shard_of(&target, &blobs)?;
            match std::fs::hard_link(&source, &target) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::AlreadyExists => return Ok(true),
                Err(e) if e.raw_os_error() == Some(18) => return Ok(false),
                Err(e) => return Err(e),
            }
            sync_directory(shard)?;
            Ok(true)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(|e| io_error(&e))
    }

    /// Writes what the channel brings into `path`, then fsyncs it.
    fn write_all(path: &Path, mut chunks: mpsc::Receiver<Bytes>) -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        while let Some(chunk) = chunks.blocking_recv() {
            file.write_all(&chunk)?;
        }
        file.sync_all()
    }
}

impl Backend for LocalBlobs {
    async fn stage<E: std::error::Error + Send + 'static>(
        &self,
        mut body: impl Stream<Item = Result<Bytes, E>> + Unpin + Send,
        limits: BodyLimits,
    ) -> Result<(String, BlobInfo), BlobError> {
        let key = format!("{:032x}.part", rand::random::<u128>());
        let path = self.root.join("tmp").join(&key);
        let mut guard = Temporary(Some(path.clone()));
        let (chunks, queue) = mpsc::channel::<Bytes>(WRITE_QUEUE);
        let writer = tokio::task::spawn_blocking(move || Self::write_all(&path, queue));
        let mut hashing = HashPipeline::new();
        let received = async {
            while let Some(chunk) = limits.next_chunk(&mut body).await? {
                if hashing.size() + chunk.len() as u64 > limits.max_bytes {
                    return Err(BlobError::TooLarge);
                }
                hashing.feed(&chunk).await?;
                // The writer stops only on an error, which its result below reports.
                if chunks.send(chunk).await.is_err() {
                    break;
                }
            }
            Ok(())
        }
        .await;
        drop(chunks);
        let written = writer.await.map_err(|e| join_error(&e))?;
        received?;
        written.map_err(|e| io_error(&e))?;
        let info = hashing.finish().await?;
        guard.0 = None;
        Ok((key, info))
    }

    async fn place(&self, temporary: &str, sha256: &str) -> Result<(), BlobError> {
        let from = self
            .temporary_path(temporary)
            .ok_or_else(|| BlobError::Io(format!("not a temporary file: {temporary}")))?;
        if !is_sha256(sha256) {
            return Err(BlobError::Io(format!("not a digest: {sha256}")));
        }
        let target = self.path_of(sha256);
        let blobs = self.root.join("blobs");
        tokio::task::spawn_blocking(move || {
            let shard = shard_of(&target, &blobs)?;
            std::fs::rename(&from, &target)?;
            sync_directory(shard)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(|e| io_error(&e))
    }

    async fn remove_temporary(&self, temporary: &str) {
        if let Some(path) = self.temporary_path(temporary) {
            let _ = tokio::fs::remove_file(path).await;
        }
    }

    async fn read(&self, sha256: &str, range: Option<ByteRange>) -> Result<BlobStream, BlobError> {
        if !is_sha256(sha256) {
            return Err(BlobError::Missing);
        }
        let mut file = tokio::fs::File::open(self.path_of(sha256))
            .await
            .map_err(|e| match e.kind() {
                ErrorKind::NotFound => BlobError::Missing,
                _ => io_error(&e),
            })?;
        let reader: Box<dyn tokio::io::AsyncRead + Send + Unpin> = match range {
            Some(range) => {
                file.seek(std::io::SeekFrom::Start(range.start))
                    .await
                    .map_err(|e| io_error(&e))?;
                Box::new(file.take(range.len()))
            }
            None => Box::new(file),
        };
        Ok(tokio_util::io::ReaderStream::with_capacity(reader, READ_CHUNK).boxed())
    }

    async fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        if !is_sha256(sha256) {
            return Ok(());
        }
        match tokio::fs::remove_file(self.path_of(sha256)).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_error(&e)),
        }
    }

    async fn list(&self) -> Result<Vec<String>, BlobError> {
        let root = self.root.join("blobs");
        tokio::task::spawn_blocking(move || {
            let mut found = Vec::new();
            for level in std::fs::read_dir(&root)?.flatten() {
                for shard in std::fs::read_dir(level.path())?.flatten() {
                    for file in std::fs::read_dir(shard.path())?.flatten() {
                        let name = file.file_name().to_string_lossy().into_owned();
                        if is_sha256(&name) {
                            found.push(name);
                        }
                    }
                }
            }
            Ok::<_, std::io::Error>(found)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(|e| io_error(&e))
    }

    async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        Ok(is_sha256(sha256)
            && tokio::fs::try_exists(self.path_of(sha256))
                .await
                .map_err(|e| io_error(&e))?)
    }

    async fn sweep_temporary(&self, age: Duration) -> Result<usize, BlobError> {
        let tmp = self.root.join("tmp");
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for entry in std::fs::read_dir(&tmp)?.flatten() {
                let old = entry
                    .metadata()
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .and_then(|t| SystemTime::now().duration_since(t).ok())
                    .is_some_and(|elapsed| elapsed >= age);
                if old && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
            Ok::<_, std::io::Error>(removed)
        })
        .await
        .map_err(|e| join_error(&e))?
        .map_err(|e| io_error(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Blobs, BodyLimits, ByteRange};
    use super::*;

    fn body(
        parts: &[&'static [u8]],
    ) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin + Send {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            parts.iter().map(|p| Ok(Bytes::from_static(p))).collect();
        futures_util::stream::iter(chunks)
    }

    async fn read_all(blobs: &Blobs, sha256: &str, range: Option<ByteRange>) -> Vec<u8> {
        let mut read = blobs.read(sha256, range).await.expect("reads");
        let mut bytes = Vec::new();
        while let Some(chunk) = read.next().await {
            bytes.extend_from_slice(&chunk.expect("chunk"));
        }
        bytes
    }

    fn temporary_files(dir: &Path) -> usize {
        std::fs::read_dir(dir.join("tmp")).expect("tmp").count()
    }

    #[tokio::test]
    async fn files_are_stored_once_by_digest_and_read_by_range() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = Blobs::local(dir.path()).await.expect("opens");
        let limits = BodyLimits::new(1024, Duration::from_secs(5));
        let mut first = blobs
            .stage(body(&[b"hello ", b"world"]), limits)
            .await
            .expect("staged");
        blobs.place(&mut first).await.expect("placed");
        let mut second = blobs
            .stage(body(&[b"hello world"]), limits)
            .await
            .expect("staged");
        assert_eq!(first.info, second.info);
        blobs.place(&mut second).await.expect("placed again");
        let sha = first.info.sha256.clone();
        assert_eq!(blobs.list().await.expect("lists"), vec![sha.clone()]);
        assert_eq!(
            read_all(&blobs, &sha, Some(ByteRange { start: 6, end: 11 })).await,
            b"world"
        );
        assert_eq!(read_all(&blobs, &sha, None).await, b"hello world");
        blobs.delete(&sha).await.expect("deleted");
        assert!(matches!(
            blobs.read(&sha, None).await.err(),
            Some(BlobError::Missing)
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("VERSION"))
                .ok()
                .as_deref(),
            Some("1\n")
        );
    }

    #[tokio::test]
    async fn refused_and_unplaced_files_leave_nothing_behind() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = Blobs::local(dir.path()).await.expect("opens");
        let too_big = blobs
            .stage(
                body(&[b"0123456789"]),
                BodyLimits::new(5, Duration::from_secs(5)),
            )
            .await;
        assert!(matches!(too_big, Err(BlobError::TooLarge)));
        assert_eq!(temporary_files(dir.path()), 0);
        let staged = blobs
            .stage(
                body(&[b"never placed"]),
                BodyLimits::new(100, Duration::from_secs(5)),
            )
            .await
            .expect("staged");
        assert_eq!(temporary_files(dir.path()), 1);
        drop(staged);
        for _ in 0..100 {
            if temporary_files(dir.path()) == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(
            temporary_files(dir.path()),
            0,
            "a dropped staged file is removed"
        );
        assert!(blobs.list().await.expect("lists").is_empty());
    }

    #[tokio::test]
    async fn a_stalled_body_is_abandoned() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = Blobs::local(dir.path()).await.expect("opens");
        let stalled =
            futures_util::stream::iter(vec![Ok::<_, std::io::Error>(Bytes::from_static(b"a"))])
                .chain(futures_util::stream::pending());
        let result = blobs
            .stage(
                Box::pin(stalled),
                BodyLimits::new(100, Duration::from_millis(50)),
            )
            .await;
        assert!(matches!(result, Err(BlobError::Body(_))), "{result:?}");
        assert_eq!(temporary_files(dir.path()), 0);
    }

    #[tokio::test]
    async fn old_temporary_files_are_swept() {
        let dir = tempfile::tempdir().expect("dir");
        let blobs = Blobs::local(dir.path()).await.expect("opens");
        std::fs::write(dir.path().join("tmp/leftover.part"), b"x").expect("written");
        assert_eq!(
            blobs.sweep_temporary(Duration::from_secs(3600)).await.ok(),
            Some(0)
        );
        assert_eq!(blobs.sweep_temporary(Duration::ZERO).await.ok(), Some(1));
        assert_eq!(temporary_files(dir.path()), 0);
    }
}
