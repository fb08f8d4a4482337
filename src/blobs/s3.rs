//! Files in an S3-compatible bucket (AWS S3, Garage, MinIO, …), through `object_store`, the
//! Apache Arrow project's crate that most Rust data systems use: retries, multipart uploads,
//! ranged reads and listing, for every S3 dialect. Keys live under the instance's prefix:
//! `<prefix>/blobs/ab/cd/<sha256>` and `<prefix>/tmp/<random>`; nothing outside it is ever
//! touched, so a bucket can be shared.
//!
//! A file is uploaded to `tmp/` (one PUT when small, a multipart upload in parts of
//! [`PART_SIZE`] otherwise, so that memory stays bounded whatever the size), then copied to its
//! name on the server's side and the temporary object deleted. S3 acknowledges an upload only
//! once it is stored durably, which is what relinks waits for.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use super::digest::{is_sha256, BlobInfo, HashPipeline};
use super::{sharded, Backend, BlobError, BlobStream, BodyLimits, ByteRange, DownloadHeaders};

/// Parts of a multipart upload: S3's minimum, so that an upload holds little memory (at most
/// [`PARTS_IN_FLIGHT`] parts being sent and one filling).
const PART_SIZE: usize = 5 * 1024 * 1024;

/// Parts uploaded at once.
const PARTS_IN_FLIGHT: usize = 2;

/// How to reach the bucket. Unset fields come from the standard AWS variables
/// (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`, `AWS_ALLOW_HTTP`, …), as every AWS tool reads them.
#[derive(Clone, Default)]
pub struct S3Settings {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// Plain `http://` endpoints (a store on the same host or network).
    pub allow_http: bool,
    /// `https://bucket.host/key` instead of the path style `https://host/bucket/key` that
    /// self-hosted stores expect.
    pub virtual_hosted: bool,
    /// Downloads are redirected to a pre-signed URL valid this long, instead of streamed
    /// through relinks (GitLab's `proxy_download: false`).
    pub redirect_downloads: Option<Duration>,
}

impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id)
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "[redacted]"),
            )
            .field("allow_http", &self.allow_http)
            .field("virtual_hosted", &self.virtual_hosted)
            .field("redirect_downloads", &self.redirect_downloads)
            .finish()
    }
}

/// What pre-signing needs: `object_store`'s signer cannot add the `response-content-*`
/// parameters that make the storage name the download, so `rusty-s3` signs those URLs.
struct Presigner {
    bucket: rusty_s3::Bucket,
    credentials: rusty_s3::Credentials,
}

pub struct S3Blobs {
    store: AmazonS3,
    bucket: String,
    prefix: String,
    presigner: Option<Presigner>,
}

impl std::fmt::Debug for S3Blobs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

fn store_error(error: object_store::Error) -> BlobError {
    match error {
        object_store::Error::NotFound { .. } => BlobError::Missing,
        object_store::Error::Generic { source, .. } => {
            let text = source.to_string();
            // An HTTP client error (refused connection, time-out) means the store is away.
            if text.contains("error sending request") || text.contains("connect") {
                BlobError::Unavailable(text)
            } else {
                BlobError::Io(text)
            }
        }
        other => BlobError::Io(other.to_string()),
    }
}

impl S3Blobs {
    pub fn open(bucket: &str, prefix: &str, settings: &S3Settings) -> Result<Self, BlobError> {
        let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
        let endpoint = settings
            .endpoint
            .clone()
            .or_else(|| env("AWS_ENDPOINT_URL"));
        let region = settings
            .region
            .clone()
            .or_else(|| env("AWS_REGION"))
            .or_else(|| env("AWS_DEFAULT_REGION"))
            .unwrap_or_else(|| "us-east-1".into());
        builder = builder.with_region(&region);
        if let Some(endpoint) = &endpoint {
            builder = builder.with_endpoint(endpoint);
        }
        if let Some(key) = &settings.access_key_id {
            builder = builder.with_access_key_id(key);
        }
        if let Some(secret) = &settings.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        let allow_http = settings.allow_http
            || env("AWS_ALLOW_HTTP").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        builder = builder
            .with_allow_http(allow_http)
            .with_virtual_hosted_style_request(settings.virtual_hosted);
        let store = builder
            .build()
            .map_err(|e| BlobError::Io(format!("the S3 settings: {e}")))?;
        let presigner = presigner(bucket, endpoint.as_deref(), &region, settings);
        Ok(Self {
            store,
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
            presigner,
        })
    }

