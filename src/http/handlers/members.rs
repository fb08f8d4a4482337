//! Members of projects and groups. A group's members are members of every project and subgroup
//! below it (inherited); these routes manage direct memberships only, as GitLab's do.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;

use crate::domain::access::{self, AccessLevel, Actor};
use crate::domain::membership::{self, PAST_EXPIRY};
use crate::domain::time::today;
use crate::http::auth::{authenticate, Caller, RouteAuth};
#[allow(unused_imports)]
use crate::http::entities::*;
use crate::http::entities::{to_value, MemberEntity};
use crate::http::error::no_content;
use crate::http::error::{json_response, ApiError, ApiResult};
#[allow(unused_imports)]
use crate::http::openapi::*;
use crate::http::pagination::paginated;
use crate::http::params::{Declared, Field};
use crate::http::request::ApiRequest;
use crate::http::scope::find_group;
use crate::http::scope::find_project;
use crate::http::App;
use crate::store::{Member, MemberSource, Store, StoreError, User};

#[derive(Clone, Copy)]
enum Kind {
    Project,
    Group,
}

/// The project or group a members route names, and the caller's standing in it. GitLab's
/// Members API authenticates before anything else (`before { authenticate! }`): anonymous
/// callers get 401 even for the members of a public project.
async fn target<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    kind: Kind,
) -> ApiResult<(MemberSource, Actor, Caller)> {
    let caller = authenticate(app, request, RouteAuth::DEFAULT).await?;
    caller.require_user()?;
    let id = request.path("id");
    Ok(match kind {
        Kind::Project => {
            let scope = find_project(app, &caller, request, id).await?;
            (MemberSource::Project(scope.project.id), scope.actor, caller)
        }
        Kind::Group => {
            let (group, actor) = find_group(app, &caller, id).await?;
            (MemberSource::Group(group.id), actor, caller)
        }
    })
}

/// Whether the actor may grant, change or remove a membership at `level` of this kind.
fn may_manage(actor: &Actor, kind: Kind, level: AccessLevel) -> bool {
    match kind {
        Kind::Project => access::can_manage_member(actor, level),
        Kind::Group => access::can_manage_group_member(actor),
    }
}

/// GitLab's `last_owner?` (GroupMemberPolicy's `prevent_all`): the member owns the group and no
/// one else owns it or a group above it. Nobody may remove or change that membership, not even
/// an administrator or the owner leaving: a group always keeps an owner. Only memberships in
/// force count: an expired owner owns nothing, so it may go (or be renewed), and it leaves the
/// one owner in force the last.
async fn is_last_owner<S: Store>(
    app: &App<S>,
    source: MemberSource,
    member: &Member,
) -> ApiResult<bool> {
    let MemberSource::Group(id) = source else {
        return Ok(false);
    };
    let today = today();
    let grant = membership::Grant {
        level: member.access_level,
        expires_at: member.expires_at,
    };
    if grant.level_on(today) != Some(AccessLevel::OWNER) {
        return Ok(false);
    }
    let Some(group) = app.store.namespace(id).await? else {
        return Ok(false);
    };
    Ok(app.store.group_owners(&group, today).await? <= 1)
}

/// GitLab's model validation of `expires_at` (`future_date`), which runs when the member is
/// saved: after the parameters, the permission checks and the lookups.
fn check_expiry(expires_at: Option<NaiveDate>) -> ApiResult<()> {
    match expires_at {
        Some(date) if !membership::may_end_on(date, today()) => {
            Err(ApiError::field("expires_at", PAST_EXPIRY))
        }
        _ => Ok(()),
    }
}

fn member_exists() -> ApiError {
    ApiError::message(StatusCode::CONFLICT, "Member already exists")
}

fn member_not_found() -> ApiError {
    ApiError::not_found("Member")
}

async fn list<S: Store>(app: App<S>, request: ApiRequest, kind: Kind) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let page = d.page();
    d.finish()?;
    let (source, _, _) = target(&app, &request, kind).await?;
    let (members, total) = app.store.members(source, page).await?;
    let items: Vec<_> = members
        .iter()
        .map(|m| to_value(&MemberEntity::new(&app.urls, m)))
        .collect();
    Ok(paginated(&app.urls, &request, page, total, &items))
}

async fn show<S: Store>(app: App<S>, request: ApiRequest, kind: Kind) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id").value();
    d.finish()?;
    let (source, _, _) = target(&app, &request, kind).await?;
    let member = match user_id {
        Some(id) => app.store.member(source, id).await?,
        None => None,
    }
    .ok_or_else(member_not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &to_value(&MemberEntity::new(&app.urls, &member)),
    ))
}

