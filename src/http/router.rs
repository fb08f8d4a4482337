//! Every route relinks answers, in one table. Anything else under any path is GitLab's
//! catch-all `404 {"error":"404 Not Found"}`, unsupported methods on known paths included.

use std::time::Duration;

use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use super::error::{json_response, ApiError};
use super::handlers::{
    groups, health, job_tokens, links, members, meta, projects, protected_tags, releases, tags,
    tokens, users,
};
use super::App;
use crate::store::Store;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

async fn not_found() -> ApiError {
    ApiError::route_not_found()
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    json_response(
        StatusCode::INTERNAL_SERVER_ERROR,
        &serde_json::json!({ "message": "500 Internal Server Error" }),
    )
}

/// The API routes, under `/api/v4`.
fn api<S: Store>() -> Router<App<S>> {
    let project = "/projects/{id}";
    let release = "/projects/{id}/releases/{tag_name}";
    Router::new()
        .route("/version", get(meta::version::<S>))
        .route("/user", get(users::current::<S>))
        .route("/users", get(users::list::<S>).post(users::create::<S>))
        .route("/users/{user_id}", get(users::show::<S>))
        .route(
            "/users/{user_id}/personal_access_tokens",
            post(tokens::create::<S>),
        )
        .route(
            "/personal_access_tokens/self",
            get(tokens::show_self::<S>).delete(tokens::revoke_self::<S>),
        )
        .route(
            "/personal_access_tokens/{token_id}",
            get(tokens::show::<S>).delete(tokens::revoke::<S>),
        )
        .route("/groups", post(groups::create::<S>))
        .route("/groups/{id}", get(groups::show::<S>))
        .route(
            "/groups/{id}/members",
            get(members::list_group::<S>).post(members::add_group::<S>),
        )
        .route(
            "/groups/{id}/members/{user_id}",
            get(members::show_group::<S>)
                .put(members::update_group::<S>)
                .delete(members::remove_group::<S>),
        )
        .route(
            "/projects",
            get(projects::list::<S>).post(projects::create::<S>),
        )
        .route(
            "/projects/user/{user_id}",
            post(projects::create_for_user::<S>),
        )
        .route(
            project,
            get(projects::show::<S>)
                .put(projects::update::<S>)
                .delete(projects::destroy::<S>),
        )
        .route(
            &format!("{project}/members"),
            get(members::list_project::<S>).post(members::add_project::<S>),
        )
        .route(
            &format!("{project}/members/{{user_id}}"),
            get(members::show_project::<S>)
                .put(members::update_project::<S>)
                .delete(members::remove_project::<S>),
        )
        .route(
            &format!("{project}/job_tokens"),
            post(job_tokens::create::<S>),
        )
        .route(
            &format!("{project}/protected_tags"),
            get(protected_tags::list::<S>).post(protected_tags::create::<S>),
        )
        .route(
            &format!("{project}/protected_tags/{{name}}"),
            get(protected_tags::show::<S>).delete(protected_tags::destroy::<S>),
        )
        .route(
            &format!("{project}/repository/tags"),
            get(tags::list::<S>).post(tags::create::<S>),
        )
        .route(
            &format!("{project}/repository/tags/{{tag_name}}"),
            get(tags::show::<S>).delete(tags::destroy::<S>),
        )
        .route(
            &format!("{project}/releases"),
            get(releases::list::<S>).post(releases::create::<S>),
        )
        .route(
            release,
            get(releases::show::<S>)
                .put(releases::update::<S>)
                .delete(releases::destroy::<S>),
        )
        .route(
            &format!("{release}/assets/links"),
            get(links::list::<S>).post(links::create::<S>),
        )
        .route(
            &format!("{release}/assets/links/{{link_id}}"),
            get(links::show::<S>)
                .put(links::update::<S>)
                .delete(links::destroy::<S>),
        )
}

/// The whole application: API routes, the catch-all 404, request ids, tracing and a last-resort
/// panic guard that still answers in GitLab's shape.
pub fn router<S: Store>(app: App<S>) -> Router {
    Router::new()
        .nest("/api/v4", api::<S>().method_not_allowed_fallback(not_found))
        .route("/-/health", get(health::health))
        .route("/-/liveness", get(health::liveness))
        .route("/-/readiness", get(health::readiness::<S>))
        .fallback(not_found)
        .method_not_allowed_fallback(not_found)
        .with_state(app)
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
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
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// For handlers that answer "gone" without a body (DELETE with 204).
pub fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// How long shutdown waits for in-flight requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
