//! A release's links as a set (relinks' extensions): their explicit order (GitLab lists them
//! newest first; its users have asked for an order of their own since #30470), and replacing
//! the whole set at once (GitLab MR !50300, #333957).

use std::collections::HashSet;

use super::link::{validation_messages, LinkCandidate, LinkConflicts};
use super::release::too_long;

/// The answer when an order leaves a link out, names one twice or names another release's.
pub const INCOMPLETE_ORDER: &str = "ids must list every link of the release exactly once";

/// Whether `ids` names each of `existing` exactly once, and nothing else.
pub fn is_complete_order(existing: &[i64], ids: &[i64]) -> bool {
    let wanted: HashSet<i64> = ids.iter().copied().collect();
    wanted.len() == ids.len()
        && ids.len() == existing.len()
        && existing.iter().all(|id| wanted.contains(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_names_every_link_once() {
        assert!(is_complete_order(&[1, 2, 3], &[3, 1, 2]));
        assert!(is_complete_order(&[], &[]));
        assert!(!is_complete_order(&[1, 2, 3], &[3, 1]), "one left out");
        assert!(!is_complete_order(&[1, 2], &[1, 2, 2]), "one twice");
        assert!(
            !is_complete_order(&[1, 2], &[1, 1]),
            "one twice, one left out"
        );
        assert!(!is_complete_order(&[1, 2], &[1, 9]), "another release's");
    }
}

/// A link of a release as a replacement of its set sees it.
#[derive(Debug, Clone)]
pub struct CurrentLink {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub filepath: Option<String>,
}

/// A link of the set a release is to have.
#[derive(Debug, Clone)]
pub struct WantedLink<'a> {
    pub name: &'a str,
    pub url: &'a str,
    pub filepath: Option<&'a str>,
    pub digest: Option<&'a str>,
}

/// How a release's links become the wanted set: links whose name is wanted keep their id
/// (`kept[i]`: the id the i-th wanted link keeps, if any), the others go. Kept links holding a
/// URL or filepath that another wanted link takes are first moved aside (`aside`), so that
/// the unique rules need to hold for the final set only, not for each step towards it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReplacePlan {
    pub kept: Vec<Option<i64>>,
    pub deleted: Vec<i64>,
    pub aside: Vec<i64>,
}

/// GitLab's messages for each link of a replacement set, in validator order, each prefixed by
/// the link's place in the set (`links[2]: Url has already been taken`). A link that takes a
/// name, URL or filepath an earlier one of the set has breaks the unique rule: the release's
/// other links are all replaced, so the set itself is all there is to compare with. Empty
/// means the set is valid.
pub fn replacement_messages(wanted: &[WantedLink<'_>], max_name: usize) -> Vec<String> {
    let mut messages = Vec::new();
    for (i, link) in wanted.iter().enumerate() {
        let earlier = &wanted[..i];
        let conflicts = LinkConflicts {
            url: earlier.iter().any(|e| e.url == link.url),
            name: earlier.iter().any(|e| e.name == link.name),
            filepath: link.filepath.is_some()
                && earlier.iter().any(|e| e.filepath == link.filepath),
        };
        let candidate = LinkCandidate {
            name: Some(link.name),
            url: Some(link.url),
            filepath: link.filepath,
            digest: link.digest,
        };
        let mut own = validation_messages(&candidate, &conflicts);
        // relinks' own limit, listed with the other name messages (as for one link).
        if let Some(problem) = too_long(Some(link.name), max_name) {
            let at = own
                .iter()
                .position(|m| m.starts_with("Filepath"))
                .unwrap_or(own.len());
            own.insert(at, format!("Name {problem}"));
        }
        messages.extend(own.into_iter().map(|m| format!("links[{i}]: {m}")));
    }
    messages
}

/// The plan of a replacement whose set is valid ([`replacement_messages`] is empty).
pub fn plan_replacement(current: &[CurrentLink], wanted: &[WantedLink<'_>]) -> ReplacePlan {
    let kept: Vec<Option<i64>> = wanted
        .iter()
        .map(|w| current.iter().find(|c| c.name == w.name).map(|c| c.id))
        .collect();
    let deleted = current
        .iter()
        .filter(|c| !kept.contains(&Some(c.id)))
        .map(|c| c.id)
        .collect();
    let wanted_by_another = |c: &CurrentLink| {
        wanted.iter().zip(&kept).any(|(w, id)| {
            *id != Some(c.id)
                && (w.url == c.url || (c.filepath.is_some() && w.filepath == c.filepath.as_deref()))
        })
    };
    let aside = current
        .iter()
        .filter(|c| kept.contains(&Some(c.id)) && wanted_by_another(c))
        .map(|c| c.id)
        .collect();
    ReplacePlan {
        kept,
        deleted,
        aside,
    }
}

#[cfg(test)]
mod replace_tests {
    use super::*;

    fn current(id: i64, name: &str, url: &str, filepath: Option<&str>) -> CurrentLink {
        CurrentLink {
            id,
            name: name.into(),
            url: url.into(),
            filepath: filepath.map(Into::into),
        }
    }

    fn wanted<'a>(name: &'a str, url: &'a str, filepath: Option<&'a str>) -> WantedLink<'a> {
        WantedLink {
            name,
            url,
            filepath,
            digest: None,
        }
    }

    #[test]
    fn names_keep_ids_and_swaps_move_aside_first() {
        let now = [
            current(1, "a", "u1", Some("/a")),
            current(2, "b", "u2", Some("/b")),
            current(3, "c", "u3", None),
        ];
        // a and b swap URLs, c goes, d comes.
        let plan = plan_replacement(
            &now,
            &[
                wanted("b", "u1", Some("/b")),
                wanted("a", "u2", Some("/a")),
                wanted("d", "u3", None),
            ],
        );
        assert_eq!(plan.kept, [Some(2), Some(1), None]);
        assert_eq!(plan.deleted, [3]);
        assert_eq!(plan.aside, [1, 2]);
        // A new link takes a kept link's URL, which that link leaves: the holder moves aside.
        let plan = plan_replacement(
            &now,
            &[wanted("x", "u1", None), wanted("a", "u7", Some("/a"))],
        );
        assert_eq!((plan.kept, plan.aside), (vec![None, Some(1)], vec![1]));
        // Nothing taken from another kept link: nothing aside (a deleted link's URL is free).
        let plan = plan_replacement(
            &now,
            &[wanted("a", "u3", Some("/a")), wanted("b", "u9", Some("/b"))],
        );
        assert_eq!(plan.aside, Vec::<i64>::new());
        assert_eq!(plan.deleted, [3]);
        // A filepath swap moves aside too.
        let plan = plan_replacement(
            &now,
            &[wanted("a", "u1", Some("/b")), wanted("b", "u2", Some("/a"))],
        );
        assert_eq!(plan.aside, [1, 2]);
    }
}
