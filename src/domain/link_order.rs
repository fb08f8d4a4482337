//! The explicit order of a release's links (relinks' extension: GitLab lists them newest first,
//! and its users have asked for an order of their own since #30470).

use std::collections::HashSet;

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
