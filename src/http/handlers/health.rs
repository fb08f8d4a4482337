//! GitLab's health endpoints: `/-/health` (the process answers), `/-/liveness` (same, as JSON)
//! and `/-/readiness` (the database answers too; 503 while it does not).

use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::http::error::json_response;
use crate::http::request::client_ip;
use crate::http::App;
use crate::store::Store;

/// Readiness answers within this time even when the database hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[utoipa::path(get, path = "/-/health", tag = "meta", security(()),
    responses((status = 200, description = "`GitLab OK`", content_type = "text/plain", body = String)))]
pub async fn health() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "GitLab OK",
    )
        .into_response()
}

#[utoipa::path(get, path = "/-/liveness", tag = "meta", security(()),
    responses((status = 200, description = "The process answers", body = crate::http::openapi::Readiness)))]
pub async fn liveness() -> Response {
    json_response(StatusCode::OK, &json!({ "status": "ok" }))
}

#[utoipa::path(get, path = "/-/readiness", tag = "meta", security(()),
    responses((status = 200, description = "Ready", body = crate::http::openapi::Readiness),
        (status = 503, description = "The database cannot be reached", body = crate::http::openapi::Readiness)))]
pub async fn readiness<S: Store>(State(app): State<App<S>>, request: Request) -> Response {
    // The checks' details only for the monitoring allow-list, as GitLab's; anyone else (a
    // load balancer elsewhere) learns ready or not.
    let detailed =
        client_ip(request.extensions()).is_some_and(|ip| app.config.monitoring.allows(ip));
    let check = tokio::time::timeout(CHECK_TIMEOUT, app.store.ping()).await;
    let (status, problem) = match check {
        Ok(Ok(())) => (StatusCode::OK, None),
        Ok(Err(error)) => {
            tracing::warn!(%error, "readiness: database check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Some("database unreachable"),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("database check timed out"),
        ),
    };
    let verdict = if problem.is_none() { "ok" } else { "failed" };
    let body = match (detailed, problem) {
        (false, _) => json!({ "status": verdict }),
        (true, None) => json!({ "status": "ok", "db_check": [{ "status": "ok" }] }),
        (true, Some(message)) => {
            json!({ "status": "failed", "db_check": [{ "status": "failed", "message": message }] })
        }
    };
    json_response(status, &body)
}
