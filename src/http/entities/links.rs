//! A release's links: the link entity, and the links of a release rendered to JSON once (the
//! answers read most). Turning a hundred links into JSON costs more than everything else such a
//! request does, and links change far less often than they are read, so the rendered text is
//! kept in the store's content memo (see [`Store::content_memo`]) and emptied by every write that
//! could change it. Permissions are checked before a memo is consulted: what is kept is the
//! answer's body, never a decision.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::http::conditional::BodyDigest;
use crate::http::error::{ApiError, ApiResult};
use crate::http::urls::Urls;
use crate::store::{Link, Project, Store, StoreError};

#[derive(Debug, Serialize, ToSchema)]
pub struct LinkEntity {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub direct_asset_url: String,
    /// Deprecated in GitLab, kept as the seed documents it: the URL is outside the project.
    pub external: bool,
    #[schema(value_type = LinkTypeName)]
    pub link_type: &'static str,
    /// relinks' extension: `sha256:<hex>`, only when the link has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// relinks' extension: the size in bytes, only when known (a file hosted here, or a
    /// verified link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
}

/// A link just verified (relinks' extension): the link, and when its file was hashed.
#[derive(Debug, Serialize, ToSchema)]
pub struct VerifiedLink {
    #[serde(flatten)]
    pub link: LinkEntity,
    /// When relinks fetched and hashed the file (ISO 8601).
    pub verified_at: String,
}

/// A 200 whose body is `links` as the links list renders them (and tagged with their digest).
pub fn rendered_links(urls: &ReleaseUrls, links: &[Link]) -> ApiResult<axum::response::Response> {
    let rendered = LinksJson::render(urls, links)?;
    let mut response =
        crate::http::error::rendered_json_response(axum::http::StatusCode::OK, rendered.body());
    response.extensions_mut().insert(rendered.digest());
    Ok(response)
}

/// The kinds of link GitLab knows.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LinkTypeName {
    Other,
    Runbook,
    Image,
    Package,
}

/// What every link of one release shares, computed once per answer rather than per link.
pub struct ReleaseUrls {
    /// The project's `web_url`: links under it are not external.
    project_url: String,
    /// `…/-/releases/<tag>/downloads/`, the start of every permanent link of the release.
    downloads: String,
}

impl ReleaseUrls {
    pub fn new(urls: &Urls, project: &Project, tag: &str) -> Self {
        let full_path = project.full_path();
        Self {
            project_url: urls.project(&full_path),
            downloads: format!("{}/downloads/", urls.release(&full_path, tag)),
        }
    }
}

impl LinkEntity {
    pub fn new(release: &ReleaseUrls, link: &Link) -> Self {
        let direct_asset_url = match &link.filepath {
            Some(filepath) => format!(
                "{}{}",
                release.downloads,
                crate::http::urls::escape_path(filepath.trim_start_matches('/'))
            ),
            None => link.url.clone(),
        };
        Self {
            id: link.id,
            name: link.name.clone(),
            url: link.url.clone(),
            direct_asset_url,
            external: !link.url.starts_with(&release.project_url),
            link_type: link.link_type.as_str(),
            digest: link.digest.clone(),
            size: link.size,
        }
    }
}

/// A JSON array of link entities, rendered once and shared by every answer that shows it.
#[derive(Debug, Clone)]
pub struct LinksJson {
    json: Arc<RawValue>,
    count: usize,
    digest: BodyDigest,
}

impl LinksJson {
    pub fn render<'a>(
        urls: &ReleaseUrls,
        links: impl IntoIterator<Item = &'a Link>,
    ) -> ApiResult<Self> {
        let entities: Vec<LinkEntity> = links
            .into_iter()
            .map(|link| LinkEntity::new(urls, link))
            .collect();
        // Strings, integers and booleans only: serde_json cannot fail on them.
        let json = serde_json::value::to_raw_value(&entities)
            .map_err(|e| ApiError::Store(StoreError::Corrupt(format!("rendering links: {e}"))))?;
        Ok(Self {
            digest: BodyDigest::of(json.get().as_bytes()),
            json: Arc::from(json),
            count: entities.len(),
        })
    }

    /// The bytes the rendered text takes.
    pub fn size(&self) -> usize {
        self.json.get().len()
    }

    /// The digest of the rendered text, for the answer's tag.
    pub fn digest(&self) -> BodyDigest {
        self.digest
    }

    /// How many links the array holds.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The array as a response body, without copying it.
    pub fn body(&self) -> Bytes {
        Bytes::from_owner(Shared(self.json.clone()))
    }
}

impl Serialize for LinksJson {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(serializer)
    }
}

/// The rendered text kept alive by the response body that sends it.
struct Shared(Arc<RawValue>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        self.0.get().as_bytes()
    }
}

/// Answers `key` from the store's content memo, or computes it (and keeps it when the store
/// has a memo). `size` estimates the bytes a value takes.
pub async fn memoized<S, T, F>(
    store: &S,
    key: impl FnOnce() -> String,
    size: impl FnOnce(&T) -> usize,
    compute: F,
) -> ApiResult<T>
where
    S: Store,
    T: Clone + Send + Sync + 'static,
    F: Future<Output = ApiResult<T>>,
{
    match store.content_memo().await? {
        Some(memo) => memo.read_sized(key(), size, compute).await,
        None => compute.await,
    }
}