    fn key(&self, relative: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(relative)
        } else {
            Path::from(format!("{}/{relative}", self.prefix))
        }
    }

    fn blob_key(&self, sha256: &str) -> Path {
        self.key(&format!("blobs/{}", sharded(sha256)))
    }

    fn temporary_key(&self, name: &str) -> Option<Path> {
        let plain = name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit());
        plain.then(|| self.key(&format!("tmp/{name}")))
    }

    pub fn describe(&self) -> String {
        format!("bucket s3://{}/{}", self.bucket, self.prefix)
    }

    /// A GET URL for the blob, signed for `ttl`, that makes the storage answer with `headers`.
    pub fn presigned_get(
        &self,
        sha256: &str,
        headers: &DownloadHeaders,
        ttl: Duration,
    ) -> Option<String> {
        use rusty_s3::S3Action as _;
        let presigner = self.presigner.as_ref()?;
        let key = self.blob_key(sha256).to_string();
        let mut action = presigner
            .bucket
            .get_object(Some(&presigner.credentials), &key);
        action.query_mut().insert(
            "response-content-disposition",
            headers.content_disposition.clone(),
        );
        action
            .query_mut()
            .insert("response-content-type", headers.content_type.clone());
        Some(action.sign(ttl).to_string())
    }

    /// Uploads what the body brings to `key`: one PUT when it fits in a part, a multipart
    /// upload otherwise. Each part is gathered into one buffer of its own (a chunk of the
    /// request body would keep the whole buffer it was read into alive) and sent as it fills,
    /// at most [`PARTS_IN_FLIGHT`] at a time: an upload holds about `PARTS_IN_FLIGHT + 1`
    /// parts of memory, whatever its size.
    async fn upload<E: std::error::Error + Send + 'static>(
        &self,
        key: &Path,
        mut body: impl Stream<Item = Result<Bytes, E>> + Unpin + Send,
        limits: BodyLimits,
        hashing: &mut HashPipeline,
    ) -> Result<(), BlobError> {
        let mut part = BytesMut::with_capacity(PART_SIZE);
        let mut multipart: Option<WriteMultipart> = None;
        let received = async {
            while let Some(chunk) = limits.next_chunk(&mut body).await? {
                if hashing.size() + chunk.len() as u64 > limits.max_bytes {
                    return Err(BlobError::TooLarge);
                }
                hashing.feed(&chunk).await?;
                let mut rest = &chunk[..];
                while !rest.is_empty() {
                    let take = (PART_SIZE - part.len()).min(rest.len());
                    part.extend_from_slice(&rest[..take]);
                    rest = &rest[take..];
                    if part.len() < PART_SIZE {
                        continue;
                    }
                    let full = std::mem::replace(&mut part, BytesMut::with_capacity(PART_SIZE));
                    let parts = match &mut multipart {
                        Some(parts) => parts,
                        None => {
                            let upload =
                                self.store.put_multipart(key).await.map_err(store_error)?;
                            multipart.insert(WriteMultipart::new_with_chunk_size(upload, PART_SIZE))
                        }
                    };
                    parts
                        .wait_for_capacity(PARTS_IN_FLIGHT - 1)
                        .await
                        .map_err(store_error)?;
                    parts.put(full.freeze());
                }
            }
            Ok(())
        }
        .await;
        match (received, multipart) {
            (Ok(()), None) => {
                self.store
                    .put(key, PutPayload::from(part.freeze()))
                    .await
                    .map_err(store_error)?;
                Ok(())
            }
            (Ok(()), Some(mut parts)) => {
                if !part.is_empty() {
                    parts.put(part.freeze());
                }
                parts.finish().await.map(|_| ()).map_err(store_error)
            }
            (Err(error), Some(parts)) => {
                let _ = parts.abort().await;
                Err(error)
            }
            (Err(error), None) => Err(error),
        }
    }
}

