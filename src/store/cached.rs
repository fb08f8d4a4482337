//! A read cache in front of a store that is the only writer of its database (SQLite: one
//! process owns the file). Hot reads (tokens, users, projects, memberships, protected tags,
//! tags, releases, links) are answered from memory. The cache has three parts: who may do what
//! (users, tokens, sessions, namespaces, projects, memberships, protected tags), releases (tags
//! and releases) and links (links, and the HTTP layer's rendered JSON of them). A write starts
//! a new generation of every part it can change, before it is acknowledged: a link write
//! leaves the other parts alone (links come and go all day while releases, tokens and
//! memberships stay), a tag or release write starts releases and links, any other write starts
//! all three.
//!
//! Why this is safe: an entry is stored under the generation read *before* its database read,
//! and is only ever served while that generation is still current. A write bumps the
//! generation after its commit and before it returns, so once a write is acknowledged no read
//! can be served a value from before it. Nothing time-dependent is cached as a decision: token
//! and session expiry are checked on every request from the cached row, and memberships are
//! kept with their expiry dates, judged on the day of each request. One field is exempt: a
//! link write touches its release's `updated_at` in the database (GitLab's `touch: true`) but
//! leaves cached releases alone; no answer shows a release's `updated_at`, and the filters on it
//! are run in the database. PostgreSQL stores are never wrapped: other instances write there
//! too.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::*;
use crate::domain::link::LinkConflicts;
use crate::domain::membership::Grant;
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::domain::token::TokenKey;

/// Entries kept at most; beyond, the cache starts empty again (memory stays bounded).
const MAX_ENTRIES: usize = 50_000;

/// Bytes kept at most (an estimate: the values' own sizes and their text), by the same rule.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// A value larger than this is never kept: one huge answer would empty the cache for nothing.
const MAX_VALUE_BYTES: usize = MAX_BYTES / 16;

type Value = Arc<dyn Any + Send + Sync>;

#[derive(Default)]
struct Entries {
    generation: u64,
    map: HashMap<String, Value>,
    bytes: usize,
}

impl Entries {
    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}

/// The cache itself, shared by the store's clones.
#[derive(Default)]
pub struct ReadCache {
    generation: AtomicU64,
    entries: RwLock<Entries>,
}

impl ReadCache {
    /// Every cached value is stale from now on.
    pub fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    fn get<T: Clone + 'static>(&self, key: &str, generation: u64) -> Option<T> {
        {
            // Readers share the lock; only a new generation needs it alone, to empty the map.
            let entries = self.entries.read().ok()?;
            if entries.generation == generation {
                return entries.map.get(key)?.downcast_ref::<T>().cloned();
            }
        }
        let mut entries = self.entries.write().ok()?;
        if entries.generation < generation {
            entries.clear();
            entries.generation = generation;
        }
        None
    }

    fn put<T: Send + Sync + 'static>(&self, key: String, value: T, generation: u64, bytes: usize) {
        let bytes = bytes + key.len();
        if bytes > MAX_VALUE_BYTES {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        // A write started a new generation since the read began: the value may be older.
        if entries.generation != generation || self.generation.load(Ordering::Acquire) != generation
        {
            return;
        }
        if entries.map.len() >= MAX_ENTRIES || entries.bytes + bytes > MAX_BYTES {
            entries.clear();
        }
        entries.bytes += bytes;
        entries.map.insert(key, Arc::new(value));
    }

    /// Answers `key` from memory, or runs `read` and remembers its answer.
    pub async fn read<T, E, F>(&self, key: String, read: F) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        self.read_sized(key, |_| std::mem::size_of::<T>(), read)
            .await
    }

    /// [`Self::read`] for values that hold more than their own size (lists, text): `size`
    /// estimates the bytes one takes.
    pub async fn read_sized<T, E, F>(
        &self,
        key: String,
        size: impl FnOnce(&T) -> usize,
        read: F,
    ) -> Result<T, E>
    where
        T: Clone + Send + Sync + 'static,
        F: Future<Output = Result<T, E>>,
    {
        let generation = self.generation.load(Ordering::Acquire);
        if let Some(value) = self.get::<T>(&key, generation) {
            return Ok(value);
        }
        let value = read.await?;
        let bytes = size(&value);
        self.put(key, value.clone(), generation, bytes);
        Ok(value)
    }
}

/// The bytes a link takes, text included.
fn link_size(link: &Link) -> usize {
    std::mem::size_of::<Link>()
        + link.name.len()
        + link.url.len()
        + link.filepath.as_ref().map_or(0, String::len)
}

fn links_size(links: &[Link]) -> usize {
    links.iter().map(link_size).sum()
}

