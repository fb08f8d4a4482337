//! The whole application as one service: the API's routes, the pages' routes and this
//! module's own (the OpenAPI document), the web dispatcher for everything else (all found by
//! `dispatch`), and the middleware.
//!
//! The middleware wraps the routes once, from outside, as a plain service ([`AppService`]):
//! `Router::layer` would wrap every route in every layer, each boxed, and clone that whole chain
//! for every request; an axum `from_fn` layer and a router around it for the fallback boxed the
//! request's future and cloned the service twice more.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{HeaderValue, Method};
use axum::response::Response;
use tower::Service;
use tracing::Instrument;

use super::dispatch::{self, Dispatch, Found};
use crate::http::middleware::{self, Limits, MonitoringAllowList, REQUEST_ID};
use crate::http::ratelimit::Limiter;
use crate::http::routes::{api_routes, Answer, Route};
use crate::http::{conditional, idempotency, metrics, App};
use crate::store::cached::request_scope;
use crate::store::Store;
use crate::web;

/// Every route relinks answers and documents: the API's, the pages', and the document's own.
pub fn all_routes<S: Store>() -> Vec<Route<S>> {
    use super::openapi;
    let mut table = api_routes::<S>();
    table.extend(web::routes::<S>());
    table.extend(crate::route_table! { S;
        openapi::openapi_json,
        openapi::api_page,
    });
    table
}

/// The application: routes, the catch-all, request ids (a client's own only when plain),
/// tracing, the panic guard, security headers, metrics, the monitoring allow-list, rate limits,
/// the audit context, the header-size limit and the request time-out.
pub fn router<S: Store>(app: App<S>) -> AppService {
    let fallback = Arc::new(|request, app| web::dispatch::<S>.call(request, app));
    let dispatch = Dispatch::new(all_routes::<S>(), fallback);
    let tracker = Arc::new(metrics::Tracker::new(
        app.metrics.clone(),
        dispatch.templates(),
    ));
    let limits = Limits {
        max_header_bytes: app.config.max_header_bytes,
        request_timeout: app.config.request_timeout,
    };
    let headers = web::HeaderPolicy {
        https: app.urls.base().starts_with("https://"),
    };
    let around = Arc::new(Around {
        scoped: app.store.scopes_requests(),
        headers,
        tracker,
        monitoring: app.config.monitoring.clone(),
        limiter: app.limiter.clone(),
        limits,
        dispatch,
        app,
    });
    AppService { around }
}

/// The whole application as one service: each request goes through [`around_request`] to its
/// handler. Cloned once per connection; a request costs one boxed future, and its handler's.
#[derive(Clone)]
pub struct AppService {
    around: Arc<dyn Serve>,
}

/// [`Around`] with its store's type erased.
trait Serve: Send + Sync {
    fn serve(self: Arc<Self>, request: Request) -> Answer;
}

impl<S: Store> Serve for Around<S> {
    fn serve(self: Arc<Self>, request: Request) -> Answer {
        Box::pin(around_request(self, request))
    }
}

impl<B> Service<axum::http::Request<B>> for AppService
where
    B: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    B::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Answering;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: axum::http::Request<B>) -> Self::Future {
        Answering(
            self.around
                .clone()
                .serve(request.map(axum::body::Body::new)),
        )
    }
}

/// The answer of [`AppService`], which never fails.
pub struct Answering(Answer);

impl Future for Answering {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx).map(Ok)
    }
}

/// What [`around_request`] needs.
struct Around<S> {
    /// Requests run in the store's request scope (a cache shared with other processes).
    scoped: bool,
    headers: web::HeaderPolicy,
    tracker: Arc<metrics::Tracker>,
    monitoring: MonitoringAllowList,
    limiter: Arc<Limiter>,
    limits: Limits,
    dispatch: Dispatch<S>,
    app: App<S>,
}

