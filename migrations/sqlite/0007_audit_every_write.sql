-- Audit events for every other write: users, groups, projects, members, tokens (never their
-- digests), protected tags and tags, as 0006 does for releases and links. An update is recorded
-- when a recorded column changes (not for `last_used_at` or `updated_at` alone).

CREATE TRIGGER audit_users_insert AFTER INSERT ON users
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'User', NEW.id, 'User', NEW.id, 'user_created',
        NULL,
        json_object('id', NEW.id, 'username', NEW.username, 'name', NEW.name, 'email', NEW.email, 'is_admin', json(CASE WHEN NEW.is_admin THEN 'true' ELSE 'false' END), 'state', NEW.state)
    FROM audit_context c;
END;

CREATE TRIGGER audit_users_update AFTER UPDATE ON users
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.username IS NOT NEW.username OR OLD.name IS NOT NEW.name OR OLD.email IS NOT NEW.email OR OLD.is_admin IS NOT NEW.is_admin OR OLD.state IS NOT NEW.state)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'User', NEW.id, 'User', NEW.id, 'user_updated',
        json_object('id', OLD.id, 'username', OLD.username, 'name', OLD.name, 'email', OLD.email, 'is_admin', json(CASE WHEN OLD.is_admin THEN 'true' ELSE 'false' END), 'state', OLD.state),
        json_object('id', NEW.id, 'username', NEW.username, 'name', NEW.name, 'email', NEW.email, 'is_admin', json(CASE WHEN NEW.is_admin THEN 'true' ELSE 'false' END), 'state', NEW.state)
    FROM audit_context c;
END;

CREATE TRIGGER audit_users_delete AFTER DELETE ON users
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'User', OLD.id, 'User', OLD.id, 'user_deleted',
        json_object('id', OLD.id, 'username', OLD.username, 'name', OLD.name, 'email', OLD.email, 'is_admin', json(CASE WHEN OLD.is_admin THEN 'true' ELSE 'false' END), 'state', OLD.state),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_namespaces_insert AFTER INSERT ON namespaces
WHEN (SELECT paused FROM audit_context) = 0 AND NEW.kind = 'group'
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', NEW.id, 'Group', NEW.id, 'group_created',
        NULL,
        json_object('id', NEW.id, 'kind', NEW.kind, 'name', NEW.name, 'path', NEW.path, 'full_path', NEW.full_path, 'parent_id', NEW.parent_id, 'visibility', NEW.visibility, 'description', NEW.description)
    FROM audit_context c;
END;

CREATE TRIGGER audit_namespaces_update AFTER UPDATE ON namespaces
WHEN (SELECT paused FROM audit_context) = 0 AND NEW.kind = 'group' AND (OLD.id IS NOT NEW.id OR OLD.kind IS NOT NEW.kind OR OLD.name IS NOT NEW.name OR OLD.path IS NOT NEW.path OR OLD.full_path IS NOT NEW.full_path OR OLD.parent_id IS NOT NEW.parent_id OR OLD.visibility IS NOT NEW.visibility OR OLD.description IS NOT NEW.description)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', NEW.id, 'Group', NEW.id, 'group_updated',
        json_object('id', OLD.id, 'kind', OLD.kind, 'name', OLD.name, 'path', OLD.path, 'full_path', OLD.full_path, 'parent_id', OLD.parent_id, 'visibility', OLD.visibility, 'description', OLD.description),
        json_object('id', NEW.id, 'kind', NEW.kind, 'name', NEW.name, 'path', NEW.path, 'full_path', NEW.full_path, 'parent_id', NEW.parent_id, 'visibility', NEW.visibility, 'description', NEW.description)
    FROM audit_context c;
END;

CREATE TRIGGER audit_namespaces_delete AFTER DELETE ON namespaces
WHEN (SELECT paused FROM audit_context) = 0 AND OLD.kind = 'group'
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', OLD.id, 'Group', OLD.id, 'group_deleted',
        json_object('id', OLD.id, 'kind', OLD.kind, 'name', OLD.name, 'path', OLD.path, 'full_path', OLD.full_path, 'parent_id', OLD.parent_id, 'visibility', OLD.visibility, 'description', OLD.description),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_projects_insert AFTER INSERT ON projects
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.id, 'Project', NEW.id, 'project_created',
        NULL,
        json_object('id', NEW.id, 'namespace_id', NEW.namespace_id, 'name', NEW.name, 'path', NEW.path, 'description', NEW.description, 'visibility', NEW.visibility, 'releases_access_level', NEW.releases_access_level)
    FROM audit_context c;
