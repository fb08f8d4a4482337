//! `GET /version`: what clients call to learn which GitLab they talk to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::Store;

/// The GitLab API version relinks implements the releases and links API of.
pub const GITLAB_VERSION: &str = "17.11.0";

/// Like GitLab, it needs a signed-in caller.
#[utoipa::path(
    get,
    path = "/api/v4/version",
    tag = "meta",
    summary = "The GitLab version relinks implements",
    responses((status = 200, description = "The version", body = VersionEntity))
)]
pub async fn version<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    authenticate(&app, &request, RouteAuth::USERS)
        .await?
        .require_user()?;
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "version": GITLAB_VERSION,
            "revision": concat!("relinks-", env!("CARGO_PKG_VERSION")),
            "kas": { "enabled": false, "externalUrl": null, "externalK8sProxyUrl": null, "version": null },
            "enterprise": false,
        }),
    ))
}
