//! Hosted files: the blobs (stored bytes, by digest), generic packages and their files, and
//! project uploads.

use crate::domain::time::Micros;

/// Stored bytes, named by their SHA-256 (hex), with their other digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: i64,
    pub sha1: String,
    pub md5: String,
}

impl From<(String, i64, String, String)> for Blob {
    /// A blob from its columns `sha256, size, sha1, md5`.
    fn from((sha256, size, sha1, md5): (String, i64, String, String)) -> Self {
        Self {
            sha256,
            size,
            sha1,
            md5,
        }
    }
}

/// A generic package: a name and version of a project, holding files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    pub id: i64,
    pub project_id: i64,
    pub name: String,
    pub version: String,
    pub package_type: String,
    /// `default` or `hidden` (GitLab's statuses a generic upload can set).
    pub status: String,
    pub creator_id: Option<i64>,
    pub created_at: Micros,
    pub updated_at: Micros,
    pub last_downloaded_at: Option<Micros>,
}

/// One file of a package (a name may be uploaded again: the newest is served).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageFile {
    pub id: i64,
    pub package_id: i64,
    pub project_id: i64,
    pub file_name: String,
    pub blob: Blob,
    pub created_at: Micros,
    pub updated_at: Micros,
}

/// A file to add to a package, found or made by name and version.
#[derive(Debug, Clone)]
pub struct NewPackageFile {
    pub project_id: i64,
    pub name: String,
    pub version: String,
    /// The package's status when given (a new package is `default` otherwise; an existing
    /// one takes it).
    pub status: Option<String>,
    pub file_name: String,
    pub creator_id: Option<i64>,
    /// The blob, placed already, and the pin that holds it (released by the same commit).
    pub sha256: String,
    pub pin: i64,
}

/// How a package listing is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PackageOrder {
    #[default]
    CreatedAt,
    Name,
    Version,
    Type,
}

/// `GET /projects/:id/packages`'s filters, as GitLab's `PackagesFinder` applies them.
#[derive(Debug, Clone, Default)]
pub struct PackageQuery {
    pub order: PackageOrder,
    pub ascending: bool,
    pub package_type: Option<String>,
    /// Case-insensitive substring of the name.
    pub name: Option<String>,
    /// The exact version.
    pub version: Option<String>,
    /// One status; none: the displayable ones (`default`, `error`, `deprecated`).
    pub status: Option<String>,
}

/// How a package's files are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PackageFileOrder {
    #[default]
    Id,
    CreatedAt,
    FileName,
}

/// A file uploaded to a project (`POST /projects/:id/uploads`), served under its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: i64,
    pub project_id: i64,
    /// 32 lower-case hex digits: the unguessable part of its URL.
    pub secret: String,
    pub filename: String,
    pub blob: Blob,
    pub uploaded_by_id: Option<i64>,
    pub created_at: Micros,
}

/// An upload to record.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub project_id: i64,
    pub secret: String,
    pub filename: String,
    pub uploaded_by_id: Option<i64>,
    /// The blob, placed already, and the pin that holds it (released by the same commit).
    pub sha256: String,
    pub pin: i64,
}

/// What the sweep may do with a blob.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Claim {
    /// Marked `deleting`: remove its bytes, then forget it.
    Claimed,
    /// Something refers to it, or a live upload holds it: keep it.
    Kept,
    /// No such blob (forgotten already).
    Gone,
}
