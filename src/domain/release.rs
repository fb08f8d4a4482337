//! A release's own rules: the length of its name and description, and the links it is created
//! with (each link's rules, then duplicates among them, as GitLab's
//! `NestedAttributesDuplicatesValidator` reports them), in GitLab's words.

use std::collections::HashSet;

use super::link::{self, LinkCandidate, LinkConflicts};

/// GitLab's `MAX_TEXT_SIZE_LIMIT` for release descriptions.
pub const MAX_DESCRIPTION_LENGTH: usize = 1_000_000;

/// The limits relinks sets where GitLab sets none (guards against abuse, far above what CI jobs
/// send), from its configuration.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Longest link or release name, in characters.
    pub max_name_length: usize,
    /// Most links one release may hold.
    pub max_links: i64,
}

/// `is too long (maximum is N characters)` when `value` is longer than `max` characters.
pub fn too_long(value: Option<&str>, max: usize) -> Option<String> {
    value
        .filter(|v| v.chars().count() > max)
        .map(|_| format!("is too long (maximum is {max} characters)"))
}

/// The name's problem, if it has one (relinks' own guard: GitLab sets no limit).
pub fn name_problem(name: Option<&str>, limits: &Limits) -> Option<String> {
    too_long(name, limits.max_name_length)
}

/// The description's problem, if it has one (GitLab's text size limit).
pub fn description_problem(description: Option<&str>) -> Option<String> {
    too_long(description, MAX_DESCRIPTION_LENGTH)
}

/// The messages of the links a release is created with (`Links url is blocked: …`, `Links have
/// duplicate values (…)`); empty when they may be saved.
pub fn asset_link_messages(links: &[LinkCandidate<'_>], limits: &Limits) -> Vec<String> {
    let mut messages: Vec<String> = Vec::new();
    if links.len() as i64 > limits.max_links {
        messages.push(format!(
            "Links are too many (maximum is {})",
            limits.max_links
        ));
    }
    for candidate in links {
        let mut own = link::validation_messages(candidate, &LinkConflicts::default());
        if let Some(problem) = name_problem(candidate.name, limits) {
            own.push(format!("Name {problem}"));
        }
        for message in own {
            let nested = format!("Links {}{}", message[..1].to_lowercase(), &message[1..]);
            if !messages.contains(&nested) {
                messages.push(nested);
            }
        }
    }
    if messages.is_empty() {
        type Attribute = for<'a> fn(&LinkCandidate<'a>) -> Option<&'a str>;
        let attributes: [Attribute; 3] = [|l| l.name, |l| l.url, |l| l.filepath];
        for value_of in attributes {
            let mut seen = HashSet::new();
            let mut duplicates: Vec<&str> = Vec::new();
            for value in links.iter().filter_map(value_of) {
                if !seen.insert(value) && !duplicates.contains(&value) {
                    duplicates.push(value);
                }
            }
            if !duplicates.is_empty() {
                messages.push(format!(
                    "Links have duplicate values ({})",
                    duplicates.join(", ")
                ));
            }
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        max_name_length: 5,
        max_links: 2,
    };

    fn link<'a>(name: &'a str, url: &'a str, filepath: Option<&'a str>) -> LinkCandidate<'a> {
        LinkCandidate {
            name: Some(name),
            url: Some(url),
            filepath,
            digest: None,
        }
    }

    #[test]
    fn lengths_are_counted_in_characters() {
        assert_eq!(name_problem(Some("ééééé"), &LIMITS), None);
        assert_eq!(
            name_problem(Some("éééééé"), &LIMITS).as_deref(),
            Some("is too long (maximum is 5 characters)")
        );
        assert_eq!(name_problem(None, &LIMITS), None);
        assert_eq!(description_problem(Some("short")), None);
    }

    #[test]
    fn each_links_rules_then_duplicates_among_them() {
        let bad = [
            link("", "nope", Some("/x")),
            link("toolong", "https://e.x/a", None),
        ];
        assert_eq!(
            asset_link_messages(&bad, &LIMITS),
            vec![
                "Links url is blocked: Only allowed schemes are http, https, ftp",
                "Links name can't be blank",
                "Links filepath is in an invalid format",
                "Links name is too long (maximum is 5 characters)",
            ]
        );
        let twins = [
            link("a", "https://e.x/1", None),
            link("a", "https://e.x/1", None),
        ];
        assert_eq!(
            asset_link_messages(&twins, &LIMITS),
            vec![
                "Links have duplicate values (a)",
                "Links have duplicate values (https://e.x/1)"
            ]
        );
        let many = [
            link("a", "https://e.x/1", None),
            link("b", "https://e.x/2", None),
            link("c", "https://e.x/3", None),
        ];
        assert_eq!(
            asset_link_messages(&many, &LIMITS),
            vec!["Links are too many (maximum is 2)"]
        );
        assert!(asset_link_messages(&many[..2], &LIMITS).is_empty());
    }
}
