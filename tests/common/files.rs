//! Hosted files in tests: which storage a test server keeps them in, and helpers to upload and
//! download bytes.
//!
//! `RELINKS_TEST_STORAGE=s3` runs the servers on the S3-compatible server `scripts/test`
//! starts (`s3s-fs`, at `RELINKS_TEST_S3_ENDPOINT`), each under a prefix of its own; otherwise
//! files are in a local directory (SQLite's default beside its file; a directory of the
//! database's own on PostgreSQL). Tests of one storage alone live in modules named
//! `local_only` and `s3_only`, which the other storage's passes skip.

use reqwest::Method;

use relinks::blobs::s3::S3Settings;
use relinks::blobs::{StorageLocation, StorageSettings};

use super::{into_reply, Caller, Reply, TestApp};

/// The bucket `scripts/test` makes on the S3 server.
pub const TEST_BUCKET: &str = "relinks-test";
pub const TEST_S3_KEY: &str = "relinks";
pub const TEST_S3_SECRET: &str = "relinks-test-secret";

/// Whether this run keeps files in S3 (`RELINKS_TEST_STORAGE=s3`).
pub fn testing_s3() -> bool {
    std::env::var("RELINKS_TEST_STORAGE").is_ok_and(|v| v == "s3")
}

/// The S3 server's endpoint (`scripts/test` starts one and says where).
pub fn s3_endpoint() -> String {
    std::env::var("RELINKS_TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8014".into())
}

/// How a test server reaches the test bucket.
pub fn s3_settings() -> S3Settings {
    S3Settings {
        endpoint: Some(s3_endpoint()),
        region: Some("us-east-1".into()),
        access_key_id: Some(TEST_S3_KEY.into()),
        secret_access_key: Some(TEST_S3_SECRET.into()),
        allow_http: true,
        virtual_hosted: false,
        redirect_downloads: None,
    }
}

/// A prefix of the test bucket no other test uses.
pub fn fresh_prefix() -> String {
    format!("t{:016x}", rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish()
}

/// The prefix of the server of a database (the same for each start of it).
pub fn prefix_of(database: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    database.hash(&mut hasher);
    format!("d{:016x}", hasher.finish())
}

/// S3 under a fresh prefix.
pub fn s3_storage() -> StorageSettings {
    StorageSettings {
        location: StorageLocation::S3 {
            bucket: TEST_BUCKET.into(),
            prefix: fresh_prefix(),
        },
        s3: s3_settings(),
    }
}

/// Random bytes (a file's content).
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        bytes.extend_from_slice(&rand_u64().to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

/// The SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

impl TestApp {
    /// The server's file storage, opened beside it (to see what is stored).
    pub async fn blobs(&self) -> relinks::blobs::Blobs {
        let storage = self.storage.as_ref().expect("a server this test started");
        relinks::blobs::Blobs::open(storage)
            .await
            .expect("the storage opens")
    }

    /// The digests of the blobs stored now, sorted.
    pub async fn stored_blobs(&self) -> Vec<String> {
        let mut stored = self.blobs().await.list().await.expect("the storage lists");
        stored.sort();
        stored
    }

    /// Waits (5 s at most) until the stored blobs are `expected` (the sweep runs after deletes).
    pub async fn wait_for_blobs(&self, expected: &[String]) {
        let mut expected = expected.to_vec();
        expected.sort();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let stored = self.stored_blobs().await;
            if stored == expected {
                return;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "stored {stored:?}, expected {expected:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Sends `bytes` as a raw body with `method`.
    pub async fn send_bytes(
        &self,
        caller: &Caller,
        method: Method,
        path: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let mut request = self.client.request(method, self.url(path)).body(bytes);
        if let Some(token) = &caller.token {
            request = request.header("PRIVATE-TOKEN", token);
        }
        into_reply(request.send().await.expect("request is answered")).await
    }

    /// `PUT` of a generic package file.
    pub async fn put_file(&self, caller: &Caller, path: &str, bytes: Vec<u8>) -> Reply {
        self.send_bytes(caller, Method::PUT, path, bytes).await
    }

    /// `POST /projects/:id/uploads` with `bytes` as the `file` part named `filename`.
    pub async fn upload(
        &self,
        caller: &Caller,
        project: i64,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Reply {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut request = self
            .client
            .post(self.url(&format!("/projects/{project}/uploads")))
            .multipart(form);
        if let Some(token) = &caller.token {
            request = request.header("PRIVATE-TOKEN", token);
        }
        into_reply(request.send().await.expect("request is answered")).await
    }

    /// A `GET` whose body is kept as bytes, with extra headers.
    pub async fn get_bytes(
        &self,
        caller: &Caller,
        path: &str,
        headers: &[(&str, &str)],
    ) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = &caller.token {
            request = request.header("PRIVATE-TOKEN", token);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("request is answered");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("a body").to_vec();
        (status, headers, bytes)
    }
}

/// Sends a request exactly as written (HTTP clients normalise `%2E%2E` segments away before
/// sending them; attackers do not), and returns the status and the body.
pub async fn raw_request(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address)
        .await
        .expect("connects");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("sent");
    stream.write_all(body).await.expect("sent");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("read");
    let text = String::from_utf8_lossy(&answer).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The storage of a server `relinks_serve` started on `database` (see `relinks_serve`).
pub fn storage_of_process(database: &str) -> StorageSettings {
    if testing_s3() {
        return StorageSettings {
            location: StorageLocation::S3 {
                bucket: TEST_BUCKET.into(),
                prefix: prefix_of(database),
            },
            s3: s3_settings(),
        };
    }
    let config = relinks::config::DatabaseConfig::new(database);
    if config.is_postgres() {
        StorageSettings {
            location: StorageLocation::Directory(super::postgres_files_dir(database)),
            s3: S3Settings::default(),
        }
    } else {
        relinks::app::storage::settings(None, &config)
    }
}