async fn user_by_id_or_name<S: Store>(
    app: &App<S>,
    id: Field<i64>,
    username: Field<String>,
) -> ApiResult<User> {
    let user = match (id, username) {
        (Field::Value(id), _) => app.store.user(id).await?,
        (_, Field::Value(name)) => app.store.user_by_username(&name).await?,
        _ => None,
    };
    user.ok_or_else(|| ApiError::not_found("User"))
}

async fn add<S: Store>(app: App<S>, request: ApiRequest, kind: Kind) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.integer("user_id");
    let username = d.string("username");
    let level = d.integer_one_of("access_level", &AccessLevel::MEMBER_VALUES);
    if !request.params.0.contains_key("access_level") {
        d.fail("access_level", "is missing");
    }
    if !user_id.is_present() && !username.is_present() {
        d.fail("user_id", "is missing");
    }
    let expires_at = d.date("expires_at");
    d.finish()?;
    let (source, actor, _) = target(&app, &request, kind).await?;
    let level = AccessLevel(level.value().unwrap_or_default());
    if !may_manage(&actor, kind, level) {
        return Err(ApiError::forbidden());
    }
    let user = user_by_id_or_name(&app, user_id, username).await?;
    let expires_at = expires_at.value();
    if let Err(invalid) = check_expiry(expires_at) {
        // GitLab answers an existing membership (409) before it validates a new one; the
        // insert finds it otherwise, so only a refused date asks first.
        if app.store.member(source, user.id).await?.is_some() {
            return Err(member_exists());
        }
        return Err(invalid);
    }
    let member = app
        .store
        .add_member(source, user.id, level, expires_at)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => member_exists(),
            other => other.into(),
        })?;
    Ok(json_response(
        StatusCode::CREATED,
        &to_value(&MemberEntity::new(&app.urls, &member)),
    ))
}

async fn update<S: Store>(app: App<S>, request: ApiRequest, kind: Kind) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id").value();
    let level = d.integer_one_of("access_level", &AccessLevel::MEMBER_VALUES);
    if !request.params.0.contains_key("access_level") {
        d.fail("access_level", "is missing");
    }
    let expires_at = d.date("expires_at");
    d.finish()?;
    let (source, actor, _) = target(&app, &request, kind).await?;
    let user_id = user_id.unwrap_or_default();
    let existing = app
        .store
        .member(source, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    let level = AccessLevel(level.value().unwrap_or_default());
    if !may_manage(&actor, kind, level)
        || !may_manage(&actor, kind, existing.access_level)
        || is_last_owner(&app, source, &existing).await?
    {
        return Err(ApiError::forbidden());
    }
    let expires_at = expires_at.into_change();
    check_expiry(expires_at.flatten())?;
    let member = app
        .store
        .update_member(source, user_id, level, expires_at)
        .await?
        .ok_or_else(member_not_found)?;
    Ok(json_response(
        StatusCode::OK,
        &to_value(&MemberEntity::new(&app.urls, &member)),
    ))
}

async fn remove<S: Store>(app: App<S>, request: ApiRequest, kind: Kind) -> ApiResult<Response> {
    let mut d = Declared::new(&request.params);
    let user_id = d.required_integer("user_id").value();
    d.finish()?;
    let (source, actor, caller) = target(&app, &request, kind).await?;
    let user_id = user_id.unwrap_or_default();
    let existing = app
        .store
        .member(source, user_id)
        .await?
        .ok_or_else(member_not_found)?;
    // Anyone may leave; removing others takes a maintainer (an owner for owners, and for
    // every group member).
    let leaving = caller.user_id() == Some(user_id);
    if (!leaving && !may_manage(&actor, kind, existing.access_level))
        || is_last_owner(&app, source, &existing).await?
    {
        return Err(ApiError::forbidden());
    }
    app.store.remove_member(source, user_id).await?;
    Ok(no_content())
}

