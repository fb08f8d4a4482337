//! Finding what a request names (a project, a group, a user) and what the caller may do in it.
//! For a project this is step 3 of the request path (after parameters and authentication): it
//! decides `404 Project Not Found`, and [`ProjectScope`] answers the later permission questions
//! with the policy of `domain::access`. Handlers of every resource share these lookups.

use axum::http::StatusCode;

use super::auth::{Caller, Via};
use super::error::{ApiError, ApiResult};
use super::params::Field;
use super::request::ApiRequest;
use super::App;
use crate::domain::access::{self, Actor, Decision, ProjectSettings, ProtectedTagRule};
use crate::domain::membership;
use crate::domain::time::today;
use crate::store::{MemberLevels, Namespace, NamespaceKind, Project, ProtectedTag, Store, User};

/// A project the caller can see, with the caller's standing in it.
#[derive(Debug, Clone)]
pub struct ProjectScope {
    pub project: Project,
    pub actor: Actor,
    pub levels: MemberLevels,
}

impl ProjectScope {
    pub fn settings(&self) -> ProjectSettings {
        ProjectSettings {
            visibility: self.project.visibility,
            releases_access: self.project.releases_access,
        }
    }

    /// 403 unless `allowed`.
    pub fn require(&self, allowed: bool) -> ApiResult<()> {
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }

    /// `authorize! :read_release, user_project`.
    pub fn require_read_releases(&self) -> ApiResult<()> {
        match access::read_releases_decision(&self.actor, &self.settings()) {
            Decision::Allow => Ok(()),
            Decision::Hidden => Err(ApiError::project_not_found()),
            Decision::Forbidden => Err(ApiError::forbidden()),
        }
    }

    /// `read_release`, as a yes or no (for what is embedded in other answers).
    pub fn can_read_releases(&self) -> bool {
        access::can_read_releases(&self.actor, &self.settings())
    }

    pub fn can_read_code(&self) -> bool {
        access::can_read_code(&self.actor, &self.settings())
    }

    pub fn can_write_releases(&self) -> bool {
        access::can_write_releases(&self.actor, &self.settings())
    }

    pub fn can_write_release(&self, tag: &str, protected: &[ProtectedTag]) -> bool {
        access::can_write_release(&self.actor, &self.settings(), tag, &rules(protected))
    }

    pub fn can_create_tag(&self, tag: &str, protected: &[ProtectedTag]) -> bool {
        access::can_create_tag(&self.actor, tag, &rules(protected))
    }

    pub fn can_admin(&self) -> bool {
        access::can_admin_project(&self.actor)
    }
}

pub fn rules(protected: &[ProtectedTag]) -> Vec<ProtectedTagRule> {
    protected
        .iter()
        .map(|p| ProtectedTagRule {
            pattern: p.name.clone(),
            create_access_level: p.create_access_level,
        })
        .collect()
}

/// The policy's view of a caller who is not in any project (or whose memberships are given).
pub fn actor(caller: &Caller, levels: MemberLevels) -> Actor {
    Actor {
        signed_in: caller.user.is_some(),
        admin: caller.is_admin(),
        level: levels.effective(),
    }
}

/// GitLab's `find_project!`: by numeric id, or by full path (case-insensitive, following
/// renames), visible to the caller; otherwise `404 Project Not Found`.
pub async fn find_project<S: Store>(
    app: &App<S>,
    caller: &Caller,
    request: &ApiRequest,
    id: &str,
) -> ApiResult<ProjectScope> {
    // Boxed: inline, its state would be copied into every handler's future, which is moved
    // as it starts.
    Box::pin(find_visible_project(app, caller, request, id)).await
}

async fn find_visible_project<S: Store>(
    app: &App<S>,
    caller: &Caller,
    request: &ApiRequest,
    id: &str,
) -> ApiResult<ProjectScope> {
    let project = if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        match id.parse::<i64>() {
            Ok(n) => app.store.project(n).await?,
            Err(_) => None,
        }
    } else if id.contains('/') {
        match app.store.project_by_full_path(id).await? {
            Some(project) => Some(project),
            None => moved_project(app, caller, request, id).await?,
        }
    } else {
        None
    };
    let project = project.ok_or_else(ApiError::project_not_found)?;
    scope_for(app, caller, project).await
}