fn presigner(
    bucket: &str,
    endpoint: Option<&str>,
    region: &str,
    settings: &S3Settings,
) -> Option<Presigner> {
    settings.redirect_downloads?;
    let key = settings
        .access_key_id
        .clone()
        .or_else(|| env("AWS_ACCESS_KEY_ID"))?;
    let secret = settings
        .secret_access_key
        .clone()
        .or_else(|| env("AWS_SECRET_ACCESS_KEY"))?;
    let credentials = match env("AWS_SESSION_TOKEN") {
        Some(token) => rusty_s3::Credentials::new_with_token(key, secret, token),
        None => rusty_s3::Credentials::new(key, secret),
    };
    let endpoint = endpoint.map_or_else(
        || format!("https://s3.{region}.amazonaws.com"),
        str::to_owned,
    );
    let style = if settings.virtual_hosted {
        rusty_s3::UrlStyle::VirtualHost
    } else {
        rusty_s3::UrlStyle::Path
    };
    let bucket = rusty_s3::Bucket::new(
        endpoint.parse().ok()?,
        style,
        bucket.to_owned(),
        region.to_owned(),
    )
    .ok()?;
    Some(Presigner {
        bucket,
        credentials,
    })
}

impl Backend for S3Blobs {
    async fn stage<E: std::error::Error + Send + 'static>(
        &self,
        body: impl Stream<Item = Result<Bytes, E>> + Unpin + Send,
        limits: BodyLimits,
    ) -> Result<(String, BlobInfo), BlobError> {
        let name = format!("{:032x}", rand::random::<u128>());
        let key = self
            .temporary_key(&name)
            .ok_or_else(|| BlobError::Io("a temporary key".into()))?;
        let mut hashing = HashPipeline::new();
        self.upload(&key, body, limits, &mut hashing).await?;
        Ok((name, hashing.finish().await?))
    }

    async fn place(&self, temporary: &str, sha256: &str) -> Result<(), BlobError> {
        let from = self
            .temporary_key(temporary)
            .ok_or_else(|| BlobError::Io(format!("not a temporary object: {temporary}")))?;
        if !is_sha256(sha256) {
            return Err(BlobError::Io(format!("not a digest: {sha256}")));
        }
        self.store
            .copy(&from, &self.blob_key(sha256))
            .await
            .map_err(store_error)?;
        // The copy is what counts; a temporary object left over is swept later.
        let _ = self.store.delete(&from).await;
        Ok(())
    }

    async fn remove_temporary(&self, temporary: &str) {
        if let Some(key) = self.temporary_key(temporary) {
            let _ = self.store.delete(&key).await;
        }
    }

    async fn read(&self, sha256: &str, range: Option<ByteRange>) -> Result<BlobStream, BlobError> {
        if !is_sha256(sha256) {
            return Err(BlobError::Missing);
        }
        if range.is_some_and(|r| r.is_empty()) {
            // S3 refuses an empty range; there is nothing to read.
            return Ok(futures_util::stream::empty().boxed());
        }
        let options = GetOptions {
            range: range.map(|r| GetRange::Bounded(r.start..r.end)),
            ..GetOptions::default()
        };
        let found = self
            .store
            .get_opts(&self.blob_key(sha256), options)
            .await
            .map_err(store_error)?;
        Ok(found
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()))
            .boxed())
    }

    async fn delete(&self, sha256: &str) -> Result<(), BlobError> {
        if !is_sha256(sha256) {
            return Ok(());
        }
        match self.store.delete(&self.blob_key(sha256)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(store_error(error)),
        }
    }

    async fn list(&self) -> Result<Vec<String>, BlobError> {
        let prefix = self.key("blobs");
        let mut listing = self.store.list(Some(&prefix));
        let mut found = Vec::new();
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error)?;
            if let Some(name) = meta.location.filename().filter(|n| is_sha256(n)) {
                found.push(name.to_owned());
            }
        }
        Ok(found)
    }

    async fn exists(&self, sha256: &str) -> Result<bool, BlobError> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        match self.store.head(&self.blob_key(sha256)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(store_error(error)),
        }
    }

    async fn sweep_temporary(&self, age: Duration) -> Result<usize, BlobError> {
        let prefix = self.key("tmp");
        let mut listing = self.store.list(Some(&prefix));
        let now = chrono::Utc::now();
        let mut removed = 0;
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(store_error)?;
            let elapsed = (now - meta.last_modified).to_std().unwrap_or_default();
            if elapsed >= age && self.store.delete(&meta.location).await.is_ok() {
                removed += 1;
            }
        }
        Ok(removed)
    }
}
