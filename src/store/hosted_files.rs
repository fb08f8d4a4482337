//! [`HostedFiles`]: the store's part for the files relinks hosts: which blobs exist and who
//! holds them, generic packages and their files, project uploads.
//!
//! The rows keep the promise `crate::blobs` describes: a blob is pinned before its bytes are
//! placed, its file row and the pin's release are one commit, and the sweep claims a blob in a
//! transaction of its own (no file refers to it, no live pin holds it) before its bytes go.
//! On PostgreSQL a pin is live while its instance holds its advisory lock
//! ([`HostedFiles::hold_instance`]): a crashed instance's pins die with its connection.

use std::future::Future;

use super::{
    Blob, Claim, NewPackageFile, NewUpload, Package, PackageFile, PackageFileOrder, PackageQuery,
    Page, StoreResult, Upload,
};
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;

/// Blobs, packages and uploads.
pub trait HostedFiles {
    // Blobs.
    /// Makes this instance's pins live for as long as it runs (PostgreSQL: a connection of its
    /// own holding an advisory lock on `instance`; SQLite: nothing, one process owns the file).
    fn hold_instance(&self, instance: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// How many other instances are running on this database now (0 on SQLite).
    fn other_instances(&self, instance: i64) -> impl Future<Output = StoreResult<i64>> + Send;
    /// Records the blob (when new) and pins it for an upload of `instance` until `expires_at`;
    /// `None` while the sweep is removing that blob (try again shortly).
    fn pin_blob(
        &self,
        blob: &Blob,
        instance: i64,
        expires_at: Micros,
    ) -> impl Future<Output = StoreResult<Option<i64>>> + Send;
    /// Drops a pin whose upload will not be committed.
    fn unpin_blob(&self, pin: i64) -> impl Future<Output = StoreResult<()>> + Send;
    /// Blobs the sweep may try to remove: claimed already, or referred to by nothing and held
    /// by no live pin (`instance` is the sweeping one, `now` decides expiry).
    fn sweepable_blobs(
        &self,
        instance: i64,
        now: Micros,
        limit: i64,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Marks the blob `deleting` when nothing refers to it and no live pin holds it.
    fn claim_blob(
        &self,
        sha256: &str,
        instance: i64,
        now: Micros,
    ) -> impl Future<Output = StoreResult<Claim>> + Send;
    /// Forgets a claimed blob whose bytes are gone.
    fn forget_blob(&self, sha256: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Of these stored blobs, claims those the database does not know (left by a crash or put
    /// there by hand): they are recorded as `deleting`, so that no upload pins them meanwhile.
    fn claim_unknown_blobs(
        &self,
        sha256s: &[String],
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Every blob stored and not being removed (what a copy of the files must carry).
    fn all_blobs(&self) -> impl Future<Output = StoreResult<Vec<Blob>>> + Send;
    /// The blob of that digest, when one is stored and not being removed.
    fn blob(&self, sha256: &str) -> impl Future<Output = StoreResult<Option<Blob>>> + Send;

    // Generic packages.
    /// Finds or creates the package (a racing request's new package is as good as ours),
    /// takes the given status, adds the file and releases the pin, in one transaction. Fails
    /// with `Vanished` when the pin was lost (the upload must be retried).
    fn add_package_file(
        &self,
        file: &NewPackageFile,
    ) -> impl Future<Output = StoreResult<(Package, PackageFile)>> + Send;
    /// The newest file of that name in an installable (default or hidden) package.
    fn generic_package_file(
        &self,
        project_id: i64,
        name: &str,
        version: &str,
        file_name: &str,
    ) -> impl Future<Output = StoreResult<Option<(Package, PackageFile)>>> + Send;
    /// Records a download (GitLab's `last_downloaded_at`).
    fn touch_package(
        &self,
        package_id: i64,
        now: Micros,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    fn packages(
        &self,
        project_id: i64,
        query: &PackageQuery,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Package>>> + Send;
    fn package(
        &self,
        project_id: i64,
        package_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Package>>> + Send;
    /// The project's packages of that type and name, any version (for `versions`).
    fn package_versions(
        &self,
        project_id: i64,
        package_type: &str,
        name: &str,
    ) -> impl Future<Output = StoreResult<Vec<Package>>> + Send;
    fn package_files(
        &self,
        package_id: i64,
        order: PackageFileOrder,
        ascending: bool,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<PackageFile>>> + Send;
    /// The files of several packages (a page), in id order.
    fn files_of_packages(
        &self,
        package_ids: &[i64],
    ) -> impl Future<Output = StoreResult<Vec<PackageFile>>> + Send;
    /// Deletes the package and its files; their blobs are the sweep's.
    fn delete_package(&self, package_id: i64) -> impl Future<Output = StoreResult<bool>> + Send;
    fn delete_package_file(
        &self,
        package_id: i64,
        file_id: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // Uploads.
    /// Records the upload and releases the pin, in one transaction (`Vanished` as above).
    fn create_upload(&self, upload: &NewUpload)
        -> impl Future<Output = StoreResult<Upload>> + Send;
    fn upload_by_secret(
        &self,
        project_id: i64,
        secret: &str,
        filename: &str,
    ) -> impl Future<Output = StoreResult<Option<Upload>>> + Send;
    fn upload(
        &self,
        project_id: i64,
        upload_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Upload>>> + Send;
    /// The project's uploads, newest first.
    fn uploads(
        &self,
        project_id: i64,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Upload>>> + Send;
    fn delete_upload(
        &self,
        project_id: i64,
        upload_id: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
