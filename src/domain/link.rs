//! Release asset links: the link types and GitLab's validation rules for a link's URL, name and
//! filepath, producing GitLab's exact "full messages" in GitLab's order.
//!
//! GitLab (app/models/releases/link.rb) runs its validators in declaration order: url (presence,
//! addressable URL, uniqueness), then name (presence, uniqueness), then filepath (uniqueness,
//! format). [`validation_messages`] keeps that order, because clients and tests compare the array.

use std::net::{Ipv4Addr, Ipv6Addr};

/// GitLab's `FILEPATH_MAX_LENGTH`, in characters.
pub const FILEPATH_MAX_LENGTH: usize = 128;

/// The URL schemes GitLab accepts for release links, in the order its message lists them.
pub const ALLOWED_SCHEMES: [&str; 3] = ["http", "https", "ftp"];

/// The kind of asset a link points to. Stored as GitLab's enum integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LinkType {
    #[default]
    Other,
    Runbook,
    Package,
    Image,
}

impl LinkType {
    /// The values the API accepts, in GitLab's declaration order.
    pub const VALUES: [&'static str; 4] = ["other", "runbook", "image", "package"];

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "other" => Some(Self::Other),
            "runbook" => Some(Self::Runbook),
            "package" => Some(Self::Package),
            "image" => Some(Self::Image),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Other => "other",
            Self::Runbook => "runbook",
            Self::Package => "package",
            Self::Image => "image",
        }
    }

    /// GitLab's enum integer (other 0, runbook 1, package 2, image 3).
    pub fn code(self) -> i64 {
        match self {
            Self::Other => 0,
            Self::Runbook => 1,
            Self::Package => 2,
            Self::Image => 3,
        }
    }

    /// Unknown codes read back as `other` rather than failing a whole listing.
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Runbook,
            2 => Self::Package,
            3 => Self::Image,
            _ => Self::Other,
        }
    }
}

/// Ruby's `String#strip`: removes leading and trailing ASCII whitespace and NUL.
pub fn ruby_strip(value: &str) -> &str {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\r' | '\0');
    value.trim_matches(is_space)
}

/// Rails' `blank?` for strings: empty or only (Unicode) whitespace.
pub fn is_blank(value: &str) -> bool {
    value.chars().all(char::is_whitespace)
}

/// Why GitLab's URL blocker refuses a URL (the text after "Url is blocked: ").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockedUrl {
    Invalid,
    Scheme,
    Hostname,
}

impl BlockedUrl {
    pub fn reason(self) -> &'static str {
        match self {
            Self::Invalid => "URI is invalid",
            Self::Scheme => "Only allowed schemes are http, https, ftp",
            Self::Hostname => "Hostname or IP address invalid",
        }
    }
}

/// The parts of a URI as Addressable splits them (RFC 3986 appendix B).
struct UriParts<'a> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: &'a str,
}

fn split_uri(value: &str) -> UriParts<'_> {
    let mut rest = value;
    let mut scheme = None;
    if let Some(colon) = rest.find(':') {
        let candidate = &rest[..colon];
        if !candidate.is_empty() && !candidate.contains(['/', '?', '#']) {
            scheme = Some(candidate);
            rest = &rest[colon + 1..];
        }
    }
    let mut authority = None;
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        authority = Some(&after[..end]);
        rest = &after[end..];
    }
    let path_end = rest.find(['?', '#']).unwrap_or(rest.len());
    UriParts {
        scheme,
        authority,
        path: &rest[..path_end],
    }
}

/// The host of an authority (`user:pass@host:port`), brackets of an IPv6 literal removed, and
/// whether the port part is well formed.
fn split_authority(authority: &str) -> (&str, bool) {
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    if let Some(inner) = host_port.strip_prefix('[') {
        return match inner.split_once(']') {
            Some((host, port)) => (host, port.is_empty() || valid_port(port.strip_prefix(':'))),
            None => (inner, false),
        };
    }
    match host_port.rsplit_once(':') {
        Some((host, port)) => (host, valid_port(Some(port))),
        None => (host_port, true),
    }
}

