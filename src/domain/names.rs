//! Naming rules for things people type: git tag names, namespace and project paths, and
//! GitLab's derivation of a path from a name.

/// Git's `check-ref-format` rules for a tag name, plus GitLab's extra refusals
/// (`Gitlab::GitRefValidator`): no leading `-`, no `refs/` prefixes, not `HEAD`.
pub fn is_valid_tag_name(name: &str) -> bool {
    if name.is_empty()
        || name == "@"
        || name == "HEAD"
        || name.starts_with('-')
        || name.starts_with('/')
        || name.ends_with('/')
        || name.ends_with('.')
        || name.starts_with("refs/")
        || name.contains("..")
        || name.contains("//")
        || name.contains("@{")
    {
        return false;
    }
    let forbidden = |c: char| c.is_ascii_control() || " ~^:?*[\\".contains(c);
    if name.chars().any(forbidden) {
        return false;
    }
    name.split('/')
        .all(|part| !part.starts_with('.') && !part.ends_with(".lock"))
}

/// The message GitLab gives for a bad namespace or project path.
pub const PATH_FORMAT_MESSAGE: &str = "can contain only letters, digits, '_', '-' and '.'. \
     Cannot start with '-', end in '.git' or end in '.atom'";

/// Top-level paths that would shadow relinks' own routes.
const RESERVED_TOP_LEVEL: [&str; 12] = [
    "-",
    "api",
    "assets",
    "dashboard",
    "explore",
    "groups",
    "help",
    "oauth",
    "projects",
    "search",
    "uploads",
    "users",
];

/// GitLab's path rule for namespaces and projects.
pub fn is_valid_path(path: &str) -> bool {
    let mut chars = path.chars();
    let starts_well = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    starts_well
        && path.len() <= 255
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !path.ends_with('.')
        && !path.ends_with(".git")
        && !path.ends_with(".atom")
}

/// Whether a path may not be used for a top-level namespace (user or group).
pub fn is_reserved_top_level(path: &str) -> bool {
    RESERVED_TOP_LEVEL
        .iter()
        .any(|r| r.eq_ignore_ascii_case(path))
}

/// Rails' `parameterize`, which GitLab uses to make a project path from its name:
/// lower case, runs of other characters become one `-`, no leading or trailing `-`.
pub fn parameterize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_dash = false;
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
    }
    out.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_names_follow_git() {
        for ok in ["v1.0", "release/1.0", "v1+b", "1.2.3-rc.1", "ä"] {
            assert!(is_valid_tag_name(ok), "{ok}");
        }
        for bad in [
            "", "-v", "a..b", "a b", "a~", "a:b", "a/", "/a", "a.lock", "x/.y", "HEAD", "a@{1}",
            "v1.",
        ] {
            assert!(!is_valid_tag_name(bad), "{bad}");
        }
    }

    #[test]
    fn paths_and_parameterize() {
        assert!(is_valid_path("my-project.v2"));
        assert!(!is_valid_path("-x"));
        assert!(!is_valid_path("x.git"));
        assert!(!is_valid_path("a/b"));
        assert_eq!(parameterize("My Awesome Project!"), "my-awesome-project");
        assert_eq!(parameterize("  lead"), "lead");
    }
}
