//! A link's declared digest (relinks' extension): `sha256:<64 hex>`, kept in lower case, and
//! sent with the permanent link's redirect as `Repr-Digest` (RFC 9530) so that a client can
//! check what it downloads.

use base64::Engine as _;

/// GitLab's shape of the message, for an attribute GitLab does not have.
pub const INVALID_DIGEST: &str = "Digest is in an invalid format";

/// The form a declared digest is kept in: case does not matter to a hex digest.
pub fn normalized(value: &str) -> String {
    value.trim().to_ascii_lowercase()
}

/// Whether a (normalized) digest is `sha256:` and 64 lowercase hex digits.
pub fn is_valid(digest: &str) -> bool {
    digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// The `Repr-Digest` field value of a valid digest: `sha-256=:<base64>:`.
pub fn repr_digest(digest: &str) -> Option<String> {
    let bytes = hex::decode(digest.strip_prefix("sha256:")?).ok()?;
    (bytes.len() == 32).then(|| {
        format!(
            "sha-256=:{}:",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_hex_in_lower_case() {
        let hex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        assert!(is_valid(&format!("sha256:{hex}")));
        assert!(is_valid(&normalized(&format!(
            " SHA256:{} ",
            hex.to_uppercase()
        ))));
        for bad in [
            "",
            "sha256:",
            "md5:abc",
            &format!("sha256:{}", &hex[1..]),
            &format!("sha512:{hex}"),
            &format!("sha256:{hex}0"),
            &format!("sha256:{}g", &hex[1..]),
        ] {
            assert!(!is_valid(&normalized(bad)), "{bad}");
        }
        assert_eq!(
            repr_digest(&format!("sha256:{hex}")).as_deref(),
            Some("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:")
        );
    }
}
