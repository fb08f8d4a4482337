//! What callers authenticate with: personal access tokens, CI job tokens, and browser
//! sessions signed in with a personal token. Only digests of their secrets are stored.

use chrono::NaiveDate;

use crate::domain::time::Micros;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonalToken {
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<NaiveDate>,
    pub revoked: bool,
    pub created_at: Micros,
    pub last_used_at: Option<Micros>,
}

#[derive(Debug, Clone)]
pub struct NewPersonalToken {
    pub user_id: i64,
    pub name: String,
    pub digest: String,
    pub scopes: Vec<String>,
    pub expires_at: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobToken {
    pub id: i64,
    pub project_id: i64,
    pub user_id: i64,
    pub expires_at: Micros,
    pub created_at: Micros,
}

#[derive(Debug, Clone)]
pub struct NewJobToken {
    pub digest: String,
    pub project_id: i64,
    pub user_id: i64,
    pub expires_at: Micros,
}

/// A browser session: who signed in, with which token, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: i64,
    pub user_id: i64,
    pub token_id: i64,
    pub created_at: Micros,
    pub expires_at: Micros,
}
