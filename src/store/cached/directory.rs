//! The cache in front of [`Directory`]: users, tokens, sessions and namespaces are kept in the
//! access part; settings, rate-limit counts, audit events and idempotency keys are always read from the
//! database.

use super::{key, Cached};
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::domain::token::TokenKey;
use crate::store::{
    AuditEvent, AuditFilter, Directory, JobToken, KeptAnswer, KeyClaim, Namespace, NewGroup,
    NewIdempotencyKey, NewJobToken, NewPersonalToken, NewUser, Page, PersonalToken, Session, Store,
    StoreResult, User,
};

impl<S: Store> Directory for Cached<S> {
    async fn count_users(&self) -> StoreResult<i64> {
        self.inner.count_users().await
    }

    async fn create_user(&self, user: &NewUser) -> StoreResult<User> {
        let result = self.inner.create_user(user).await;
        self.changed();
        result
    }

    async fn user(&self, id: i64) -> StoreResult<Option<User>> {
        let key = key(&[&"user:", &id]);
        self.read(&self.access, key, self.inner.user(id)).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_username(username).await
    }

    async fn users(&self, username: Option<&str>, page: PageRequest) -> StoreResult<Page<User>> {
        self.inner.users(username, page).await
    }

    async fn users_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<User>> {
        let key = format!("users:{ids:?}");
        self.read(&self.access, key, self.inner.users_by_ids(ids))
            .await
    }

    async fn create_personal_token(&self, token: &NewPersonalToken) -> StoreResult<PersonalToken> {
        let result = self.inner.create_personal_token(token).await;
        self.changed();
        result
    }

    async fn personal_token(&self, id: i64) -> StoreResult<Option<PersonalToken>> {
        let key = key(&[&"token:", &id]);
        self.read(&self.access, key, self.inner.personal_token(id))
            .await
    }

    async fn personal_token_by_digest(&self, digest: &str) -> StoreResult<Option<PersonalToken>> {
        let key = key(&[&"token-digest:", &digest]);
        self.read(
            &self.access,
            key,
            self.inner.personal_token_by_digest(digest),
        )
        .await
    }

    async fn touch_personal_token(
        &self,
        id: i64,
        at: Micros,
        resolution: Micros,
    ) -> StoreResult<()> {
        let result = self.inner.touch_personal_token(id, at, resolution).await;
        // Only the token row changed: content stays cached.
        self.access.invalidate();
        result
    }

    async fn server_setting(&self, name: &str) -> StoreResult<Option<String>> {
        self.inner.server_setting(name).await
    }

    async fn settle_server_setting(&self, name: &str, value: &str) -> StoreResult<String> {
        self.inner.settle_server_setting(name, value).await
    }

    async fn audit_events(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditEvent>> {
        // Written by triggers beside every write: always read from the database.
        self.inner.audit_events(filter, page).await
    }

    async fn audit_event(&self, id: i64) -> StoreResult<Option<AuditEvent>> {
        self.inner.audit_event(id).await
    }

    async fn add_rate_counts(
        &self,
        counts: &[(String, i64, i64)],
    ) -> StoreResult<Vec<(String, i64, i64)>> {
        self.inner.add_rate_counts(counts).await
    }

    // Keys are not cached, and nothing cached is built from them.
    async fn claim_idempotency_key(&self, key: &NewIdempotencyKey) -> StoreResult<KeyClaim> {
        self.inner.claim_idempotency_key(key).await
    }

    async fn finish_idempotency_key(
        &self,
        id: i64,
        answer: Option<&KeptAnswer>,
    ) -> StoreResult<()> {
        self.inner.finish_idempotency_key(id, answer).await
    }

    async fn lapse_idempotency_claim(&self, id: i64, at: Micros) -> StoreResult<()> {
        self.inner.lapse_idempotency_claim(id, at).await
    }

    async fn key_token_digests(&self, key: &TokenKey) -> StoreResult<u64> {
        let result = self.inner.key_token_digests(key).await;
        self.changed();
        result
    }

    async fn revoke_personal_token(&self, id: i64) -> StoreResult<bool> {
        let result = self.inner.revoke_personal_token(id).await;
        self.changed();
        result
    }

    async fn ensure_personal_token(&self, token: &NewPersonalToken) -> StoreResult<PersonalToken> {
        let result = self.inner.ensure_personal_token(token).await;
        self.changed();
        result
    }

    async fn create_job_token(&self, token: &NewJobToken) -> StoreResult<JobToken> {
        let result = self.inner.create_job_token(token).await;
        self.changed();
        result
    }

    async fn job_token_by_digest(&self, digest: &str) -> StoreResult<Option<JobToken>> {
        let key = key(&[&"job-digest:", &digest]);
        self.read(&self.access, key, self.inner.job_token_by_digest(digest))
            .await
    }

    async fn create_session(
        &self,
        digest: &str,
        user_id: i64,
        token_id: i64,
        expires_at: crate::domain::time::Micros,
    ) -> StoreResult<Session> {
        let result = self
            .inner
            .create_session(digest, user_id, token_id, expires_at)
            .await;
        self.changed();
        result
    }

    async fn session_by_digest(&self, digest: &str) -> StoreResult<Option<Session>> {
        let key = key(&[&"session:", &digest]);
        self.read(&self.access, key, self.inner.session_by_digest(digest))
            .await
    }

    async fn delete_session(&self, digest: &str) -> StoreResult<()> {
        let result = self.inner.delete_session(digest).await;
        self.changed();
        result
    }

    async fn create_group(&self, group: &NewGroup) -> StoreResult<Namespace> {
        let result = self.inner.create_group(group).await;
        self.changed();
        result
    }

    async fn namespace(&self, id: i64) -> StoreResult<Option<Namespace>> {
        let key = key(&[&"namespace:", &id]);
        self.read(&self.access, key, self.inner.namespace(id)).await
    }

    async fn namespace_by_full_path(&self, full_path: &str) -> StoreResult<Option<Namespace>> {
        let key = format!("namespace-path:{}", full_path.to_lowercase());
        self.read(
            &self.access,
            key,
            self.inner.namespace_by_full_path(full_path),
        )
        .await
    }

    async fn user_namespace(&self, user_id: i64) -> StoreResult<Option<Namespace>> {
        let key = key(&[&"user-namespace:", &user_id]);
        self.read(&self.access, key, self.inner.user_namespace(user_id))
            .await
    }
}
