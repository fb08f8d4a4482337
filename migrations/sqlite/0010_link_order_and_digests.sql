-- An explicit order of a release's links (PUT …/assets/links/order): each link's place, from 1.
-- A release whose links have none lists them newest first, as GitLab does; a link created once
-- an order is set takes the place after the last (the index finds it without a scan; it holds
-- only placed links, so that creates into releases without an order pay nothing for it).
ALTER TABLE release_links ADD COLUMN position INTEGER;
-- A link's declared digest, `sha256:<64 lowercase hex>` (an extension too).
ALTER TABLE release_links ADD COLUMN digest TEXT;
CREATE INDEX release_links_position ON release_links (release_id, position)
    WHERE position IS NOT NULL;

-- The audit rows of links name their place and digest, when they have them (as PostgreSQL's do).
DROP TRIGGER audit_release_links_insert;
DROP TRIGGER audit_release_links_update;
DROP TRIGGER audit_release_links_delete;

CREATE TRIGGER audit_release_links_insert AFTER INSERT ON release_links
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT NEW.updated_at, c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', COALESCE((SELECT project_id FROM releases WHERE id = NEW.release_id), 0),
        'Release::Link', NEW.id, 'release_link_created', NULL,
        json_patch(json_patch(json_object('id', NEW.id, 'release_id', NEW.release_id, 'name', NEW.name,
            'url', NEW.url, 'filepath', NEW.filepath, 'link_type', NEW.link_type),
            CASE WHEN NEW.position IS NULL THEN '{}' ELSE json_object('position', NEW.position) END),
            CASE WHEN NEW.digest IS NULL THEN '{}' ELSE json_object('digest', NEW.digest) END)
    FROM audit_context c;
END;

CREATE TRIGGER audit_release_links_update AFTER UPDATE ON release_links
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT NEW.updated_at, c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', COALESCE((SELECT project_id FROM releases WHERE id = NEW.release_id), 0),
        'Release::Link', NEW.id, 'release_link_updated',
        json_patch(json_patch(json_object('id', OLD.id, 'release_id', OLD.release_id, 'name', OLD.name,
            'url', OLD.url, 'filepath', OLD.filepath, 'link_type', OLD.link_type),
            CASE WHEN OLD.position IS NULL THEN '{}' ELSE json_object('position', OLD.position) END),
            CASE WHEN OLD.digest IS NULL THEN '{}' ELSE json_object('digest', OLD.digest) END),
        json_patch(json_patch(json_object('id', NEW.id, 'release_id', NEW.release_id, 'name', NEW.name,
            'url', NEW.url, 'filepath', NEW.filepath, 'link_type', NEW.link_type),
            CASE WHEN NEW.position IS NULL THEN '{}' ELSE json_object('position', NEW.position) END),
            CASE WHEN NEW.digest IS NULL THEN '{}' ELSE json_object('digest', NEW.digest) END)
    FROM audit_context c;
END;

CREATE TRIGGER audit_release_links_delete AFTER DELETE ON release_links
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
        c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', COALESCE((SELECT project_id FROM releases WHERE id = OLD.release_id), 0),
        'Release::Link', OLD.id, 'release_link_deleted',
        json_patch(json_patch(json_object('id', OLD.id, 'release_id', OLD.release_id, 'name', OLD.name,
            'url', OLD.url, 'filepath', OLD.filepath, 'link_type', OLD.link_type),
            CASE WHEN OLD.position IS NULL THEN '{}' ELSE json_object('position', OLD.position) END),
            CASE WHEN OLD.digest IS NULL THEN '{}' ELSE json_object('digest', OLD.digest) END),
        NULL
    FROM audit_context c;
END;
