//! Secrets: personal access tokens, CI job tokens and browser sessions. A token is shown once,
//! when it is made; only its keyed digest is stored (HMAC-SHA-256 under the server's secret
//! key), and a request's token is found by looking its digest up. Without the key, a copy of
//! the database cannot even confirm a guessed token.

use hmac::{Hmac, Mac};
use rand::distr::{Alphanumeric, SampleString};
use sha2::{Digest, Sha256};

/// GitLab's prefix for personal access tokens, which secret scanners already recognise.
pub const PERSONAL_PREFIX: &str = "glpat-";
/// GitLab's prefix for CI job tokens.
pub const JOB_PREFIX: &str = "glcbt-";

/// 32 alphanumeric characters: about 190 bits of entropy from the OS generator.
const RANDOM_LENGTH: usize = 32;

/// A new random token with the given prefix.
pub fn generate(prefix: &str) -> String {
    let random = Alphanumeric.sample_string(&mut rand::rng(), RANDOM_LENGTH);
    format!("{prefix}{random}")
}

/// The server's secret key for token digests: 32 bytes, and the HMAC state keyed with them
/// (keying costs two SHA-256 blocks: done once, not on every request).
#[derive(Clone)]
pub struct TokenKey {
    key: [u8; 32],
    keyed: Hmac<Sha256>,
}

impl PartialEq for TokenKey {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for TokenKey {}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

/// A fresh random key: what tests and a first start get.
impl Default for TokenKey {
    fn default() -> Self {
        Self::generate()
    }
}

impl TokenKey {
    pub fn generate() -> Self {
        Self::new(rand::random())
    }

    // HMAC takes keys of any length: `new_from_slice` cannot fail here.
    #[allow(clippy::expect_used)]
    fn new(key: [u8; 32]) -> Self {
        Self {
            key,
            keyed: Hmac::<Sha256>::new_from_slice(&key).expect("HMAC takes keys of any length"),
        }
    }

    /// A key written as 64 hex digits (the form `to_hex` gives and the secret file holds).
    pub fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Self::new(bytes.try_into().ok()?))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(self.key)
    }

    /// The stored form of a token: lower-case hex HMAC-SHA-256 of the token's SHA-256.
    pub fn digest(&self, token: &str) -> String {
        self.digest_of_hash(&Sha256::digest(token.as_bytes()))
    }

    /// The keyed digest of a digest stored before keys existed (hex SHA-256 of the token):
    /// the same value [`TokenKey::digest`] gives for that token, so old tokens keep working.
    pub fn rekey(&self, unkeyed: &str) -> Option<String> {
        let hash = hex::decode(unkeyed).ok()?;
        (hash.len() == 32).then(|| self.digest_of_hash(&hash))
    }

    /// A key for another use, derived from this one (HMAC-SHA-256 of the use's name): what
    /// one use reveals tells nothing of the others.
    pub fn subkey(&self, purpose: &str) -> [u8; 32] {
        let mut mac = self.keyed.clone();
        mac.update(b"relinks subkey: ");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }

    fn digest_of_hash(&self, hash: &[u8]) -> String {
        let mut mac = self.keyed.clone();
        mac.update(hash);
        // Into a buffer: `hex::encode` builds its string a char at a time, and this runs for
        // every authenticated request.
        let mut text = [0u8; 64];
        match hex::encode_to_slice(mac.finalize().into_bytes(), &mut text) {
            Ok(()) => String::from_utf8_lossy(&text).into_owned(),
            Err(_) => String::new(),
        }
    }
}

/// The digest relinks stored before token keys: plain hex SHA-256 (kept to upgrade old rows).
pub fn unkeyed_digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The scopes relinks understands. Other GitLab scopes are accepted when a token is made, but
/// grant nothing here.
pub const KNOWN_SCOPES: [&str; 13] = [
    "api",
    "read_api",
    "read_user",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "ai_features",
    "sudo",
    "admin_mode",
];

