//! Tags that are semantic versions (SemVer 2.0.0, with an optional leading `v`), for listing
//! releases in version order and for the latest permalinks' channels (extensions).
//!
//! A version is kept as a sort key: a string whose byte order is SemVer's precedence, so that
//! both engines sort releases by it in SQL and a page of them is one `ORDER BY`. Build metadata
//! is left out, as precedence ignores it. Tags that are not versions have the empty key.

/// The sort key of `tag`, or `None` when it is not a semantic version.
///
/// The encoding: each number is its digit count in two digits, then its digits (SemVer allows
/// no leading zeros, so longer is greater); the three numbers of the core, then `~` for a
/// release or `!` for a pre-release (`!` < `~`: a pre-release precedes its release), then each
/// pre-release identifier (`1` and a number, or `2`, the identifier and `!`, which sorts below
/// every character an identifier may hold), then `0`, which ends the list below any further
/// identifier.
pub fn sort_key(tag: &str) -> Option<String> {
    let version = tag
        .strip_prefix('v')
        .or_else(|| tag.strip_prefix('V'))
        .unwrap_or(tag);
    let without_build = match version.split_once('+') {
        Some((version, build)) => {
            if !build.split('.').all(is_identifier) {
                return None;
            }
            version
        }
        None => version,
    };
    let (core, pre) = match without_build.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (without_build, None),
    };
    let mut key = String::with_capacity(tag.len() + 16);
    let mut numbers = core.split('.');
    for _ in 0..3 {
        push_number(&mut key, numbers.next()?)?;
    }
    if numbers.next().is_some() {
        return None;
    }
    let Some(pre) = pre else {
        key.push('~');
        return Some(key);
    };
    key.push('!');
    for identifier in pre.split('.') {
        if !is_identifier(identifier) {
            return None;
        }
        if identifier.bytes().all(|b| b.is_ascii_digit()) {
            key.push('1');
            push_number(&mut key, identifier)?;
        } else {
            key.push('2');
            key.push_str(identifier);
            key.push('!');
        }
    }
    key.push('0');
    Some(key)
}

/// The key is of a release, not a pre-release (the `stable` channel).
pub fn is_stable_key(key: &str) -> bool {
    key.ends_with('~')
}

/// SemVer's identifiers: ASCII letters, digits and hyphens, at least one.
fn is_identifier(identifier: &str) -> bool {
    !identifier.is_empty()
        && identifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A numeric identifier: digits, without a leading zero unless it is `0`; at most 99 digits.
fn push_number(key: &mut String, digits: &str) -> Option<()> {
    let numeric = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit());
    if !numeric || (digits.len() > 1 && digits.starts_with('0')) || digits.len() > 99 {
        return None;
    }
    key.push_str(&format!("{:02}", digits.len()));
    key.push_str(digits);
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_specifications_examples_are_in_precedence_order() {
        // SemVer 2.0.0, item 11.
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
            "10.0.0",
        ];
        let keys: Vec<String> = ordered.iter().map(|t| sort_key(t).unwrap()).collect();
        for pair in keys.windows(2) {
            assert!(pair[0] < pair[1], "{pair:?}");
        }
    }

    #[test]
    fn a_leading_v_and_build_metadata_are_ignored() {
        assert_eq!(sort_key("v1.2.3"), sort_key("1.2.3"));
        assert_eq!(sort_key("1.2.3+build.5"), sort_key("1.2.3"));
        assert_eq!(
            sort_key("v1.2.3-rc.1+exp.sha.5114f85"),
            sort_key("1.2.3-rc.1")
        );
    }

    #[test]
    fn tags_that_are_not_versions_have_no_key() {
        for tag in [
            "",
            "v",
            "1",
            "1.2",
            "1.2.3.4",
            "01.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3-01",
            "1.2.3-a..b",
            "1.2.3+",
            "1.2.3-a_b",
            "release-1",
            "latest",
            "vv1.2.3",
            "1.2.x",
        ] {
            assert_eq!(sort_key(tag), None, "{tag}");
        }
    }

    #[test]
    fn channels() {
        assert!(is_stable_key(&sort_key("v2.0.0").unwrap()));
        assert!(!is_stable_key(&sort_key("v2.0.0-rc.1").unwrap()));
    }
}
