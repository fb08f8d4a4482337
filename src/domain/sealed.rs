//! Secrets relinks must send on, not only check (a webhook's token, its signing key, its custom
//! headers' values): stored encrypted, never in clear, under a key derived from the server's
//! secret key (`domain::token::TokenKey`), which lives outside the database. XChaCha20-Poly1305
//! with a random 24-byte nonce per value; the column a value belongs to is authenticated with
//! it, so a value copied into another column does not open.

use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use super::token::TokenKey;

/// The stored form's version prefix: a later scheme can be told apart and read alongside.
const VERSION: &str = "v1:";
const NONCE_BYTES: usize = 24;

/// The key that seals and opens stored secrets.
#[derive(Clone)]
pub struct SealingKey(XChaCha20Poly1305);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey([redacted])")
    }
}

impl SealingKey {
    /// The sealing key of a server: derived from its token key, for this use only.
    pub fn of(key: &TokenKey) -> Self {
        Self(XChaCha20Poly1305::new(&key.subkey("sealed secrets").into()))
    }

    /// `secret` encrypted for `column` (`v1:` and the base64 of nonce and ciphertext).
    pub fn seal(&self, column: &str, secret: &str) -> String {
        let nonce: [u8; NONCE_BYTES] = rand::random();
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: column.as_bytes(),
        };
        // Encryption fails only on messages of gigabytes, which no setting holds.
        let sealed = self
            .0
            .encrypt(XNonce::from_slice(&nonce), payload)
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!(
            "{VERSION}{}",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    }

    /// The secret sealed for `column`; `None` when it was sealed under another key or for
    /// another column, or has been altered.
    pub fn open(&self, column: &str, stored: &str) -> Option<String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(stored.strip_prefix(VERSION)?)
            .ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let payload = Payload {
            msg: sealed,
            aad: column.as_bytes(),
        };
        let opened = self.0.decrypt(XNonce::from_slice(nonce), payload).ok()?;
        String::from_utf8(opened).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_only_with_its_key_and_column() {
        let key = SealingKey::of(&TokenKey::generate());
        let sealed = key.seal("web_hooks.token", "s3cret token");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(
            key.open("web_hooks.token", &sealed).as_deref(),
            Some("s3cret token")
        );
        // A fresh nonce each time.
        assert_ne!(sealed, key.seal("web_hooks.token", "s3cret token"));
        assert_eq!(key.open("web_hooks.url", &sealed), None);
        let other = SealingKey::of(&TokenKey::generate());
        assert_eq!(other.open("web_hooks.token", &sealed), None);
        let mut altered = sealed.clone();
        altered.pop();
        altered.push(if sealed.ends_with('A') { 'B' } else { 'A' });
        assert_eq!(key.open("web_hooks.token", &altered), None);
        assert_eq!(key.open("web_hooks.token", "v1:"), None);
        assert_eq!(key.open("web_hooks.token", "plain"), None);
    }
}
