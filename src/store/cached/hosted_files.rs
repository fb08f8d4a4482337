//! The hosted files' part of [`Cached`]: nothing is kept. Files are read once per download
//! (the bytes dwarf the row), and no write here changes what the other parts keep: a project's
//! deletion, which takes its packages and uploads, starts every part anew already.

use super::Cached;
use crate::domain::pagination::PageRequest;
use crate::domain::time::Micros;
use crate::store::{
    Blob, Claim, HostedFiles, NewPackageFile, NewUpload, Package, PackageFile, PackageFileOrder,
    PackageQuery, Page, Store, StoreResult, Upload,
};

impl<S: Store> HostedFiles for Cached<S> {
    async fn hold_instance(&self, instance: i64) -> StoreResult<()> {
        self.inner.hold_instance(instance).await
    }

    async fn other_instances(&self, instance: i64) -> StoreResult<i64> {
        self.inner.other_instances(instance).await
    }

    async fn pin_blob(
        &self,
        blob: &Blob,
        instance: i64,
        expires_at: Micros,
    ) -> StoreResult<Option<i64>> {
        self.inner.pin_blob(blob, instance, expires_at).await
    }

    async fn unpin_blob(&self, pin: i64) -> StoreResult<()> {
        self.inner.unpin_blob(pin).await
    }

    async fn sweepable_blobs(
        &self,
        instance: i64,
        now: Micros,
        limit: i64,
    ) -> StoreResult<Vec<String>> {
        self.inner.sweepable_blobs(instance, now, limit).await
    }

    async fn claim_blob(&self, sha256: &str, instance: i64, now: Micros) -> StoreResult<Claim> {
        self.inner.claim_blob(sha256, instance, now).await
    }

    async fn forget_blob(&self, sha256: &str) -> StoreResult<()> {
        self.inner.forget_blob(sha256).await
    }

    async fn claim_unknown_blobs(&self, sha256s: &[String]) -> StoreResult<Vec<String>> {
        self.inner.claim_unknown_blobs(sha256s).await
    }

    async fn all_blobs(&self) -> StoreResult<Vec<Blob>> {
        self.inner.all_blobs().await
    }

    async fn blob(&self, sha256: &str) -> StoreResult<Option<Blob>> {
        self.inner.blob(sha256).await
    }

    async fn add_package_file(&self, file: &NewPackageFile) -> StoreResult<(Package, PackageFile)> {
        self.inner.add_package_file(file).await
    }

    async fn generic_package_file(
        &self,
        project_id: i64,
        name: &str,
        version: &str,
        file_name: &str,
    ) -> StoreResult<Option<(Package, PackageFile)>> {
        self.inner
            .generic_package_file(project_id, name, version, file_name)
            .await
    }

    async fn touch_package(&self, package_id: i64, now: Micros) -> StoreResult<()> {
        self.inner.touch_package(package_id, now).await
    }

    async fn packages(
        &self,
        project_id: i64,
        query: &PackageQuery,
        page: PageRequest,
    ) -> StoreResult<Page<Package>> {
        self.inner.packages(project_id, query, page).await
    }

    async fn package(&self, project_id: i64, package_id: i64) -> StoreResult<Option<Package>> {
        self.inner.package(project_id, package_id).await
    }

    async fn package_versions(
        &self,
        project_id: i64,
        package_type: &str,
        name: &str,
    ) -> StoreResult<Vec<Package>> {
        self.inner
            .package_versions(project_id, package_type, name)
            .await
    }

    async fn package_files(
        &self,
        package_id: i64,
        order: PackageFileOrder,
        ascending: bool,
        page: PageRequest,
    ) -> StoreResult<Page<PackageFile>> {
        self.inner
            .package_files(package_id, order, ascending, page)
            .await
    }

    async fn files_of_packages(&self, package_ids: &[i64]) -> StoreResult<Vec<PackageFile>> {
        self.inner.files_of_packages(package_ids).await
    }

    async fn delete_package(&self, package_id: i64) -> StoreResult<bool> {
        self.inner.delete_package(package_id).await
    }

    async fn delete_package_file(&self, package_id: i64, file_id: i64) -> StoreResult<bool> {
        self.inner.delete_package_file(package_id, file_id).await
    }

    async fn create_upload(&self, upload: &NewUpload) -> StoreResult<Upload> {
        self.inner.create_upload(upload).await
    }

    async fn upload_by_secret(
        &self,
        project_id: i64,
        secret: &str,
        filename: &str,
    ) -> StoreResult<Option<Upload>> {
        self.inner
            .upload_by_secret(project_id, secret, filename)
            .await
    }

    async fn upload(&self, project_id: i64, upload_id: i64) -> StoreResult<Option<Upload>> {
        self.inner.upload(project_id, upload_id).await
    }

    async fn uploads(&self, project_id: i64, page: PageRequest) -> StoreResult<Page<Upload>> {
        self.inner.uploads(project_id, page).await
    }

    async fn delete_upload(&self, project_id: i64, upload_id: i64) -> StoreResult<bool> {
        self.inner.delete_upload(project_id, upload_id).await
    }
}
