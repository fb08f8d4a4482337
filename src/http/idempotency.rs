//! Idempotent retries (an extension, after the IETF httpapi `Idempotency-Key` draft). POST,
//! PUT, PATCH and DELETE under `/api/v4/` may name a key. The middleware checks it and hands
//! the request a [`KeyTicket`]; authentication claims the key once the caller is known (keys
//! are per caller), and a retry gets the first answer again (`Idempotent-Replayed: true`), a
//! 422 (the key was used for another request) or a 409 (the first is still running). The
//! writes of the request that holds the key mark it in their own transactions (the audit
//! context carries it), so a write is never kept without its key; the answer is kept after.

use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ApiResult};
use super::request::ApiRequest;
use super::App;
use crate::domain::idempotency::{self as rules, Verdict};
use crate::domain::time::{now_micros, Micros};
use crate::store::{BoxFuture, KeptAnswer, KeyClaim, NewIdempotencyKey, Store, StoreResult};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// A request's key, from the middleware to authentication (which claims it) and back.
#[derive(Clone)]
pub struct KeyTicket(Arc<Ticket>);

impl std::fmt::Debug for KeyTicket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyTicket")
            .field("key", &self.0.key)
            .finish_non_exhaustive()
    }
}

struct Ticket {
    key: String,
    /// The declared length of a file body: the parameters do not hold the file.
    body_length: Option<u64>,
    held: Mutex<Option<Held>>,
}

/// A claimed key and the store that keeps it.
#[derive(Clone)]
struct Held {
    id: i64,
    keys: Arc<dyn Keys>,
}

/// What the ticket needs of the store once the request has been answered (the middleware
/// does not know the engine).
trait Keys: Send + Sync {
    fn finish(&self, id: i64, answer: Option<KeptAnswer>) -> BoxFuture<'static, StoreResult<()>>;
    fn lapse(&self, id: i64, at: Micros) -> BoxFuture<'static, StoreResult<()>>;
}

impl<S: Store> Keys for S {
    fn finish(&self, id: i64, answer: Option<KeptAnswer>) -> BoxFuture<'static, StoreResult<()>> {
        let store = self.clone();
        Box::pin(async move { store.finish_idempotency_key(id, answer.as_ref()).await })
    }

    fn lapse(&self, id: i64, at: Micros) -> BoxFuture<'static, StoreResult<()>> {
        let store = self.clone();
        Box::pin(async move { store.lapse_idempotency_claim(id, at).await })
    }
}

impl KeyTicket {
    /// Claims the key for `request` of the caller `user_id` (once per request). A retry of
    /// a request already answered gets its answer as the error, to be sent instead.
    pub async fn claim<S: Store>(
        &self,
        app: &App<S>,
        user_id: i64,
        request: &ApiRequest,
    ) -> ApiResult<()> {
        if self.0.held.lock().map_or(true, |held| held.is_some()) {
            return Ok(());
        }
        let fingerprint = rules::fingerprint(
            request.method.as_str(),
            &request.raw_path,
            &request.params.0,
            self.0.body_length,
        );
        let new = NewIdempotencyKey {
            user_id,
            key: self.0.key.clone(),
            method: request.method.to_string(),
            path: request.raw_path.clone(),
            fingerprint: fingerprint.clone(),
            instance: app.files.instance,
            now: now_micros(),
        };
        let existing = match app.store.claim_idempotency_key(&new).await? {
            KeyClaim::Claimed(id) => {
                if let Ok(mut held) = self.0.held.lock() {
                    *held = Some(Held {
                        id,
                        keys: Arc::new(app.store.clone()),
                    });
                }
                crate::store::audit::set_idempotency_key(id);
                return Ok(());
            }
            KeyClaim::Taken(existing) => existing,
        };
        Err(match rules::verdict(&existing.rules(), &fingerprint) {
            Verdict::Replay => match existing.answer {
                Some(answer) => ApiError::Replay(Box::new(answer)),
                None => ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, rules::ANSWER_LOST),
            },
            Verdict::OtherRequest => {
                ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, rules::OTHER_REQUEST)
            }
            Verdict::AnswerLost => {
                ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, rules::ANSWER_LOST)
            }
            Verdict::AnswerWithheld => {
                ApiError::message(StatusCode::UNPROCESSABLE_ENTITY, rules::ANSWER_WITHHELD)
            }
            // The store takes a lapsed claim over itself; one it hands back is someone's.
            Verdict::InProgress | Verdict::TakeOver => {
                ApiError::message(StatusCode::CONFLICT, rules::IN_PROGRESS)
            }
        })
    }

    fn held(&self) -> Option<Held> {
        self.0.held.lock().ok().and_then(|held| held.clone())
    }

    fn take_held(&self) -> Option<Held> {
        self.0.held.lock().ok().and_then(|mut held| held.take())
    }
}

