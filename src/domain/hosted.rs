//! Which file hosted by this relinks a link's URL names, if any: a generic package file
//! (`<base>/api/v4/projects/<id>/packages/generic/<name>/<version>/[dir/]<file>`) or a project
//! upload (`<base>/-/project/<id>/uploads/<secret>/<file>`, or the older
//! `<base>/<project>/uploads/<secret>/<file>`). The pages show such a file's size and digest.

use percent_encoding::percent_decode_str;

use super::packages::check_generic_path;
use super::uploads::is_secret;

/// The project a hosted file's URL names: by id, or by full path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectRef {
    Id(i64),
    Path(String),
}

/// A file hosted here, as a URL names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostedRef {
    Package {
        project: ProjectRef,
        name: String,
        version: String,
        /// As stored (a directory's `/` encoded).
        file_name: String,
    },
    Upload {
        project: ProjectRef,
        secret: String,
        filename: String,
    },
}

fn decode(segment: &str) -> Option<String> {
    percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(std::borrow::Cow::into_owned)
}

fn project(segment: &str) -> Option<ProjectRef> {
    let decoded = decode(segment)?;
    Some(match decoded.parse::<i64>() {
        Ok(id) => ProjectRef::Id(id),
        Err(_) => ProjectRef::Path(decoded),
    })
}

/// The hosted file `url` names, when it is a URL of this relinks (`base`, its external URL).
pub fn hosted_file(url: &str, base: &str) -> Option<HostedRef> {
    let path = url.strip_prefix(base.trim_end_matches('/'))?;
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match segments.as_slice() {
        ["api", "v4", "projects", id, "packages", "generic", name, version, rest @ ..]
            if !rest.is_empty() =>
        {
            let (file, directories) = rest.split_last()?;
            let directories: Option<Vec<String>> = directories.iter().map(|s| decode(s)).collect();
            let directories = directories?;
            let directory = (!directories.is_empty()).then(|| directories.join("/"));
            let checked = check_generic_path(
                &decode(name)?,
                &decode(version)?,
                directory.as_deref(),
                &decode(file)?,
            )
            .ok()?;
            Some(HostedRef::Package {
                project: project(id)?,
                file_name: checked.stored_file_name(),
                name: checked.name,
                version: checked.version,
            })
        }
        ["-", "project", id, "uploads", secret, filename] => upload(project(id)?, secret, filename),
        [project_path @ .., "uploads", secret, filename]
            if project_path.len() >= 2 && !project_path.contains(&"-") =>
        {
            let parts: Option<Vec<String>> = project_path.iter().map(|s| decode(s)).collect();
            upload(ProjectRef::Path(parts?.join("/")), secret, filename)
        }
        _ => None,
    }
}

fn upload(project: ProjectRef, secret: &str, filename: &str) -> Option<HostedRef> {
    if !is_secret(secret) {
        return None;
    }
    Some(HostedRef::Upload {
        project,
        secret: secret.to_owned(),
        filename: decode(filename)?,
    })
}

/// A size as people read it: `812 B`, `12.4 KiB`, `3.1 MiB`, `1.2 GiB`.
pub fn human_size(bytes: i64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut size = bytes as f64 / 1024.0;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    format!("{size:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://relinks.example";

    #[test]
    fn package_file_urls() {
        assert_eq!(
            hosted_file("https://relinks.example/api/v4/projects/7/packages/generic/app/1.0/dir/app%2Etar.gz", BASE),
            Some(HostedRef::Package {
                project: ProjectRef::Id(7),
                name: "app".into(),
                version: "1.0".into(),
                file_name: "dir%2Fapp.tar.gz".into(),
            })
        );
        assert_eq!(
            hosted_file(
                "https://relinks.example/api/v4/projects/g%2Fp/packages/generic/app/1.0/f?x=1",
                BASE
            ),
            Some(HostedRef::Package {
                project: ProjectRef::Path("g/p".into()),
                name: "app".into(),
                version: "1.0".into(),
                file_name: "f".into(),
            })
        );
        assert_eq!(
            hosted_file(
                "https://elsewhere.example/api/v4/projects/7/packages/generic/a/1/f",
                BASE
            ),
            None
        );
        assert_eq!(
            hosted_file(
                "https://relinks.example/api/v4/projects/7/packages/generic/a/1..0/f",
                BASE
            ),
            None
        );
    }

    #[test]
    fn upload_urls() {
        let secret = "0123456789abcdef0123456789abcdef";
        assert_eq!(
            hosted_file(
                &format!("{BASE}/-/project/3/uploads/{secret}/notes%20x.pdf"),
                BASE
            ),
            Some(HostedRef::Upload {
                project: ProjectRef::Id(3),
                secret: secret.into(),
                filename: "notes x.pdf".into(),
            })
        );
        assert_eq!(
            hosted_file(
                &format!("{BASE}/group/sub/app/uploads/{secret}/a.bin"),
                BASE
            ),
            Some(HostedRef::Upload {
                project: ProjectRef::Path("group/sub/app".into()),
                secret: secret.into(),
                filename: "a.bin".into(),
            })
        );
        assert_eq!(
            hosted_file(&format!("{BASE}/app/uploads/{secret}/a.bin"), BASE),
            None
        );
        assert_eq!(
            hosted_file(&format!("{BASE}/g/p/uploads/nothex/a.bin"), BASE),
            None
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(12_700), "12.4 KiB");
        assert_eq!(human_size(3_250_000), "3.1 MiB");
        assert_eq!(human_size(1_288_490_189), "1.2 GiB");
    }
}
