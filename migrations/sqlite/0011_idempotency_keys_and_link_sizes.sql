-- Idempotent retries (an extension, after the IETF httpapi Idempotency-Key draft): a caller's
-- key, the request it was first used for (method, path, fingerprint), and its answer, kept for
-- 24 hours. A request claims its key before it runs (`instance`, `lease_until`: its claim holds
-- while its instance runs); its writes mark the key (`wrote`) in their own transactions, through
-- the audit context, so a write is never kept without its key; its answer is kept after it.
CREATE TABLE idempotency_keys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    idempotency_key TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    instance        INTEGER NOT NULL,
    lease_until     INTEGER NOT NULL,
    wrote           INTEGER NOT NULL DEFAULT 0,
    -- NULL while the request runs; 0 when it wrote and its answer was lost.
    status          INTEGER,
    headers         TEXT,
    body            BLOB
);
CREATE UNIQUE INDEX idempotency_keys_caller_key ON idempotency_keys (user_id, idempotency_key);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);

-- The key of the request writing, set with the rest of the audit context before each write.
ALTER TABLE audit_context ADD COLUMN idempotency_key_id INTEGER;

-- Every audited write records an event: the event marks the writing request's key, in the
-- write's transaction.
CREATE TRIGGER audit_events_mark_idempotency_key AFTER INSERT ON audit_events
WHEN (SELECT idempotency_key_id FROM audit_context) IS NOT NULL
BEGIN
    UPDATE idempotency_keys SET wrote = 1
    WHERE id = (SELECT idempotency_key_id FROM audit_context) AND wrote = 0;
END;

-- A link's size in bytes (an extension): known for a file hosted here, or once a link is
-- verified.
ALTER TABLE release_links ADD COLUMN size INTEGER;

-- The audit rows of links name their place, digest and size only when they have them: a merge
-- patch (RFC 7396) leaves out the fields whose value is null.
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
        json_patch(json_object('id', NEW.id, 'release_id', NEW.release_id, 'name', NEW.name,
            'url', NEW.url, 'filepath', NEW.filepath, 'link_type', NEW.link_type),
            json_object('position', NEW.position, 'digest', NEW.digest, 'size', NEW.size))
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
        json_patch(json_object('id', OLD.id, 'release_id', OLD.release_id, 'name', OLD.name,
            'url', OLD.url, 'filepath', OLD.filepath, 'link_type', OLD.link_type),
            json_object('position', OLD.position, 'digest', OLD.digest, 'size', OLD.size)),
        json_patch(json_object('id', NEW.id, 'release_id', NEW.release_id, 'name', NEW.name,
            'url', NEW.url, 'filepath', NEW.filepath, 'link_type', NEW.link_type),
            json_object('position', NEW.position, 'digest', NEW.digest, 'size', NEW.size))
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
        json_patch(json_object('id', OLD.id, 'release_id', OLD.release_id, 'name', OLD.name,
            'url', OLD.url, 'filepath', OLD.filepath, 'link_type', OLD.link_type),
            json_object('position', OLD.position, 'digest', OLD.digest, 'size', OLD.size)),
        NULL
    FROM audit_context c;
END;
