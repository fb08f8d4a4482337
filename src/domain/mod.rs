//! The rules of the product as plain Rust: no HTTP, no SQL. Everything here is unit-tested
//! without a server or a database.

pub mod access;
pub mod content;
pub mod downloads;
pub mod hosted;
pub mod idempotency;
pub mod link;
pub mod link_digest;
pub mod link_order;
pub mod membership;
pub mod names;
pub mod network;
pub mod packages;
pub mod pagination;
pub mod release;
pub mod release_policy;
pub mod sealed;
pub mod semver;
pub mod time;
pub mod token;
pub mod uploads;
pub mod webhooks;
