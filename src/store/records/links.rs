//! Release links (asset links) and their changes.

use crate::domain::link::LinkType;
use crate::domain::time::Micros;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub id: i64,
    pub release_id: i64,
    pub name: String,
    pub url: String,
    pub filepath: Option<String>,
    pub link_type: LinkType,
    /// `sha256:<64 lowercase hex>`, when declared or known (relinks' extension).
    pub digest: Option<String>,
    /// Bytes, when known: a file hosted here, or a verified link (relinks' extension).
    pub size: Option<i64>,
    pub created_at: Micros,
    pub updated_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewLink {
    pub name: String,
    pub url: String,
    pub filepath: Option<String>,
    pub link_type: LinkType,
    pub digest: Option<String>,
    pub size: Option<i64>,
}

/// Changes to a link; `None` keeps the stored value (`filepath: Some(None)` clears it).
#[derive(Debug, Clone, Default)]
pub struct LinkChanges {
    pub name: Option<String>,
    pub url: Option<String>,
    pub filepath: Option<Option<String>>,
    pub link_type: Option<LinkType>,
    /// `Some(None)` clears it.
    pub digest: Option<Option<String>>,
    /// `Some(None)` clears it.
    pub size: Option<Option<i64>>,
}

impl NewLink {
    /// The link as a replacement of a release's set compares it with the others.
    pub fn wanted(&self) -> crate::domain::link_order::WantedLink<'_> {
        crate::domain::link_order::WantedLink {
            name: &self.name,
            url: &self.url,
            filepath: self.filepath.as_deref(),
            digest: self.digest.as_deref(),
        }
    }
}

impl From<Link> for NewLink {
    fn from(link: Link) -> Self {
        NewLink {
            name: link.name,
            url: link.url,
            filepath: link.filepath,
            link_type: link.link_type,
            digest: link.digest,
            size: link.size,
        }
    }
}

impl Link {
    /// The link as it would be after `changes`.
    pub fn with_changes(&self, changes: &LinkChanges) -> Link {
        Link {
            name: changes.name.clone().unwrap_or_else(|| self.name.clone()),
            url: changes.url.clone().unwrap_or_else(|| self.url.clone()),
            filepath: changes
                .filepath
                .clone()
                .unwrap_or_else(|| self.filepath.clone()),
            link_type: changes.link_type.unwrap_or(self.link_type),
            digest: changes
                .digest
                .clone()
                .unwrap_or_else(|| self.digest.clone()),
            size: changes.size.unwrap_or(self.size),
            ..self.clone()
        }
    }
}
