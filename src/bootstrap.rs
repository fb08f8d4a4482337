//! The first administrator. With `RELINKS_ROOT_TOKEN` set, `root` exists and that exact string
//! is its `api` token (idempotent: restarts change nothing). Without it, an empty database gets
//! `root` with a random token, returned so that it can be shown once.

use crate::domain::token::{self, TokenKey, PERSONAL_PREFIX};
use crate::store::{NewPersonalToken, NewUser, Store, StoreError, StoreResult, User};

pub const ROOT_USERNAME: &str = "root";

async fn root_user<S: Store>(store: &S) -> StoreResult<User> {
    if let Some(user) = store.user_by_username(ROOT_USERNAME).await? {
        return Ok(user);
    }
    let new = NewUser {
        username: ROOT_USERNAME.into(),
        name: "Administrator".into(),
        email: "admin@example.com".into(),
        is_admin: true,
    };
    match store.create_user(&new).await {
        Ok(user) => Ok(user),
        // Another instance created it at the same moment.
        Err(StoreError::Conflict(_)) => store
            .user_by_username(ROOT_USERNAME)
            .await?
            .ok_or_else(|| StoreError::Corrupt("root vanished".into())),
        Err(e) => Err(e),
    }
}

/// Returns the new token when one was generated (first start without `RELINKS_ROOT_TOKEN`).
pub async fn ensure_root<S: Store>(
    store: &S,
    root_token: Option<&str>,
    key: &TokenKey,
) -> StoreResult<Option<String>> {
    let (secret, generated) = match root_token {
        Some(secret) => (secret.to_owned(), false),
        None if store.count_users().await? == 0 => (token::generate(PERSONAL_PREFIX), true),
        None => return Ok(None),
    };
    let root = root_user(store).await?;
    store
        .ensure_personal_token(&NewPersonalToken {
            user_id: root.id,
            name: "bootstrap".into(),
            digest: key.digest(&secret),
            scopes: vec!["api".into()],
            expires_at: None,
        })
        .await?;
    Ok(generated.then_some(secret))
}