/// A project found under an old path: GET is redirected to the id-based URL, other methods are
/// refused, as GitLab does for moved projects. Callers who cannot see it get a plain 404.
async fn moved_project<S: Store>(
    app: &App<S>,
    caller: &Caller,
    request: &ApiRequest,
    id: &str,
) -> ApiResult<Option<Project>> {
    let Some(project) = app.store.project_by_redirect(id).await? else {
        return Ok(None);
    };
    let project_id = project.id;
    scope_for(app, caller, project).await?;
    if !request.is_read() {
        return Err(ApiError::message(
            StatusCode::METHOD_NOT_ALLOWED,
            "Non GET methods are not allowed for moved projects",
        ));
    }
    let encoded = request
        .raw_path
        .split('/')
        .skip_while(|s| *s != "projects")
        .nth(1)
        .unwrap_or_default();
    let path = request.raw_path.replacen(
        &format!("/projects/{encoded}"),
        &format!("/projects/{project_id}"),
        1,
    );
    Err(ApiError::Redirect(
        StatusCode::MOVED_PERMANENTLY,
        app.urls.absolute(&path),
    ))
}

/// The caller's standing in a project they named: job tokens of other projects are refused
/// with GitLab's reason, and callers who may not read the project get a 404.
pub async fn scope_for<S: Store>(
    app: &App<S>,
    caller: &Caller,
    project: Project,
) -> ApiResult<ProjectScope> {
    if let Via::JobToken { project_id } = caller.via {
        if project_id != project.id {
            let source = app
                .store
                .project(project_id)
                .await?
                .map(|p| p.full_path())
                .unwrap_or_default();
            return Err(ApiError::forbidden_because(&format!(
                "Authentication by CI/CD job token not allowed from {source} to {}.",
                project.full_path()
            )));
        }
    }
    let levels = match caller.user_id() {
        Some(user_id) => app
            .store
            .member_grants(user_id, &project)
            .await?
            .on(today()),
        None => MemberLevels::default(),
    };
    let actor = actor(caller, levels);
    let settings = ProjectSettings {
        visibility: project.visibility,
        releases_access: project.releases_access,
    };
    if !access::can_read_project(&actor, &settings) {
        return Err(ApiError::project_not_found());
    }
    Ok(ProjectScope {
        project,
        actor,
        levels,
    })
}

/// A group the caller can see, and the caller's standing in it.
pub async fn find_group<S: Store>(
    app: &App<S>,
    caller: &Caller,
    id: &str,
) -> ApiResult<(Namespace, Actor)> {
    let namespace = match id.parse::<i64>() {
        Ok(n) => app.store.namespace(n).await?,
        Err(_) => app.store.namespace_by_full_path(id).await?,
    };
    let group = namespace
        .filter(|n| n.kind == NamespaceKind::Group)
        .ok_or_else(|| ApiError::not_found("Group"))?;
    let level = match caller.user_id() {
        Some(user_id) => {
            membership::strongest(&app.store.group_grants(user_id, &group).await?, today())
        }
        None => None,
    };
    let actor = actor(
        caller,
        MemberLevels {
            project: None,
            group: level,
        },
    );
    if !access::can_see(&actor, group.visibility) {
        return Err(ApiError::not_found("Group"));
    }
    Ok((group, actor))
}

/// Looks a user up by the `user_id` route capture: `404 User Not Found` when there is none.
pub async fn find_user<S: Store>(app: &App<S>, id: Field<i64>) -> ApiResult<User> {
    match id {
        Field::Value(id) => app
            .store
            .user(id)
            .await?
            .ok_or_else(|| ApiError::not_found("User")),
        _ => Err(ApiError::not_found("User")),
    }
}
