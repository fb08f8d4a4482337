//! Property tests of the domain rules over generated inputs: the filepath validator against
//! GitLab's own regex (run by a regex engine with look-ahead; relinks also refuses `.` and `..`
//! segments), the URL validator's scheme and
//! line-break rules, offset pagination maths, and Rack's parameter parsing. More cases:
//! `PROPTEST_CASES=100000 cargo test --release --test integration properties::`.

use fancy_regex::Regex;
use proptest::prelude::*;
use serde_json::{Map, Value};

use relinks::domain::link::{check_url, filepath_problem, BlockedUrl};
use relinks::domain::pagination::{PageInfo, PageRequest, MAX_PER_PAGE};
use relinks::http::params::{parse_nested_query, to_query};

/// `Releases::Link::FILEPATH_REGEX`, with Ruby's ASCII-only `\w` and `.` that stops at `\n`.
fn gitlab_filepath_regex() -> Regex {
    Regex::new(r"\A/[^/](?!.*//.*)[\-\.A-Za-z0-9_/]+[0-9a-zA-Z]+\z").expect("regex")
}

/// Filepath-like strings: mostly the characters the rule is about, some that it refuses.
fn filepath_like() -> impl Strategy<Value = String> {
    prop_oneof![
        "/[a-zA-Z0-9_./-]{0,12}",
        "/[a-z/.é -]{0,8}[a-z0-9]{0,2}",
        "[/a-z.]{0,6}",
        "/[^\n]{0,10}",
        "/[a-z]{1,3}\n//[a-z]{1,3}",
        "/[a-z0-9]{120,135}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn filepaths_are_judged_as_gitlab_judges_them(path in filepath_like()) {
        let too_long = path.chars().count() > 128;
        // GitLab's regex, and relinks' one deliberate addition: no `.` or `..` segment.
        let dotted = path.split('/').any(|s| s == "." || s == "..");
        let matches = gitlab_filepath_regex().is_match(&path).expect("regex runs") && !dotted;
        let expected = if too_long {
            Some("is too long (maximum is 128 characters)")
        } else if matches {
            None
        } else {
            Some("is in an invalid format")
        };
        prop_assert_eq!(filepath_problem(&path), expected, "for {:?}", path);
    }

    #[test]
    fn only_http_https_and_ftp_are_allowed(
        scheme in "[a-zA-Z][a-zA-Z0-9+.-]{0,8}",
        host in "[a-z0-9][a-z0-9.-]{0,20}",
        path in "(/[a-zA-Z0-9._~-]{0,10}){0,3}",
    ) {
        let url = format!("{scheme}://{host}{path}");
        let allowed = ["http", "https", "ftp"].contains(&scheme.as_str());
        match check_url(&url) {
            Ok(()) => prop_assert!(allowed, "{} was accepted", url),
            Err(BlockedUrl::Scheme) => prop_assert!(!allowed, "{} was refused its scheme", url),
            Err(other) => prop_assert!(false, "{} refused as {:?}", url, other),
        }
    }

    #[test]
    fn a_line_break_anywhere_in_a_url_refuses_it(
        before in "https://[a-z]{1,8}\\.example/[a-z]{0,5}",
        after in "[a-z/]{0,8}",
        line_break in prop_oneof![Just("\n"), Just("\r")],
    ) {
        let url = format!("{before}{line_break}{after}");
        prop_assert!(check_url(&url).is_err());
    }

    #[test]
    fn the_url_validator_never_panics(input in any::<String>()) {
        let _ = check_url(&input);
    }

    #[test]
    fn pages_cover_every_item_once(
        total in 0i64..5_000,
        per_page in prop::option::of(-5i64..250),
    ) {
        let first = PageRequest::new(Some(1), per_page);
        prop_assert!((1..=MAX_PER_PAGE).contains(&first.per_page));
        let info = PageInfo::new(first, total);
        prop_assert_eq!(info.total_pages, ((total + first.per_page - 1) / first.per_page).max(1));
        let mut covered = 0;
        for page in 1..=info.total_pages {
            let request = PageRequest::new(Some(page), per_page);
            let info = PageInfo::new(request, total);
            prop_assert_eq!(request.offset(), covered, "pages are contiguous");
            let items = (total - request.offset()).clamp(0, request.limit());
            covered += items;
            prop_assert_eq!(info.next_page.is_none(), page == info.total_pages);
            prop_assert_eq!(info.prev_page, (page > 1).then_some(page - 1));
        }
        prop_assert_eq!(covered, total, "every item on exactly one page");
        let beyond = PageInfo::new(PageRequest::new(Some(info.total_pages + 1), per_page), total);
        prop_assert_eq!(beyond.next_page, None);
        prop_assert_eq!(beyond.prev_page, None);
    }

    #[test]
    fn any_page_number_is_answered_without_overflow(
        page in prop_oneof![Just(i64::MAX), Just(i64::MAX - 1), 1i64..=i64::MAX],
        per_page in prop::option::of(any::<i64>()),
        total in 0i64..1_000_000,
    ) {
        let request = PageRequest::new(Some(page), per_page);
        let info = PageInfo::new(request, total);
        prop_assert!(request.offset() >= 0);
        if page >= info.total_pages {
            prop_assert_eq!(info.next_page, None);
        }
    }

    #[test]
    fn page_numbers_below_one_are_page_one(page in i64::MIN..=1, per_page in prop::option::of(any::<i64>())) {
        let request = PageRequest::new(Some(page), per_page);
        prop_assert_eq!(request.page, 1);
        prop_assert_eq!(request.offset(), 0);
    }

    #[test]
    fn flat_parameters_survive_a_round_trip(
        pairs in prop::collection::btree_map("[a-z_]{1,8}", any::<String>(), 0..6),
    ) {
        let params: Map<String, Value> =
            pairs.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let parsed = parse_nested_query(&to_query(&params)).expect("our own query parses");
        prop_assert_eq!(parsed, params);
    }

    #[test]
    fn nested_parameters_survive_a_round_trip(
        outer in "[a-z]{1,6}",
        inner in prop::collection::btree_map("[a-z]{1,6}", "[ -~]{0,10}", 1..4),
        list in prop::collection::vec("[ -~]{0,6}", 1..4),
    ) {
        let mut params = Map::new();
        params.insert(
            outer.clone(),
            Value::Object(inner.into_iter().map(|(k, v)| (k, Value::String(v))).collect()),
        );
        params.insert(format!("{outer}_list"), Value::Array(list.into_iter().map(Value::String).collect()));
        let parsed = parse_nested_query(&to_query(&params)).expect("our own query parses");
        prop_assert_eq!(parsed, params);
    }

    #[test]
    fn parameter_parsing_never_panics(input in "[a-z\\[\\]=&%0-9A-F+]{0,60}") {
        let _ = parse_nested_query(&input);
    }
}