macro_rules! member_routes {
    (
        $kind:expr,
        $(#[$list_doc:meta])* $list:ident,
        $(#[$show_doc:meta])* $show:ident,
        $(#[$add_doc:meta])* $add:ident,
        $(#[$update_doc:meta])* $update:ident,
        $(#[$remove_doc:meta])* $remove:ident $(,)?
    ) => {
        $(#[$list_doc])*
        pub async fn $list<S: Store>(
            State(app): State<App<S>>,
            request: ApiRequest,
        ) -> ApiResult<Response> {
            list(app, request, $kind).await
        }
        $(#[$show_doc])*
        pub async fn $show<S: Store>(
            State(app): State<App<S>>,
            request: ApiRequest,
        ) -> ApiResult<Response> {
            show(app, request, $kind).await
        }
        $(#[$add_doc])*
        pub async fn $add<S: Store>(
            State(app): State<App<S>>,
            request: ApiRequest,
        ) -> ApiResult<Response> {
            add(app, request, $kind).await
        }
        $(#[$update_doc])*
        pub async fn $update<S: Store>(
            State(app): State<App<S>>,
            request: ApiRequest,
        ) -> ApiResult<Response> {
            update(app, request, $kind).await
        }
        $(#[$remove_doc])*
        pub async fn $remove<S: Store>(
            State(app): State<App<S>>,
            request: ApiRequest,
        ) -> ApiResult<Response> {
            remove(app, request, $kind).await
        }
    };
}

member_routes!(
    Kind::Project,
    #[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/members",
    tag = "members",
    summary = "List the project's direct members",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "The members", body = [MemberEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 404, description = "Not found", body = MessageError))
)]
    list_project,
    #[utoipa::path(
    get,
    path = "/api/v4/projects/{id}/members/{user_id}",
    tag = "members",
    summary = "Get a member of the project",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    responses((status = 200, description = "The member", body = MemberEntity), (status = 404, description = "Not found", body = MessageError))
)]
    show_project,
    #[utoipa::path(
    post,
    path = "/api/v4/projects/{id}/members",
    tag = "members",
    summary = "Add a member to the project",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path")),
    request_body = MemberCreate,
    responses((status = 201, description = "The member", body = MemberEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`): `expires_at` in the past", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 409, description = "Already exists", body = MessageError))
)]
    add_project,
    #[utoipa::path(
    put,
    path = "/api/v4/projects/{id}/members/{user_id}",
    tag = "members",
    summary = "Change a member's role in the project",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    request_body = MemberUpdate,
    responses((status = 200, description = "The member", body = MemberEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`): `expires_at` in the past", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
    update_project,
    #[utoipa::path(
    delete,
    path = "/api/v4/projects/{id}/members/{user_id}",
    tag = "members",
    summary = "Remove a member from the project",
    params(("id" = String, Path, description = "The project's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    responses((status = 204, description = "Done"), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
    remove_project,
);
member_routes!(
    Kind::Group,
    #[utoipa::path(
    get,
    path = "/api/v4/groups/{id}/members",
    tag = "members",
    summary = "List the group's direct members",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("page" = Option<i64>, Query, description = "Page number, from 1"), ("per_page" = Option<i64>, Query, description = "1 to 100, default 20")),
    responses((status = 200, description = "The members", body = [MemberEntity], headers(("X-Total" = i64), ("X-Total-Pages" = i64), ("X-Page" = i64), ("X-Per-Page" = i64), ("X-Next-Page" = String), ("X-Prev-Page" = String), ("Link" = String))), (status = 404, description = "Not found", body = MessageError))
)]
    list_group,
    #[utoipa::path(
    get,
    path = "/api/v4/groups/{id}/members/{user_id}",
    tag = "members",
    summary = "Get a member of the group",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    responses((status = 200, description = "The member", body = MemberEntity), (status = 404, description = "Not found", body = MessageError))
)]
    show_group,
    #[utoipa::path(
    post,
    path = "/api/v4/groups/{id}/members",
    tag = "members",
    summary = "Add a member to the group",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path")),
    request_body = MemberCreate,
    responses((status = 201, description = "The member", body = MemberEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`): `expires_at` in the past", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError), (status = 409, description = "Already exists", body = MessageError))
)]
    add_group,
    #[utoipa::path(
    put,
    path = "/api/v4/groups/{id}/members/{user_id}",
    tag = "members",
    summary = "Change a member's role in the group",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    request_body = MemberUpdate,
    responses((status = 200, description = "The member", body = MemberEntity), (status = 400, description = "Parameter errors (`error`) or validation errors (`message`): `expires_at` in the past", body = BadRequest), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
    update_group,
    #[utoipa::path(
    delete,
    path = "/api/v4/groups/{id}/members/{user_id}",
    tag = "members",
    summary = "Remove a member from the group",
    params(("id" = String, Path, description = "The group's numeric id or URL-encoded full path"), ("user_id" = i64, Path)),
    responses((status = 204, description = "Done"), (status = 403, description = "Not allowed", body = AuthError), (status = 404, description = "Not found", body = MessageError))
)]
    remove_group,
);
