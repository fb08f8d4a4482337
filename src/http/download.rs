//! Serving a hosted file: the bytes streamed from the storage (or a redirect to a short-lived
//! URL of the storage's own, when configured), with what clients need to trust and resume a
//! download: `Content-Length`, `Content-Type`, `Content-Disposition`, a strong `ETag` (the
//! SHA-256) honoured by `If-None-Match` (304) and `If-Range`, one `Range` (206, or 416 beyond
//! the end), `HEAD`, and the digest in `Repr-Digest` (RFC 9530) and `X-Checksum-SHA256`
//! (GitLab's header).

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{redirect, ApiError};
use crate::blobs::digest::repr_digest;
use crate::blobs::{BlobError, ByteRange, DownloadHeaders};
use crate::files::FileHost;

/// What is served.
#[derive(Debug)]
pub struct Download<'a> {
    pub sha256: &'a str,
    pub size: u64,
    pub content_type: &'a str,
    /// The whole `Content-Disposition` value.
    pub disposition: String,
}

/// What a `Range` header asks, against a file of `size` bytes.
#[derive(Debug, PartialEq, Eq)]
pub enum Wanted {
    /// No range, or one relinks does not serve in parts (several ranges, another unit): the
    /// whole file, as RFC 9110 lets a server do.
    Whole,
    Part(ByteRange),
    /// Nothing of the file is in the range: 416.
    Unsatisfiable,
}

/// Reads a single `bytes=` range (`a-b`, `a-`, `-n`).
pub fn wanted(range: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = range.and_then(|r| r.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return Wanted::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    // Digits only (`u64::from_str` would take a leading `+`).
    let parse = |n: &str| {
        (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .then(|| n.parse::<u64>().ok())
            .flatten()
    };
    let part = if first.is_empty() {
        // The last `n` bytes.
        let Some(n) = parse(last) else {
            return Wanted::Whole;
        };
        if n == 0 || size == 0 {
            return Wanted::Unsatisfiable;
        }
        ByteRange {
            start: size.saturating_sub(n),
            end: size,
        }
    } else {
        let Some(start) = parse(first) else {
            return Wanted::Whole;
        };
        let end = if last.is_empty() {
            size
        } else {
            match parse(last) {
                Some(last) if last >= start => last.saturating_add(1).min(size),
                _ => return Wanted::Whole,
            }
        };
        if start >= size {
            return Wanted::Unsatisfiable;
        }
        ByteRange { start, end }
    };
    Wanted::Part(part)
}

fn etag(sha256: &str) -> String {
    format!("\"{sha256}\"")
}

/// Whether `If-None-Match` names the file (weak comparison, as RFC 9110 asks for it).
fn not_modified(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == tag)
}

/// `If-Range`: a range applies only while the file is the one the client has.
fn range_applies(headers: &HeaderMap, tag: &str) -> bool {
    headers
        .get(header::IF_RANGE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|given| given.trim() == tag)
}

fn set(response: &mut Response, name: HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        response.headers_mut().insert(name, value);
    }
}

fn with_file_headers(mut response: Response, file: &Download<'_>, tag: &str) -> Response {
    set(&mut response, header::ETAG, tag);
    set(
        &mut response,
        header::CACHE_CONTROL,
        "private, max-age=0, must-revalidate",
    );
    if let Some(digest) = repr_digest(file.sha256) {
        set(
            &mut response,
            HeaderName::from_static("repr-digest"),
            &digest,
        );
    }
    set(
        &mut response,
        HeaderName::from_static("x-checksum-sha256"),
        file.sha256,
    );
    response
}

