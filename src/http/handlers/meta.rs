//! `GET /version`: what clients call to learn which GitLab they talk to.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::http::auth::{authenticate, RouteAuth};
use crate::http::error::{json_response, ApiResult};
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::Store;

/// The GitLab API version relinks implements the releases and links API of.
pub const GITLAB_VERSION: &str = "17.11.0";

/// Like GitLab, it needs a signed-in caller.
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
