//! Every integration test but two, as modules of one test binary: one crate to compile and one
//! binary to link, where one binary per file compiled `common` and linked a 100 MB debug build
//! for each of forty-odd files. `readme.rs` (it builds the crate in release, on a copy) and
//! `statements.rs` (it counts every statement the process runs, through a global subscriber)
//! are binaries of their own. A module's tests are named after it: `cargo test --test
//! integration links_api::` runs one file's.

mod common;

mod audit_events;
mod backup;
mod bad_input;
mod clients;
mod code_layout;
mod conditional_reads;
mod connections;
mod copy;
mod crash;
mod crash_files;
mod crash_idempotency;
mod crash_webhooks;
mod download_counts;
mod files_abuse;
mod files_carry;
mod freshness;
mod fuzz_requests;
mod hardening;
mod hosted_digests;
mod hosted_files;
mod idempotency;
mod immutable_releases;
mod link_digests;
mod link_order;
mod link_replace;
mod link_verify;
mod links_api;
mod member_expiry;
mod openapi;
mod packages_api;
mod pagination;
mod permissions;
mod postgres;
mod process;
mod properties;
mod races;
mod rate_limits;
mod release_channels;
mod release_tools;
mod releases_api;
mod resources_api;
mod round_trips;
mod schema_tables;
mod schemathesis;
mod secrets;
mod seed_examples;
mod transfers;
mod uploads_api;
mod web;
mod web_files;
mod webhooks;