END;

CREATE TRIGGER audit_projects_update AFTER UPDATE ON projects
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.namespace_id IS NOT NEW.namespace_id OR OLD.name IS NOT NEW.name OR OLD.path IS NOT NEW.path OR OLD.description IS NOT NEW.description OR OLD.visibility IS NOT NEW.visibility OR OLD.releases_access_level IS NOT NEW.releases_access_level)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.id, 'Project', NEW.id, 'project_updated',
        json_object('id', OLD.id, 'namespace_id', OLD.namespace_id, 'name', OLD.name, 'path', OLD.path, 'description', OLD.description, 'visibility', OLD.visibility, 'releases_access_level', OLD.releases_access_level),
        json_object('id', NEW.id, 'namespace_id', NEW.namespace_id, 'name', NEW.name, 'path', NEW.path, 'description', NEW.description, 'visibility', NEW.visibility, 'releases_access_level', NEW.releases_access_level)
    FROM audit_context c;
END;

CREATE TRIGGER audit_projects_delete AFTER DELETE ON projects
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.id, 'Project', OLD.id, 'project_deleted',
        json_object('id', OLD.id, 'namespace_id', OLD.namespace_id, 'name', OLD.name, 'path', OLD.path, 'description', OLD.description, 'visibility', OLD.visibility, 'releases_access_level', OLD.releases_access_level),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_project_members_insert AFTER INSERT ON project_members
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Member', NEW.user_id, 'project_member_created',
        NULL,
        json_object('project_id', NEW.project_id, 'user_id', NEW.user_id, 'access_level', NEW.access_level, 'expires_at', NEW.expires_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_project_members_update AFTER UPDATE ON project_members
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.project_id IS NOT NEW.project_id OR OLD.user_id IS NOT NEW.user_id OR OLD.access_level IS NOT NEW.access_level OR OLD.expires_at IS NOT NEW.expires_at)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Member', NEW.user_id, 'project_member_updated',
        json_object('project_id', OLD.project_id, 'user_id', OLD.user_id, 'access_level', OLD.access_level, 'expires_at', OLD.expires_at),
        json_object('project_id', NEW.project_id, 'user_id', NEW.user_id, 'access_level', NEW.access_level, 'expires_at', NEW.expires_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_project_members_delete AFTER DELETE ON project_members
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'Member', OLD.user_id, 'project_member_deleted',
        json_object('project_id', OLD.project_id, 'user_id', OLD.user_id, 'access_level', OLD.access_level, 'expires_at', OLD.expires_at),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_group_members_insert AFTER INSERT ON group_members
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', NEW.namespace_id, 'Member', NEW.user_id, 'group_member_created',
        NULL,
        json_object('namespace_id', NEW.namespace_id, 'user_id', NEW.user_id, 'access_level', NEW.access_level, 'expires_at', NEW.expires_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_group_members_update AFTER UPDATE ON group_members
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.namespace_id IS NOT NEW.namespace_id OR OLD.user_id IS NOT NEW.user_id OR OLD.access_level IS NOT NEW.access_level OR OLD.expires_at IS NOT NEW.expires_at)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', NEW.namespace_id, 'Member', NEW.user_id, 'group_member_updated',
        json_object('namespace_id', OLD.namespace_id, 'user_id', OLD.user_id, 'access_level', OLD.access_level, 'expires_at', OLD.expires_at),
        json_object('namespace_id', NEW.namespace_id, 'user_id', NEW.user_id, 'access_level', NEW.access_level, 'expires_at', NEW.expires_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_group_members_delete AFTER DELETE ON group_members
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', OLD.namespace_id, 'Member', OLD.user_id, 'group_member_deleted',
        json_object('namespace_id', OLD.namespace_id, 'user_id', OLD.user_id, 'access_level', OLD.access_level, 'expires_at', OLD.expires_at),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_personal_access_tokens_insert AFTER INSERT ON personal_access_tokens
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'User', NEW.user_id, 'PersonalAccessToken', NEW.id, 'personal_access_token_created',
        NULL,
        json_object('id', NEW.id, 'user_id', NEW.user_id, 'name', NEW.name, 'scopes', NEW.scopes, 'expires_at', NEW.expires_at, 'revoked', json(CASE WHEN NEW.revoked THEN 'true' ELSE 'false' END))
    FROM audit_context c;
END;

CREATE TRIGGER audit_personal_access_tokens_update AFTER UPDATE ON personal_access_tokens
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.user_id IS NOT NEW.user_id OR OLD.name IS NOT NEW.name OR OLD.scopes IS NOT NEW.scopes OR OLD.expires_at IS NOT NEW.expires_at OR OLD.revoked IS NOT NEW.revoked)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'User', NEW.user_id, 'PersonalAccessToken', NEW.id, 'personal_access_token_updated',
        json_object('id', OLD.id, 'user_id', OLD.user_id, 'name', OLD.name, 'scopes', OLD.scopes, 'expires_at', OLD.expires_at, 'revoked', json(CASE WHEN OLD.revoked THEN 'true' ELSE 'false' END)),
        json_object('id', NEW.id, 'user_id', NEW.user_id, 'name', NEW.name, 'scopes', NEW.scopes, 'expires_at', NEW.expires_at, 'revoked', json(CASE WHEN NEW.revoked THEN 'true' ELSE 'false' END))
    FROM audit_context c;
END;

CREATE TRIGGER audit_personal_access_tokens_delete AFTER DELETE ON personal_access_tokens
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'User', OLD.user_id, 'PersonalAccessToken', OLD.id, 'personal_access_token_deleted',
        json_object('id', OLD.id, 'user_id', OLD.user_id, 'name', OLD.name, 'scopes', OLD.scopes, 'expires_at', OLD.expires_at, 'revoked', json(CASE WHEN OLD.revoked THEN 'true' ELSE 'false' END)),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_job_tokens_insert AFTER INSERT ON job_tokens
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'JobToken', NEW.id, 'job_token_created',
        NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'user_id', NEW.user_id, 'expires_at', NEW.expires_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_job_tokens_update AFTER UPDATE ON job_tokens
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.project_id IS NOT NEW.project_id OR OLD.user_id IS NOT NEW.user_id OR OLD.expires_at IS NOT NEW.expires_at)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'JobToken', NEW.id, 'job_token_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'user_id', OLD.user_id, 'expires_at', OLD.expires_at),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'user_id', NEW.user_id, 'expires_at', NEW.expires_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_job_tokens_delete AFTER DELETE ON job_tokens
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'JobToken', OLD.id, 'job_token_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'user_id', OLD.user_id, 'expires_at', OLD.expires_at),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_protected_tags_insert AFTER INSERT ON protected_tags
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'ProtectedTag', NEW.id, 'protected_tag_created',
        NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'create_access_level', NEW.create_access_level)
    FROM audit_context c;
