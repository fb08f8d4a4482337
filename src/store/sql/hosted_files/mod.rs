//! `HostedFiles` in SQL both engines understand: blobs and their pins in `blobs.rs`, generic
//! packages in `packages.rs`, project uploads in `uploads.rs`, and the rows all three read here.
//! `hosted_files_impl!` puts them together into one `impl HostedFiles` per engine.

pub(crate) mod blobs;
pub(crate) mod packages;
pub(crate) mod uploads;

use sqlx::FromRow;

use crate::store::{Blob, Package, PackageFile, Upload};

pub const PACKAGE_COLUMNS: &str = "pk.id, pk.project_id, pk.name, pk.version, pk.package_type, \
     pk.status, pk.creator_id, pk.created_at, pk.updated_at, pk.last_downloaded_at";

#[derive(FromRow)]
pub struct PackageRow {
    id: i64,
    project_id: i64,
    name: String,
    version: String,
    package_type: String,
    status: String,
    creator_id: Option<i64>,
    created_at: i64,
    updated_at: i64,
    last_downloaded_at: Option<i64>,
}

impl From<PackageRow> for Package {
    fn from(r: PackageRow) -> Self {
        Self {
            id: r.id,
            project_id: r.project_id,
            name: r.name,
            version: r.version,
            package_type: r.package_type,
            status: r.status,
            creator_id: r.creator_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
            last_downloaded_at: r.last_downloaded_at,
        }
    }
}

/// A package file with its blob's digests (`b`).
pub const PACKAGE_FILE_COLUMNS: &str = "f.id, f.package_id, f.project_id, f.file_name, \
     f.created_at, f.updated_at, b.sha256, b.size, b.sha1, b.md5";

#[derive(FromRow)]
pub struct PackageFileRow {
    id: i64,
    package_id: i64,
    project_id: i64,
    file_name: String,
    created_at: i64,
    updated_at: i64,
    sha256: String,
    size: i64,
    sha1: String,
    md5: String,
}

impl From<PackageFileRow> for PackageFile {
    fn from(r: PackageFileRow) -> Self {
        Self {
            id: r.id,
            package_id: r.package_id,
            project_id: r.project_id,
            file_name: r.file_name,
            blob: Blob::from((r.sha256, r.size, r.sha1, r.md5)),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// An upload with its blob's digests (`b`).
pub const UPLOAD_COLUMNS: &str = "up.id, up.project_id, up.secret, up.filename, \
     up.uploaded_by_id, up.created_at, b.sha256, b.size, b.sha1, b.md5";

#[derive(FromRow)]
pub struct UploadRow {
    id: i64,
    project_id: i64,
    secret: String,
    filename: String,
    uploaded_by_id: Option<i64>,
    created_at: i64,
    sha256: String,
    size: i64,
    sha1: String,
    md5: String,
}

impl From<UploadRow> for Upload {
    fn from(r: UploadRow) -> Self {
        Self {
            id: r.id,
            project_id: r.project_id,
            secret: r.secret,
            filename: r.filename,
            blob: Blob::from((r.sha256, r.size, r.sha1, r.md5)),
            uploaded_by_id: r.uploaded_by_id,
            created_at: r.created_at,
        }
    }
}

/// Releases an upload's pin and checks, holding the blob's row (locked on PostgreSQL, so
/// that a sweep's claim waits or has happened), that the blob is still there to refer to.
/// Expanded in the module of `hosted_files_impl!`.
macro_rules! hosted_helpers {
    ($store:ty, $db:ty) => {
        async fn release_pin(
            conn: &mut <$db as sqlx::Database>::Connection,
            sha256: &str,
            pin: i64,
        ) -> StoreResult<()> {
            let sql = format!(
                "SELECT deleting FROM blobs WHERE sha256 = $1{}",
                <$store as SqlEngine>::FOR_UPDATE
            );
            let deleting: Option<bool> = sqlx::query_scalar(&sql)
                .bind(sha256)
                .fetch_optional(&mut *conn)
                .await?;
            if deleting != Some(false) {
                return Err(StoreError::BlobSwept);
            }
            sqlx::query("DELETE FROM blob_pins WHERE id = $1")
                .bind(pin)
                .execute(&mut *conn)
                .await?;
            Ok(())
        }
    };
}

pub(crate) use hosted_helpers;

/// Implements `HostedFiles` for an engine's store (`$store`, an
/// [`SqlEngine`](crate::store::sql::engine::SqlEngine) over `$db`).
macro_rules! hosted_files_impl {
    ($store:ty, $db:ty) => {
        #[allow(unused_imports)]
        mod hosted_files_sql {
            use super::*;
            use $crate::domain::pagination::PageRequest;
            use $crate::domain::time::{now_micros, Micros};
            use $crate::store::sql::engine::SqlEngine;
            use $crate::store::sql::hosted_files::*;
            use $crate::store::sql::{conflict, like_pattern, placeholders};
            use $crate::store::*;

            $crate::store::sql::hosted_files::hosted_helpers!($store, $db);

            impl HostedFiles for $store {
                $crate::store::sql::hosted_files::blobs::blob_methods!($store, $db);
                $crate::store::sql::hosted_files::packages::package_methods!($store, $db);
                $crate::store::sql::hosted_files::uploads::upload_methods!($store, $db);
            }
        }
    };
}

pub(crate) use hosted_files_impl;
