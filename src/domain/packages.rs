//! GitLab's rules for generic packages: what a package name, a version, a file name and a
//! directory path may be (`Gitlab::Regex::Packages`, Grape's `file_path` validator), the
//! parameter errors in GitLab's words and order, how a file uploaded under a directory is
//! named, and the statuses a package can have.

use super::access::{can_read_project, AccessLevel, Actor, ProjectSettings, Visibility};

/// The longest name, version or file name GitLab's columns hold (`varchar(255)`).
pub const MAX_LENGTH: usize = 255;

/// Statuses an upload may set (`status=`): GitLab's generic API accepts these two.
pub const UPLOAD_STATUSES: [&str; 2] = ["default", "hidden"];

/// Every package status, as `GET /packages?status=` accepts them.
pub const STATUSES: [&str; 6] = [
    "default",
    "hidden",
    "processing",
    "error",
    "pending_destruction",
    "deprecated",
];

/// Every package type GitLab knows (`GET /packages?package_type=`); relinks stores `generic`
/// ones only, the others simply match nothing.
pub const PACKAGE_TYPES: [&str; 16] = [
    "maven",
    "npm",
    "conan",
    "nuget",
    "pypi",
    "composer",
    "generic",
    "golang",
    "debian",
    "rubygems",
    "helm",
    "terraform_module",
    "rpm",
    "ml_model",
    "cargo",
    "conda",
];

fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+')
}

/// `generic_package_name_regex`: `\A[A-Za-z0-9\.\_\-\+]+\z`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.len() <= MAX_LENGTH && name.chars().all(name_char)
}

/// `generic_package_version_regex`: `\A(?!.*\.\.)[\w+.-]+\z` (`\w` is ASCII here). A version
/// is one path segment, so it never holds `/`.
pub fn is_valid_version(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= MAX_LENGTH
        && !version.contains("..")
        && version.chars().all(name_char)
}

/// A generic file name: the name characters, and `~` and `@` anywhere but first or last
/// (GitLab 17.10 and later).
pub fn is_valid_file_name(name: &str) -> bool {
    let inner = |c: char| name_char(c) || matches!(c, '~' | '@');
    !name.is_empty()
        && name.len() <= MAX_LENGTH
        && name.chars().all(inner)
        && !name.starts_with(['~', '@'])
        && !name.ends_with(['~', '@'])
}

/// Grape's `file_path` validator (`API::Validations::Validators::FilePath`): no traversal
/// (`.`, `..`, `../…`, `…/..`, `…/../…`, with either slash), no newline, and (as generic
/// packages allow no absolute path) no leading `/`.
pub fn is_safe_path(path: &str) -> bool {
    let traverses = path == "."
        || path == ".."
        || path.starts_with("../")
        || path.starts_with("..\\")
        || path.ends_with("/..")
        || path.ends_with("\\..")
        || path.contains("/../")
        || path.contains("\\..\\")
        || path.contains("/..\\")
        || path.contains("\\../");
    !traverses && !path.contains('\n') && !path.starts_with('/')
}

/// A directory path of a file (`…/1.0.0/dir/sub/file.txt`): safe, and made of non-empty
/// segments of name characters.
pub fn is_valid_directory(path: &str) -> bool {
    is_safe_path(path)
        && path.len() <= MAX_LENGTH
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment.chars().all(name_char))
}

/// What a generic upload or download names, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenericPath {
    pub name: String,
    pub version: String,
    /// The directory between version and file name, if any.
    pub directory: Option<String>,
    pub file_name: String,
}

impl GenericPath {
    /// The name the file is stored under: `URI.encode_uri_component("<dir>/<file>")` when it
    /// has a directory (`dir%2Fsub%2Ffile.txt`), else the file name itself.
    pub fn stored_file_name(&self) -> String {
        match &self.directory {
            Some(directory) => encode_uri_component(&format!("{directory}/{}", self.file_name)),
            None => self.file_name.clone(),
        }
    }
}

/// JavaScript's `encodeURIComponent`, as Ruby's `URI.encode_uri_component`: everything but
/// `A-Z a-z 0-9 - _ . ! ~ * ' ( )` is percent-encoded.
pub fn encode_uri_component(text: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'!')
        .remove(b'~')
        .remove(b'*')
        .remove(b'\'')
        .remove(b'(')
        .remove(b')');
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// Checks the parts of a generic package path as Grape declares them (name, version, path,
/// file name; each `regexp` before `file_path`), giving GitLab's parameter errors in order.
pub fn check_generic_path(
    name: &str,
    version: &str,
    directory: Option<&str>,
    file_name: &str,
) -> Result<GenericPath, Vec<String>> {
    let mut errors = Vec::new();
    if !is_valid_name(name) {
        errors.push("package_name is invalid".to_owned());
    } else if !is_safe_path(name) {
        errors.push("package_name should be a valid file path".to_owned());
    }
    if !is_valid_version(version) {
        errors.push("package_version is invalid".to_owned());
    }
    if let Some(directory) = directory {
        if !is_safe_path(directory) {
            errors.push("path should be a valid file path".to_owned());
        } else if !is_valid_directory(directory) {
            errors.push("path is invalid".to_owned());
        }
    }
    if !is_valid_file_name(file_name) {
        errors.push("file_name is invalid".to_owned());
    } else if !is_safe_path(file_name) {
        errors.push("file_name should be a valid file path".to_owned());
    }
    if errors.is_empty() {
        Ok(GenericPath {
            name: name.to_owned(),
            version: version.to_owned(),
            directory: directory.map(str::to_owned),
            file_name: file_name.to_owned(),
        })
    } else {
        Err(errors)
    }
}

