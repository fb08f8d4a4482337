//! `GET /api/v4/audit_events` and `GET /api/v4/audit_events/:id`: the instance's audit events,
//! for administrators, in GitLab's shape. The events themselves are written by the database,
//! beside each write.

use axum::extract::State;
use axum::response::Response;

use crate::http::auth::{authenticate, RouteAuth};
use crate::http::entities::AuditEventEntity;
use crate::http::error::{json_response, ApiError, ApiResult};
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::App;
use crate::store::{AuditFilter, Store};

#[utoipa::path(
    get,
    path = "/api/v4/audit_events",
    tag = "audit events",
    summary = "List audit events (administrators)",
    params(
        ("created_after" = Option<String>, Query, description = "Only events at or after this time (ISO 8601)"),
        ("created_before" = Option<String>, Query, description = "Only events at or before this time (ISO 8601)"),
        ("entity_type" = Option<String>, Query, description = "`Project`"),
        ("entity_id" = Option<i64>, Query),
        ("page" = Option<i64>, Query, description = "Page number, from 1"),
        ("per_page" = Option<i64>, Query, description = "1 to 100, default 20")
    ),
    responses((status = 200, description = "The events, newest first", body = [AuditEventEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 403, description = "Not an administrator", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let filter = AuditFilter {
        created_after: d.datetime("created_after").value(),
        created_before: d.datetime("created_before").value(),
        entity_type: d.string("entity_type").value(),
        entity_id: d.integer("entity_id").value(),
    };
    let page = d.page();
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    caller.require_admin()?;
    let (events, total) = app.store.audit_events(&filter, page).await?;
    let items: Vec<AuditEventEntity> = events.iter().map(AuditEventEntity::new).collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/audit_events/{id}",
    tag = "audit events",
    summary = "Get an audit event (administrators)",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The event", body = AuditEventEntity), (status = 403, description = "Not an administrator", body = MessageError), (status = 404, description = "No such event", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let id = d.required_integer("id").value();
    d.finish()?;
    let caller = authenticate(&app, &request, RouteAuth::USERS).await?;
    caller.require_admin()?;
    // `AuditEvent.find`: a missing one is ActiveRecord's 404.
    let event = match id {
        Some(id) => app.store.audit_event(id).await?,
        None => None,
    }
    .ok_or_else(ApiError::record_not_found)?;
    Ok(json_response(
        axum::http::StatusCode::OK,
        &AuditEventEntity::new(&event),
    ))
}
