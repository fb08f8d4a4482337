//! The whole application as one router: the API's routes, the pages' routes and this module's
//! own (the OpenAPI document), the web dispatcher for everything else, and the middleware.
//!
//! The middleware wraps the router once, from outside: `Router::layer` would wrap every route
//! in every layer, each boxed, and clone that whole chain for every request.

use std::sync::Arc;

use axum::Router;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use crate::http::middleware::{self, Limits, RandomRequestId, REQUEST_ID};
use crate::http::routes::{api_routes, Route};
use crate::http::{metrics, App};
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
pub fn router<S: Store>(app: App<S>) -> Router {
    let table = all_routes::<S>();
    let tracker = Arc::new(metrics::Tracker::new(
        app.metrics.clone(),
        table
            .iter()
            .filter(|route| route.handler.is_some())
            .map(Route::router_path),
    ));
    let limiter = app.limiter.clone();
    let limits = Limits {
        max_header_bytes: app.config.max_header_bytes,
        request_timeout: app.config.request_timeout,
    };
    let headers = web::HeaderPolicy {
        https: app.urls.base().starts_with("https://"),
    };
    let monitoring = app.config.monitoring.clone();
    let mut routed = Router::new();
    for route in table {
        let path = route.router_path();
        if let Some(handler) = route.handler {
            routed = routed.route(&path, handler);
        }
    }
    let routed = routed
        .fallback(web::dispatch::<S>)
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .with_state(app);
    let service = ServiceBuilder::new()
        .layer(tower::util::MapRequestLayer::new(
            middleware::drop_unacceptable_request_id,
        ))
        .layer(SetRequestIdLayer::new(REQUEST_ID, RandomRequestId))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                let id = request
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // The URI is logged without its query: a private_token there must not reach logs.
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            headers,
            web::with_security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(tracker, metrics::track))
        .layer(axum::middleware::from_fn_with_state(
            monitoring,
            middleware::monitoring_allow_list,
        ))
        .layer(axum::middleware::from_fn_with_state(
            limiter,
            middleware::rate_limit,
        ))
        .layer(axum::middleware::from_fn(middleware::store_scope))
        .layer(axum::middleware::from_fn_with_state(
            limits,
            middleware::guard_limits,
        ))
        .service(routed);
    Router::new().fallback_service(service)
}
