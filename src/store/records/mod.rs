//! What the store hands out and takes in: plain records, independent of any engine, one file
//! per resource. The JSON a client sees is built from these in `http::entities`, never by
//! serialising them.

mod audit_events;
mod downloads;
mod files;
mod hooks;
mod idempotency;
mod links;
mod members;
mod namespaces;
mod projects;
mod releases;
mod tags;
mod tokens;
mod users;

pub use audit_events::*;
pub use downloads::*;
pub use files::*;
pub use hooks::*;
pub use idempotency::*;
pub use links::*;
pub use members::*;
pub use namespaces::*;
pub use projects::*;
pub use releases::*;
pub use tags::*;
pub use tokens::*;
pub use users::*;