/// A personal access token works while it is not revoked and its expiry day has not come
/// (GitLab's tokens expire at the start of their `expires_at` day).
pub fn is_usable(
    revoked: bool,
    expires_at: Option<chrono::NaiveDate>,
    today: chrono::NaiveDate,
) -> bool {
    !revoked && expires_at.is_none_or(|day| day > today)
}

/// Whether scopes let a token read releases at all (the pages and sign-in accept these).
pub fn reads_api(scopes: &[String]) -> bool {
    scopes.iter().any(|s| s == "api" || s == "read_api")
}

/// What a request asks of a token's scopes.
#[derive(Debug, Clone, Copy)]
pub struct ScopeUse {
    /// A GET or HEAD.
    pub read: bool,
    /// A route of the users API, which `read_user` tokens may read.
    pub users_route: bool,
    /// A route any scope may use (a token's own `/personal_access_tokens/self`).
    pub any_scope: bool,
}

/// GitLab's scope rule: `api` for everything, `read_api` for reads, `read_user` for reads of
/// the users API.
pub fn scopes_allow(scopes: &[String], request: ScopeUse) -> bool {
    request.any_scope
        || scopes.iter().any(|scope| match scope.as_str() {
            "api" => true,
            "read_api" => request.read,
            "read_user" => request.users_route && request.read,
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_at_the_start_of_their_day() {
        let day = |d: u32| chrono::NaiveDate::from_ymd_opt(2026, 3, d).expect("a date");
        assert!(is_usable(false, None, day(10)));
        assert!(is_usable(false, Some(day(11)), day(10)));
        assert!(!is_usable(false, Some(day(10)), day(10)));
        assert!(!is_usable(true, None, day(10)));
    }

    #[test]
    fn scopes_cover_what_gitlab_lets_them() {
        let scopes = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let read = ScopeUse {
            read: true,
            users_route: false,
            any_scope: false,
        };
        let write = ScopeUse {
            read: false,
            ..read
        };
        let users = ScopeUse {
            users_route: true,
            ..read
        };
        assert!(scopes_allow(&scopes(&["api"]), write));
        assert!(scopes_allow(&scopes(&["read_api"]), read));
        assert!(!scopes_allow(&scopes(&["read_api"]), write));
        assert!(!scopes_allow(&scopes(&["read_user"]), read));
        assert!(scopes_allow(&scopes(&["read_user"]), users));
        assert!(scopes_allow(
            &scopes(&["read_repository"]),
            ScopeUse {
                any_scope: true,
                ..write
            }
        ));
        assert!(reads_api(&scopes(&["read_api"])) && !reads_api(&scopes(&["read_user"])));
    }

    #[test]
    fn tokens_are_prefixed_random_and_digested() {
        let key = TokenKey::generate();
        let a = generate(PERSONAL_PREFIX);
        let b = generate(PERSONAL_PREFIX);
        assert!(a.starts_with("glpat-"));
        assert_eq!(a.len(), 6 + 32);
        assert_ne!(a, b);
        assert_eq!(key.digest(&a).len(), 64);
        assert_eq!(key.digest(&a), key.digest(&a.clone()));
        assert_ne!(key.digest(&a), key.digest(&b));
    }

    #[test]
    fn digests_depend_on_the_key_and_old_digests_can_be_rekeyed() {
        let (one, two) = (TokenKey::generate(), TokenKey::generate());
        let token = "glpat-0123456789abcdefghijklmnopqrstuv";
        assert_ne!(one.digest(token), two.digest(token));
        assert_ne!(one.digest(token), unkeyed_digest(token));
        assert_eq!(one.rekey(&unkeyed_digest(token)), Some(one.digest(token)));
        assert_eq!(one.rekey("not hex"), None);
        let hex = one.to_hex();
        assert_eq!(TokenKey::from_hex(&hex), Some(one.clone()));
        assert_eq!(TokenKey::from_hex("abcd"), None);
        assert_eq!(format!("{one:?}"), "TokenKey([redacted])");
    }

    #[test]
    fn rfc_4231_test_case_2() {
        // HMAC-SHA-256 itself, from RFC 4231: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("key");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
