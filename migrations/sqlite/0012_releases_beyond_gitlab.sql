-- Releases beyond GitLab (extensions; a project that sets none of them behaves as GitLab's):
-- semantic-version order of releases, the project's settings for its "latest" release and for
-- immutable releases, and download counts per day.

-- A release's tag as a semantic-version sort key (domain::semver: byte order is SemVer
-- precedence), '' when the tag is not a version. NULL until relinks computes it, at its start
-- for the releases made before this migration.
ALTER TABLE releases ADD COLUMN version_key TEXT;
CREATE INDEX releases_version_key ON releases (project_id, version_key);

-- Which release the plain latest permalinks lead to: NULL or 'released_at' (GitLab's), or
-- 'semver'.
ALTER TABLE projects ADD COLUMN releases_latest_order TEXT;
-- Once published, a release of such a project keeps its links and its tag.
ALTER TABLE projects ADD COLUMN releases_immutable INTEGER NOT NULL DEFAULT 0;

-- Downloads through permanent links (subject 'link') and of hosted files ('package_file',
-- 'upload'), per UTC day (days since 1970-01-01). Counted in memory and added here every few
-- seconds by each instance; rows of deleted subjects are left (nothing shows them).
CREATE TABLE download_counts (
    subject_type TEXT    NOT NULL,
    subject_id   INTEGER NOT NULL,
    day          INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (subject_type, subject_id, day)
);

-- The audit rows of projects name the new settings.
DROP TRIGGER audit_projects_insert;
DROP TRIGGER audit_projects_update;
DROP TRIGGER audit_projects_delete;

CREATE TRIGGER audit_projects_insert AFTER INSERT ON projects
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.id, 'Project', NEW.id, 'project_created',
        NULL,
        json_object('id', NEW.id, 'namespace_id', NEW.namespace_id, 'name', NEW.name, 'path', NEW.path, 'description', NEW.description, 'visibility', NEW.visibility, 'releases_access_level', NEW.releases_access_level, 'releases_latest_order', NEW.releases_latest_order, 'releases_immutable', json(CASE WHEN NEW.releases_immutable THEN 'true' ELSE 'false' END))
    FROM audit_context c;
END;

CREATE TRIGGER audit_projects_update AFTER UPDATE ON projects
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.namespace_id IS NOT NEW.namespace_id OR OLD.name IS NOT NEW.name OR OLD.path IS NOT NEW.path OR OLD.description IS NOT NEW.description OR OLD.visibility IS NOT NEW.visibility OR OLD.releases_access_level IS NOT NEW.releases_access_level OR OLD.releases_latest_order IS NOT NEW.releases_latest_order OR OLD.releases_immutable IS NOT NEW.releases_immutable)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.id, 'Project', NEW.id, 'project_updated',
        json_object('id', OLD.id, 'namespace_id', OLD.namespace_id, 'name', OLD.name, 'path', OLD.path, 'description', OLD.description, 'visibility', OLD.visibility, 'releases_access_level', OLD.releases_access_level, 'releases_latest_order', OLD.releases_latest_order, 'releases_immutable', json(CASE WHEN OLD.releases_immutable THEN 'true' ELSE 'false' END)),
        json_object('id', NEW.id, 'namespace_id', NEW.namespace_id, 'name', NEW.name, 'path', NEW.path, 'description', NEW.description, 'visibility', NEW.visibility, 'releases_access_level', NEW.releases_access_level, 'releases_latest_order', NEW.releases_latest_order, 'releases_immutable', json(CASE WHEN NEW.releases_immutable THEN 'true' ELSE 'false' END))
    FROM audit_context c;
END;

CREATE TRIGGER audit_projects_delete AFTER DELETE ON projects
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.id, 'Project', OLD.id, 'project_deleted',
        json_object('id', OLD.id, 'namespace_id', OLD.namespace_id, 'name', OLD.name, 'path', OLD.path, 'description', OLD.description, 'visibility', OLD.visibility, 'releases_access_level', OLD.releases_access_level, 'releases_latest_order', OLD.releases_latest_order, 'releases_immutable', json(CASE WHEN OLD.releases_immutable THEN 'true' ELSE 'false' END)),
        NULL
    FROM audit_context c;
END;
