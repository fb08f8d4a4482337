//! Idempotent retries (an extension, after the IETF httpapi `Idempotency-Key` draft): which keys
//! are acceptable, what makes two requests "the same", and what a request meeting a key already
//! used gets.

use sha2::{Digest, Sha256};

/// How long a key and its answer are kept.
pub const KEPT_FOR_MICROS: i64 = 24 * 60 * 60 * 1_000_000;

/// How long a claim dropped with its request (the client went away, the time-out struck)
/// still holds: a write it handed to the database may yet commit, and mark the key.
pub const DROPPED_GRACE_MICROS: i64 = 10 * 1_000_000;

pub const INVALID: &str = "Idempotency-Key is invalid";
pub const OTHER_REQUEST: &str = "Idempotency-Key is already used for a different request";
pub const IN_PROGRESS: &str = "A request with this Idempotency-Key is being processed";
pub const ANSWER_LOST: &str =
    "A request with this Idempotency-Key made its change, but its answer was lost";
pub const ANSWER_WITHHELD: &str =
    "A request with this Idempotency-Key made its change; its answer held a secret, which is not kept";

/// The status kept for an answer that was lost (the request wrote, then failed or was cut).
pub const LOST: u16 = 0;
/// The status kept for an answer that held a secret (a new token): secrets are kept only as
/// digests, so the answer is not kept, only that there was one.
pub const WITHHELD: u16 = 1;

/// 1 to 255 visible ASCII characters.
pub fn is_valid_key(key: &[u8]) -> bool {
    (1..=255).contains(&key.len()) && key.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// Parameters that carry credentials: a retry may authenticate differently (a job's token is
/// new in each job) and still be the same request.
const CREDENTIAL_PARAMS: [&str; 3] = ["private_token", "access_token", "job_token"];

/// The request's fingerprint: SHA-256 (hex) of its method, its path and its parameters (query,
/// body, captures; keys sorted at every depth, credentials left out), and for a file body its
/// declared length.
pub fn fingerprint(
    method: &str,
    path: &str,
    params: &serde_json::Map<String, serde_json::Value>,
    body_length: Option<u64>,
) -> String {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update(b"\n");
    hasher.update(path.as_bytes());
    hasher.update(b"\n");
    let mut canonical = String::new();
    let kept: Vec<_> = params
        .iter()
        .filter(|(key, _)| !CREDENTIAL_PARAMS.contains(&key.as_str()))
        .collect();
    write_sorted_object(&mut canonical, kept);
    hasher.update(canonical.as_bytes());
    if let Some(length) = body_length {
        hasher.update(format!("\n{length}").as_bytes());
    }
    hex::encode(hasher.finalize())
}

fn write_sorted_object(out: &mut String, mut entries: Vec<(&String, &serde_json::Value)>) {
    entries.sort_by(|a, b| a.0.cmp(b.0));
    out.push('{');
    for (at, (key, value)) in entries.into_iter().enumerate() {
        if at > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::Value::String(key.clone()).to_string());
        out.push(':');
        write_canonical(out, value);
    }
    out.push('}');
}