fn valid_port(port: Option<&str>) -> bool {
    port.is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Checks a (stripped, non-blank) URL the way GitLab's `AddressableUrlValidator` does with the
/// release-link options: Addressable parsing, the multi-line rule, the scheme list and the
/// hostname rule. DNS is not consulted and local addresses are allowed, as in GitLab.
pub fn check_url(value: &str) -> Result<(), BlockedUrl> {
    let parts = split_uri(value);
    if let Some(scheme) = parts.scheme {
        let mut chars = scheme.chars();
        let well_formed = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if !well_formed {
            return Err(BlockedUrl::Invalid);
        }
    }
    let mut host = None;
    if let Some(authority) = parts.authority {
        let (h, port_ok) = split_authority(authority);
        if !port_ok
            || h.chars()
                .any(|c| "<>{}\\\"".contains(c) || c.is_whitespace())
        {
            return Err(BlockedUrl::Invalid);
        }
        if parts.scheme.is_some() && h.is_empty() && parts.path.is_empty() {
            // Addressable: "Absolute URI missing hierarchical segment".
            return Err(BlockedUrl::Invalid);
        }
        host = Some(h);
    }
    if value.contains(['\n', '\r']) {
        return Err(BlockedUrl::Invalid);
    }
    // A deliberate difference from GitLab, whose blocker lets other control characters through
    // in the path: none belongs in a URL, and no redirect could carry one in `Location`.
    if value.chars().any(char::is_control) {
        return Err(BlockedUrl::Invalid);
    }
    let scheme = parts.scheme.unwrap_or("");
    let web = scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    if !web && percent_decoded_has_line_break(value) {
        return Err(BlockedUrl::Invalid);
    }
    if !ALLOWED_SCHEMES.contains(&scheme) {
        return Err(BlockedUrl::Scheme);
    }
    if let Some(host) = host.filter(|h| !h.is_empty()) {
        let is_ip = host.parse::<Ipv4Addr>().is_ok() || host.parse::<Ipv6Addr>().is_ok();
        if !is_ip && !host.chars().next().is_some_and(char::is_alphanumeric) {
            return Err(BlockedUrl::Hostname);
        }
    }
    Ok(())
}

fn percent_decoded_has_line_break(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    lower.contains("%0a") || lower.contains("%0d")
}

/// Checks a filepath against GitLab's `FILEPATH_REGEX`
/// (`\A\/[^\/](?!.*\/\/.*)[\-\.\w\/]+[\da-zA-Z]+\z`) and its length limit, returning the message
/// (without the attribute name) when it fails. The length check comes first and hides the format.
pub fn filepath_problem(filepath: &str) -> Option<&'static str> {
    if filepath.chars().count() > FILEPATH_MAX_LENGTH {
        return Some("is too long (maximum is 128 characters)");
    }
    if filepath_matches_regex(filepath) && !has_dot_segment(filepath) {
        None
    } else {
        Some("is in an invalid format")
    }
}

/// A `.` or `..` segment (`/a/../../other/-/releases/…`): GitLab's regex allows them, but a
/// client that normalises `direct_asset_url` would land on another project's path, so relinks
/// refuses them (a deliberate difference).
pub fn has_dot_segment(filepath: &str) -> bool {
    filepath
        .split('/')
        .any(|segment| segment == "." || segment == "..")
}

fn filepath_matches_regex(filepath: &str) -> bool {
    let mut chars = filepath.chars();
    if chars.next() != Some('/') {
        return false;
    }
    // The second character may be anything but '/', a quirk of GitLab's regex kept on purpose.
    match chars.next() {
        None | Some('/') => return false,
        Some(_) => {}
    }
    let rest: Vec<char> = chars.collect();
    if filepath.contains("//") || rest.len() < 2 {
        return false;
    }
    let allowed = |c: &char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/');
    rest.iter().all(allowed) && rest.last().is_some_and(char::is_ascii_alphanumeric)
}

