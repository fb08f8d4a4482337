//! The cache in front of [`Projects`]: projects, memberships (with their dates) and protected
//! tags are kept in the access part, tags in the releases part; listings are read from the
//! database.

use super::{key, Cached};
use crate::domain::membership::Grant;
use crate::domain::pagination::PageRequest;
use crate::store::{
    Member, MemberGrants, MemberSource, Namespace, NewProject, NewTag, Page, Project,
    ProjectChanges, ProjectFilter, Projects, ProtectedTag, Store, StoreResult, Tag, TagQuery,
};

/// The bytes a user's memberships take.
fn grants_size(groups: &[Grant]) -> usize {
    std::mem::size_of::<MemberGrants>() + std::mem::size_of_val(groups)
}

impl<S: Store> Projects for Cached<S> {
    async fn create_project(&self, project: &NewProject) -> StoreResult<Project> {
        let result = self.inner.create_project(project).await;
        self.changed();
        result
    }

    async fn project(&self, id: i64) -> StoreResult<Option<Project>> {
        let key = key(&[&"project:", &id]);
        self.read(&self.access, key, self.inner.project(id)).await
    }

    async fn project_by_full_path(&self, full_path: &str) -> StoreResult<Option<Project>> {
        let key = format!("project-path:{}", full_path.to_lowercase());
        self.read(
            &self.access,
            key,
            self.inner.project_by_full_path(full_path),
        )
        .await
    }

    async fn project_by_redirect(&self, full_path: &str) -> StoreResult<Option<Project>> {
        let key = format!("project-redirect:{}", full_path.to_lowercase());
        self.read(&self.access, key, self.inner.project_by_redirect(full_path))
            .await
    }

    async fn projects(
        &self,
        filter: &ProjectFilter,
        page: PageRequest,
    ) -> StoreResult<Page<Project>> {
        self.inner.projects(filter, page).await
    }

    async fn update_project(&self, id: i64, changes: &ProjectChanges) -> StoreResult<Project> {
        let result = self.inner.update_project(id, changes).await;
        self.changed();
        result
    }

    async fn delete_project(&self, id: i64) -> StoreResult<bool> {
        let result = self.inner.delete_project(id).await;
        self.changed();
        result
    }

    async fn project_name_conflicts(
        &self,
        namespace_id: i64,
        name: &str,
        path: &str,
        except: Option<i64>,
    ) -> StoreResult<(bool, bool)> {
        self.inner
            .project_name_conflicts(namespace_id, name, path, except)
            .await
    }

    async fn member_grants(&self, user_id: i64, project: &Project) -> StoreResult<MemberGrants> {
        // The memberships with their dates, never the levels of one day: a membership that
        // ends at midnight stops counting at midnight whatever is kept here.
        let key = key(&[&"grants:", &user_id, &":", &project.id]);
        self.read_sized(
            &self.access,
            key,
            |g: &MemberGrants| grants_size(&g.groups),
            self.inner.member_grants(user_id, project),
        )
        .await
    }

    async fn group_owners(&self, group: &Namespace, today: chrono::NaiveDate) -> StoreResult<i64> {
        // Asked only before a membership change: always read from the database.
        self.inner.group_owners(group, today).await
    }

    async fn group_grants(&self, user_id: i64, group: &Namespace) -> StoreResult<Vec<Grant>> {
        let key = key(&[&"group-grants:", &user_id, &":", &group.id]);
        self.read_sized(
            &self.access,
            key,
            |g: &Vec<Grant>| grants_size(g),
            self.inner.group_grants(user_id, group),
        )
        .await
    }

    async fn members(&self, source: MemberSource, page: PageRequest) -> StoreResult<Page<Member>> {
        self.inner.members(source, page).await
    }

    async fn member(&self, source: MemberSource, user_id: i64) -> StoreResult<Option<Member>> {
        self.inner.member(source, user_id).await
    }

    async fn project_memberships(
        &self,
        project: &Project,
        user_id: Option<i64>,
    ) -> StoreResult<Vec<(Member, bool)>> {
        self.inner.project_memberships(project, user_id).await
    }

    async fn add_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<chrono::NaiveDate>,
    ) -> StoreResult<Member> {
        let result = self
            .inner
            .add_member(source, user_id, level, expires_at)
            .await;
        self.changed();
        result
    }

    async fn update_member(
        &self,
        source: MemberSource,
        user_id: i64,
        level: crate::domain::access::AccessLevel,
        expires_at: Option<Option<chrono::NaiveDate>>,
    ) -> StoreResult<Option<Member>> {
        let result = self
            .inner
            .update_member(source, user_id, level, expires_at)
            .await;
        self.changed();
        result
    }

    async fn remove_member(&self, source: MemberSource, user_id: i64) -> StoreResult<bool> {
        let result = self.inner.remove_member(source, user_id).await;
        self.changed();
        result
    }

    async fn protected_tags(&self, project_id: i64) -> StoreResult<Vec<ProtectedTag>> {
        let key = key(&[&"protected:", &project_id]);
        self.read(&self.access, key, self.inner.protected_tags(project_id))
            .await
    }

    async fn create_protected_tag(
        &self,
        project_id: i64,
        name: &str,
        level: crate::domain::access::AccessLevel,
    ) -> StoreResult<ProtectedTag> {
        let result = self
            .inner
            .create_protected_tag(project_id, name, level)
            .await;
        self.changed();
        result
    }

    async fn delete_protected_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_protected_tag(project_id, name).await;
        self.changed();
        result
    }

    async fn tag(&self, project_id: i64, name: &str) -> StoreResult<Option<Tag>> {
        let key = key(&[&"tag:", &project_id, &":", &name]);
        self.read(&self.releases, key, self.inner.tag(project_id, name))
            .await
    }

    async fn tags(
        &self,
        project_id: i64,
        query: &TagQuery,
        page: PageRequest,
    ) -> StoreResult<Page<Tag>> {
        self.inner.tags(project_id, query, page).await
    }

    async fn create_tag(&self, tag: &NewTag) -> StoreResult<Tag> {
        let result = self.inner.create_tag(tag).await;
        self.releases_changed();
        result
    }

    async fn delete_tag(&self, project_id: i64, name: &str) -> StoreResult<bool> {
        let result = self.inner.delete_tag(project_id, name).await;
        self.releases_changed();
        result
    }
}
