//! Files hosted here that links lead to (`domain::hosted` tells which URLs name one): the blob a
//! URL names, when it is a file of the same project the asker may download, and what a link to
//! it is given: the file's digest and size (relinks' extension).

use crate::domain::hosted::{hosted_file, HostedRef, ProjectRef};
use crate::domain::packages::can_read_packages;
use crate::http::scope::ProjectScope;
use crate::http::App;
use crate::store::{Blob, NewLink, Project, Store, StoreResult};

/// The message of a declared digest that is not the hosted file's.
pub const DIGEST_MISMATCH: &str = "Digest does not match the hosted file";

fn same_project(reference: &ProjectRef, project: &Project) -> bool {
    match reference {
        ProjectRef::Id(id) => *id == project.id,
        ProjectRef::Path(path) => path.eq_ignore_ascii_case(&project.full_path()),
    }
}

/// The blob of a hosted file of `scope`'s project, when the caller may download it (package
/// files need `read_package`). Other projects' files are left alone: what is said of them would
/// tell a reader of this project about a project they may not see.
pub async fn blob_of<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    reference: HostedRef,
) -> StoreResult<Option<Blob>> {
    let project = &scope.project;
    let packages = can_read_packages(&scope.actor, &scope.settings());
    Ok(match reference {
        HostedRef::Package {
            project: named,
            name,
            version,
            file_name,
        } if packages && same_project(&named, project) => app
            .store
            .generic_package_file(project.id, &name, &version, &file_name)
            .await?
            .map(|(_, file)| file.blob),
        HostedRef::Upload {
            project: named,
            secret,
            filename,
        } if same_project(&named, project) => app
            .store
            .upload_by_secret(project.id, &secret, &filename)
            .await?
            .map(|upload| upload.blob),
        _ => None,
    })
}

/// The digest (`sha256:<hex>`) and size of the hosted file `url` names, if it is one.
pub async fn hosted_facts<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    url: &str,
) -> StoreResult<Option<(String, i64)>> {
    let Some(reference) = hosted_file(url, app.urls.base()) else {
        return Ok(None);
    };
    Ok(blob_of(app, scope, reference)
        .await?
        .map(|blob| (format!("sha256:{}", blob.sha256), blob.size)))
}

/// Gives a new link to a file hosted here the file's digest and size. `false` when the link
/// declares another digest (it is then left as it was).
pub async fn describe<S: Store>(
    app: &App<S>,
    scope: &ProjectScope,
    link: &mut NewLink,
) -> StoreResult<bool> {
    let Some((digest, size)) = hosted_facts(app, scope, &link.url).await? else {
        return Ok(true);
    };
    if link
        .digest
        .as_ref()
        .is_some_and(|declared| *declared != digest)
    {
        return Ok(false);
    }
    link.digest = Some(digest);
    link.size = Some(size);
    Ok(true)
}
