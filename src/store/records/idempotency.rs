//! Idempotency keys (an extension): a caller's key, the request it was first used for, and
//! that request's answer once it has one.

use crate::domain::time::Micros;

/// A request claiming its key.
#[derive(Debug, Clone)]
pub struct NewIdempotencyKey {
    pub user_id: i64,
    pub key: String,
    pub method: String,
    pub path: String,
    pub fingerprint: String,
    /// The claiming instance: its claim holds while it runs.
    pub instance: i64,
    pub now: Micros,
}

/// An answer kept for replays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptAnswer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// A key as stored, when another request names it.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    pub id: i64,
    pub fingerprint: String,
    /// `Some(0)`: the request wrote, and its answer was lost.
    pub status: Option<u16>,
    pub wrote: bool,
    /// Whether the claiming request may still be running (its instance runs, its claim holds).
    pub live: bool,
    pub answer: Option<KeptAnswer>,
}

/// What claiming a key gave.
#[derive(Debug, Clone)]
pub enum KeyClaim {
    /// The key is this request's: its writes mark the key (`id`) in their transactions.
    Claimed(i64),
    /// Another request has it.
    Taken(IdempotencyKey),
}

impl IdempotencyKey {
    /// What the rules of [`crate::domain::idempotency`] need to know of it.
    pub fn rules(&self) -> crate::domain::idempotency::Existing {
        crate::domain::idempotency::Existing {
            fingerprint: self.fingerprint.clone(),
            status: self.status,
            wrote: self.wrote,
            live: self.live,
        }
    }
}