/// Whether a package of this status can be downloaded (GitLab's `installable`).
pub fn is_installable(status: &str) -> bool {
    matches!(status, "default" | "hidden" | "deprecated")
}

/// Whether a package of this status is listed and shown by id (GitLab's `displayable`).
pub fn is_displayable(status: &str) -> bool {
    matches!(status, "default" | "error" | "deprecated")
}

/// `read_package`: whoever may read a public or internal project; reporters and up on a
/// private one (GitLab lets guests pull only behind a setting relinks does not have).
pub fn can_read_packages(actor: &Actor, project: &ProjectSettings) -> bool {
    can_read_project(actor, project)
        && (actor.admin
            || project.visibility != Visibility::Private
            || actor.at_least(AccessLevel::REPORTER))
}

/// `create_package`: developers and up.
pub fn can_create_package(actor: &Actor, project: &ProjectSettings) -> bool {
    can_read_project(actor, project) && (actor.admin || actor.at_least(AccessLevel::DEVELOPER))
}

/// `destroy_package`: maintainers and up.
pub fn can_destroy_package(actor: &Actor) -> bool {
    actor.admin || actor.at_least(AccessLevel::MAINTAINER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_as_gitlab_specifies_them() {
        for ok in [
            "123",
            "my_package",
            "foo.bar.baz-2.0-20190901.47283-1",
            "a+b",
        ] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "my file name", "$foo/bar", "!!()()", "a/b", "é"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert!(!is_valid_name(&"a".repeat(256)));
    }

    #[test]
    fn versions_as_gitlab_specifies_them() {
        for ok in [
            "1.2.3",
            "1.2",
            "1.2.bananas",
            "v1.2.4-build",
            "1.3.350-20201230123456",
            "this_is_a_string_only",
            "0123456789abcdef0123456789abcdef01234567",
        ] {
            assert!(is_valid_version(ok), "{ok}");
        }
        for bad in [
            "",
            "..1.2.3",
            "1..2",
            "%2e%2e%2f1.2.3",
            "1.2.3-4/../../",
            "1 2",
        ] {
            assert!(!is_valid_version(bad), "{bad}");
        }
    }

    #[test]
    fn file_names_as_gitlab_specifies_them() {
        for ok in ["my+file.tar.gz", "my~file.tar.gz", "myfile@1.1.tar.gz", "a"] {
            assert!(is_valid_file_name(ok), "{ok}");
        }
        for bad in [
            "~myfile.tar.gz",
            "myfile.tar.gz~",
            "@myfile",
            "myfile@",
            "a b",
            "a/b",
            "",
        ] {
            assert!(!is_valid_file_name(bad), "{bad}");
        }
    }

    #[test]
    fn traversal_is_refused_in_every_part() {
        assert_eq!(
            check_generic_path("..", "1.0", None, "f"),
            Err(vec!["package_name should be a valid file path".to_owned()])
        );
        assert_eq!(
            check_generic_path("p", "1.0", None, ".."),
            Err(vec!["file_name should be a valid file path".to_owned()])
        );
        assert_eq!(
            check_generic_path("p", "1.0", Some("../x"), "f"),
            Err(vec!["path should be a valid file path".to_owned()])
        );
        assert_eq!(
            check_generic_path("my package", "1..0", None, "~f"),
            Err(vec![
                "package_name is invalid".to_owned(),
                "package_version is invalid".to_owned(),
                "file_name is invalid".to_owned(),
            ])
        );
        assert!(is_safe_path("dir/sub"));
        assert!(!is_safe_path("/abs"));
        assert!(!is_safe_path("a\nb"));
        assert!(!is_valid_directory("a//b"));
    }

    #[test]
    fn a_file_under_a_directory_is_stored_encoded() {
        let path =
            check_generic_path("p", "1.0", Some("path/to"), "myfile.tar.gz").expect("a valid path");
        assert_eq!(path.stored_file_name(), "path%2Fto%2Fmyfile.tar.gz");
        let plain = check_generic_path("p", "1.0", None, "my+file").expect("valid");
        assert_eq!(plain.stored_file_name(), "my+file");
        assert_eq!(encode_uri_component("a b+c~d"), "a%20b%2Bc~d");
    }

    #[test]
    fn who_may_do_what_with_packages() {
        use crate::domain::access::FeatureAccess;
        let project = |visibility| ProjectSettings {
            visibility,
            releases_access: FeatureAccess::Enabled,
        };
        let member = |level: i64| Actor {
            signed_in: true,
            admin: false,
            level: Some(AccessLevel(level)),
        };
        let outsider = Actor {
            signed_in: true,
            admin: false,
            level: None,
        };
        assert!(can_read_packages(
            &Actor::ANONYMOUS,
            &project(Visibility::Public)
        ));
        assert!(!can_read_packages(
            &Actor::ANONYMOUS,
            &project(Visibility::Internal)
        ));
        assert!(can_read_packages(&outsider, &project(Visibility::Internal)));
        assert!(!can_read_packages(
            &member(10),
            &project(Visibility::Private)
        ));
        assert!(can_read_packages(
            &member(20),
            &project(Visibility::Private)
        ));
        assert!(!can_create_package(
            &member(20),
            &project(Visibility::Public)
        ));
        assert!(can_create_package(
            &member(30),
            &project(Visibility::Private)
        ));
        assert!(!can_destroy_package(&member(30)));
        assert!(can_destroy_package(&member(40)));
    }

    #[test]
    fn statuses() {
        assert!(is_installable("hidden"));
        assert!(!is_installable("error"));
        assert!(is_displayable("error"));
        assert!(!is_displayable("hidden"));
    }
}
