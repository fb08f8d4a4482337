//! Requests that carry a file: the [`TransferRequest`] extractor keeps the body as a stream
//! (an upload is never held whole in memory), and [`multipart_file`] finds the `file` part of
//! a multipart body as a stream too. Limits are the transfer routes' own (`TransferLimits`);
//! a body is cut when it stalls, never for taking long.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use bytes::Bytes;
use std::time::Duration;

use futures_util::{Stream, StreamExt, TryStreamExt};
use serde_json::Map;

use super::error::ApiError;
use super::request::ApiRequest;
use super::App;
use crate::blobs::BlobError;
use crate::files::FileError;
use crate::store::{Store, StoreError};

/// An API request whose body is left unread: parameters come from the query string and the
/// path only.
pub struct TransferRequest {
    pub api: ApiRequest,
    pub headers: HeaderMap,
    pub body: Body,
}

impl TransferRequest {
    /// The length the client declared, if any.
    pub fn content_length(&self) -> Option<u64> {
        self.headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }
}

impl<St: Store> FromRequest<App<St>> for TransferRequest {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &App<St>) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let api = ApiRequest::from_parts(&mut parts, Map::new())?;
        Ok(Self {
            api,
            headers: parts.headers,
            body,
        })
    }
}

/// `413 Request Entity Too Large`, as GitLab's front answers an oversized upload.
pub fn entity_too_large() -> ApiError {
    ApiError::message(
        StatusCode::PAYLOAD_TOO_LARGE,
        "413 Request Entity Too Large",
    )
}

/// A file that could not be received, in GitLab's shapes: a full disk is 507 (the request can
/// be sent again later, elsewhere), an unreachable store 503, a body that broke off 400.
/// `too_large` is the answer of the route for an oversized file.
pub fn receive_error(error: FileError, too_large: impl FnOnce() -> ApiError) -> ApiError {
    match error {
        FileError::Blob(BlobError::TooLarge) => too_large(),
        FileError::Blob(BlobError::Full) => {
            tracing::error!("the file storage is full");
            ApiError::message(StatusCode::INSUFFICIENT_STORAGE, "507 Insufficient Storage")
        }
        FileError::Blob(BlobError::Body(reason)) => {
            tracing::info!(%reason, "an upload's body broke off");
            ApiError::message(
                StatusCode::BAD_REQUEST,
                "400 Bad request - The request body ended before the file did",
            )
        }
        FileError::Blob(error @ (BlobError::Unavailable(_) | BlobError::Missing)) => {
            tracing::error!(%error, "the file storage cannot be reached");
            ApiError::message(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable")
        }
        FileError::Blob(BlobError::Io(error)) => {
            tracing::error!(%error, "the file storage failed");
            ApiError::message(
                StatusCode::INTERNAL_SERVER_ERROR,
                "500 Internal Server Error",
            )
        }
        FileError::Store(StoreError::BlobSwept) => {
            ApiError::message(StatusCode::SERVICE_UNAVAILABLE, "503 Service Unavailable")
        }
        FileError::Store(error) => ApiError::Store(error),
    }
}

/// Room for a multipart body's boundaries and other parts beyond the file itself.
pub const MULTIPART_OVERHEAD: u64 = 64 * 1024;

/// The request body, failing with `TimedOut` when it sends nothing for `idle`: whatever reads
/// it (a multipart parser looking for its next part, say) is never kept waiting longer.
fn stalls_after(
    body: Body,
    idle: Duration,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin {
    Box::pin(futures_util::stream::unfold(
        Some(body.into_data_stream()),
        move |stream| async move {
            let mut stream = stream?;
            match tokio::time::timeout(idle, stream.next()).await {
                Err(_) => Some((
                    Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the body stalled",
                    )),
                    None,
                )),
                Ok(None) => None,
                Ok(Some(item)) => Some((item.map_err(std::io::Error::other), Some(stream))),
            }
        },
    ))
}

/// A multipart error as a body error: a limit passed is "too large" (413).
fn body_error(error: multer::Error) -> std::io::Error {
    match error {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            std::io::Error::new(std::io::ErrorKind::FileTooLarge, error)
        }
        other => std::io::Error::other(other),
    }
}

/// The `file` part of a multipart body, as a stream, with the file name its part gave; the
/// parts before it are skipped. The whole body may hold `limit` and [`MULTIPART_OVERHEAD`],
/// and may stall for `idle` at most, wherever it is (413, 400). Missing: Grape's
/// `file is missing`; a part without a file name (a plain value): `file is invalid`.
pub async fn multipart_file(
    headers: &HeaderMap,
    body: Body,
    limit: u64,
    idle: Duration,
) -> Result<
    (
        String,
        impl Stream<Item = Result<Bytes, std::io::Error>> + Unpin + Send,
    ),
    ApiError,
> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| ApiError::params("file is missing"))?;
    let size = multer::SizeLimit::new()
        .whole_stream(limit.saturating_add(MULTIPART_OVERHEAD))
        .per_field(MULTIPART_OVERHEAD);
    let size = size.for_field("file", limit.saturating_add(1));
    let constraints = multer::Constraints::new().size_limit(size);
    let mut multipart =
        multer::Multipart::with_constraints(stalls_after(body, idle), boundary, constraints);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(ApiError::params("file is missing")),
            Err(error) => {
                return Err(match body_error(error).kind() {
                    std::io::ErrorKind::FileTooLarge => entity_too_large(),
                    _ => ApiError::params("file is invalid"),
                })
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let Some(name) = field.file_name().map(str::to_owned) else {
            return Err(ApiError::params("file is invalid"));
        };
        // The rest of the body is read through this part; parts after it are never read.
        return Ok((name, field.map_err(body_error)));
    }
}
