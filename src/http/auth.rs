//! Authentication: from the credentials a request carries to the [`Caller`] it acts as.
//!
//! Order and outcomes follow GitLab's `find_user_from_sources`: an access token first, then a
//! job token (only on routes that accept one; elsewhere it is ignored), else anonymous. A token
//! that is unknown is a 401; expired or revoked tokens get rack-oauth2's 401 body; a scope that
//! does not cover the request is a 403.

use std::sync::Arc;

use axum::http::StatusCode;

use super::error::{ApiError, ApiResult};
use super::ratelimit::{settle, Outcome};
use super::request::ApiRequest;
use super::App;
use crate::domain::time::{now_micros, today, Micros};
use crate::domain::token;
use crate::store::{PersonalToken, Store, StoreResult, User};

/// How the caller proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    PersonalToken {
        id: i64,
        scopes: Vec<String>,
    },
    /// A CI job token: the job's user, within the job's project only.
    JobToken {
        project_id: i64,
    },
    /// A signed-in browser (the release pages).
    Session,
}

/// Who a request acts as.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Shared: a caller is found in memory for most requests (see [`personal_caller`]).
    pub user: Option<Arc<User>>,
    pub via: Via,
}

impl Caller {
    pub fn anonymous() -> Self {
        Self {
            user: None,
            via: Via::Anonymous,
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.is_admin)
    }

    pub fn user_id(&self) -> Option<i64> {
        self.user.as_ref().map(|u| u.id)
    }

    /// The signed-in user, or 401 for anonymous callers.
    pub fn require_user(&self) -> ApiResult<&User> {
        self.user.as_deref().ok_or_else(ApiError::unauthorized)
    }

    /// The signed-in administrator, or 401 (anonymous) / 403 (not an administrator).
    pub fn require_admin(&self) -> ApiResult<&User> {
        let user = self.require_user()?;
        if user.is_admin {
            Ok(user)
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// What a route accepts beyond personal access tokens with `api` or `read_api`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RouteAuth {
    /// The releases, links and package routes accept CI job tokens.
    pub job_token: bool,
    /// `GET /user` and the users routes accept `read_user` tokens.
    pub read_user: bool,
    /// A token of any scope may see and revoke itself (GitLab's `allow_access_with_scope` of
    /// every scope on `/personal_access_tokens/self`).
    pub any_scope: bool,
    /// The package routes accept HTTP Basic with a token as the password (`gitlab-ci-token`
    /// as the user name for a job token), and a job token as a Bearer token.
    pub basic: bool,
    /// Reads of files accept a browser's session (a signed-in browser follows a permanent
    /// link to the file).
    pub session: bool,
}

impl RouteAuth {
    pub const DEFAULT: Self = Self {
        job_token: false,
        read_user: false,
        any_scope: false,
        basic: false,
        session: false,
    };
    pub const RELEASES: Self = Self {
        job_token: true,
        ..Self::DEFAULT
    };
    pub const USERS: Self = Self {
        read_user: true,
        ..Self::DEFAULT
    };
    pub const OWN_TOKEN: Self = Self {
        read_user: true,
        any_scope: true,
        ..Self::DEFAULT
    };
    /// Generic packages (`lib/api/generic_packages.rb`'s authentication settings).
    pub const PACKAGES: Self = Self {
        job_token: true,
        basic: true,
        session: true,
        ..Self::DEFAULT
    };
    /// The packages API and project uploads: job tokens, and sessions on reads.
    pub const FILES: Self = Self {
        job_token: true,
        session: true,
        ..Self::DEFAULT
    };
}

/// The name CI jobs give with their job token as HTTP Basic credentials.
pub const JOB_TOKEN_USER: &str = "gitlab-ci-token";

/// At most this many session cookies of one request are looked up.
const MAX_SESSION_COOKIES: usize = 4;

/// The name of the browser session's cookie.
pub const SESSION_COOKIE: &str = "relinks_session";

/// The session cookies a request carries: a cookie planted beside the real one (by a sibling
/// site, say) must not hide it, so each is tried.
pub fn session_secrets(headers: &axum::http::HeaderMap) -> Vec<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse_encoded)
        .filter_map(Result::ok)
        .filter(|c| c.name() == SESSION_COOKIE && !c.value().is_empty())
        .map(|c| c.value().to_owned())
        .take(MAX_SESSION_COOKIES)
        .collect()
}

