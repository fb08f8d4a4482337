//! Requests that carry a file: the [`TransferRequest`] extractor keeps the body as a stream
//! (an upload is never held whole in memory), and [`multipart_file`] finds the `file` part of
//! a multipart body as a stream too. Limits are the transfer routes' own (`TransferLimits`);
//! a body is cut when it stalls, never for taking long.

use axum::body::Body;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, StatusCode};
use bytes::Bytes;
use futures_util::Stream;
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

    async fn from_request(request: Request, app: &App<St>) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let api = ApiRequest::from_parts(&mut parts, app, Map::new()).await?;
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

/// The `file` part of a multipart body, as a stream, with the file name its part gave; the
/// parts before it are skipped. Missing: Grape's `file is missing`; a part without a file name
/// (a plain value): `file is invalid`.
pub async fn multipart_file(
    headers: &HeaderMap,
    body: Body,
) -> Result<
    (
        String,
        impl Stream<Item = Result<Bytes, multer::Error>> + Unpin + Send,
    ),
    ApiError,
> {
    let boundary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok())
        .ok_or_else(|| ApiError::params("file is missing"))?;
    let mut multipart = multer::Multipart::new(body.into_data_stream(), boundary);
    loop {
        let field = multipart
            .next_field()
            .await
            .map_err(|_| ApiError::params("file is invalid"))?
            .ok_or_else(|| ApiError::params("file is missing"))?;
        if field.name() != Some("file") {
            continue;
        }
        let Some(name) = field.file_name().map(str::to_owned) else {
            return Err(ApiError::params("file is invalid"));
        };
        // The rest of the body is read through this part; parts after it are never read.
        return Ok((name, field));
    }
}