/// The bytes a user's memberships take.
fn grants_size(groups: &[Grant]) -> usize {
    std::mem::size_of::<MemberGrants>() + std::mem::size_of_val(groups)
}

/// A store with a [`ReadCache`] for each part in front.
#[derive(Clone)]
pub struct Cached<S> {
    inner: S,
    /// Users, tokens, sessions, namespaces, projects, memberships, protected tags.
    access: Arc<ReadCache>,
    /// Tags and releases.
    releases: Arc<ReadCache>,
    /// Links, and what the HTTP layer renders from them.
    links: Arc<ReadCache>,
}

impl<S> Cached<S> {
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            access: Arc::default(),
            releases: Arc::default(),
            links: Arc::default(),
        }
    }

    /// After a write that may change anything.
    fn changed(&self) {
        self.access.invalidate();
        self.releases_changed();
    }

    /// After a write of tags or releases (a release takes its links with it, or brings some).
    fn releases_changed(&self) {
        self.releases.invalidate();
        self.links.invalidate();
    }
}

impl<S: std::fmt::Debug> std::fmt::Debug for Cached<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cached")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S: Store> Store for Cached<S> {
    async fn close(&self) -> () {
        self.inner.close().await
    }

    fn content_memo(&self) -> Option<&ReadCache> {
        Some(&self.links)
    }

    fn pool_usage(&self) -> (u32, usize) {
        self.inner.pool_usage()
    }

    async fn ping(&self) -> StoreResult<()> {
        self.inner.ping().await
    }
}

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
        let key = format!("user:{id}");
        self.access.read(key, self.inner.user(id)).await
    }

    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        self.inner.user_by_username(username).await
    }

    async fn users(&self, username: Option<&str>, page: PageRequest) -> StoreResult<Page<User>> {
        self.inner.users(username, page).await
    }

    async fn users_by_ids(&self, ids: &[i64]) -> StoreResult<Vec<User>> {
        let key = format!("users:{ids:?}");
        self.access.read(key, self.inner.users_by_ids(ids)).await
    }

    async fn create_personal_token(&self, token: &NewPersonalToken) -> StoreResult<PersonalToken> {
        let result = self.inner.create_personal_token(token).await;
        self.changed();
        result
    }

    async fn personal_token(&self, id: i64) -> StoreResult<Option<PersonalToken>> {
        let key = format!("token:{id}");
        self.access.read(key, self.inner.personal_token(id)).await
    }

    async fn personal_token_by_digest(&self, digest: &str) -> StoreResult<Option<PersonalToken>> {
        let key = format!("token-digest:{digest}");
        self.access
            .read(key, self.inner.personal_token_by_digest(digest))
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
        let key = format!("job-digest:{digest}");
        self.access
            .read(key, self.inner.job_token_by_digest(digest))
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
        let key = format!("session:{digest}");
        self.access
            .read(key, self.inner.session_by_digest(digest))
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
        let key = format!("namespace:{id}");
        self.access.read(key, self.inner.namespace(id)).await
    }

    async fn namespace_by_full_path(&self, full_path: &str) -> StoreResult<Option<Namespace>> {
        let key = format!("namespace-path:{}", full_path.to_lowercase());
        self.access
            .read(key, self.inner.namespace_by_full_path(full_path))
            .await
    }

    async fn user_namespace(&self, user_id: i64) -> StoreResult<Option<Namespace>> {
        let key = format!("user-namespace:{user_id}");
        self.access
            .read(key, self.inner.user_namespace(user_id))
            .await
    }
}

impl<S: Store> Projects for Cached<S> {
    async fn create_project(&self, project: &NewProject) -> StoreResult<Project> {
        let result = self.inner.create_project(project).await;
        self.changed();
        result
    }

    async fn project(&self, id: i64) -> StoreResult<Option<Project>> {
        let key = format!("project:{id}");
        self.access.read(key, self.inner.project(id)).await
    }

    async fn project_by_full_path(&self, full_path: &str) -> StoreResult<Option<Project>> {
        let key = format!("project-path:{}", full_path.to_lowercase());
        self.access
            .read(key, self.inner.project_by_full_path(full_path))
            .await
    }

    async fn project_by_redirect(&self, full_path: &str) -> StoreResult<Option<Project>> {
        let key = format!("project-redirect:{}", full_path.to_lowercase());
        self.access
            .read(key, self.inner.project_by_redirect(full_path))
            .await
    }

