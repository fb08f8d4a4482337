//! Users as clients see them: the basic entity (authors, owners, members) and the full one.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::time::format_micros;
use crate::http::urls::Urls;
use crate::store::User;

#[derive(Debug, Serialize, ToSchema)]
pub struct UserBasic {
    pub id: i64,
    pub username: String,
    pub public_email: Option<String>,
    pub name: String,
    pub state: String,
    pub locked: bool,
    pub avatar_url: Option<String>,
    pub web_url: String,
}

impl UserBasic {
    pub fn new(urls: &Urls, user: &User) -> Self {
        Self {
            id: user.id,
            username: user.username.clone(),
            public_email: None,
            name: user.name.clone(),
            state: user.state.clone(),
            locked: false,
            avatar_url: None,
            web_url: urls.user(&user.username),
        }
    }
}

/// GitLab's `User` entity, with the private fields (`email`, `is_admin`, …) only for the user
/// themself and for administrators.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserEntity {
    #[serde(flatten)]
    pub basic: UserBasic,
    pub created_at: String,
    pub bio: String,
    pub location: String,
    pub website_url: String,
    pub organization: String,
    pub job_title: String,
    pub bot: bool,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub private: Option<UserPrivate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserPrivate {
    pub email: String,
    pub commit_email: String,
    pub projects_limit: i64,
    pub can_create_group: bool,
    pub can_create_project: bool,
    pub two_factor_enabled: bool,
    pub external: bool,
    pub private_profile: bool,
    pub is_admin: bool,
}

impl UserEntity {
    pub fn new(urls: &Urls, user: &User, show_private: bool) -> Self {
        Self {
            basic: UserBasic::new(urls, user),
            created_at: format_micros(user.created_at),
            bio: String::new(),
            location: String::new(),
            website_url: String::new(),
            organization: String::new(),
            job_title: String::new(),
            bot: false,
            private: show_private.then(|| UserPrivate {
                email: user.email.clone(),
                commit_email: user.email.clone(),
                projects_limit: 100_000,
                can_create_group: true,
                can_create_project: true,
                two_factor_enabled: false,
                external: false,
                private_profile: false,
                is_admin: user.is_admin,
            }),
        }
    }
}
