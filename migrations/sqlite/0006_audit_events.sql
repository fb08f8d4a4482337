-- Audit events: every write to releases and their links, recorded by triggers in the same
-- transaction as the write, with who made it, from where, under which request id, and the
-- row before and after. `audit_context` holds one row: the writer sets it before each write.
CREATE TABLE audit_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at  INTEGER NOT NULL,
    author_id   INTEGER,
    author_name TEXT,
    ip_address  TEXT,
    request_id  TEXT,
    entity_type TEXT    NOT NULL,
    entity_id   INTEGER NOT NULL,
    target_type TEXT    NOT NULL,
    target_id   INTEGER NOT NULL,
    event_name  TEXT    NOT NULL,
    old_value   TEXT,
    new_value   TEXT
);
CREATE INDEX audit_events_created ON audit_events (created_at, id);
CREATE INDEX audit_events_entity ON audit_events (entity_type, entity_id, id);

CREATE TABLE audit_context (
    only_row    INTEGER PRIMARY KEY CHECK (only_row = 1),
    author_id   INTEGER,
    author_name TEXT,
    ip_address  TEXT,
    request_id  TEXT,
    -- 1 while `relinks copy` or the benchmark's seeding load rows: they are not writes of users.
    paused      INTEGER NOT NULL DEFAULT 0
);
INSERT INTO audit_context (only_row) VALUES (1);

CREATE TRIGGER audit_releases_insert AFTER INSERT ON releases
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT NEW.updated_at, c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Release', NEW.id, 'release_created', NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'tag', NEW.tag, 'name', NEW.name,
            'description', NEW.description, 'released_at', NEW.released_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_releases_update AFTER UPDATE ON releases
WHEN (SELECT paused FROM audit_context) = 0
    AND (OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description
        OR OLD.released_at IS NOT NEW.released_at OR OLD.tag IS NOT NEW.tag)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT NEW.updated_at, c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Release', NEW.id, 'release_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'tag', OLD.tag, 'name', OLD.name,
            'description', OLD.description, 'released_at', OLD.released_at),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'tag', NEW.tag, 'name', NEW.name,
            'description', NEW.description, 'released_at', NEW.released_at)
    FROM audit_context c;
END;

CREATE TRIGGER audit_releases_delete AFTER DELETE ON releases
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
        c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'Release', OLD.id, 'release_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'tag', OLD.tag, 'name', OLD.name,
            'description', OLD.description, 'released_at', OLD.released_at),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_release_links_insert AFTER INSERT ON release_links
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT NEW.updated_at, c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', COALESCE((SELECT project_id FROM releases WHERE id = NEW.release_id), 0),
        'Release::Link', NEW.id, 'release_link_created', NULL,
        json_object('id', NEW.id, 'release_id', NEW.release_id, 'name', NEW.name, 'url', NEW.url,
            'filepath', NEW.filepath, 'link_type', NEW.link_type)
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
        json_object('id', OLD.id, 'release_id', OLD.release_id, 'name', OLD.name, 'url', OLD.url,
            'filepath', OLD.filepath, 'link_type', OLD.link_type),
        json_object('id', NEW.id, 'release_id', NEW.release_id, 'name', NEW.name, 'url', NEW.url,
            'filepath', NEW.filepath, 'link_type', NEW.link_type)
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
        json_object('id', OLD.id, 'release_id', OLD.release_id, 'name', OLD.name, 'url', OLD.url,
            'filepath', OLD.filepath, 'link_type', OLD.link_type),
        NULL
    FROM audit_context c;
END;
