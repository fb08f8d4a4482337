//! The cache in front of [`Releases`]: a release by tag is kept in the releases part, links in
//! the links part, which a link write alone starts anew.

use super::{key, Cached};
use crate::domain::link::LinkConflicts;
use crate::domain::pagination::PageRequest;
use crate::store::{
    Counts, Link, LinkChanges, NewLink, NewRelease, Page, Release, ReleaseChanges, ReleaseQuery,
    Releases, Store, StoreResult,
};

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

impl<S: Store> Releases for Cached<S> {
    async fn release(&self, project_id: i64, tag: &str) -> StoreResult<Option<Release>> {
        let key = key(&[&"release:", &project_id, &":", &tag]);
        let size = |release: &Option<Release>| {
            release.as_ref().map_or(0, |r| {
                std::mem::size_of::<Release>()
                    + r.tag.len()
                    + r.name.as_ref().map_or(0, String::len)
                    + r.description.as_ref().map_or(0, String::len)
            })
        };
        self.read_sized(
            &self.releases,
            key,
            size,
            self.inner.release(project_id, tag),
        )
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
        pick: crate::domain::release_policy::LatestPick,
    ) -> StoreResult<Option<Release>> {
        self.inner.latest_release(project_id, now, pick).await
    }

    async fn has_published_releases(
        &self,
        project_id: i64,
        now: crate::domain::time::Micros,
    ) -> StoreResult<bool> {
        self.inner.has_published_releases(project_id, now).await
    }

    async fn add_download_counts(&self, counts: &[crate::store::DownloadCount]) -> StoreResult<()> {
        self.inner.add_download_counts(counts).await
    }

    async fn download_days(
        &self,
        subject: crate::domain::downloads::Subject,
        subject_ids: &[i64],
        from: crate::domain::downloads::Day,
        to: crate::domain::downloads::Day,
    ) -> StoreResult<Vec<(crate::domain::downloads::Day, i64)>> {
        self.inner
            .download_days(subject, subject_ids, from, to)
            .await
    }

    async fn download_totals(
        &self,
        subject: crate::domain::downloads::Subject,
        subject_ids: &[i64],
    ) -> StoreResult<Vec<(i64, i64)>> {
        self.inner.download_totals(subject, subject_ids).await
    }

    async fn fill_version_keys(&self) -> StoreResult<u64> {
        let filled = self.inner.fill_version_keys().await;
        self.releases_changed();
        filled
    }

    async fn links_of_releases(&self, release_ids: &[i64]) -> StoreResult<Vec<Link>> {
        let key = format!("release-links:{release_ids:?}");
        let size = |links: &Vec<Link>| links_size(links);
        self.read_sized(
            &self.links,
            key,
            size,
            self.inner.links_of_releases(release_ids),
        )
        .await
    }

    async fn links(&self, release_id: i64, page: PageRequest) -> StoreResult<Page<Link>> {
        let key = key(&[
            &"links:",
            &release_id,
            &":",
            &page.page,
            &":",
            &page.per_page,
        ]);
        let size = |page: &Page<Link>| links_size(&page.0);
        self.read_sized(&self.links, key, size, self.inner.links(release_id, page))
            .await
    }

    async fn link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {
        let key = key(&[&"link:", &release_id, &":", &link_id]);
        let size = |link: &Option<Link>| link.as_ref().map_or(0, link_size);
        self.read_sized(&self.links, key, size, self.inner.link(release_id, link_id))
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

    async fn order_links(&self, release_id: i64, ids: &[i64]) -> StoreResult<bool> {
        let result = self.inner.order_links(release_id, ids).await;
        self.links.invalidate();
        result
    }

    async fn replace_links(
        &self,
        release_id: i64,
        links: &[NewLink],
        max_links: i64,
    ) -> StoreResult<Vec<Link>> {
        let result = self.inner.replace_links(release_id, links, max_links).await;
        self.links.invalidate();
        result
    }

    async fn delete_link(&self, release_id: i64, link_id: i64) -> StoreResult<Option<Link>> {
        let result = self.inner.delete_link(release_id, link_id).await;
        self.links.invalidate();
        result
    }

    async fn link_by_filepath(&self, release_id: i64, filepath: &str) -> StoreResult<Option<Link>> {
        let key = key(&[&"link-path:", &release_id, &":", &filepath]);
        self.read(
            &self.links,
            key,
            self.inner.link_by_filepath(release_id, filepath),
        )
        .await
    }

    async fn counts(&self) -> StoreResult<Counts> {
        self.inner.counts().await
    }
}
