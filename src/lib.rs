//! relinks: a small, fast server that speaks GitLab's REST API v4 for releases and release asset
//! links. See ARCHITECTURE.md for the layers.

// Nothing that comes from a request, a file or the database may panic the server.
#![warn(clippy::expect_used)]

pub mod app;
pub mod backup;
pub mod blobs;
pub mod bootstrap;
pub mod config;
pub mod copy;
pub mod domain;
pub mod files;
pub mod http;
pub mod outbound;
pub mod secret;
pub mod store;
pub mod web;
