//! Packages and their files: `API::Entities::Package`, `API::Entities::PackageFile`, the record
//! a generic upload with `select=package_file` answers with, and project uploads
//! (`API::Entities::ProjectUpload`, `MarkdownUploadAdmin`).

use serde::Serialize;
use utoipa::ToSchema;

use super::UserBasic;
use crate::domain::packages::is_displayable;
use crate::domain::time::format_micros;
use crate::domain::uploads;
use crate::http::urls::{escape_segment, Urls};
use crate::store::{Package, PackageFile, Project, Upload, User};

#[derive(Debug, Serialize, ToSchema)]
pub struct PackageLinks {
    /// Only for packages whose page is shown (`default`, `deprecated`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_path: Option<String>,
    /// Only for callers who may delete the package.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delete_api_path: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackageVersion {
    pub id: i64,
    pub version: String,
    pub created_at: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PackageEntity {
    pub id: i64,
    pub name: String,
    pub version: String,
    pub package_type: String,
    pub status: String,
    pub _links: PackageLinks,
    pub created_at: String,
    pub last_downloaded_at: Option<String>,
    pub tags: Vec<String>,
    /// `GET /packages/:id` only: the other versions of the same name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<Vec<PackageVersion>>,
}

impl PackageEntity {
    pub fn new(urls: &Urls, project: &Project, package: &Package, may_delete: bool) -> Self {
        Self {
            id: package.id,
            name: package.name.clone(),
            version: package.version.clone(),
            package_type: package.package_type.clone(),
            status: package.status.clone(),
            _links: PackageLinks {
                web_path: is_displayable(&package.status)
                    .then(|| package_web_path(project, package.id)),
                delete_api_path: may_delete.then(|| {
                    urls.absolute(&format!(
                        "/api/v4/projects/{}/packages/{}",
                        project.id, package.id
                    ))
                }),
            },
            created_at: format_micros(package.created_at),
            last_downloaded_at: package.last_downloaded_at.map(format_micros),
            tags: Vec::new(),
            versions: None,
        }
    }

    /// With the other displayable versions of its name (`GET /packages/:id`).
    pub fn with_versions(mut self, all: &[Package]) -> Self {
        self.versions = Some(
            all.iter()
                .filter(|p| p.id != self.id && is_displayable(&p.status))
                .map(|p| PackageVersion {
                    id: p.id,
                    version: p.version.clone(),
                    created_at: format_micros(p.created_at),
                    tags: Vec::new(),
                })
                .collect(),
        );
        self
    }
}

/// `/<project>/-/packages/<id>`: the package's page.
pub fn package_web_path(project: &Project, package_id: i64) -> String {
    format!("/{}/-/packages/{package_id}", project.full_path())
}

/// `API::Entities::PackageFile`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageFileEntity {
    pub id: i64,
    pub package_id: i64,
    pub created_at: String,
    pub file_name: String,
    pub size: i64,
    pub file_md5: Option<String>,
    pub file_sha1: Option<String>,
    pub file_sha256: Option<String>,
}

impl From<&PackageFile> for PackageFileEntity {
    fn from(file: &PackageFile) -> Self {
        Self {
            id: file.id,
            package_id: file.package_id,
            created_at: format_micros(file.created_at),
            file_name: file.file_name.clone(),
            size: file.blob.size,
            file_md5: Some(file.blob.md5.clone()),
            file_sha1: Some(file.blob.sha1.clone()),
            file_sha256: Some(file.blob.sha256.clone()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StoredFile {
    /// Where the file is, relative to the storage (GitLab's `file.url`).
    pub url: String,
}

/// The package file record a generic upload with `select=package_file` answers with (GitLab
/// presents the database row itself; semantic-release reads `file.url`).
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageFileRecord {
    pub id: i64,
    pub package_id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub size: i64,
    pub file_store: i64,
    pub file_md5: Option<String>,
    pub file_sha1: Option<String>,
    pub file_name: String,
    pub file: StoredFile,
    pub file_sha256: String,
    pub verification_retry_at: Option<String>,
    pub verified_at: Option<String>,
    pub verification_failure: Option<String>,
    pub verification_retry_count: Option<i64>,
    pub verification_checksum: Option<String>,
    pub verification_state: i64,
    pub verification_started_at: Option<String>,
    pub status: String,
    pub new_file_path: Option<String>,
    pub project_id: i64,
}

impl PackageFileRecord {
    pub fn new(file: &PackageFile, object_storage: bool) -> Self {
        let sha = &file.blob.sha256;
        Self {
            id: file.id,
            package_id: file.package_id,
            created_at: format_micros(file.created_at),
            updated_at: format_micros(file.updated_at),
            size: file.blob.size,
            // GitLab's `ObjectStorage::Store`: 1 local, 2 remote.
            file_store: if object_storage { 2 } else { 1 },
            file_md5: Some(file.blob.md5.clone()),
            file_sha1: Some(file.blob.sha1.clone()),
            file_name: file.file_name.clone(),
            file: StoredFile {
                url: format!(
                    "/{}/{}/{sha}/packages/{}/files/{}/{}",
                    sha.get(..2).unwrap_or_default(),
                    sha.get(2..4).unwrap_or_default(),
                    file.package_id,
                    file.id,
                    file.file_name
                ),
            },
            file_sha256: sha.clone(),
            verification_retry_at: None,
            verified_at: None,
            verification_failure: None,
            verification_retry_count: None,
            verification_checksum: None,
            verification_state: 0,
            verification_started_at: None,
            status: "default".into(),
            new_file_path: None,
            project_id: file.project_id,
        }
    }
}

/// The answer to `POST /projects/:id/uploads` (`API::Entities::ProjectUpload`).
#[derive(Debug, Serialize, ToSchema)]
pub struct ProjectUploadEntity {
    pub id: i64,
    pub alt: String,
    pub url: String,
    pub full_path: String,
    pub markdown: String,
}

impl ProjectUploadEntity {
    pub fn new(upload: &Upload) -> Self {
        let file = escape_segment(&upload.filename);
        let url = format!("/uploads/{}/{file}", upload.secret);
        Self {
            id: upload.id,
            alt: uploads::alt(&upload.filename),
            full_path: upload_full_path(upload),
            markdown: uploads::markdown(&upload.filename, &url),
            url,
        }
    }
}

/// `/-/project/<id>/uploads/<secret>/<file>`: where an upload is served (GitLab 17.1 and later).
pub fn upload_full_path(upload: &Upload) -> String {
    format!(
        "/-/project/{}/uploads/{}/{}",
        upload.project_id,
        upload.secret,
        escape_segment(&upload.filename)
    )
}

/// An upload as `GET /projects/:id/uploads` lists it (`MarkdownUploadAdmin`).
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadListEntity {
    pub id: i64,
    pub size: i64,
    pub filename: String,
    pub created_at: String,
    #[schema(value_type = Option<UserBasic>)]
    pub uploaded_by: Option<UploaderEntity>,
}

/// Who uploaded a file: `id`, `name`, `username`.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploaderEntity {
    pub id: i64,
    pub name: String,
    pub username: String,
}

impl UploadListEntity {
    pub fn new(upload: &Upload, uploader: Option<&User>) -> Self {
        Self {
            id: upload.id,
            size: upload.blob.size,
            filename: upload.filename.clone(),
            created_at: format_micros(upload.created_at),
            uploaded_by: uploader.map(|u| UploaderEntity {
                id: u.id,
                name: u.name.clone(),
                username: u.username.clone(),
            }),
        }
    }
}
