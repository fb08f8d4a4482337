//! [`Projects`]: the store's part for projects, memberships, protected tags and tags.

use std::future::Future;

use super::{
    Member, MemberGrants, MemberSource, Namespace, NewProject, NewTag, Page, Project,
    ProjectChanges, ProjectFilter, ProtectedTag, StoreResult, Tag, TagQuery,
};
use crate::domain::pagination::PageRequest;

/// Projects, memberships, protected tags and tags.
pub trait Projects {
    // Projects.
    /// Creates the project; in a personal namespace its owner becomes an owner member.
    fn create_project(
        &self,
        project: &NewProject,
    ) -> impl Future<Output = StoreResult<Project>> + Send;
    fn project(&self, id: i64) -> impl Future<Output = StoreResult<Option<Project>>> + Send;
    /// Case-insensitive, as GitLab's routes are.
    fn project_by_full_path(
        &self,
        full_path: &str,
    ) -> impl Future<Output = StoreResult<Option<Project>>> + Send;
    /// A project that used to live at `full_path` before a rename.
    fn project_by_redirect(
        &self,
        full_path: &str,
    ) -> impl Future<Output = StoreResult<Option<Project>>> + Send;
    fn projects(
        &self,
        filter: &ProjectFilter,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Project>>> + Send;
    fn update_project(
        &self,
        id: i64,
        changes: &ProjectChanges,
    ) -> impl Future<Output = StoreResult<Project>> + Send;
    fn delete_project(&self, id: i64) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Whether another project of the namespace already has this name, and this path
    /// (case-insensitively); `except` leaves one project out, for updates.
    fn project_name_conflicts(
        &self,
        namespace_id: i64,
        name: &str,
        path: &str,
        except: Option<i64>,
    ) -> impl Future<Output = StoreResult<(bool, bool)>> + Send;

    // Memberships.
    /// The user's memberships in the project and in its groups, with their expiry dates:
    /// whether they grant anything is the caller's question for its day
    /// ([`MemberGrants::on`]).
    fn member_grants(
        &self,
        user_id: i64,
        project: &Project,
    ) -> impl Future<Output = StoreResult<MemberGrants>> + Send;
    /// The user's memberships in the group and in each of its ancestors, with their expiry
    /// dates (`domain::membership::strongest` says what they grant on a day).
    fn group_grants(
        &self,
        user_id: i64,
        group: &Namespace,
    ) -> impl Future<Output = StoreResult<Vec<crate::domain::membership::Grant>>> + Send;
    /// How many owner memberships in force on `today` the group and its ancestors hold.
    fn group_owners(
        &self,
        group: &Namespace,
        today: chrono::NaiveDate,
    ) -> impl Future<Output = StoreResult<i64>> + Send;
    fn members(
        &self,
        source: MemberSource,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Member>>> + Send;
    fn member(
        &self,
        source: MemberSource,
        user_id: i64,
    ) -> impl Future<Output = StoreResult<Option<Member>>> + Send;
    /// Every membership bearing on the project, direct and inherited from its group and the
    /// groups above (`user_id` alone when given), each with whether it is the project's own;
    /// by user, then project row first.
    fn project_memberships(
        &self,
        project: &Project,
        user_id: Option<i64>,
    ) -> impl Future<Output = StoreResult<Vec<(Member, bool)>>> + Send;
    fn add_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<chrono::NaiveDate>,
    ) -> impl Future<Output = StoreResult<Member>> + Send;
    fn update_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<Option<chrono::NaiveDate>>,
    ) -> impl Future<Output = StoreResult<Option<Member>>> + Send;
    fn remove_member(
        &self,
        source: MemberSource,
        user_id: i64,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // Protected tags and tags.
    fn protected_tags(
        &self,
        project_id: i64,
    ) -> impl Future<Output = StoreResult<Vec<ProtectedTag>>> + Send;
    fn create_protected_tag(
        &self,
        project_id: i64,
        name: &str,
        level: crate::domain::access::AccessLevel,
    ) -> impl Future<Output = StoreResult<ProtectedTag>> + Send;
    fn delete_protected_tag(
        &self,
        project_id: i64,
        name: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    fn tag(
        &self,
        project_id: i64,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<Tag>>> + Send;
    fn tags(
        &self,
        project_id: i64,
        query: &TagQuery,
        page: PageRequest,
    ) -> impl Future<Output = StoreResult<Page<Tag>>> + Send;
    fn create_tag(&self, tag: &NewTag) -> impl Future<Output = StoreResult<Tag>> + Send;
    /// Deletes the tag and the release made from it.
    fn delete_tag(
        &self,
        project_id: i64,
        name: &str,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