END;

CREATE TRIGGER audit_protected_tags_update AFTER UPDATE ON protected_tags
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.project_id IS NOT NEW.project_id OR OLD.name IS NOT NEW.name OR OLD.create_access_level IS NOT NEW.create_access_level)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'ProtectedTag', NEW.id, 'protected_tag_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'create_access_level', OLD.create_access_level),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'create_access_level', NEW.create_access_level)
    FROM audit_context c;
END;

CREATE TRIGGER audit_protected_tags_delete AFTER DELETE ON protected_tags
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'ProtectedTag', OLD.id, 'protected_tag_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'create_access_level', OLD.create_access_level),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_tags_insert AFTER INSERT ON tags
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Tag', NEW.id, 'tag_created',
        NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'target', NEW.target, 'message', NEW.message)
    FROM audit_context c;
END;

CREATE TRIGGER audit_tags_update AFTER UPDATE ON tags
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.project_id IS NOT NEW.project_id OR OLD.name IS NOT NEW.name OR OLD.target IS NOT NEW.target OR OLD.message IS NOT NEW.message)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Tag', NEW.id, 'tag_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'target', OLD.target, 'message', OLD.message),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'target', NEW.target, 'message', NEW.message)
    FROM audit_context c;
END;

CREATE TRIGGER audit_tags_delete AFTER DELETE ON tags
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'Tag', OLD.id, 'tag_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'target', OLD.target, 'message', OLD.message),
        NULL
    FROM audit_context c;
END;
