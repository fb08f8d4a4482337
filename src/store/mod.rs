//! Storage: the [`Store`] trait, defined by the operations the product needs, and one
//! implementation per database engine. The engine is chosen once, at start-up, from the URL
//! scheme; everything above is generic over `S: Store` (static dispatch).
//!
//! The store knows nothing of HTTP. It keeps the invariants a database must keep even when
//! requests race: unique names, URLs and filepaths per release, one release per tag, ids never
//! reused, and an acknowledged write on disk before it is acknowledged.

pub mod audit;
pub mod cached;
mod constraint;
pub mod postgres;
pub mod records;
pub mod sql;
pub mod sqlite;
pub mod transfer;

use std::future::Future;

pub use constraint::Constraint;
pub use records::*;

use crate::domain::link::LinkConflicts;
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::domain::token::TokenKey;

/// What can go wrong in the store, in the terms the HTTP layer needs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique rule was hit: which one.
    #[error("conflict on {0}")]
    Conflict(Constraint),
    /// A link collides with another link of the same release.
    #[error("link conflicts with another link of the release: {0:?}")]
    LinkConflict(LinkConflicts),
    /// What the write refers to (a release, a project, a user) was deleted by a write that
    /// committed first: the same answer as if it had never been there.
    #[error("the row this write refers to is gone: {0}")]
    Vanished(#[source] sqlx::Error),
    /// A release already holds as many links as it may.
    #[error("the release holds {0} links, its limit")]
    Full(i64),
    /// The database cannot be reached (answered with 503).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        if is_unavailable(&error) {
            StoreError::Unavailable(error)
        } else if matches!(&error, sqlx::Error::Database(db) if db.is_foreign_key_violation()) {
            StoreError::Vanished(error)
        } else {
            StoreError::Database(error)
        }
    }
}

/// Whether an error means "the database cannot serve now" rather than "this request is wrong":
/// no connection to be had, a broken connection, or PostgreSQL shutting down, starting, out of
/// connections or cancelling a statement that ran too long.
fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // 08: connection exception; 53: insufficient resources; 57P0x: shutdown, crash,
            // cannot connect now; 57014: statement timeout.
            code.starts_with("08")
                || code.starts_with("53")
                || code.starts_with("57P")
                || code == "57014"
        }),
        _ => false,
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// A boxed future, for the closures a store's writes run in.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One page of a listing and the total number of rows.
pub type Page<T> = (Vec<T>, i64);

/// The operations relinks needs from a database: the three parts below, plus a health check.
pub trait Store: Directory + Projects + Releases + Clone + Send + Sync + 'static {
    /// Closes the connections, letting running statements finish.
    fn close(&self) -> impl Future<Output = ()> + Send;

    /// Connections open and idle in the pool (for metrics).
    fn pool_usage(&self) -> (u32, usize);

    /// Whether the database answers (readiness).
    fn ping(&self) -> impl Future<Output = StoreResult<()>> + Send;

    /// A cache for values computed from links and the releases and projects they belong to
    /// (rendered JSON), emptied by every write that could change them. `None` when other
    /// processes write the database too (PostgreSQL): then nothing derived from stored data may
    /// outlive its request.
    fn content_memo(&self) -> Option<&cached::ReadCache> {
        None
    }
}