fn write_canonical(out: &mut String, value: &serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => write_sorted_object(out, map.iter().collect()),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (at, item) in items.iter().enumerate() {
                if at > 0 {
                    out.push(',');
                }
                write_canonical(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// What is known of a key already claimed when another request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub fingerprint: String,
    /// The first request's answer, once it has one; [`LOST`]: it wrote, and its answer was
    /// lost (it failed after its write, or was cut off); [`WITHHELD`]: it held a secret.
    pub status: Option<u16>,
    /// Whether the first request's write committed.
    pub wrote: bool,
    /// Whether the first request may still be running: its instance runs and its claim holds.
    pub live: bool,
}

/// What a request naming a key already claimed gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The stored answer, again.
    Replay,
    /// 422: the key was used for another request.
    OtherRequest,
    /// 409: the first request is still running.
    InProgress,
    /// 422: the first request wrote, and its answer is not known.
    AnswerLost,
    /// 422: the first request's answer held a secret, which was not kept.
    AnswerWithheld,
    /// The first request ended without writing or answering (its instance stopped): this one
    /// takes the key over and runs.
    TakeOver,
}

pub fn verdict(existing: &Existing, fingerprint: &str) -> Verdict {
    if existing.fingerprint != fingerprint {
        return Verdict::OtherRequest;
    }
    match existing.status {
        Some(LOST) => Verdict::AnswerLost,
        Some(WITHHELD) => Verdict::AnswerWithheld,
        Some(_) => Verdict::Replay,
        None if existing.live => Verdict::InProgress,
        None if existing.wrote => Verdict::AnswerLost,
        None => Verdict::TakeOver,
    }
}

/// Whether an answer is kept for replays. Kept: every final answer (2xx, and 4xx that would
/// be the same again). Not kept: conflicts and throttling, which a retry may well get past,
/// and server errors; after those the key is given back, unless the request wrote.
pub fn keeps_answer(status: u16) -> bool {
    matches!(status, 200..=299)
        || (matches!(status, 400..=499) && !matches!(status, 408 | 409 | 423 | 425 | 429))
}

/// The answer's headers kept and replayed with it (the rest are the server's of the moment).
pub const KEPT_HEADERS: [&str; 10] = [
    "content-type",
    "content-disposition",
    "location",
    "link",
    "x-total",
    "x-total-pages",
    "x-per-page",
    "x-page",
    "x-next-page",
    "x-prev-page",
];

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_are_one_to_255_visible_ascii_characters() {
        assert!(is_valid_key(b"a"));
        assert!(is_valid_key(b"\"8e03978e-40d5-43e8-bc93-6894a57f9324\""));
        assert!(is_valid_key("k".repeat(255).as_bytes()));
        assert!(!is_valid_key("k".repeat(256).as_bytes()));
        assert!(!is_valid_key(b""));
        assert!(!is_valid_key(b"a b"));
        assert!(!is_valid_key(b"a\tb"));
        assert!(!is_valid_key("é".as_bytes()));
        assert!(!is_valid_key(b"a\x7f"));
    }

    fn map(value: serde_json::Value) -> serde_json::Map<String, serde_json::Value> {
        match value {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        }
    }

    #[test]
    fn the_fingerprint_ignores_key_order_and_credentials() {
        let a = map(json!({"name": "x", "nested": {"b": 1, "a": [1, {"z": 2, "y": 3}]}}));
        let b = map(
            json!({"nested": {"a": [1, {"y": 3, "z": 2}], "b": 1}, "name": "x",
            "private_token": "glpat-other"}),
        );
        assert_eq!(
            fingerprint("POST", "/api/v4/p", &a, None),
            fingerprint("POST", "/api/v4/p", &b, None)
        );
        let reordered = map(json!({"name": "x", "nested": {"b": 1, "a": [{"z": 2, "y": 3}, 1]}}));
        assert_ne!(
            fingerprint("POST", "/api/v4/p", &a, None),
            fingerprint("POST", "/api/v4/p", &reordered, None)
        );
        assert_ne!(
            fingerprint("POST", "/api/v4/p", &a, None),
            fingerprint("PUT", "/api/v4/p", &a, None)
        );
        assert_ne!(
            fingerprint("POST", "/api/v4/p", &a, None),
            fingerprint("POST", "/api/v4/q", &a, None)
        );
        assert_ne!(
            fingerprint("PUT", "/f", &a, Some(1)),
            fingerprint("PUT", "/f", &a, Some(2))
        );
    }

    #[test]
    fn a_key_already_claimed_gets_its_verdict() {
        let existing = |status, wrote, live| Existing {
            fingerprint: "f".into(),
            status,
            wrote,
            live,
        };
        use Verdict::*;
        assert_eq!(
            verdict(&existing(Some(201), true, false), "g"),
            OtherRequest
        );
        assert_eq!(verdict(&existing(Some(201), true, false), "f"), Replay);
        assert_eq!(verdict(&existing(Some(400), false, true), "f"), Replay);
        assert_eq!(verdict(&existing(Some(LOST), true, false), "f"), AnswerLost);
        assert_eq!(
            verdict(&existing(Some(WITHHELD), true, false), "f"),
            AnswerWithheld
        );
        assert_eq!(verdict(&existing(None, false, true), "f"), InProgress);
        assert_eq!(verdict(&existing(None, true, true), "f"), InProgress);
        assert_eq!(verdict(&existing(None, true, false), "f"), AnswerLost);
        assert_eq!(verdict(&existing(None, false, false), "f"), TakeOver);
    }

    #[test]
    fn final_answers_are_kept_and_passing_ones_are_not() {
        for kept in [200, 201, 204, 400, 401, 403, 404, 422] {
            assert!(keeps_answer(kept), "{kept}");
        }
        for passing in [409, 429, 500, 503, 408] {
            assert!(!keeps_answer(passing), "{passing}");
        }
    }
}
