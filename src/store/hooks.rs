//! [`Hooks`]: the store's part for webhooks and their events (the outbox the triggers of
//! releases and tags fill in the change's own transaction, and the record of each sending).

use std::future::Future;

use super::{
    Attempt, EventFilter, HookEvent, HookOwner, HookSettings, Link, Page, Release, StoreResult,
    WebHook,
};
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::domain::webhooks::HookHealth;

/// Webhooks and their events.
pub trait Hooks {
    fn create_hook(
        &self,
        owner: HookOwner,
        settings: &HookSettings,
    ) -> impl Future<Output = StoreResult<WebHook>> + Send;
    fn hook(
        &self,
        owner: HookOwner,
        id: i64,
    ) -> impl Future<Output = StoreResult<Option<WebHook>>> + Send;
    /// Any owner's hook (for the sender).
    fn hook_by_id(&self, id: i64) -> impl Future<Output = StoreResult<Option<WebHook>>> + Send;
    fn hooks(
        &self,
        owner: HookOwner,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<WebHook>>> + Send;
    /// Writes the hook's settings (its health is the sender's); `None` when it is gone.
    fn update_hook(
        &self,
        owner: HookOwner,
        id: i64,
        settings: &HookSettings,
    ) -> impl Future<Output = StoreResult<Option<WebHook>>> + Send;
    /// Deletes the hook and its events.
    fn delete_hook(
        &self,
        owner: HookOwner,
        id: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    fn set_hook_health(
        &self,
        id: i64,
        health: HookHealth,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    /// Claims up to `limit` events due at `now`, each the oldest pending event of its hook
    /// (so that a hook's events go out in order), not claimed by another sender: they are
    /// this sender's until `lease_until`.
    fn claim_hook_events(
        &self,
        now: Micros,
        lease_until: Micros,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<HookEvent>>> + Send;
    /// Records an attempt at a claimed event, and the hook's health after it, in one write.
    fn record_attempt(
        &self,
        event: &HookEvent,
        attempt: &Attempt,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records an event sent at once (a test, a resend) with its one attempt.
    fn record_sent_event(
        &self,
        event: &HookEvent,
        attempt: &Attempt,
    ) -> impl Future<Output = StoreResult<HookEvent>> + Send;
    /// Fails the pending events of a hook that is disabled for good, and forgets events of
    /// hooks that are gone and events older than `before`.
    fn sweep_hook_events(&self, before: Micros) -> impl Future<Output = StoreResult<u64>> + Send;
    /// A release and its links (in the links API's order) as the database has them now: what
    /// an event's body is built from (never from a cache, which a write empties only after its
    /// commit).
    fn event_release(
        &self,
        project_id: i64,
        release_id: i64,
    ) -> impl Future<Output = StoreResult<Option<(Release, Vec<Link>)>>> + Send;
    fn hook_events(
        &self,
        hook_id: i64,
        filter: &EventFilter,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<HookEvent>>> + Send;
    fn hook_event(
        &self,
        hook_id: i64,
        id: i64,
    ) -> impl Future<Output = StoreResult<Option<HookEvent>>> + Send;
}