/// Every request's way in and out, in order: its id (a client's own only when plain), its
/// tracing span, metrics, conditional reads, the monitoring allow-list, rate limits, then
/// [`handled`]; and on the way out, the rate limit's verdict, the tag (or 304), the metrics and
/// the security headers. The steps are plain calls in one function: a layer or a closure per
/// step boxed its future and copied the chain below it, for every request.
async fn around_request<S: Store>(around: Arc<Around<S>>, mut request: Request) -> Response {
    let id = middleware::request_id(&request);
    // A debug span, as tower-http's tracing layer makes by default: an enabled span formats
    // its fields for every request (a twentieth of a cached read's time), and an answer that
    // failed names its request below anyway. The URI is logged without its query: a
    // private_token there must not reach logs.
    let method = request.method().clone();
    let uri = request.uri().clone();
    let span = tracing::debug_span!(
        "request",
        method = %method,
        path = %uri.path(),
        request_id = %id.to_str().unwrap_or_default()
    );
    let started = Instant::now();
    let answered = async {
        let api = request.uri().path().starts_with("/api/");
        let found = around.dispatch.find(request.uri().path());
        let tracked = around.tracker.start(&request, found.route, started);
        let conditional = conditional::Conditional::of(&request);
        let response = match middleware::monitoring_refusal(&around.monitoring, &request) {
            Some(refused) => refused,
            None => {
                let ticket = middleware::rate_ticket(&around.limiter, &mut request);
                let response = handled(&around, request, &id, found).await;
                middleware::settle_ticket(ticket, response)
            }
        };
        let mut response = conditional::answer_conditionally(conditional, response).await;
        tracked.finish(response.status());
        web::add_security_headers(&around.headers, api, &mut response);
        response
    };
    let mut response = answered.instrument(span.clone()).await;
    let latency = started.elapsed();
    let status = response.status();
    if status.is_server_error() {
        tracing::error!(
            %method,
            path = %uri.path(),
            request_id = %id.to_str().unwrap_or_default(),
            %status,
            ?latency,
            "response failed"
        );
    } else {
        span.in_scope(|| tracing::debug!(%status, ?latency, "finished processing request"));
    }
    response.headers_mut().entry(REQUEST_ID).or_insert(id);
    response
}

/// The request within its limits and the store's scopes (one unit of freshness for the read
/// cache; the audit context of a write), idempotency keys, and the panic guard around the
/// handler. One boxed future: a read, most requests, goes through only the steps that apply to
/// it.
fn handled<S: Store>(
    around: &Arc<Around<S>>,
    request: Request,
    id: &HeaderValue,
    found: Found,
) -> Answer {
    let limits = around.limits;
    if let Some(refused) = middleware::header_limit_refusal(limits, &request) {
        return Box::pin(std::future::ready(refused));
    }
    let timeout = limits.request_timeout;
    if matches!(*request.method(), Method::GET | Method::HEAD) {
        // No audit context (nothing is written) and no idempotency key (only writes name one).
        let read = middleware::within_time_limit(timeout, route(around, found, request));
        return if around.scoped {
            Box::pin(request_scope(read))
        } else {
            Box::pin(read)
        };
    }
    let handler = around.clone();
    let write = middleware::audited(request, id, move |request| {
        let limited = middleware::time_limited(request.method(), request.uri().path());
        let idempotent =
            idempotency::idempotent(request, move |request| route(&handler, found, request));
        Box::pin(async move {
            if limited {
                middleware::within_time_limit(timeout, idempotent).await
            } else {
                idempotent.await
            }
        })
    });
    if around.scoped {
        Box::pin(request_scope(write))
    } else {
        Box::pin(write)
    }
}

/// The handler's answer, a panic in it answered in GitLab's shape.
fn route<S: Store>(
    around: &Around<S>,
    found: Found,
    request: Request,
) -> impl Future<Output = Response> + Send + 'static {
    let head = *request.method() == Method::HEAD;
    let answer = around.dispatch.call(found, request, around.app.clone());
    async move {
        let mut response = middleware::catch_panic(answer).await;
        dispatch::without_body_for_head(head, &mut response);
        response
    }
}
