//! The OpenAPI 3 document of every route relinks answers, served at `/api/v4/openapi.json`.
//! Operations come from the `#[utoipa::path]` attribute on each handler, schemas from the entity
//! types themselves, so the document cannot drift from the code; a test compares it with the
//! router's route table and validates real answers against it.

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use super::entities::*;
use super::error::json_response;
use super::handlers::{
    audit_events, downloads, groups, health, job_tokens, links, members, meta, projects,
    protected_tags, releases, tags, tokens, users,
};
use crate::web;

/// `{"message": …}`: GitLab's helpers and model validation (a string, a list of full messages,
/// or messages by attribute).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MessageError {
    pub message: MessageBody,
}

#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum MessageBody {
    Text(String),
    List(Vec<String>),
    Fields(BTreeMap<String, Vec<String>>),
}

/// `{"error": …}`: Grape's parameter errors and unknown routes.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParamError {
    pub error: String,
}

/// rack-oauth2's bodies for expired and revoked tokens and too narrow scopes.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthError {
    pub error: String,
    pub error_description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
}

/// What a 401 or 403 may carry: GitLab's message or rack-oauth2's body.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum AuthError {
    Message(MessageError),
    OAuth(OAuthError),
}

/// A 400: Grape's parameter errors or the model's validation messages.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum BadRequest {
    Param(ParamError),
    Message(MessageError),
}

/// Any of GitLab's error bodies (the `default` answer of every operation: 400 for malformed
/// input, 401, 413, 503, …).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum AnyError {
    Message(MessageError),
    Param(ParamError),
    OAuth(OAuthError),
}

/// A release link as POST takes it (JSON, form or query parameters).
#[derive(Serialize, ToSchema)]
pub struct LinkCreate {
    pub name: String,
    pub url: String,
    /// The path of the permanent link: `/bin/app` gives `…/-/releases/<tag>/downloads/bin/app`.
    pub direct_asset_path: Option<String>,
    /// Deprecated alias of `direct_asset_path`.
    pub filepath: Option<String>,
    pub link_type: Option<LinkTypeName>,
}

/// A change to a link: `name` or `url` is required; omitted fields keep their values.
#[derive(Serialize, ToSchema)]
pub struct LinkUpdate {
    pub name: Option<String>,
    pub url: Option<String>,
    pub direct_asset_path: Option<String>,
    pub filepath: Option<String>,
    pub link_type: Option<LinkTypeName>,
}

#[derive(Serialize, ToSchema)]
pub struct AssetsInput {
    pub links: Option<Vec<LinkCreate>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseCreate {
    pub tag_name: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Used only when the tag is new; relinks records the tag with or without it.
    #[serde(rename = "ref")]
    pub git_ref: Option<String>,
    pub tag_message: Option<String>,
    /// ISO 8601; in the future, the release is upcoming.
    pub released_at: Option<String>,
    pub assets: Option<AssetsInput>,
    pub milestones: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct ReleaseUpdate {
    pub name: Option<String>,
    pub description: Option<String>,
    pub released_at: Option<String>,
    pub milestones: Option<Vec<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct UserCreate {
    pub email: String,
    pub name: String,
    pub username: String,
    pub admin: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct TokenCreate {
    pub name: String,
    pub scopes: Vec<String>,
    /// `YYYY-MM-DD`; the token stops working on that day.
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GroupCreate {
    pub name: String,
    pub path: String,
    pub parent_id: Option<i64>,
    pub visibility: Option<String>,
    pub description: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProjectBody {
    pub name: Option<String>,
    pub path: Option<String>,
    /// A namespace id or full path; the caller's own namespace when omitted.
    pub namespace_id: Option<String>,
    pub description: Option<String>,
    /// `private` (default), `internal` or `public`.
    pub visibility: Option<String>,
    /// `enabled` (default), `private` (members only) or `disabled`.
    pub releases_access_level: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberCreate {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    /// 10 guest, 20 reporter, 30 developer, 40 maintainer, 50 owner.
    pub access_level: i64,
    /// `YYYY-MM-DD` (UTC); the membership grants nothing from that day on. Not before today.
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct MemberUpdate {
    pub access_level: i64,
    /// `YYYY-MM-DD` (UTC); the membership grants nothing from that day on. Not before today.
    pub expires_at: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ProtectedTagCreate {
    /// A tag name or a wildcard pattern such as `v*`.
    pub name: String,
    /// 0 no one, 30 developers and maintainers, 40 maintainers (default).
    pub create_access_level: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct TagCreate {
    pub tag_name: String,
    /// Recorded as the tag's target.
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub message: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JobTokenCreate {
    pub user_id: i64,
    /// Seconds until the token expires (default 3600).
    pub expires_in: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct JobTokenEntity {
    pub token: String,
    pub project_id: i64,
    pub user_id: i64,
    pub expires_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct VersionEntity {
    pub version: String,
    pub revision: String,
    pub kas: serde_json::Map<String, serde_json::Value>,
    pub enterprise: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Accepted {
    pub message: String,
}

#[derive(Serialize, ToSchema)]
pub struct Check {
    pub status: String,
    pub message: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    pub status: String,
    pub db_check: Option<Vec<Check>>,
}

/// The authentication schemes GitLab accepts.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "private_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "PRIVATE-TOKEN",
                "A personal access token (`private_token` in the query or body works too).",
            ))),
        );
        components.add_security_scheme(
            "job_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "JOB-TOKEN",
                "A CI job token, on the releases and links routes only (`job_token` works too).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "relinks",
        description = "GitLab's REST API v4 for releases and release asset links, self-hosted. \
                       Paths, bodies, status codes and pagination headers are GitLab's.",
        license(name = "MIT")
    ),
    modifiers(&Security),
    security(("private_token" = []), ("bearer" = []), ("job_token" = [])),
    paths(
        links::list, links::show, links::create, links::update, links::destroy,
        releases::list, releases::show, releases::create, releases::update, releases::destroy,
        downloads::asset, downloads::latest, downloads::latest_suffix,
        tags::list, tags::show, tags::create, tags::destroy,
        protected_tags::list, protected_tags::show, protected_tags::create, protected_tags::destroy,
        projects::list, projects::show, projects::create, projects::create_for_user, projects::update, projects::destroy,
        members::list_project, members::show_project, members::add_project, members::update_project, members::remove_project,
        members::list_group, members::show_group, members::add_group, members::update_group, members::remove_group,
        groups::create, groups::show,
        users::current, users::list, users::show, users::create,
        tokens::create, tokens::show_self, tokens::revoke_self, tokens::show, tokens::revoke,
        job_tokens::create,
        audit_events::list,
        audit_events::show,
        meta::version, openapi_json,
        health::health, health::liveness, health::readiness, super::metrics::scrape,
        web::docs::home, web::docs::sign_in_form, web::docs::sign_in, web::docs::sign_out,
        web::docs::api_docs, web::docs::stylesheet, web::docs::script, web::docs::releases, web::docs::release,
        web::docs::download, web::docs::latest, web::docs::latest_suffix,
    ),
    tags(
        (name = "release links", description = "The Release links API"),
        (name = "releases"), (name = "tags"), (name = "projects"), (name = "members"),
        (name = "groups"), (name = "users"), (name = "tokens"), (name = "audit events"), (name = "meta"),
        (name = "pages", description = "What browsers see: release pages, sign-in, permanent links")
    )
)]
pub struct ApiDoc;

/// The document, built once.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_default())
}

/// The OpenAPI document of this server.
#[utoipa::path(get, path = "/api/v4/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Response {
    json_response(StatusCode::OK, document())
}
