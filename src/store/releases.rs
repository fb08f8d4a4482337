//! [`Releases`]: the store's part for releases and their links.

use std::future::Future;

use super::{
    Counts, DownloadCount, Link, LinkChanges, NewLink, NewRelease, Page, Release, ReleaseChanges,
    ReleaseQuery, StoreResult,
};
use crate::domain::downloads::{Day, Subject};
use crate::domain::link::LinkConflicts;
use crate::domain::pagination::PageRequest;
use crate::domain::release_policy::LatestPick;

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
    /// The latest release that is not upcoming at `now`: the newest `released_at` (GitLab's),
    /// or the highest semantic version, among the releases of the channel when one is asked.
    fn latest_release(
        &self,
        project_id: i64,
        now: crate::domain::time::Micros,
        pick: LatestPick,
    ) -> impl Future<Output = StoreResult<Option<Release>>> + Send;
    /// Whether the project has a release published by `now` (one that is immutable when the
    /// project's releases are).
    fn has_published_releases(
        &self,
        project_id: i64,
        now: crate::domain::time::Micros,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Gives the releases made before relinks kept version keys theirs; how many it gave.
    fn fill_version_keys(&self) -> impl Future<Output = StoreResult<u64>> + Send;

    // Download counts (never cached: they change all day and no answer is made from them
    // twice).
    /// Adds counts to those stored, in one transaction.
    fn add_download_counts(
        &self,
        counts: &[DownloadCount],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The stored counts of these subjects added up per day, from day `from` to day `to`,
    /// days without downloads left out.
    fn download_days(
        &self,
        subject: Subject,
        subject_ids: &[i64],
        from: Day,
        to: Day,
    ) -> impl Future<Output = StoreResult<Vec<(Day, i64)>>> + Send;
    /// Every day's counts added up, for each of `subject_ids` that has any.
    fn download_totals(
        &self,
        subject: Subject,
        subject_ids: &[i64],
    ) -> impl Future<Output = StoreResult<Vec<(i64, i64)>>> + Send;

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
    /// Fails with [`StoreError::LinkConflict`](super::StoreError::LinkConflict) when a unique
    /// rule is hit, and with [`StoreError::Full`](super::StoreError::Full) when the release
    /// holds `max_links` links already (counted in the same statement as the insert). Touches
    /// the release.
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
    /// Lists the release's links in the order of `ids` from now on (links created later follow
    /// them). `ids` must name every link of the release exactly once, checked in the same
    /// transaction ([`crate::domain::link_order::is_complete_order`]): `Ok(false)` and nothing changed
    /// otherwise. Touches the release.
    fn order_links(
        &self,
        release_id: i64,
        ids: &[i64],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Makes the release's links exactly `links`, in this order, in one transaction: a link
    /// whose name is wanted keeps its id (and its old filepaths keep leading to it), the others
    /// go, the rest are created. The set must be valid as a whole
    /// ([`crate::domain::link_order::replacement_messages`]); more than `max_links` links fail
    /// with [`StoreError::Full`](super::StoreError::Full). Touches the release.
    fn replace_links(
        &self,
        release_id: i64,
        links: &[NewLink],
        max_links: i64,
    ) -> impl Future<Output = StoreResult<Vec<Link>>> + Send;
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