    async fn projects(
        &self,
        filter: &ProjectFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Project>> {
        self.inner.projects(filter, page).await
    }

    async fn update_project(&self, id: i64, changes: &ProjectChanges) -> StoreResult<Project> {
        let result = self.inner.update_project(id, changes).await;
        self.changed();
        result
    }

    async fn delete_project(&self, id: i64) -> StoreResult<bool> {
        let result = self.inner.delete_project(id).await;
        self.changed();
        result
    }

    async fn project_name_conflicts(
        &self,
        namespace_id: i64,
        name: &str,
        path: &str,
        except: Option<i64>,
    ) -> StoreResult<(bool, bool)> {
        self.inner
            .project_name_conflicts(namespace_id, name, path, except)
            .await
    }

    async fn member_grants(&self, user_id: i64, project: &Project) -> StoreResult<MemberGrants> {
        // The memberships with their dates, never the levels of one day: a membership that
        // ends at midnight stops counting at midnight whatever is kept here.
        let key = format!("grants:{user_id}:{}", project.id);
        self.access
            .read_sized(
                key,
                |g: &MemberGrants| grants_size(&g.groups),
                self.inner.member_grants(user_id, project),
            )
            .await
    }

    async fn group_owners(&self, group: &Namespace, today: chrono::NaiveDate) -> StoreResult<i64> {
        // Asked only before a membership change: always read from the database.
        self.inner.group_owners(group, today).await
    }

    async fn group_grants(&self, user_id: i64, group: &Namespace) -> StoreResult<Vec<Grant>> {
        let key = format!("group-grants:{user_id}:{}", group.id);
        self.access
            .read_sized(
                key,
                |g: &Vec<Grant>| grants_size(g),
                self.inner.group_grants(user_id, group),
            )
            .await
    }

    async fn members(&self, source: MemberSource, page: PageRequest) -> StoreResult<Page<Member>> {
        self.inner.members(source, page).await
    }

    async fn member(&self, source: MemberSource, user_id: i64) -> StoreResult<Option<Member>> {
        self.inner.member(source, user_id).await
    }

    async fn add_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<chrono::NaiveDate>,
    ) -> StoreResult<Member> {
        let result = self
            .inner
            .add_member(source, user_id, level, expires_at)
            .await;
        self.changed();
        result
    }

    async fn update_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<Option<chrono::NaiveDate>>,
    ) -> StoreResult<Option<Member>> {
        let result = self
            .inner
            .update_member(source, user_id, level, expires_at)
            .await;
        self.changed();
        result
    }

    async fn remove_member(&self, source: MemberSource, user_id: i64) -> StoreResult<bool> {
        let result = self.inner.remove_member(source, user_id).await;
        self.changed();
        result
    }

    async fn protected_tags(&self, project_id: i64) -> StoreResult<Vec<ProtectedTag>> {
        let key = format!("protected:{project_id}");
        self.access
            .read(key, self.inner.protected_tags(project_id))
            .await
    }

    async fn create_protected_tag(
        &self,
        project_id: i64,
        name: &str,
        level: crate::domain::access::AccessLevel,
    ) -> StoreResult<ProtectedTag> {
        let result = self
            .inner
            .create_protected_tag(project_id, name, level)
            .await;
        self.changed();
        result
    }

    async fn delete_protected_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_protected_tag(project_id, name).await;
        self.changed();
        result
    }

    async fn tag(&self, project_id: i64, name: &str) -> StoreResult<Option<Tag>> {
        let key = format!("tag:{project_id}:{name}");
        self.releases
            .read(key, self.inner.tag(project_id, name))
            .await
    }

    async fn tags(
        &self,
        project_id: i64,
        query: &TagQuery,
        page: PageRequest,
    ) -> StoreResult<Page<Tag>> {
        self.inner.tags(project_id, query, page).await
    }

    async fn create_tag(&self, tag: &NewTag) -> StoreResult<Tag> {
        let result = self.inner.create_tag(tag).await;
        self.releases_changed();
        result
    }

    async fn delete_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_tag(project_id, name).await;
        self.releases_changed();
        result
    }
}

impl<S: Store> Releases for Cached<S> {
    async fn release(&self, project_id: i64, tag: &str) -> StoreResult<Option<Release>> {
        let key = format!("release:{project_id}:{tag}");
        let size = |release: &Option<Release>| {
            release.as_ref().map_or(0, |r| {
                std::mem::size_of::<Release>()
                    + r.tag.len()
                    + r.name.as_ref().map_or(0, String::len)
                    + r.description.as_ref().map_or(0, String::len)
            })
        };
        self.releases
            .read_sized(key, size, self.inner.release(project_id, tag))
            .await
    }

    async fn releases_for_tags(
        &self,
        project_id: i64,
        tags: &[String],
    ) -> StoreResult<Vec<Release>> {
        self.inner.releases_for_tags(project_id, tags).await
    }

    async fn releases(
        &self,
        project_id: i64,
        query: &ReleaseQuery,
        page: PageRequest,
    ) -> StoreResult<Page<Release>> {
        self.inner.releases(project_id, query, page).await
    }

