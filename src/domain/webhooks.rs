//! Webhooks, as GitLab's project hooks have them (`WebHooks::Hook`, `WebHooks::AutoDisabling`,
//! `WebHookService`; docs/research/gitlab-hooks.md quotes the source): what a hook's settings
//! may hold, how a failing hook is disabled for a while and then for good, and how a delivery
//! is signed (the Standard Webhooks convention GitLab's signing tokens follow).

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::time::Micros;

/// At most this many custom headers, and as many URL variables (GitLab's JSON schemas).
pub const MAX_ENTRIES: usize = 20;
/// A custom header's value: 1 to 2,048 characters.
pub const MAX_HEADER_VALUE: usize = 2_048;
/// A URL variable's value: 1 to 100 characters.
pub const MAX_VARIABLE_VALUE: usize = 100;
/// `custom_webhook_template`: at most 4,096 characters.
pub const MAX_TEMPLATE: usize = 4_096;

/// Failures in a row a hook takes before it is disabled for a while.
pub const TEMPORARILY_DISABLED_FAILURE_THRESHOLD: u32 = 3;
/// Past this many failures in a row a hook is disabled until it is changed or tested.
pub const PERMANENTLY_DISABLED_FAILURE_THRESHOLD: u32 = 39;
const SECOND: Micros = 1_000_000;
const INITIAL_BACKOFF: Micros = 60 * SECOND;
const MAX_BACKOFF: Micros = 24 * 60 * 60 * SECOND;

/// GitLab's `alert_status` of a hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertStatus {
    Executable,
    TemporarilyDisabled,
    Disabled,
}

impl AlertStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Executable => "executable",
            Self::TemporarilyDisabled => "temporarily_disabled",
            Self::Disabled => "disabled",
        }
    }
}

/// A hook's failures in a row and, once it has failed more than three times, until when it is
/// left alone. Any 2xx or 3xx answer starts it afresh.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HookHealth {
    pub recent_failures: u32,
    pub disabled_until: Option<Micros>,
}

impl HookHealth {
    fn temporarily_disabled(&self, now: Micros) -> bool {
        self.disabled_until.is_some_and(|until| until >= now)
            && (TEMPORARILY_DISABLED_FAILURE_THRESHOLD + 1..=PERMANENTLY_DISABLED_FAILURE_THRESHOLD)
                .contains(&self.recent_failures)
    }

    fn permanently_disabled(&self) -> bool {
        self.recent_failures > PERMANENTLY_DISABLED_FAILURE_THRESHOLD
            || (self.recent_failures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD
                && self.disabled_until.is_none())
    }

    pub fn alert_status(&self, now: Micros) -> AlertStatus {
        if self.temporarily_disabled(now) {
            AlertStatus::TemporarilyDisabled
        } else if self.permanently_disabled() {
            AlertStatus::Disabled
        } else {
            AlertStatus::Executable
        }
    }

    /// Whether deliveries go out now.
    pub fn is_executable(&self, now: Micros) -> bool {
        self.alert_status(now) == AlertStatus::Executable
    }

    /// After an attempt: [`Self::after_success`] or [`Self::after_failure`].
    pub fn after(self, succeeded: bool, now: Micros) -> Self {
        if succeeded {
            self.after_success()
        } else {
            self.after_failure(now)
        }
    }

    /// After a 2xx or 3xx answer (GitLab's `enable!`).
    pub fn after_success(self) -> Self {
        Self::default()
    }

    /// After any other answer, a time-out or an address refused (GitLab's `backoff!`): the
    /// fourth failure in a row disables the hook for a minute, each next one for twice as long
    /// (at most a day), and the fortieth for good. A hook that is not executable is left as it
    /// is (only a test delivery reaches it then).
    pub fn after_failure(self, now: Micros) -> Self {
        if !self.is_executable(now) {
            return self;
        }
        let failures = self
            .recent_failures
            .saturating_add(1)
            .clamp(1, PERMANENTLY_DISABLED_FAILURE_THRESHOLD + 1);
        let disabled_until = if failures > TEMPORARILY_DISABLED_FAILURE_THRESHOLD {
            // The backoff grows with the failures before this one.
            let doublings = self
                .recent_failures
                .saturating_sub(TEMPORARILY_DISABLED_FAILURE_THRESHOLD)
                .min(20);
            let backoff = INITIAL_BACKOFF
                .saturating_mul(1 << doublings)
                .clamp(INITIAL_BACKOFF, MAX_BACKOFF);
            Some(now.saturating_add(backoff))
        } else {
            self.disabled_until
        };
        Self {
            recent_failures: failures,
            disabled_until,
        }
    }
}