/// The user of the first live session among `secrets` (a session that has ended, or whose
/// token has, is no session).
pub async fn session_user<S: Store>(
    app: &App<S>,
    secrets: &[String],
) -> crate::store::StoreResult<Option<User>> {
    for secret in secrets {
        let Some(session) = app
            .store
            .session_by_digest(&app.config.token_key.digest(secret))
            .await?
        else {
            continue;
        };
        let token = app.store.personal_token(session.token_id).await?;
        if session.expires_at > now_micros() && token.as_ref().is_some_and(is_usable) {
            if let Some(user) = app.store.user(session.user_id).await? {
                return Ok(Some(user));
            }
        }
    }
    Ok(None)
}

/// A token that has not been revoked and has not expired.
pub fn is_usable(token: &crate::store::PersonalToken) -> bool {
    token::is_usable(token.revoked, token.expires_at, today())
}

/// Whether a token may read releases at all (the release pages and sign-in accept these).
pub fn can_read_api(token: &crate::store::PersonalToken) -> bool {
    token::reads_api(&token.scopes)
}

fn scope_allows(scopes: &[String], request: &ApiRequest, route: RouteAuth) -> bool {
    let used = token::ScopeUse {
        read: request.is_read(),
        users_route: route.read_user,
        any_scope: route.any_scope,
    };
    token::scopes_allow(scopes, used)
}

/// GitLab writes a token's `last_used_at` at most every 10 minutes.
const LAST_USED_RESOLUTION: Micros = 10 * 60 * 1_000_000;

/// Writes the token's `last_used_at` in the background when the stored one is older than the
/// resolution: the request does not wait for it, and a burst of requests makes one write.
fn record_use<S: Store>(app: &App<S>, token_id: i64, last_used_at: Option<Micros>) {
    let now = now_micros();
    if last_used_at.is_some_and(|at| at > now - LAST_USED_RESOLUTION) {
        return;
    }
    {
        let Ok(mut recording) = app.recording_use.lock() else {
            return;
        };
        if !recording.insert(token_id) {
            return;
        }
    }
    let app = app.clone();
    tokio::spawn(async move {
        if let Err(error) = app
            .store
            .touch_personal_token(token_id, now, LAST_USED_RESOLUTION)
            .await
        {
            tracing::warn!(%error, token_id, "could not record a token's last use");
        }
        if let Ok(mut recording) = app.recording_use.lock() {
            recording.remove(&token_id);
        }
    });
}

/// Resolves the caller of `request` on a route with the given settings, and counts the request
/// in the rate limits: against the user when its credential is valid (whatever its scope),
/// otherwise against the address, a credential that fails as a failed authentication too.
pub async fn authenticate<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    route: RouteAuth,
) -> ApiResult<Caller> {
    // Boxed: inline, its state would be copied into every handler's future, which is moved
    // as it starts.
    let resolved = Box::pin(resolve_caller(app, request, route)).await;
    let outcome = match &resolved {
        Ok((
            Caller {
                user: Some(user), ..
            },
            _,
        )) => {
            crate::store::audit::set_author(user.id, &user.username);
            Outcome::User(user.id)
        }
        Ok((_, outcome)) => *outcome,
        Err(
            ApiError::Message(StatusCode::UNAUTHORIZED, _)
            | ApiError::OAuth {
                status: StatusCode::UNAUTHORIZED,
                ..
            },
        ) => Outcome::Failed,
        // The store could not answer: nothing is known of the caller (the middleware counts
        // the request against its address).
        Err(_) => return resolved.map(|(caller, _)| caller),
    };
    settle(request.ticket.as_ref(), outcome).map_err(ApiError::Throttled)?;
    let (caller, _) = resolved?;
    if let Via::PersonalToken { scopes, .. } = &caller.via {
        if !scope_allows(scopes, request, route) {
            return Err(ApiError::insufficient_scope());
        }
    }
    // Keys are per caller: a key is claimed (or its first answer found) once the caller is.
    if let (Some(ticket), Some(user)) = (&request.idempotency, &caller.user) {
        ticket.claim(app, user.id, request).await?;
    }
    Ok(caller)
}