/// A request dropped before its answer (its client went away, the time-out struck) leaves its
/// claim to lapse shortly: a write it handed to the database may still commit and mark it.
struct LapseOnDrop(Option<KeyTicket>);

impl Drop for LapseOnDrop {
    fn drop(&mut self) {
        let Some(held) = self.0.take().and_then(|ticket| ticket.take_held()) else {
            return;
        };
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let at = now_micros() + rules::DROPPED_GRACE_MICROS;
                if let Err(error) = held.keys.lapse(held.id, at).await {
                    tracing::warn!(%error, "could not let a dropped request's idempotency key lapse");
                }
            });
        }
    }
}

/// Whether requests of `method` to `path` may name a key.
fn applies(method: &Method, path: &str) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && path.starts_with("/api/v4/")
}

/// The middleware step: checks the key, gives the request its ticket, and keeps the answer
/// (or gives the key back) once the request is answered.
pub async fn idempotent<F: Future<Output = Response>>(
    mut request: Request,
    next: impl FnOnce(Request) -> F,
) -> Response {
    if !applies(request.method(), request.uri().path()) {
        return next(request).await;
    }
    let mut keys = request.headers().get_all(IDEMPOTENCY_KEY).iter();
    let key = match (keys.next(), keys.next()) {
        (None, _) => return next(request).await,
        (Some(key), None) if rules::is_valid_key(key.as_bytes()) => {
            String::from_utf8_lossy(key.as_bytes()).into_owned()
        }
        _ => return ApiError::params(rules::INVALID).into_response(),
    };
    let body_length = super::middleware::receives_a_file(request.method(), request.uri().path())
        .then(|| {
            request
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok())
        })
        .flatten();
    let ticket = KeyTicket(Arc::new(Ticket {
        key,
        body_length,
        held: Mutex::new(None),
    }));
    request.extensions_mut().insert(ticket.clone());
    let mut on_drop = LapseOnDrop(Some(ticket.clone()));
    let response = next(request).await;
    // Still held while the answer is kept: a request dropped meanwhile lets its claim lapse.
    let Some(held) = ticket.held() else {
        on_drop.0 = None;
        return response;
    };
    let (answer, response) = keep(response).await;
    if let Err(error) = held.keys.finish(held.id, answer).await {
        tracing::warn!(%error, "could not keep the answer of a request with an idempotency key");
    }
    on_drop.0 = None;
    response
}

/// Marks an answer that holds a secret (a new token): it is not kept for replays, since
/// secrets are kept only as digests; a retry is told so.
#[derive(Debug, Clone, Copy)]
pub struct HoldsSecret;

/// The answer to keep for replays (when it is one to keep), and the response to send.
async fn keep(response: Response) -> (Option<KeptAnswer>, Response) {
    let status = response.status().as_u16();
    if !rules::keeps_answer(status) {
        return (None, response);
    }
    if response.extensions().get::<HoldsSecret>().is_some() {
        let withheld = KeptAnswer {
            status: rules::WITHHELD,
            headers: Vec::new(),
            body: Vec::new(),
        };
        return (Some(withheld), response);
    }
    let (parts, body) = response.into_parts();
    // Answers to writes are JSON the handlers rendered: bounded, and already in memory.
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        let failed = ApiError::message(
            StatusCode::INTERNAL_SERVER_ERROR,
            "500 Internal Server Error",
        );
        return (None, failed.into_response());
    };
    let headers = rules::KEPT_HEADERS
        .iter()
        .flat_map(|name| {
            parts.headers.get_all(*name).iter().filter_map(|value| {
                value
                    .to_str()
                    .ok()
                    .map(|text| ((*name).to_owned(), text.to_owned()))
            })
        })
        .collect();
    let answer = KeptAnswer {
        status,
        headers,
        body: bytes.to_vec(),
    };
    (Some(answer), Response::from_parts(parts, Body::from(bytes)))
}

/// A kept answer, sent again.
pub fn replay(answer: &KeptAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, answer.body.clone()).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(name, value);
        }
    }
    headers.insert(REPLAYED, HeaderValue::from_static("true"));
    response
}