    async fn create_release(&self, release: &NewRelease) -> StoreResult<Release> {
        let result = self.inner.create_release(release).await;
        self.releases_changed();
        result
    }

    async fn update_release(&self, id: i64, changes: &ReleaseChanges) -> StoreResult<Release> {
        let result = self.inner.update_release(id, changes).await;
        self.releases_changed();
        result
    }

    async fn delete_release(&self, id: i64) -> StoreResult<bool> {
        let result = self.inner.delete_release(id).await;
        self.releases_changed();
        result
    }

    async fn latest_release(
        &self,
        project_id: i64,
        now: crate::domain::time::Micros,
    ) -> StoreResult<Option<Release>> {
        self.inner.latest_release(project_id, now).await
    }

    async fn links_of_releases(&self, release_ids: &[i64]) -> StoreResult<Vec<Link>> {
        let key = format!("release-links:{release_ids:?}");
        let size = |links: &Vec<Link>| links_size(links);
        self.links
            .read_sized(key, size, self.inner.links_of_releases(release_ids))
            .await
    }

    async fn links(&self, release_id: i64, page: PageRequest) -> StoreResult<Page<Link>> {
        let key = format!("links:{release_id}:{}:{}", page.page, page.per_page);
        let size = |page: &Page<Link>| links_size(&page.0);
        self.links
            .read_sized(key, size, self.inner.links(release_id, page))
            .await
    }

    async fn link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {
        let key = format!("link:{release_id}:{link_id}");
        let size = |link: &Option<Link>| link.as_ref().map_or(0, link_size);
        self.links
            .read_sized(key, size, self.inner.link(release_id, link_id))
            .await
    }

    async fn link_conflicts(
        &self,
        release_id: i64,
        candidate: &NewLink,
        except: Option<i64>,
    ) -> StoreResult<LinkConflicts> {
        self.inner
            .link_conflicts(release_id, candidate, except)
            .await
    }

    async fn create_link(
        &self,
        release_id: i64,
        link: &NewLink,
        max_links: i64,
    ) -> StoreResult<Link> {
        let result = self.inner.create_link(release_id, link, max_links).await;
        self.links.invalidate();
        result
    }

    async fn update_link(
        &self,
        release_id: i64,
        link_id: i64,
        changes: &LinkChanges,
    ) -> StoreResult<Option<Link>> {
        let result = self.inner.update_link(release_id, link_id, changes).await;
        self.links.invalidate();
        result
    }

    async fn delete_link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {
        let result = self.inner.delete_link(release_id, link_id).await;
        self.links.invalidate();
        result
    }

    async fn link_by_filepath(&self, release_id: i64, filepath: &str) -> StoreResult<Option<Link>> {
        let key = format!("link-path:{release_id}:{filepath}");
        self.links
            .read(key, self.inner.link_by_filepath(release_id, filepath))
            .await
    }

    async fn counts(&self) -> StoreResult<Counts> {
        self.inner.counts().await
    }
}

#[cfg(test)]
mod expiry_tests;

#[cfg(test)]
mod tests {
    use super::*;
    async fn read_counted(cache: &ReadCache, key: &str, bytes: usize, reads: &AtomicU64) -> u64 {
        let value = cache
            .read_sized(key.to_owned(), |_| bytes, async {
                Ok::<_, ()>(reads.fetch_add(1, Ordering::SeqCst))
            })
            .await;
        value.unwrap_or(u64::MAX)
    }

    #[tokio::test]
    async fn memory_stays_within_its_byte_budget() {
        let cache = ReadCache::default();
        let reads = AtomicU64::new(0);
        // Kept: the second read is answered from memory.
        read_counted(&cache, "small", 100, &reads).await;
        read_counted(&cache, "small", 100, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 1);
        // Too large to keep: read every time.
        read_counted(&cache, "huge", MAX_VALUE_BYTES + 1, &reads).await;
        read_counted(&cache, "huge", MAX_VALUE_BYTES + 1, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), 3);
        // Filling the budget starts the cache over: the first entry is read again.
        for i in 0..(MAX_BYTES / MAX_VALUE_BYTES + 1) {
            read_counted(&cache, &format!("big{i}"), MAX_VALUE_BYTES - 16, &reads).await;
        }
        let before = reads.load(Ordering::SeqCst);
        read_counted(&cache, "small", 100, &reads).await;
        assert_eq!(reads.load(Ordering::SeqCst), before + 1);
        let entries = cache.entries.read().map(|e| e.bytes).unwrap_or(usize::MAX);
        assert!(entries <= MAX_BYTES, "{entries} bytes kept");
    }
}
