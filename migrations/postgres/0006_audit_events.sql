-- Audit events: every write to releases and their links, recorded by triggers in the same
-- transaction as the write, with who made it, from where, under which request id, and the
-- row before and after. Each write transaction sets `relinks.*` (set_config, local to it).
CREATE TABLE audit_events (
    id          BIGSERIAL PRIMARY KEY,
    created_at  BIGINT NOT NULL,
    author_id   BIGINT,
    author_name TEXT,
    ip_address  TEXT,
    request_id  TEXT,
    entity_type TEXT   NOT NULL,
    entity_id   BIGINT NOT NULL,
    target_type TEXT   NOT NULL,
    target_id   BIGINT NOT NULL,
    event_name  TEXT   NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX audit_events_created ON audit_events (created_at, id);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id);

CREATE FUNCTION audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    project BIGINT;
    target  TEXT := TG_ARGV[0];
    event   TEXT := TG_ARGV[1] || CASE TG_OP WHEN 'INSERT' THEN '_created'
                                            WHEN 'UPDATE' THEN '_updated'
                                            ELSE '_deleted' END;
    old_row JSONB;
    new_row JSONB;
BEGIN
    -- `relinks copy` and the benchmark's seeding load rows: they are not writes of users.
    IF current_setting('relinks.paused', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'created_at' - 'updated_at' - 'author_id' - 'sha'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'created_at' - 'updated_at' - 'author_id' - 'sha'; END IF;
    IF TG_TABLE_NAME = 'release_links' THEN
        SELECT project_id INTO project FROM releases
        WHERE id = COALESCE(new_row ->> 'release_id', old_row ->> 'release_id')::bigint;
    ELSE
        project := COALESCE(new_row ->> 'project_id', old_row ->> 'project_id')::bigint;
    END IF;
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    VALUES (
        (extract(epoch FROM clock_timestamp()) * 1000000)::bigint,
        NULLIF(current_setting('relinks.author_id', true), '')::bigint,
        NULLIF(current_setting('relinks.author_name', true), ''),
        NULLIF(current_setting('relinks.ip_address', true), ''),
        NULLIF(current_setting('relinks.request_id', true), ''),
        'Project', COALESCE(project, 0), target,
        COALESCE(new_row ->> 'id', old_row ->> 'id')::bigint, event,
        old_row::text, new_row::text);
    RETURN NULL;
END $$;

CREATE TRIGGER audit_releases_insert_delete AFTER INSERT OR DELETE ON releases
    FOR EACH ROW EXECUTE FUNCTION audit_write('Release', 'release');
CREATE TRIGGER audit_releases_update AFTER UPDATE ON releases
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name
        OR OLD.description IS DISTINCT FROM NEW.description
        OR OLD.released_at IS DISTINCT FROM NEW.released_at
        OR OLD.tag IS DISTINCT FROM NEW.tag)
    EXECUTE FUNCTION audit_write('Release', 'release');
CREATE TRIGGER audit_release_links AFTER INSERT OR UPDATE OR DELETE ON release_links
    FOR EACH ROW EXECUTE FUNCTION audit_write('Release::Link', 'release_link');
