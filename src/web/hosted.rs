//! What the release pages say of the files a project hosts here: for each link whose URL names
//! a generic package file or an upload of the same project (`domain::hosted`), its size and
//! SHA-256, looked up in the database, when the viewer may download it (package files need
//! `read_package`; a digest would let a guest confirm a guess of a file they may not fetch).
//! Links to other projects' files are left alone: the page would otherwise tell a reader of
//! this project about a project they may not see.

use std::collections::HashMap;

use super::pages::HostedView;
use crate::domain::hosted::{hosted_file, human_size};
use crate::http::hosted::blob_of;
use crate::http::scope::ProjectScope;
use crate::http::App;
use crate::store::{Link, Store, StoreResult};

/// The size and digest of each link's hosted file the viewer may download, by link id.
pub async fn hosted_views<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    links: &[Link],
) -> StoreResult<HashMap<i64, HostedView>> {
    let mut views = HashMap::new();
    for link in links {
        let Some(reference) = hosted_file(&link.url, app.urls.base()) else {
            continue;
        };
        if let Some(blob) = blob_of(app, scope, reference).await? {
            views.insert(
                link.id,
                HostedView {
                    size: human_size(blob.size),
                    sha256: blob.sha256,
                },
            );
        }
    }
    Ok(views)
}
