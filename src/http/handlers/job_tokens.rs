//! `POST /projects/:id/job_tokens`: an extension. GitLab mints CI job tokens inside its CI;
//! relinks has no CI, so an administrator mints one for a user and project, for a while.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use crate::domain::time::{format_micros, now_micros};
use crate::domain::token::{self, JOB_PREFIX};
use crate::http::auth::{authenticate, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::find_user;
use crate::http::App;
use crate::store::{NewJobToken, Store};

/// One hour, GitLab's default job timeout.
const DEFAULT_EXPIRES_IN: i64 = 3600;
/// A week: long enough for any job.
const MAX_EXPIRES_IN: i64 = 7 * 24 * 3600;

#[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/job_tokens",
    tag = "tokens",
    summary = "Mint a CI job token (administrators; a relinks extension)",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = JobTokenCreate,
    responses((status = 201, description = "The job token", body = JobTokenEntity), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
pub async fn create<S: Store>(
    State(app): State<App<S>>,
    request: ApiRequest,
) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id");
    let expires_in = d
        .integer("expires_in")
        .value()
        .unwrap_or(DEFAULT_EXPIRES_IN);
    if !(1..=MAX_EXPIRES_IN).contains(&expires_in) {
        d.fail("expires_in", "does not have a valid value");
    }
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::DEFAULT).await?;
    caller.require_admin()?;
    let id = request.path("id");
    let project = match id.parse::<i64>() {
        Ok(n) => app.store.project(n).await?,
        Err(_) => app.store.project_by_full_path(id).await?,
    }
    .ok_or_else(ApiError::project_not_found)?;
    let user = find_user(&app, user_id).await?;
    let secret = token::generate(JOB_PREFIX);
    let expires_at = now_micros() + expires_in * 1_000_000;
    let job = app
        .store
        .create_job_token(&NewJobToken {
            digest: app.config.token_key.digest(&secret),
            project_id: project.id,
            user_id: user.id,
            expires_at,
        })
        .await?;
    let mut response = json_response(
        StatusCode::CREATED,
        &json!({
            "token": secret,
            "project_id": job.project_id,
            "user_id": job.user_id,
            "expires_at": format_micros(job.expires_at),
        }),
    );
    response
        .extensions_mut()
        .insert(crate::http::idempotency::HoldsSecret);
    Ok(response)
}
