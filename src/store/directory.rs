//! [`Directory`]: the store's part for users, tokens, sessions, namespaces, and what the
//! server keeps beside them (settings, shared rate-limit counts, audit events, idempotency
//! keys).

use std::future::Future;

use super::{
    AuditEvent, AuditFilter, JobToken, KeptAnswer, KeyClaim, Namespace, NewGroup,
    NewIdempotencyKey, NewJobToken, NewPersonalToken, NewUser, Page, PersonalToken, Session,
    StoreResult, User,
};
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::domain::token::TokenKey;

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

    // Idempotency keys (an extension).
    /// Claims a caller's key for a request, dropping keys past their day on the way. A key
    /// another request holds is handed back as it is, unless that request ended without
    /// writing or answering (its instance stopped, or its claim lapsed): this one then takes
    /// it over.
    fn claim_idempotency_key(
        &self,
        key: &NewIdempotencyKey,
    ) -> impl Future<Output = StoreResult<KeyClaim>> + Send;
    /// Keeps the request's answer with its key; `None` gives the key back, unless the request
    /// wrote (its answer is then lost).
    fn finish_idempotency_key(
        &self,
        id: i64,
        answer: Option<&KeptAnswer>,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The request holding the key was dropped: its claim lapses `at` (a write it handed to
    /// the database may still commit until then, and mark the key).
    fn lapse_idempotency_claim(
        &self,
        id: i64,
        at: Micros,
    ) -> impl Future<Output = StoreResult<()>> + Send;

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
