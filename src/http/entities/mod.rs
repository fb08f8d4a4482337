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

use axum::body::Bytes;
use serde::Serialize;
use serde_json::Value;

use crate::http::conditional::BodyDigest;
use crate::http::error::{ApiError, ApiResult};
use crate::store::StoreError;

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

/// An entity's JSON and its digest, rendered once to be kept (the content memo) and sent many
/// times.
pub fn rendered<T: Serialize>(entity: &T) -> ApiResult<(Bytes, BodyDigest)> {
    let json = serde_json::to_vec(entity)
        .map_err(|e| ApiError::Store(StoreError::Corrupt(format!("rendering an answer: {e}"))))?;
    let digest = BodyDigest::of(&json);
    Ok((Bytes::from(json), digest))
}
