-- An explicit order of a release's links (PUT …/assets/links/order): each link's place, from 1.
-- A release whose links have none lists them newest first, as GitLab does; a link created once
-- an order is set takes the place after the last (the index finds it without a scan; it holds
-- only placed links, so that creates into releases without an order pay nothing for it).
ALTER TABLE release_links ADD COLUMN position BIGINT;
-- A link's declared digest, `sha256:<64 lowercase hex>` (an extension too).
ALTER TABLE release_links ADD COLUMN digest TEXT;
CREATE INDEX release_links_position ON release_links (release_id, position)
    WHERE position IS NOT NULL;

-- The audit rows of links name their place and digest only when they have them (as SQLite's do).
CREATE OR REPLACE FUNCTION audit_write() RETURNS trigger LANGUAGE plpgsql AS $$
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
    -- A link's place and digest are named only when it has them (extensions).
    IF old_row ->> 'position' IS NULL THEN old_row := old_row - 'position'; END IF;
    IF new_row ->> 'position' IS NULL THEN new_row := new_row - 'position'; END IF;
    IF old_row ->> 'digest' IS NULL THEN old_row := old_row - 'digest'; END IF;
    IF new_row ->> 'digest' IS NULL THEN new_row := new_row - 'digest'; END IF;
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
