//! Secrets: personal access tokens and CI job tokens. A token is shown once, when it is made;
//! only its SHA-256 digest is stored, and a request's token is found by looking its digest up.

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

/// The stored form of a token: lower-case hex SHA-256.
pub fn digest(token: &str) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_digested() {
        let a = generate(PERSONAL_PREFIX);
        let b = generate(PERSONAL_PREFIX);
        assert!(a.starts_with("glpat-"));
        assert_eq!(a.len(), 6 + 32);
        assert_ne!(a, b);
        assert_eq!(digest(&a).len(), 64);
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), digest(&b));
    }
}
