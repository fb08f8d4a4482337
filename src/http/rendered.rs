//! Pre-rendered JSON for the answers read most: a release's links, as the links list and every
//! release entity show them. Turning a hundred links into JSON costs more than everything else
//! such a request does, and links change far less often than they are read, so the rendered
//! text is kept in the store's content memo (see [`Store::content_memo`]) and emptied by every
//! write that could change it. Permissions are checked before a memo is consulted: what is
//! kept is the answer's body, never a decision.

use std::future::Future;
use std::sync::Arc;

use axum::body::Bytes;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::entities::{LinkEntity, ReleaseUrls};
use super::error::{ApiError, ApiResult};
use crate::store::{Link, Store, StoreError};

/// A JSON array of link entities, rendered once and shared by every answer that shows it.
#[derive(Debug, Clone)]
pub struct LinksJson {
    json: Arc<RawValue>,
    count: usize,
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
            json: Arc::from(json),
            count: entities.len(),
        })
    }

    /// The bytes the rendered text takes.
    pub fn size(&self) -> usize {
        self.json.get().len()
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
    match store.content_memo() {
        Some(memo) => memo.read_sized(key(), size, compute).await,
        None => compute.await,
    }
}
