//! The digests of a file, computed while its bytes go by: SHA-256 (the file's name in the store,
//! GitLab's `file_sha256`, `ETag`, `Repr-Digest`), SHA-1 and MD5 (GitLab's other columns).
//!
//! Hashing is the costliest part of receiving a file. [`HashPipeline`] runs it beside the
//! writing, on two blocking threads (SHA-256 and SHA-1, which the CPU's SHA extensions make
//! fast, on one; MD5, which nothing accelerates, on the other), so that an upload goes about as
//! fast as the slowest of writing and MD5 rather than the sum of all four.

use base64::Engine as _;
use bytes::Bytes;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::BlobError;

/// What a stored file is: its size and digests (lower-case hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    pub sha256: String,
    pub sha1: String,
    pub md5: String,
    pub size: u64,
}

impl BlobInfo {
    /// `sha-256=:<base64>:`, RFC 9530's `Repr-Digest` value.
    pub fn repr_digest(&self) -> Option<String> {
        repr_digest(&self.sha256)
    }
}

/// `sha-256=:<base64>:` of a hex SHA-256 (RFC 9530's `Repr-Digest`); `None` for anything that
/// is not one.
pub fn repr_digest(sha256_hex: &str) -> Option<String> {
    let bytes = hex::decode(sha256_hex).ok().filter(|b| b.len() == 32)?;
    Some(format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Whether `text` is a SHA-256 as the store names blobs: 64 lower-case hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The three digests and the size, fed chunk by chunk on the caller's thread (small inputs,
/// tests).
#[derive(Default)]
pub struct Hashing {
    sha256: Sha256,
    sha1: Sha1,
    md5: Md5,
    size: u64,
}

impl Hashing {
    pub fn update(&mut self, chunk: &[u8]) {
        self.sha256.update(chunk);
        self.sha1.update(chunk);
        self.md5.update(chunk);
        self.size += chunk.len() as u64;
    }

    pub fn finish(self) -> BlobInfo {
        BlobInfo {
            sha256: hex::encode(self.sha256.finalize()),
            sha1: hex::encode(self.sha1.finalize()),
            md5: hex::encode(self.md5.finalize()),
            size: self.size,
        }
    }
}

/// Chunks waiting for a hashing thread: enough to keep it busy while the network delivers the
/// next ones, few enough that a stalled thread holds little memory.
const QUEUE: usize = 4;

/// The three digests computed on two blocking threads while the caller writes the bytes.
pub struct HashPipeline {
    fast: mpsc::Sender<Bytes>,
    slow: mpsc::Sender<Bytes>,
    fast_done: tokio::task::JoinHandle<(String, String)>,
    slow_done: tokio::task::JoinHandle<String>,
    size: u64,
}

impl Default for HashPipeline {
    fn default() -> Self {
        Self::new()
    }
}

impl HashPipeline {
    pub fn new() -> Self {
        let (fast, mut fast_chunks) = mpsc::channel::<Bytes>(QUEUE);
        let (slow, mut slow_chunks) = mpsc::channel::<Bytes>(QUEUE);
        let fast_done = tokio::task::spawn_blocking(move || {
            let (mut sha256, mut sha1) = (Sha256::new(), Sha1::new());
            while let Some(chunk) = fast_chunks.blocking_recv() {
                sha256.update(&chunk);
                sha1.update(&chunk);
            }
            (hex::encode(sha256.finalize()), hex::encode(sha1.finalize()))
        });
        let slow_done = tokio::task::spawn_blocking(move || {
            let mut md5 = Md5::new();
            while let Some(chunk) = slow_chunks.blocking_recv() {
                md5.update(&chunk);
            }
            hex::encode(md5.finalize())
        });
        Self {
            fast,
            slow,
            fast_done,
            slow_done,
            size: 0,
        }
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Hands a chunk to both threads (waits while they are behind).
    pub async fn feed(&mut self, chunk: &Bytes) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        let gone = |_| BlobError::Io("a hashing thread stopped".into());
        self.fast.send(chunk.clone()).await.map_err(gone)?;
        self.slow.send(chunk.clone()).await.map_err(gone)
    }

    /// The digests of everything fed.
    pub async fn finish(self) -> Result<BlobInfo, BlobError> {
        let Self {
            fast,
            slow,
            fast_done,
            slow_done,
            size,
        } = self;
        drop((fast, slow));
        let failed = |e: tokio::task::JoinError| BlobError::Io(format!("hashing failed: {e}"));
        let (sha256, sha1) = fast_done.await.map_err(failed)?;
        let md5 = slow_done.await.map_err(failed)?;
        Ok(BlobInfo {
            sha256,
            sha1,
            md5,
            size,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_of_known_inputs() {
        let empty = Hashing::default().finish();
        assert_eq!(
            empty.sha256,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(empty.md5, "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(empty.sha1, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(
            empty.repr_digest().as_deref(),
            Some("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
        );
        assert!(is_sha256(&empty.sha256));
        assert!(!is_sha256("E3B0"));
        assert_eq!(repr_digest("not hex"), None);
    }

    #[tokio::test]
    async fn the_pipeline_gives_the_digests_of_the_whole_input() {
        let mut whole = Hashing::default();
        whole.update(b"hello world");
        let mut pipeline = HashPipeline::new();
        for part in ["hello", " ", "world"] {
            pipeline
                .feed(&Bytes::from_static(part.as_bytes()))
                .await
                .expect("fed");
        }
        assert_eq!(pipeline.size(), 11);
        assert_eq!(pipeline.finish().await.expect("digests"), whole.finish());
    }
}
