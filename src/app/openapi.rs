//! The OpenAPI 3 document of every route relinks answers, served at `/api/v4/openapi.json` and
//! shown as a page at `/help/api`. Its operations come from the route tables (each handler's
//! `#[utoipa::path]`), its schemas from the types those name, so it cannot drift from the code;
//! a test compares it with the router and validates real answers against it. Every operation
//! that does not say otherwise may also answer with any of GitLab's error bodies; every GET of
//! the API may be conditional (`If-None-Match`, 304), and every write of the API takes an
//! `Idempotency-Key`.

use axum::http::StatusCode;
use axum::response::Response;
use utoipa::openapi::path::{HttpMethod, Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, Ref, RefOr, Required, ResponseBuilder};
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
        (name = "hooks", description = "Webhooks: GitLab's project hooks, and the Release and Tag Push Hooks relinks sends"),
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

fn header(name: &str, description: &str, schema: Object) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

fn answer(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(ResponseBuilder::new().description(description).build())
}

fn error_answer(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                Content::new(Some(Ref::from_schema_name("AnyError"))),
            )
            .build(),
    )
}

/// Every GET of the API may be conditional: `If-None-Match` naming the answer's `ETag` gets a
/// 304 without a body.
fn conditional_read(operation: &mut Operation) {
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(header(
            "If-None-Match",
            "ETags of answers the client holds: a 304 when one is still current.",
            ObjectBuilder::new().schema_type(Type::String).build(),
        ));
    operation
        .responses
        .responses
        .entry("304".to_owned())
        .or_insert_with(|| answer("Not modified: the ETag named in `If-None-Match` is current"));
}

/// Every write of the API takes an `Idempotency-Key` (relinks' extension): a retry gets the
/// first answer again (`Idempotent-Replayed: true`), another request with the key a 422, a
/// retry while the first runs a 409.
fn idempotent_write(operation: &mut Operation) {
    operation
        .parameters
        .get_or_insert_with(Vec::new)
        .push(header(
            "Idempotency-Key",
            "relinks extension: 1 to 255 visible ASCII characters, the caller's own. A retry with \
         the same key and request gets the first answer again, with `Idempotent-Replayed: true`.",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(255))
                .pattern(Some("^[!-~]+$"))
                .build(),
        ));
    let responses = &mut operation.responses.responses;
    // An invalid key is a parameter error, `{"error": …}`, whatever else a 400 of the
    // operation may be.
    if let Some(RefOr::T(bad)) = responses.get_mut("400") {
        for content in bad.content.values_mut() {
            let message_only = matches!(&content.schema,
                Some(RefOr::Ref(r)) if r.ref_location.ends_with("/MessageError"));
            if message_only {
                content.schema = Some(RefOr::Ref(Ref::from_schema_name("BadRequest")));
            }
        }
    }
    responses.entry("409".to_owned()).or_insert_with(|| {
        error_answer("A request with this Idempotency-Key is being processed (relinks extension)")
    });
    responses.entry("422".to_owned()).or_insert_with(|| {
        error_answer("Idempotency-Key is already used for a different request (relinks extension)")
    });
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
            if doc.methods.iter().any(|m| matches!(m, HttpMethod::Get)) {
                conditional_read(&mut doc.operation);
            }
            if doc.methods.iter().any(|m| {
                matches!(
                    m,
                    HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete
                )
            }) {
                idempotent_write(&mut doc.operation);
            }
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