/// Version-like tags: mostly semantic versions (small numbers, so that many compare equal in
/// part), some with a `v`, build metadata or pieces SemVer refuses.
fn version_like() -> impl Strategy<Value = String> {
    let number = prop_oneof!["0", "[1-9]", "1[0-9]", "[1-9][0-9]{2,17}", "0[0-9]"];
    let identifier = prop_oneof!["[0-9]{1,3}", "[a-z]{1,3}", "[a-zA-Z0-9-]{1,4}", ""];
    (
        prop_oneof!["", "v"],
        number.clone(),
        number.clone(),
        number,
        proptest::collection::vec(identifier, 0..4),
        prop_oneof!["", "\\+[a-z0-9]{1,3}", "\\+[a-z]{1,2}\\.[0-9]{1,2}"],
    )
        .prop_map(|(v, major, minor, patch, pre, build)| {
            let mut tag = format!("{v}{major}.{minor}.{patch}");
            if !pre.is_empty() {
                tag.push('-');
                tag.push_str(&pre.join("."));
            }
            tag + &build
        })
}

/// The `semver` crate's reading of a tag, `v` stripped as relinks strips it.
fn reference_version(tag: &str) -> Option<semver::Version> {
    semver::Version::parse(tag.strip_prefix('v').unwrap_or(tag)).ok()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 5_000, ..ProptestConfig::default() })]

    /// Sorting by relinks' key is SemVer 2.0.0 precedence, as the `semver` crate implements it
    /// (build metadata ignored), and the same tags are versions for both.
    #[test]
    fn version_keys_sort_in_semver_precedence(a in version_like(), b in version_like()) {
        use relinks::domain::semver::{is_stable_key, sort_key};
        let (key_a, key_b) = (sort_key(&a), sort_key(&b));
        let (ref_a, ref_b) = (reference_version(&a), reference_version(&b));
        prop_assert_eq!(key_a.is_some(), ref_a.is_some(), "{} is a version for one only", a);
        prop_assert_eq!(key_b.is_some(), ref_b.is_some(), "{} is a version for one only", b);
        if let (Some(key_a), Some(key_b), Some(ref_a), Some(ref_b)) = (key_a, key_b, ref_a, ref_b) {
            prop_assert_eq!(key_a.cmp(&key_b), ref_a.cmp_precedence(&ref_b), "{} vs {}", a, b);
            prop_assert_eq!(is_stable_key(&key_a), ref_a.pre.is_empty());
        }
    }
}