/// A custom header's name or a URL variable's key: letters, then digits, then groups of
/// `.`, `_` or `-` and letters or digits (GitLab's pattern for custom headers).
fn is_header_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let letters = bytes.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if letters == 0 {
        return false;
    }
    let digits = bytes[letters..]
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .count();
    let mut rest = &bytes[letters + digits..];
    while let Some((&separator, tail)) = rest.split_first() {
        let run = tail
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if !matches!(separator, b'.' | b'_' | b'-') || run == 0 {
            return false;
        }
        rest = &tail[run..];
    }
    true
}

/// A URL variable's key: a letter or `_`, then letters, digits or `_`.
fn is_variable_key(key: &str) -> bool {
    let mut chars = key.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Whether custom headers are what GitLab's schema allows: at most 20, each name a plain token,
/// each value 1 to 2,048 characters.
pub fn valid_custom_headers(headers: &BTreeMap<String, String>) -> bool {
    headers.len() <= MAX_ENTRIES
        && headers.iter().all(|(name, value)| {
            is_header_name(name) && (1..=MAX_HEADER_VALUE).contains(&value.chars().count())
        })
}

/// Whether URL variables are what GitLab's schema allows: at most 20, each value 1 to 100
/// characters.
pub fn valid_url_variables(variables: &BTreeMap<String, String>) -> bool {
    variables.len() <= MAX_ENTRIES
        && variables.iter().all(|(key, value)| {
            is_variable_key(key) && (1..=MAX_VARIABLE_VALUE).contains(&value.chars().count())
        })
}

/// Why a hook's URL is refused (the API says only "Invalid url given", as GitLab's does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlProblem {
    /// Not an absolute http or https URL with a host.
    Invalid,
    /// `{name}` names no URL variable.
    MissingVariables(Vec<String>),
}

/// The names a URL template refers to (`{name}`).
fn references(template: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if is_header_name(&after[..close]) => {
                names.push(&after[..close]);
                rest = &after[close + 1..];
            }
            _ => rest = after,
        }
    }
    names
}

/// The URL a hook posts to: its template with each `{name}` replaced by the variable's value,
/// an absolute http or https URL with a host. Where it may point (public addresses only, unless
/// allowed) is checked when it is resolved, at every delivery.
pub fn hook_url(
    template: &str,
    variables: &BTreeMap<String, String>,
) -> Result<url::Url, UrlProblem> {
    let referenced = references(template);
    let missing: Vec<String> = referenced
        .iter()
        .filter(|name| !variables.contains_key(**name))
        .map(|name| (*name).to_owned())
        .collect();
    if !missing.is_empty() {
        return Err(UrlProblem::MissingVariables(missing));
    }
    let mut interpolated = template.to_owned();
    for name in referenced {
        if let Some(value) = variables.get(name) {
            interpolated = interpolated.replace(&format!("{{{name}}}"), value);
        }
    }
    let trimmed = interpolated.trim();
    if trimmed.chars().any(char::is_control) {
        return Err(UrlProblem::Invalid);
    }
    let url = url::Url::parse(trimmed).map_err(|_| UrlProblem::Invalid)?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(UrlProblem::Invalid);
    }
    Ok(url)
}

/// A signing token: `whsec_` and the base64 of a 32-byte key.
#[derive(Clone, PartialEq, Eq)]
pub struct SigningKey([u8; 32]);

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKey(..)")
    }
}

const SIGNING_PREFIX: &str = "whsec_";

impl SigningKey {
    /// The key a signing token holds; `None` when the token is not `whsec_<base64 of 32 bytes>`.
    pub fn parse(token: &str) -> Option<Self> {
        let encoded = token.strip_prefix(SIGNING_PREFIX)?;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    /// The `webhook-signature` of a delivery (Standard Webhooks): `v1,` and the base64 of the
    /// HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}`.
    pub fn signature(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        signature(&self.0, id, timestamp, body)
    }
}

fn signature(key: &[u8], id: &str, timestamp: i64, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        // HMAC takes keys of any length.
        return String::new();
    };
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Micros = 60 * SECOND;