/// Which of a release's unique rules a candidate link collides with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkConflicts {
    pub url: bool,
    pub name: bool,
    pub filepath: bool,
}

impl LinkConflicts {
    pub fn any(&self) -> bool {
        self.url || self.name || self.filepath
    }
}

/// The link as it would be saved: `None` is a nil attribute.
#[derive(Debug, Clone, Copy)]
pub struct LinkCandidate<'a> {
    pub name: Option<&'a str>,
    pub url: Option<&'a str>,
    pub filepath: Option<&'a str>,
    /// relinks' extension, validated after GitLab's attributes.
    pub digest: Option<&'a str>,
}

/// GitLab's full messages for a candidate link, in validator order. Empty means valid.
pub fn validation_messages(link: &LinkCandidate<'_>, conflicts: &LinkConflicts) -> Vec<String> {
    let mut messages = url_messages(link.url);
    if conflicts.url {
        messages.push("Url has already been taken".to_owned());
    }
    messages.extend(name_messages(link.name));
    if conflicts.name {
        messages.push("Name has already been taken".to_owned());
    }
    if conflicts.filepath {
        messages.push("Filepath has already been taken".to_owned());
    }
    messages.extend(filepath_messages(link.filepath));
    if link
        .digest
        .is_some_and(|d| !super::link_digest::is_valid(d))
    {
        messages.push(super::link_digest::INVALID_DIGEST.to_owned());
    }
    messages
}

/// Whether the fields an update changes (`Some`) break none of the rules that concern one
/// field alone; fields it leaves (`None`) are not looked at. Taken names, URLs and filepaths
/// are the store's unique rules.
pub fn changes_are_valid(
    name: Option<&str>,
    url: Option<&str>,
    filepath: Option<Option<&str>>,
) -> bool {
    name.is_none_or(|name| name_messages(Some(name)).is_empty())
        && url.is_none_or(|url| url_messages(Some(url)).is_empty())
        && filepath.is_none_or(|filepath| filepath_messages(filepath).is_empty())
}

fn url_messages(url: Option<&str>) -> Vec<String> {
    match url {
        Some(url) if !is_blank(url) => match check_url(url) {
            Err(blocked) => vec![format!("Url is blocked: {}", blocked.reason())],
            Ok(_) => Vec::new(),
        },
        _ => vec![
            "Url can't be blank".to_owned(),
            "Url must be a valid URL".to_owned(),
        ],
    }
}

fn name_messages(name: Option<&str>) -> Vec<String> {
    if name.is_none_or(is_blank) {
        vec!["Name can't be blank".to_owned()]
    } else {
        Vec::new()
    }
}

