//! A gigabyte through relinks, both ways, in little memory: the body is streamed into the
//! storage as it arrives and back out as it is read, never held whole. The peak resident
//! memory (`VmHWM`) of the release build (`RELINKS_TEST_BINARY`, which `scripts/test` sets)
//! after uploading and downloading a 1 GiB file stays under 100 MB; a debug build (whose own
//! code pages alone are large) is held to growing by less than 64 MB. (`scripts/test` runs
//! this file on the local directory and on S3.)

use crate::common;

use futures::StreamExt;
use serde_json::json;
use sha2::{Digest, Sha256};

use common::TestDatabase;

const TOKEN: &str = "glpat-transfers-0123456789abcdefghijk";
const GIB: u64 = 1024 * 1024 * 1024;
const CHUNK: usize = 1024 * 1024;

/// Chunk `n` of the file: pseudo-random bytes made on the fly (xorshift), so that the test
/// holds no more of the file than relinks may.
fn chunk(n: u64) -> Vec<u8> {
    let mut state = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut bytes = Vec::with_capacity(CHUNK);
    while bytes.len() < CHUNK {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes
}

fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmHWM");
    kib / 1024.0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gigabyte_goes_up_and_down_in_little_memory() {
    let db = TestDatabase::new().await;
    let port = common::free_port();
    let child = common::relinks_serve(&db.url, port)
        .env("RELINKS_ROOT_TOKEN", TOKEN)
        .spawn()
        .expect("relinks starts");
    common::wait_ready(port).await;
    let pid = child.id().expect("a pid");
    let idle = peak_rss_mb(pid);
    let base = format!("http://127.0.0.1:{port}/api/v4");
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{base}/projects"))
        .header("PRIVATE-TOKEN", TOKEN)
        .json(&json!({"name": "big"}))
        .send()
        .await
        .expect("answered");
    assert_eq!(created.status(), 201);
    let chunks = GIB / CHUNK as u64;
    let mut expected = Sha256::new();
    for n in 0..chunks {
        expected.update(chunk(n));
    }
    let expected = hex::encode(expected.finalize());
    let body = futures::stream::iter(0..chunks).map(|n| Ok::<_, std::io::Error>(chunk(n)));
    let started = std::time::Instant::now();
    let put = client
        .put(format!(
            "{base}/projects/1/packages/generic/big/1.0/big.bin?select=package_file"
        ))
        .header("PRIVATE-TOKEN", TOKEN)
        .header("content-length", GIB.to_string())
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .expect("answered");
    assert_eq!(put.status(), 200);
    let record: serde_json::Value = put.json().await.expect("json");
    assert_eq!(record["file_sha256"], expected);
    assert_eq!(record["size"], GIB);
    let uploaded = started.elapsed();
    let after_upload = peak_rss_mb(pid);

    let started = std::time::Instant::now();
    let download = client
        .get(format!(
            "{base}/projects/1/packages/generic/big/1.0/big.bin"
        ))
        .header("PRIVATE-TOKEN", TOKEN)
        .send()
        .await
        .expect("answered");
    assert_eq!(download.status(), 200);
    let mut got = Sha256::new();
    let mut length = 0u64;
    let mut stream = download.bytes_stream();
    while let Some(part) = stream.next().await {
        let part = part.expect("bytes");
        length += part.len() as u64;
        got.update(&part);
    }
    assert_eq!(length, GIB);
    assert_eq!(hex::encode(got.finalize()), expected);
    let downloaded = started.elapsed();
    let peak = peak_rss_mb(pid);
    eprintln!(
        "1 GiB up in {uploaded:?}, down in {downloaded:?}; relinks' peak RSS {idle:.1} MB started, {after_upload:.1} MB after the upload, {peak:.1} MB after the download"
    );
    if common::testing_release_binary() {
        assert!(peak < 100.0, "relinks' peak RSS was {peak:.1} MB");
    } else {
        assert!(
            peak - idle < 64.0,
            "relinks' peak RSS grew by {:.1} MB",
            peak - idle
        );
    }
    drop(child);
}
