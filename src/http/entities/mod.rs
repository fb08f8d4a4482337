//! The JSON clients see, in GitLab's field order, one module per resource. Entities are built
//! from store records plus context (the external URL, the project, what the caller may see);
//! records are never serialised directly.

mod audit;
mod downloads;
mod hooks;
mod links;
mod packages;
mod projects;
mod releases;
mod tags;
mod users;

use serde::Serialize;
use serde_json::Value;

pub use audit::*;
pub use downloads::*;
pub use hooks::*;
pub use links::*;
pub use packages::*;
pub use projects::*;
pub use releases::*;
pub use tags::*;
pub use users::*;

/// Serialises an entity; entities are plain data, so this cannot fail in practice.
pub fn to_value<T: Serialize>(entity: &T) -> Value {
    serde_json::to_value(entity).unwrap_or(Value::Null)
}
