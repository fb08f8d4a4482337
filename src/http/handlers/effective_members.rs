//! `GET /projects/:id/members/all` and `/members/all/:user_id`: everyone with a role in the
//! project, direct and inherited from its groups, one entry per user with the role in effect
//! (GitLab's `MembersFinder`). release-it checks a user's role here before it releases.
//!
//! Any signed-in caller who may read the project may list them (401 for anonymous callers, as
//! every members route); expired memberships are listed, as GitLab lists them until its purge.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::domain::membership::{effective, Grant};
use crate::domain::time::today;
use crate::http::auth::{authenticate, RouteAuth};
use crate::http::entities::MemberEntity;
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::Declared;
use crate::http::request::ApiRequest;
use crate::http::scope::{find_project, ProjectScope};
use crate::http::App;
use crate::store::{Member, Store};

async fn project<S: Store>(app: &App<S>, request: &ApiRequest) -> ApiResult<ProjectScope> {
    let caller = authenticate(app, request, RouteAuth::DEFAULT).await?;
    caller.require_user()?;
    find_project(app, &caller, request, request.path("id")).await
}

/// The memberships (ordered by user) as one member per user, each with its effective role.
fn one_per_user(memberships: &[(Member, bool)]) -> Vec<Member> {
    let day = today();
    let mut members = Vec::new();
    let mut rest = memberships;
    while let Some((first, _)) = rest.first() {
        let user_id = first.user.id;
        let same = rest
            .iter()
            .take_while(|(m, _)| m.user.id == user_id)
            .count();
        let (own, after) = rest.split_at(same);
        let grants: Vec<(Grant, bool)> = own
            .iter()
            .map(|(m, direct)| {
                let grant = Grant {
                    level: m.access_level,
                    expires_at: m.expires_at,
                };
                (grant, *direct)
            })
            .collect();
        if let Some((shown, level)) = effective(&grants, day) {
            if let Some((member, _)) = own.get(shown) {
                members.push(Member {
                    access_level: level,
                    ..member.clone()
                });
            }
        }
        rest = after;
    }
    members
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/members/all",
    tag = "members",
    summary = "List everyone with a role in the project, inherited included",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, description = "One entry per user, with the role in effect", body = [MemberEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 401, description = "Not signed in", body = MessageError), (status = 404, description = "No such project", body = MessageError))
)]
pub async fn list<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let scope = project(&app, &request).await?;
    let members = one_per_user(&app.store.project_memberships(&scope.project, None).await?);
    let total = i64::try_from(members.len()).unwrap_or(i64::MAX);
    let items: Vec<MemberEntity> = members
        .iter()
        .skip(usize::try_from(page.offset()).unwrap_or(usize::MAX))
        .take(usize::try_from(page.limit()).unwrap_or_default())
        .map(|m| MemberEntity::new(&app.urls, m))
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

#[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/members/all/{user_id}",
    tag = "members",
    summary = "Get a user's role in the project, inherited included",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    responses((status = 200, description = "The member, with the role in effect", body = MemberEntity), (status = 401, description = "Not signed in", body = MessageError), (status = 404, description = "No such project, or not a member", body = MessageError))
)]
pub async fn show<S: Store>(State(app): State<App<S>>, request: ApiRequest) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id").value();
    d.finish()?;
    let scope = project(&app, &request).await?;
    let memberships = match user_id {
        Some(id) => {
            app.store
                .project_memberships(&scope.project, Some(id))
                .await?
        }
        None => Vec::new(),
    };
    let member = one_per_user(&memberships)
        .pop()
        .ok_or_else(ApiError::record_not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &MemberEntity::new(&app.urls, &member),
    ))
}