/// The caller of a personal access token: `None` when there is no such token; expired and
/// revoked ones are errors of their own.
async fn personal_caller<S: Store>(app: &App<S>, secret: &str) -> ApiResult<Option<Caller>> {
    let Some((token, user)) = token_and_user(app, &app.config.token_key.digest(secret)).await?
    else {
        return Ok(None);
    };
    if token.revoked {
        return Err(ApiError::token_revoked());
    }
    if !is_usable(&token) {
        return Err(ApiError::token_expired());
    }
    let Some(user) = user else {
        return Ok(None);
    };
    record_use(app, token.id, token.last_used_at);
    Ok(Some(Caller {
        user: Some(user),
        via: Via::PersonalToken {
            id: token.id,
            scopes: token.scopes.clone(),
        },
    }))
}

/// A token and its user.
pub type TokenAndUser = (Arc<PersonalToken>, Option<Arc<User>>);

/// The personal token of `digest` and its user, kept together in the cache of who may do what
/// (one lookup, no copy, for the requests of a token already seen).
pub async fn token_and_user<S: Store>(
    app: &App<S>,
    digest: &str,
) -> StoreResult<Option<TokenAndUser>> {
    let read = async {
        let Some(token) = app.store.personal_token_by_digest(digest).await? else {
            return Ok(None);
        };
        let user = app.store.user(token.user_id).await?;
        Ok(Some((Arc::new(token), user.map(Arc::new))))
    };
    match app.store.access_memo().await? {
        Some(memo) => {
            let key = crate::store::cached::key(&[&"token-and-user:", &digest]);
            // Their text is short: names, an e-mail address, a few scopes.
            let size = |_: &Option<TokenAndUser>| {
                std::mem::size_of::<PersonalToken>() + std::mem::size_of::<User>() + 256
            };
            memo.read_sized(key, size, read).await
        }
        None => read.await,
    }
}

/// The caller of a CI job token that has not expired: the job's user, within its project.
async fn job_caller<S: Store>(app: &App<S>, secret: &str) -> ApiResult<Option<Caller>> {
    let Some(job) = app
        .store
        .job_token_by_digest(&app.config.token_key.digest(secret))
        .await?
        .filter(|job| job.expires_at > now_micros())
    else {
        return Ok(None);
    };
    let user = app.store.user(job.user_id).await?;
    Ok(user.map(|user| Caller {
        user: Some(Arc::new(user)),
        via: Via::JobToken {
            project_id: job.project_id,
        },
    }))
}

/// The caller, and how an anonymous one counts (a failed Basic credential is a failed
/// authentication, though the request goes on as anonymous, as GitLab's package routes do).
async fn resolve_caller<S: Store>(
    app: &App<S>,
    request: &ApiRequest,
    route: RouteAuth,
) -> ApiResult<(Caller, Outcome)> {
    let credentials = &request.credentials;
    if let Some(secret) = &credentials.personal {
        if let Some(caller) = personal_caller(app, secret).await? {
            return Ok((caller, Outcome::Anonymous));
        }
        // GitLab's `find_user_from_job_bearer_token`, on the package routes.
        if credentials.bearer && route.job_token && route.basic {
            if let Some(caller) = job_caller(app, secret).await? {
                return Ok((caller, Outcome::Anonymous));
            }
        }
        return Err(ApiError::unauthorized());
    }
    if let Some(secret) = credentials.job.as_ref().filter(|_| route.job_token) {
        let caller = job_caller(app, secret).await?;
        return caller
            .map(|c| (c, Outcome::Anonymous))
            .ok_or_else(ApiError::unauthorized);
    }
    let mut outcome = Outcome::Anonymous;
    if let Some(basic) = credentials.basic.as_ref().filter(|_| route.basic) {
        let caller = if basic.username == JOB_TOKEN_USER {
            job_caller(app, &basic.password).await?
        } else {
            personal_caller(app, &basic.password).await.ok().flatten()
        };
        if let Some(caller) = caller {
            return Ok((caller, Outcome::Anonymous));
        }
        outcome = Outcome::Failed;
    }
    if route.session && request.is_read() && !credentials.sessions.is_empty() {
        if let Some(user) = session_user(app, &credentials.sessions).await? {
            let caller = Caller {
                user: Some(Arc::new(user)),
                via: Via::Session,
            };
            return Ok((caller, Outcome::Anonymous));
        }
    }
    Ok((Caller::anonymous(), outcome))
}