    #[test]
    fn a_failing_hook_is_disabled_for_longer_each_time_then_for_good() {
        let now = 1_000 * SECOND;
        let mut health = HookHealth::default();
        for _ in 0..3 {
            health = health.after_failure(now);
            assert_eq!(health.alert_status(now), AlertStatus::Executable);
            assert_eq!(health.disabled_until, None);
        }
        health = health.after_failure(now);
        assert_eq!(health.recent_failures, 4);
        assert_eq!(health.disabled_until, Some(now + MINUTE));
        assert_eq!(health.alert_status(now), AlertStatus::TemporarilyDisabled);
        // Left alone while disabled.
        assert_eq!(health.after_failure(now), health);
        // Once the time is past, it is tried again: the next failure doubles the wait.
        let later = now + MINUTE + 1;
        assert_eq!(health.alert_status(later), AlertStatus::Executable);
        health = health.after_failure(later);
        assert_eq!(health.disabled_until, Some(later + 2 * MINUTE));
        let mut at = later;
        while health.recent_failures <= PERMANENTLY_DISABLED_FAILURE_THRESHOLD {
            at = health.disabled_until.unwrap_or(at) + 1;
            health = health.after_failure(at);
            let wait = health.disabled_until.unwrap_or(at) - at;
            assert!(wait <= MAX_BACKOFF, "{wait}");
        }
        assert_eq!(health.recent_failures, 40);
        assert_eq!(
            health.alert_status(at + MAX_BACKOFF + 1),
            AlertStatus::Disabled
        );
        assert_eq!(health.after_success(), HookHealth::default());
    }

    #[test]
    fn custom_headers_and_url_variables_follow_gitlabs_schemas() {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        assert!(valid_custom_headers(&one("X-Custom-Header", "v")));
        assert!(valid_custom_headers(&one("Authorization", "Bearer x")));
        assert!(valid_custom_headers(&one("abc1.d_e-f", "v")));
        for bad in ["", "1abc", "X--Y", "X-", "X Y", "X:Y"] {
            assert!(!valid_custom_headers(&one(bad, "v")), "{bad}");
        }
        assert!(!valid_custom_headers(&one("X", "")));
        assert!(!valid_custom_headers(&one("X", &"v".repeat(2_049))));
        let many: BTreeMap<_, _> = (0..21).map(|i| (format!("X{i}"), "v".to_owned())).collect();
        assert!(!valid_custom_headers(&many));
        assert!(valid_url_variables(&one("token_1", "v")));
        assert!(!valid_url_variables(&one("1x", "v")));
        assert!(!valid_url_variables(&one("x", &"v".repeat(101))));
    }

    #[test]
    fn hook_urls_are_absolute_http_with_their_variables_filled_in() {
        let none = BTreeMap::new();
        assert_eq!(
            hook_url(" https://example.com/hook ", &none).map(|u| u.to_string()),
            Ok("https://example.com/hook".to_owned())
        );
        for bad in [
            "ftp://example.com",
            "example.com/hook",
            "http://",
            "",
            "https://a\nb",
        ] {
            assert_eq!(hook_url(bad, &none), Err(UrlProblem::Invalid), "{bad}");
        }
        let vars = BTreeMap::from([("token".to_owned(), "s3cret".to_owned())]);
        assert_eq!(
            hook_url("https://example.com/{token}/x", &vars).map(|u| u.to_string()),
            Ok("https://example.com/s3cret/x".to_owned())
        );
        assert_eq!(
            hook_url("https://example.com/{other}", &vars),
            Err(UrlProblem::MissingVariables(vec!["other".to_owned()]))
        );
    }

    #[test]
    fn signatures_follow_standard_webhooks() {
        // The Standard Webhooks specification's own example (its key is 24 bytes; GitLab's
        // tokens hold 32).
        let key = base64::engine::general_purpose::STANDARD
            .decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .unwrap_or_default();
        assert_eq!(
            signature(
                &key,
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let token = format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode([7u8; 32])
        );
        let parsed = SigningKey::parse(&token);
        assert!(parsed.is_some());
        assert!(parsed.is_some_and(|k| k.signature("id", 1, b"{}").starts_with("v1,")));
        for bad in [
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", // 24 bytes
            "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_not base64",
            "",
        ] {
            assert!(SigningKey::parse(bad).is_none(), "{bad}");
        }
    }
}
