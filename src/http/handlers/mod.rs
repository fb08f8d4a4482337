//! One module per GitLab resource. Each handler is its request path, step by step.

pub mod audit_events;
pub mod commits;
pub mod downloads;
pub mod effective_members;
pub mod generic_packages;
pub mod groups;
pub mod health;
pub mod hook_events;
pub mod hooks;
pub mod job_tokens;
pub mod link_downloads;
pub mod link_order;
pub mod link_replace;
pub mod link_verify;
pub mod links;
pub mod members;
pub mod meta;
pub mod packages;
pub mod projects;
pub mod protected_tags;
pub mod releases;
pub mod tags;
pub mod tokens;
pub mod uploads;
pub mod users;