fn filepath_messages(filepath: Option<&str>) -> Vec<String> {
    filepath
        .and_then(filepath_problem)
        .map(|problem| format!("Filepath {problem}"))
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_update_is_judged_by_the_fields_it_changes() {
        assert!(changes_are_valid(None, None, None));
        assert!(changes_are_valid(Some("new name"), None, None));
        assert!(!changes_are_valid(Some("  "), None, None));
        assert!(changes_are_valid(None, Some("https://example.com/a"), None));
        assert!(!changes_are_valid(None, Some("javascript:alert(1)"), None));
        assert!(!changes_are_valid(None, Some(""), None));
        assert!(changes_are_valid(None, None, Some(None)));
        assert!(changes_are_valid(None, None, Some(Some("/bin/app"))));
        assert!(!changes_are_valid(None, None, Some(Some("bin/app"))));
    }

    #[test]
    fn filepath_table_from_gitlab_spec() {
        for valid in [
            "/binaries/awesome-app.dmg",
            "/binaries/awesome-app-1",
            "/sub_tr__ee.ex..ample-2--1/v99.com",
            "/example.com/path/to/file.exe",
            "/abc",
            "/?abc",
        ] {
            assert_eq!(filepath_problem(valid), None, "{valid}");
        }
        for invalid in [
            "/https//www.example.com",
            "//www.example.com",
            "/example.com/?stuff=true",
            "/example:5000",
            "/binaries/awesome-app.dmg-",
            "/binaries/awesome-app.dmg.",
            "/binaries/awesome-app.dmg_",
            ".binaries/awesome-app.dmg",
            "-binaries/awesome-app.dmg",
            "_binaries/awesome-app.dmg",
            "3binaries/awesome-app.dmg",
            "binaries/awesome-app.dmg",
            "/binarïes/âwésome-app.dmg",
            "",
            "/ab",
        ] {
            assert_eq!(
                filepath_problem(invalid),
                Some("is in an invalid format"),
                "{invalid}"
            );
        }
        let long = format!("/{}", "a".repeat(128));
        assert_eq!(
            filepath_problem(&long),
            Some("is too long (maximum is 128 characters)")
        );
    }

    #[test]
    fn url_rules_follow_gitlabs_url_blocker() {
        for ok in [
            "https://example.com/a.zip",
            "http://192.168.10.15:3000/msi",
            "ftp://files.example.com/x",
            "http://[::1]:8080/x",
            "http://localhost/x",
            "https://user:pw@example.com/x?a=1&b=2#frag",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        assert_eq!(check_url("wrong_url"), Err(BlockedUrl::Scheme));
        assert_eq!(check_url("torrent://x.example/y"), Err(BlockedUrl::Scheme));
        assert_eq!(check_url("HTTPS://example.com"), Err(BlockedUrl::Scheme));
        assert_eq!(check_url("javascript:alert(1)"), Err(BlockedUrl::Scheme));
        assert_eq!(
            check_url("http://example.com/a\nb"),
            Err(BlockedUrl::Invalid)
        );
        assert_eq!(
            check_url("ftp://example.com/a%0Ab"),
            Err(BlockedUrl::Invalid)
        );
        assert_eq!(check_url("http://"), Err(BlockedUrl::Invalid));
        assert_eq!(check_url("http://exa mple.com/"), Err(BlockedUrl::Invalid));
        assert_eq!(
            check_url("http://example.com:80a/"),
            Err(BlockedUrl::Invalid)
        );
        assert_eq!(check_url("1http://example.com"), Err(BlockedUrl::Invalid));
        assert_eq!(check_url("http://-example.com/"), Err(BlockedUrl::Hostname));
        for control in [
            "\u{0}", "\u{7}", "\t", "\u{b}", "\u{1b}", "\u{7f}", "\u{85}",
        ] {
            assert_eq!(
                check_url(&format!("https://example.com/a{control}b")),
                Err(BlockedUrl::Invalid),
                "{control:?}"
            );
        }
    }

    #[test]
    fn dot_segments_are_refused_in_filepaths() {
        for dotted in [
            "/a/../../grp/secret",
            "/./bin/app",
            "/bin/../app",
            "/bin/..",
        ] {
            assert_eq!(
                filepath_problem(dotted),
                Some("is in an invalid format"),
                "{dotted}"
            );
        }
        for fine in ["/bin/.app", "/bin/app..tar", "/..hidden/x1", "/a.b/c.d"] {
            assert_eq!(filepath_problem(fine), None, "{fine}");
        }
    }

    #[test]
    fn messages_keep_gitlabs_validator_order() {
        let link = LinkCandidate {
            name: Some(" "),
            url: Some(""),
            filepath: Some("bad"),
            digest: Some("md5:x"),
        };
        let conflicts = LinkConflicts {
            url: false,
            name: false,
            filepath: true,
        };
        assert_eq!(
            validation_messages(&link, &conflicts),
            vec![
                "Url can't be blank",
                "Url must be a valid URL",
                "Name can't be blank",
                "Filepath has already been taken",
                "Filepath is in an invalid format",
                "Digest is in an invalid format",
            ]
        );
        let taken = LinkConflicts {
            url: true,
            name: true,
            filepath: false,
        };
        let ok = LinkCandidate {
            name: Some("n"),
            url: Some("https://e.x/1"),
            filepath: None,
            digest: None,
        };
        assert_eq!(
            validation_messages(&ok, &taken),
            vec!["Url has already been taken", "Name has already been taken"]
        );
    }
}