/// Answers `method` (GET or HEAD) for `file`, given the request's headers.
pub async fn serve(
    files: &FileHost,
    method: &Method,
    headers: &HeaderMap,
    file: &Download<'_>,
) -> Result<Response, ApiError> {
    let tag = etag(file.sha256);
    if not_modified(headers, &tag) {
        return Ok(with_file_headers(
            StatusCode::NOT_MODIFIED.into_response(),
            file,
            &tag,
        ));
    }
    if *method == Method::GET {
        let storage_headers = DownloadHeaders {
            content_type: file.content_type.to_owned(),
            content_disposition: file.disposition.clone(),
        };
        if let Some(url) = files.blobs.presigned_url(file.sha256, &storage_headers) {
            return Ok(redirect(StatusCode::FOUND, &url));
        }
    }
    let range = if range_applies(headers, &tag) {
        wanted(
            headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
            file.size,
        )
    } else {
        Wanted::Whole
    };
    let (status, part) = match range {
        Wanted::Whole => (StatusCode::OK, None),
        Wanted::Part(part) => (StatusCode::PARTIAL_CONTENT, Some(part)),
        Wanted::Unsatisfiable => {
            let mut response = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            set(
                &mut response,
                header::CONTENT_RANGE,
                &format!("bytes */{}", file.size),
            );
            return Ok(with_file_headers(response, file, &tag));
        }
    };
    let length = part.map_or(file.size, |p| p.len());
    let body = if *method == Method::HEAD {
        Body::empty()
    } else {
        let stream = files
            .blobs
            .read(file.sha256, part)
            .await
            .map_err(|e| missing_bytes(file.sha256, &e))?;
        Body::from_stream(stream)
    };
    let mut response = (status, body).into_response();
    set(&mut response, header::CONTENT_TYPE, file.content_type);
    set(
        &mut response,
        header::CONTENT_DISPOSITION,
        &file.disposition,
    );
    set(&mut response, header::CONTENT_LENGTH, &length.to_string());
    set(&mut response, header::ACCEPT_RANGES, "bytes");
    if let Some(part) = part {
        set(
            &mut response,
            header::CONTENT_RANGE,
            &format!("bytes {}-{}/{}", part.start, part.end - 1, file.size),
        );
    }
    Ok(with_file_headers(response, file, &tag))
}

/// The database knows a file whose bytes the storage cannot give.
fn missing_bytes(sha256: &str, error: &BlobError) -> ApiError {
    match error {
        BlobError::Unavailable(_) => {
            tracing::error!(%error, "the file storage cannot be reached");
            ApiError::message(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable")
        }
        _ => {
            tracing::error!(%error, sha256, "a stored file cannot be read");
            ApiError::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let part = |start, end| Wanted::Part(ByteRange { start, end });
        assert_eq!(wanted(None, 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=0-4"), 10), part(0, 5));
        assert_eq!(wanted(Some("bytes=5-"), 10), part(5, 10));
        assert_eq!(wanted(Some("bytes=-3"), 10), part(7, 10));
        assert_eq!(wanted(Some("bytes=-30"), 10), part(0, 10));
        assert_eq!(wanted(Some("bytes=8-100"), 10), part(8, 10));
        assert_eq!(wanted(Some("bytes=10-"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=-0"), 10), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-0"), 0), Wanted::Unsatisfiable);
        assert_eq!(wanted(Some("bytes=0-1,4-5"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("items=0-1"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=5-2"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=x-"), 10), Wanted::Whole);
        assert_eq!(wanted(Some("bytes=+1-2"), 10), Wanted::Whole);
        assert_eq!(
            wanted(Some("bytes=5-18446744073709551615"), 10),
            part(5, 10),
            "a last byte beyond the file is the file's end"
        );
    }

    #[test]
    fn validators() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::IF_NONE_MATCH,
            HeaderValue::from_static("\"a\", W/\"b\""),
        );
        assert!(not_modified(&headers, "\"b\""));
        assert!(!not_modified(&headers, "\"c\""));
        assert!(range_applies(&headers, "\"c\""));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"c\""));
        assert!(range_applies(&headers, "\"c\""));
        assert!(!range_applies(&headers, "\"d\""));
    }
}