/// Users, tokens and namespaces.
pub trait Directory {
    // Users and tokens.
    fn count_users(&self) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Creates the user and its personal namespace (path = username).
    fn create_user(&self, user: &NewUser) -> impl Future<Output = StoreResult<User>> + Send;
    fn user(&self, id: i64) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    fn user_by_username(
        &self,
        username: &str,
    ) -> impl Future<Output = StoreResult<Option<User>>> + Send;
    fn users(
        &self,
        username: Option<&str>,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<User>>> + Send;
    fn users_by_ids(&self, ids: &[i64]) -> impl Future<Output = StoreResult<Vec<User>>> + Send;

    fn create_personal_token(
        &self,
        token: &NewPersonalToken,
    ) -> impl Future<Output = StoreResult<PersonalToken>> + Send;
    fn personal_token(
        &self,
        id: i64,
    ) -> impl Future<Output = StoreResult<Option<PersonalToken>>> + Send;
    fn personal_token_by_digest(
        &self,
        digest: &str,
    ) -> impl Future<Output = StoreResult<Option<PersonalToken>>> + Send;
    /// Records that the token was used at `at`, unless a use at most `resolution` earlier is
    /// recorded already (GitLab too writes `last_used_at` at most every few minutes).
    fn touch_personal_token(
        &self,
        id: i64,
        at: Micros,
        resolution: Micros,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A setting kept with the data (`server_settings`).
    fn server_setting(
        &self,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<String>>> + Send;
    /// Stores the setting unless it is set already; returns the value that is stored now
    /// (the first writer's, when several instances race).
    fn settle_server_setting(
        &self,
        name: &str,
        value: &str,
    ) -> impl Future<Output = StoreResult<String>> + Send;
    /// Audit events, newest first.
    fn audit_events(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<AuditEvent>>> + Send;
    /// One audit event.
    fn audit_event(&self, id: i64) -> impl Future<Output = StoreResult<Option<AuditEvent>>> + Send;
    /// Adds this instance's rate-limit counts `(key, window, count)` to the shared ones and
    /// returns the sums, dropping windows that are over.
    fn add_rate_counts(
        &self,
        counts: &[(String, i64, i64)],
    ) -> impl Future<Output = StoreResult<Vec<(String, i64, i64)>>> + Send;
    /// Once per database: replaces every token and session digest stored before token keys
    /// (plain SHA-256) with its keyed form. Returns how many rows were rewritten.
    fn key_token_digests(&self, key: &TokenKey) -> impl Future<Output = StoreResult<u64>> + Send;
    fn revoke_personal_token(&self, id: i64) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Makes sure a token with this digest exists, belongs to `token.user_id`, is not revoked,
    /// never expires and has the given scopes (the bootstrap root token).
    fn ensure_personal_token(
        &self,
        token: &NewPersonalToken,
    ) -> impl Future<Output = StoreResult<PersonalToken>> + Send;
    fn create_job_token(
        &self,
        token: &NewJobToken,
    ) -> impl Future<Output = StoreResult<JobToken>> + Send;
    fn job_token_by_digest(
        &self,
        digest: &str,
    ) -> impl Future<Output = StoreResult<Option<JobToken>>> + Send;
    fn create_session(
        &self,
        digest: &str,
        user_id: i64,
        token_id: i64,
        expires_at: crate::domain::time::Micros,
    ) -> impl Future<Output = StoreResult<Session>> + Send;
    fn session_by_digest(
        &self,
        digest: &str,
    ) -> impl Future<Output = StoreResult<Option<Session>>> + Send;
    /// Ends a session (and drops expired ones on the way).
    fn delete_session(&self, digest: &str) -> impl Future<Output = StoreResult<()>> + Send;

    // Namespaces.
    /// Creates the group and makes its creator an owner.
    fn create_group(&self, group: &NewGroup)
        -> impl Future<Output = StoreResult<Namespace>> + Send;
    fn namespace(&self, id: i64) -> impl Future<Output = StoreResult<Option<Namespace>>> + Send;
    fn namespace_by_full_path(
        &self,
        full_path: &str,
    ) -> impl Future<Output = StoreResult<Option<Namespace>>> + Send;
    fn user_namespace(
        &self,
        user_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Namespace>>> + Send;
}

/// Projects, memberships, protected tags and tags.
pub trait Projects {
    // Projects.
    /// Creates the project; in a personal namespace its owner becomes an owner member.
    fn create_project(
        &self,
        project: &NewProject,
    ) -> impl Future<Output = StoreResult<Project>> + Send;
    fn project(&self, id: i64) -> impl Future<Output = StoreResult<Option<Project>>> + Send;
    /// Case-insensitive, as GitLab's routes are.
    fn project_by_full_path(
        &self,
        full_path: &str,
    ) -> impl Future<Output = StoreResult<Option<Project>>> + Send;
    /// A project that used to live at `full_path` before a rename.
    fn project_by_redirect(
        &self,
        full_path: &str,
    ) -> impl Future<Output = StoreResult<Option<Project>>> + Send;
    fn projects(
        &self,
        filter: &ProjectFilter,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Project>>> + Send;
    fn update_project(
        &self,
        id: i64,
        changes: &ProjectChanges,
    ) -> impl Future<Output = StoreResult<Project>> + Send;
    fn delete_project(&self, id: i64) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Whether another project of the namespace already has this name, and this path
    /// (case-insensitively); `except` leaves one project out, for updates.
    fn project_name_conflicts(
        &self,
        namespace_id: i64,
        name: &str,
        path: &str,
        except: Option<i64>,
    ) -> impl Future<Output = StoreResult<(bool, bool)>> + Send;

    // Memberships.
    /// The user's memberships in the project and in its groups, with their expiry dates:
    /// whether they grant anything is the caller's question for its day
    /// ([`MemberGrants::on`]).
    fn member_grants(
        &self,
        user_id: i64,
        project: &Project,
    ) -> impl Future<Output = StoreResult<MemberGrants>> + Send;
    /// The user's memberships in the group and in each of its ancestors, with their expiry
    /// dates (`domain::membership::strongest` says what they grant on a day).
    fn group_grants(
        &self,
        user_id: i64,
        group: &Namespace,
    ) -> impl Future<Output = StoreResult<Vec<crate::domain::membership::Grant>>> + Send;
    /// How many owner memberships in force on `today` the group and its ancestors hold.
    fn group_owners(
        &self,
        group: &Namespace,
        today: chrono::NaiveDate,
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    fn members(
        &self,
        source: MemberSource,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Member>>> + Send;
    fn member(
        &self,
        source: MemberSource,
        user_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Member>>> + Send;
    fn add_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<chrono::NaiveDate>,
    ) -> impl Future<Output = StoreResult<Member>> + Send;
    fn update_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<Option<chrono::NaiveDate>>,
    ) -> impl Future<Output = StoreResult<Option<Member>>> + Send;
    fn remove_member(
        &self,
        source: MemberSource,
        user_id: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // Protected tags and tags.
    fn protected_tags(
        &self,
        project_id: i64,
    ) -> impl Future<Output = StoreResult<Vec<ProtectedTag>>> + Send;
    fn create_protected_tag(
        &self,
        project_id: i64,
        name: &str,
        level: crate::domain::access::AccessLevel,
    ) -> impl Future<Output = StoreResult<ProtectedTag>> + Send;
    fn delete_protected_tag(
        &self,
        project_id: i64,
        name: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn tag(
        &self,
        project_id: i64,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<Tag>>> + Send;
    fn tags(
        &self,
        project_id: i64,
        query: &TagQuery,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Tag>>> + Send;
    fn create_tag(&self, tag: &NewTag) -> impl Future<Output = StoreResult<Tag>> + Send;
    /// Deletes the tag and the release made from it.
    fn delete_tag(
        &self,
        project_id: i64,
        name: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}

/// Releases and their links.
pub trait Releases {
    // Releases.
    fn release(
        &self,
        project_id: i64,
        tag: &str,
    ) -> impl Future<Output = StoreResult<Option<Release>>> + Send;
    fn releases_for_tags(
        &self,
        project_id: i64,
        tags: &[String],
    ) -> impl Future<Output = StoreResult<Vec<Release>>> + Send;
    fn releases(
        &self,
        project_id: i64,
        query: &ReleaseQuery,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Release>>> + Send;
    /// Creates the release, its links and (when new) its tag in one transaction.
    fn create_release(
        &self,
        release: &NewRelease,
    ) -> impl Future<Output = StoreResult<Release>> + Send;
    fn update_release(
        &self,
        id: i64,
        changes: &ReleaseChanges,
    ) -> impl Future<Output = StoreResult<Release>> + Send;
    /// Deletes the release and its links.
    fn delete_release(&self, id: i64) -> impl Future<Output = StoreResult<bool>> + Send;
    /// The release with the newest `released_at` that is not upcoming at `now`.
    fn latest_release(
        &self,
        project_id: i64,
        now: crate::domain::time::Micros,
    ) -> impl Future<Output = StoreResult<Option<Release>>> + Send;

    // Links.
    /// The links of several releases at once, newest first within each release.
    fn links_of_releases(
        &self,
        release_ids: &[i64],
    ) -> impl Future<Output = StoreResult<Vec<Link>>> + Send;
    fn links(
        &self,
        release_id: i64,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Link>>> + Send;
    fn link(
        &self,
        release_id: i64,
        link_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Link>>> + Send;
    /// Which unique rules a would-be link breaks (`except` leaves one link out, for updates).
    fn link_conflicts(
        &self,
        release_id: i64,
        candidate: &NewLink,
        except: Option<i64>,
    ) -> impl Future<Output = StoreResult<LinkConflicts>> + Send;
    /// Fails with [`StoreError::LinkConflict`] when a unique rule is hit, and with
    /// [`StoreError::Full`] when the release holds `max_links` links already (counted in the
    /// same statement as the insert). Touches the release.
    fn create_link(
        &self,
        release_id: i64,
        link: &NewLink,
        max_links: i64,
    ) -> impl Future<Output = StoreResult<Link>> + Send;
    fn update_link(
        &self,
        release_id: i64,
        link_id: i64,
        changes: &LinkChanges,
    ) -> impl Future<Output = StoreResult<Option<Link>>> + Send;
    fn delete_link(
        &self,
        release_id: i64,
        link_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Link>>> + Send;
    /// The link a permanent link names: the link whose filepath it is, else the link that had
    /// this filepath before it was changed.
    fn link_by_filepath(
        &self,
        release_id: i64,
        filepath: &str,
    ) -> impl Future<Output = StoreResult<Option<Link>>> + Send;
    /// How many projects, releases and links there are.
    fn counts(&self) -> impl Future<Output = StoreResult<Counts>> + Send;
}
