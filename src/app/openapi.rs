//! The OpenAPI 3 document of every route relinks answers, served at `/api/v4/openapi.json` and
//! shown as a page at `/help/api`. Its operations come from the route tables (each handler's
//! `#[utoipa::path]`), its schemas from the types those name, so it cannot drift from the code;
//! a test compares it with the router and validates real answers against it. Every operation
//! that does not say otherwise may also answer with any of GitLab's error bodies.

use axum::http::StatusCode;
use axum::response::Response;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::http::error::json_response;
use crate::http::openapi::AnyError;
use crate::store::sqlite::SqliteStore;

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
    components(schemas(AnyError)),
    tags(
        (name = "release links", description = "The Release links API"),
        (name = "releases"),
        (name = "packages", description = "Generic packages and the Packages API: release files hosted by relinks"),
        (name = "uploads", description = "Project uploads: files attached to a project, served at their `full_path`"),
        (name = "tags"), (name = "projects"), (name = "members"),
        (name = "groups"), (name = "users"), (name = "tokens"), (name = "audit events"), (name = "meta"),
        (name = "pages", description = "What browsers see: release pages, sign-in, permanent links")
    )
)]
struct ApiDoc;

/// What any operation may answer besides what it lists: GitLab's error bodies (400 for
/// malformed parameters, 401, 413, 429, 503, …).
fn default_answer() -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description("GitLab's error bodies: 400 parameters, 401, 413, 503, …")
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("AnyError"))),
            )
            .build(),
    )
}

fn build() -> utoipa::openapi::OpenApi {
    let mut api = ApiDoc::openapi();
    // The document does not depend on the engine; any store type builds the tables.
    let components = api.components.get_or_insert_with(Default::default);
    for route in super::router::all_routes::<SqliteStore>() {
        let mut doc = (route.doc)();
        if doc.path.starts_with("/api/") {
            doc.operation
                .responses
                .responses
                .entry("default".to_owned())
                .or_insert_with(default_answer);
        }
        for (name, schema) in doc.schemas {
            components.schemas.entry(name).or_insert(schema);
        }
        api.paths
            .add_path_operation(&doc.path, doc.methods, doc.operation);
    }
    api
}

/// The document, built once.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(build()).unwrap_or_default())
}

/// The OpenAPI document of this server.
#[utoipa::path(get, path = "/api/v4/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "This document", content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Response {
    json_response(StatusCode::OK, document())
}

/// The document as a page.
#[utoipa::path(get, path = "/help/api", tag = "pages", security(()), responses((status = 200, description = "This document as a page", content_type = "text/html")))]
pub async fn api_page() -> Response {
    crate::web::api_docs::answer(document())
}
