//! The hooks' part of [`Cached`]: nothing is kept. Hooks are read by their API and by the
//! sender, never on a release's read path, and no write here changes what the other parts keep.

use super::Cached;
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::domain::webhooks::HookHealth;
use crate::store::{
    Attempt, EventFilter, HookEvent, HookOwner, HookSettings, Hooks, Link, Page, Release, Store,
    StoreResult, WebHook,
};

impl<S: Store> Hooks for Cached<S> {
    async fn create_hook(&self, owner: HookOwner, settings: &HookSettings) -> StoreResult<WebHook> {
        self.inner.create_hook(owner, settings).await
    }

    async fn hook(&self, owner: HookOwner, id: i64) -> StoreResult<Option<WebHook>> {
        self.inner.hook(owner, id).await
    }

    async fn hook_by_id(&self, id: i64) -> StoreResult<Option<WebHook>> {
        self.inner.hook_by_id(id).await
    }

    async fn hooks(&self, owner: HookOwner, page: PageRequest) -> StoreResult<Page<WebHook>> {
        self.inner.hooks(owner, page).await
    }

    async fn update_hook(
        &self,
        owner: HookOwner,
        id: i64,
        settings: &HookSettings,
    ) -> StoreResult<Option<WebHook>> {
        self.inner.update_hook(owner, id, settings).await
    }

    async fn delete_hook(&self, owner: HookOwner, id: i64) -> StoreResult<bool> {
        self.inner.delete_hook(owner, id).await
    }

    async fn set_hook_health(&self, id: i64, health: HookHealth) -> StoreResult<()> {
        self.inner.set_hook_health(id, health).await
    }

    async fn claim_hook_events(
        &self,
        now: Micros,
        lease_until: Micros,
        limit: i64,
    ) -> StoreResult<Vec<HookEvent>> {
        self.inner.claim_hook_events(now, lease_until, limit).await
    }

    async fn record_attempt(&self, event: &HookEvent, attempt: &Attempt) -> StoreResult<()> {
        self.inner.record_attempt(event, attempt).await
    }

    async fn record_sent_event(
        &self,
        event: &HookEvent,
        attempt: &Attempt,
    ) -> StoreResult<HookEvent> {
        self.inner.record_sent_event(event, attempt).await
    }

    async fn sweep_hook_events(&self, before: Micros) -> StoreResult<u64> {
        self.inner.sweep_hook_events(before).await
    }

    async fn event_release(
        &self,
        project_id: i64,
        release_id: i64,
    ) -> StoreResult<Option<(Release, Vec<Link>)>> {
        self.inner.event_release(project_id, release_id).await
    }

    async fn hook_events(
        &self,
        hook_id: i64,
        filter: &EventFilter,
        page: PageRequest,
    ) -> StoreResult<Page<HookEvent>> {
        self.inner.hook_events(hook_id, filter, page).await
    }

    async fn hook_event(&self, hook_id: i64, id: i64) -> StoreResult<Option<HookEvent>> {
        self.inner.hook_event(hook_id, id).await
    }
}
