-- Audit events for every other write: users, groups, projects, members, tokens (never their
-- digests), protected tags and tags, as 0006 does for releases and links. An update is recorded
-- when a recorded column changes (not for `last_used_at` or `updated_at` alone).

CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
-- Arguments: target type, event prefix, entity type, entity id column, target id column, then
-- the columns left out of the record.
DECLARE
    old_row JSONB;
    new_row JSONB;
    subject JSONB;
    dropped TEXT[] := TG_ARGV[5:];
BEGIN
    IF current_setting('relinks.paused', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - dropped; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - dropped; END IF;
    IF TG_OP = 'UPDATE' AND old_row = new_row THEN
        RETURN NULL;
    END IF;
    subject := COALESCE(new_row, old_row);
    IF TG_TABLE_NAME = 'namespaces' AND subject ->> 'kind' <> 'group' THEN
        RETURN NULL;
    END IF;
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    VALUES (
        (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
        NULLIF(current_setting('relinks.author_id', true), '')::bigint,
        NULLIF(current_setting('relinks.author_name', true), ''),
        NULLIF(current_setting('relinks.ip_address', true), ''),
        NULLIF(current_setting('relinks.request_id', true), ''),
        TG_ARGV[2], (subject ->> TG_ARGV[3])::bigint, TG_ARGV[0], (subject ->> TG_ARGV[4])::bigint,
        TG_ARGV[1] || CASE TG_OP WHEN 'INSERT' THEN '_created' WHEN 'UPDATE' THEN '_updated' ELSE '_deleted' END,
        old_row::text, new_row::text);
    RETURN NULL;
END $$;

CREATE TRIGGER audit_users AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION audit_row('User', 'user', 'User', 'id', 'id', 'created_at');

CREATE TRIGGER audit_namespaces AFTER INSERT OR UPDATE OR DELETE ON namespaces
    FOR EACH ROW EXECUTE FUNCTION audit_row('Group', 'group', 'Group', 'id', 'id', 'full_name', 'traversal_ids', 'owner_id', 'created_at');

CREATE TRIGGER audit_projects AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION audit_row('Project', 'project', 'Project', 'id', 'id', 'creator_id', 'created_at', 'updated_at');

CREATE TRIGGER audit_project_members AFTER INSERT OR UPDATE OR DELETE ON project_members
    FOR EACH ROW EXECUTE FUNCTION audit_row('Member', 'project_member', 'Project', 'project_id', 'user_id', 'created_at');

CREATE TRIGGER audit_group_members AFTER INSERT OR UPDATE OR DELETE ON group_members
    FOR EACH ROW EXECUTE FUNCTION audit_row('Member', 'group_member', 'Group', 'namespace_id', 'user_id', 'created_at');

CREATE TRIGGER audit_personal_access_tokens AFTER INSERT OR UPDATE OR DELETE ON personal_access_tokens
    FOR EACH ROW EXECUTE FUNCTION audit_row('PersonalAccessToken', 'personal_access_token', 'User', 'user_id', 'id', 'digest', 'created_at', 'last_used_at');

CREATE TRIGGER audit_job_tokens AFTER INSERT OR UPDATE OR DELETE ON job_tokens
    FOR EACH ROW EXECUTE FUNCTION audit_row('JobToken', 'job_token', 'Project', 'project_id', 'id', 'digest', 'created_at');

CREATE TRIGGER audit_protected_tags AFTER INSERT OR UPDATE OR DELETE ON protected_tags
    FOR EACH ROW EXECUTE FUNCTION audit_row('ProtectedTag', 'protected_tag', 'Project', 'project_id', 'id', 'created_at');

CREATE TRIGGER audit_tags AFTER INSERT OR UPDATE OR DELETE ON tags
    FOR EACH ROW EXECUTE FUNCTION audit_row('Tag', 'tag', 'Project', 'project_id', 'id', 'created_at');
