//! The schemas of the OpenAPI document that are not entities: error bodies, request bodies and
//! small answers. Handlers name them in their `#[utoipa::path]` attributes; `app::openapi`
//! builds the document.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

#[allow(unused_imports)]
use super::entities::*;

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
    /// relinks extension: `sha256:<64 hex>` (upper case accepted, kept in lower case).
    pub digest: Option<String>,
}

/// A change to a link: `name`, `url` or (relinks extension) `digest` is required; omitted
/// fields keep their values.
#[derive(Serialize, ToSchema)]
pub struct LinkUpdate {
    pub name: Option<String>,
    pub url: Option<String>,
    pub direct_asset_path: Option<String>,
    pub filepath: Option<String>,
    pub link_type: Option<LinkTypeName>,
    /// relinks extension: `sha256:<64 hex>`; `null` clears it.
    pub digest: Option<String>,
}

/// The links a release is to have, in order (relinks extension).
#[derive(Serialize, ToSchema)]
pub struct LinksReplace {
    pub links: Vec<LinkCreate>,
}

/// A release's links in the order they are to be listed (relinks extension).
#[derive(Serialize, ToSchema)]
pub struct LinkOrder {
    /// Every link id of the release, exactly once, in order.
    pub ids: Vec<i64>,
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
    /// Extension: `released_at` (GitLab's, the default) or `semver`, how the plain latest
    /// permalinks choose the latest release; `null` unsets it.
    pub releases_latest_order: Option<String>,
    /// Extension: published releases keep their links and tag (maintainers and up; only an
    /// administrator turns it off while such releases exist).
    pub releases_immutable: Option<bool>,
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

/// A file's bytes, as the body of a generic package upload (any `Content-Type`).
#[derive(Serialize, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

/// `POST /projects/:id/uploads`: a multipart form whose `file` part is the file.
#[derive(Serialize, ToSchema)]
pub struct UploadForm {
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// `{"message": "201 Created"}`: a generic upload's answer without `select`.
#[derive(Serialize, ToSchema)]
pub struct CreatedMessage {
    pub message: String,
}

/// A key and its value (a hook's URL variable or custom header).
#[derive(Serialize, ToSchema)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
}

/// A webhook's settings (`url` required to create).
#[derive(Serialize, ToSchema)]
pub struct HookCreate {
    /// http or https; `{name}` parts are replaced by URL variables.
    pub url: String,
    pub name: Option<String>,
    pub description: Option<String>,
    /// Sent back as `X-Gitlab-Token`; never shown.
    pub token: Option<String>,
    /// `whsec_<base64 of 32 bytes>`: deliveries carry a Standard Webhooks signature; never
    /// shown.
    pub signing_token: Option<String>,
    pub releases_events: Option<bool>,
    pub tag_push_events: Option<bool>,
    pub push_events: Option<bool>,
    pub enable_ssl_verification: Option<bool>,
    pub push_events_branch_filter: Option<String>,
    pub branch_filter_strategy: Option<String>,
    pub custom_webhook_template: Option<String>,
    pub url_variables: Option<Vec<KeyValue>>,
    pub custom_headers: Option<Vec<KeyValue>>,
}

/// A resent webhook event's answer: the receiver's status code.
#[derive(Serialize, ToSchema)]
pub struct ResendAnswer {
    pub response_status: i64,
}
