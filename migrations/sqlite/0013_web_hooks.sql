-- Webhooks (GitLab's project and group hooks) and the outbox of their deliveries.
--
-- A hook's URL, token, signing token, URL variables and custom headers' values are secrets
-- relinks must send on: they are stored sealed (domain::sealed, bound to their column), never
-- in clear. The event flags relinks acts on are columns (the triggers below read them); the
-- others GitLab accepts are kept as given, in `other_events` (JSON).
CREATE TABLE web_hooks (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id                INTEGER REFERENCES projects (id) ON DELETE CASCADE,
    group_id                  INTEGER REFERENCES namespaces (id) ON DELETE CASCADE,
    url                       TEXT    NOT NULL,
    name                      TEXT,
    description               TEXT,
    token                     TEXT,
    signing_token             TEXT,
    url_variables             TEXT,
    custom_headers            TEXT,
    releases_events           INTEGER NOT NULL DEFAULT 0,
    tag_push_events           INTEGER NOT NULL DEFAULT 0,
    other_events              TEXT    NOT NULL DEFAULT '{}',
    enable_ssl_verification   INTEGER NOT NULL DEFAULT 1,
    push_events_branch_filter TEXT,
    branch_filter_strategy    TEXT    NOT NULL DEFAULT 'wildcard',
    custom_webhook_template   TEXT,
    recent_failures           INTEGER NOT NULL DEFAULT 0,
    disabled_until            INTEGER,
    created_at                INTEGER NOT NULL,
    updated_at                INTEGER NOT NULL,
    CHECK ((project_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX web_hooks_project ON web_hooks (project_id, id);
CREATE INDEX web_hooks_group ON web_hooks (group_id, id);

-- Each change's events, one row per hook, written by the triggers below in the change's own
-- transaction (a committed change always has its events, a rolled-back one never), then sent
-- by a worker, in id order per hook, and kept as the hook's recent events. No foreign keys:
-- a hook's events go with it (the store deletes them), and a release's outlive it.
--   write_id: the write that made the event: the changes of one write to one subject make one
--   event (a release created with its links: one `create`). SQLite: audit_context's counter,
--   moved on by every write; PostgreSQL: the transaction's id.
--   snapshot: what the sender needs of the subject (JSON): a release's tag, all a deleted
--   release was, a tag's name, target and message.
--   payload, idempotency_key: the body and key, fixed when first sent (a retry sends the same).
--   state: pending, delivered, failed (no more attempts).
CREATE TABLE web_hook_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    hook_id            INTEGER NOT NULL,
    trigger            TEXT    NOT NULL,
    project_id         INTEGER NOT NULL,
    subject_id         INTEGER NOT NULL,
    action             TEXT    NOT NULL,
    write_id           INTEGER,
    author_id          INTEGER,
    author_name        TEXT,
    snapshot           TEXT,
    payload            TEXT,
    idempotency_key    TEXT,
    state              TEXT    NOT NULL DEFAULT 'pending',
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    INTEGER NOT NULL,
    claimed_until      INTEGER,
    request_headers    TEXT,
    response_status    TEXT,
    response_headers   TEXT,
    response_body      TEXT,
    execution_duration REAL,
    created_at         INTEGER NOT NULL,
    sent_at            INTEGER
);
CREATE UNIQUE INDEX web_hook_events_write ON web_hook_events (hook_id, trigger, subject_id, write_id);
CREATE INDEX web_hook_events_hook ON web_hook_events (hook_id, id);
CREATE INDEX web_hook_events_pending ON web_hook_events (hook_id, id) WHERE state = 'pending';

ALTER TABLE audit_context ADD COLUMN write_id INTEGER NOT NULL DEFAULT 0;

-- The hooks a change of a project's releases or tags goes to: the project's, and its groups'
-- (a group hook covers every project below it), unless disabled for good.
CREATE VIEW web_hook_targets AS
SELECT h.id AS hook_id, p.id AS project_id, h.releases_events, h.tag_push_events
FROM projects p
JOIN namespaces n ON n.id = p.namespace_id
JOIN web_hooks h ON h.project_id = p.id
    OR (h.group_id IS NOT NULL AND ('/' || n.traversal_ids || '/') LIKE ('%/' || h.group_id || '/%'))
WHERE h.recent_failures <= 39;

CREATE TRIGGER web_hook_release_created AFTER INSERT ON releases
WHEN (SELECT paused FROM audit_context) = 0 AND EXISTS (SELECT 1 FROM web_hooks)
BEGIN
    INSERT OR IGNORE INTO web_hook_events (hook_id, trigger, project_id, subject_id, action,
        write_id, author_id, author_name, snapshot, next_attempt_at, created_at)
    SELECT t.hook_id, 'release_hooks', NEW.project_id, NEW.id, 'create', c.write_id,
        c.author_id, c.author_name, json_object('tag', NEW.tag), NEW.created_at, NEW.created_at
    FROM web_hook_targets t, audit_context c
    WHERE t.project_id = NEW.project_id AND t.releases_events = 1;
END;

-- A link's create, update or delete touches its release's updated_at (0003): it is an update
-- of the release, as are its own changes. Filling version keys is not.
CREATE TRIGGER web_hook_release_updated
AFTER UPDATE OF tag, name, description, sha, released_at, updated_at ON releases
WHEN (SELECT paused FROM audit_context) = 0 AND EXISTS (SELECT 1 FROM web_hooks)
BEGIN
    INSERT OR IGNORE INTO web_hook_events (hook_id, trigger, project_id, subject_id, action,
        write_id, author_id, author_name, snapshot, next_attempt_at, created_at)
    SELECT t.hook_id, 'release_hooks', NEW.project_id, NEW.id, 'update', c.write_id,
        c.author_id, c.author_name, json_object('tag', NEW.tag),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
    FROM web_hook_targets t, audit_context c
    WHERE t.project_id = NEW.project_id AND t.releases_events = 1;
END;

-- Before the delete, while its links are still there: the snapshot lists them in the links
-- API's order.
CREATE TRIGGER web_hook_release_deleted BEFORE DELETE ON releases
WHEN (SELECT paused FROM audit_context) = 0 AND EXISTS (SELECT 1 FROM web_hooks)
BEGIN
    INSERT OR IGNORE INTO web_hook_events (hook_id, trigger, project_id, subject_id, action,
        write_id, author_id, author_name, snapshot, next_attempt_at, created_at)
    SELECT t.hook_id, 'release_hooks', OLD.project_id, OLD.id, 'delete', c.write_id,
        c.author_id, c.author_name,
        json_object('id', OLD.id, 'tag', OLD.tag, 'name', OLD.name,
            'description', OLD.description, 'sha', OLD.sha, 'released_at', OLD.released_at,
            'created_at', OLD.created_at,
            'links', json((SELECT json_group_array(json_object('id', l.id, 'name', l.name,
                    'url', l.url, 'link_type', l.link_type))
                FROM (SELECT * FROM release_links WHERE release_id = OLD.id
                      ORDER BY position IS NULL, position, created_at DESC, id DESC) l))),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
    FROM web_hook_targets t, audit_context c
    WHERE t.project_id = OLD.project_id AND t.releases_events = 1;
END;

CREATE TRIGGER web_hook_tag_created AFTER INSERT ON tags
WHEN (SELECT paused FROM audit_context) = 0 AND EXISTS (SELECT 1 FROM web_hooks)
BEGIN
    INSERT OR IGNORE INTO web_hook_events (hook_id, trigger, project_id, subject_id, action,
        write_id, author_id, author_name, snapshot, next_attempt_at, created_at)
    SELECT t.hook_id, 'tag_push_hooks', NEW.project_id, NEW.id, 'create', c.write_id,
        c.author_id, c.author_name,
        json_object('name', NEW.name, 'target', NEW.target, 'message', NEW.message),
        NEW.created_at, NEW.created_at
    FROM web_hook_targets t, audit_context c
    WHERE t.project_id = NEW.project_id AND t.tag_push_events = 1;
END;

CREATE TRIGGER web_hook_tag_deleted AFTER DELETE ON tags
WHEN (SELECT paused FROM audit_context) = 0 AND EXISTS (SELECT 1 FROM web_hooks)
BEGIN
    INSERT OR IGNORE INTO web_hook_events (hook_id, trigger, project_id, subject_id, action,
        write_id, author_id, author_name, snapshot, next_attempt_at, created_at)
    SELECT t.hook_id, 'tag_push_hooks', OLD.project_id, OLD.id, 'delete', c.write_id,
        c.author_id, c.author_name,
        json_object('name', OLD.name, 'target', OLD.target, 'message', OLD.message),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER),
        CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
    FROM web_hook_targets t, audit_context c
    WHERE t.project_id = OLD.project_id AND t.tag_push_events = 1;
END;

-- Audit events of hooks (their secrets and their health, which the sender keeps, are not recorded):
-- a project's in its audit rows, a group's in the group's.

CREATE TRIGGER audit_project_hooks_insert AFTER INSERT ON web_hooks
WHEN (SELECT paused FROM audit_context) = 0 AND NEW.project_id IS NOT NULL
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'ProjectHook', NEW.id, 'project_hook_created',
        NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'description', NEW.description, 'releases_events', json(CASE WHEN NEW.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN NEW.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', NEW.other_events, 'enable_ssl_verification', json(CASE WHEN NEW.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', NEW.push_events_branch_filter, 'branch_filter_strategy', NEW.branch_filter_strategy, 'custom_webhook_template', NEW.custom_webhook_template)
    FROM audit_context c;
END;

CREATE TRIGGER audit_project_hooks_update AFTER UPDATE ON web_hooks
WHEN (SELECT paused FROM audit_context) = 0 AND NEW.project_id IS NOT NULL AND (OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description OR OLD.releases_events IS NOT NEW.releases_events OR OLD.tag_push_events IS NOT NEW.tag_push_events OR OLD.other_events IS NOT NEW.other_events OR OLD.enable_ssl_verification IS NOT NEW.enable_ssl_verification OR OLD.push_events_branch_filter IS NOT NEW.push_events_branch_filter OR OLD.branch_filter_strategy IS NOT NEW.branch_filter_strategy OR OLD.custom_webhook_template IS NOT NEW.custom_webhook_template)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'ProjectHook', NEW.id, 'project_hook_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'description', OLD.description, 'releases_events', json(CASE WHEN OLD.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN OLD.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', OLD.other_events, 'enable_ssl_verification', json(CASE WHEN OLD.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', OLD.push_events_branch_filter, 'branch_filter_strategy', OLD.branch_filter_strategy, 'custom_webhook_template', OLD.custom_webhook_template),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'description', NEW.description, 'releases_events', json(CASE WHEN NEW.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN NEW.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', NEW.other_events, 'enable_ssl_verification', json(CASE WHEN NEW.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', NEW.push_events_branch_filter, 'branch_filter_strategy', NEW.branch_filter_strategy, 'custom_webhook_template', NEW.custom_webhook_template)
    FROM audit_context c;
END;

CREATE TRIGGER audit_project_hooks_delete AFTER DELETE ON web_hooks
WHEN (SELECT paused FROM audit_context) = 0 AND OLD.project_id IS NOT NULL
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'ProjectHook', OLD.id, 'project_hook_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'description', OLD.description, 'releases_events', json(CASE WHEN OLD.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN OLD.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', OLD.other_events, 'enable_ssl_verification', json(CASE WHEN OLD.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', OLD.push_events_branch_filter, 'branch_filter_strategy', OLD.branch_filter_strategy, 'custom_webhook_template', OLD.custom_webhook_template),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_group_hooks_insert AFTER INSERT ON web_hooks
WHEN (SELECT paused FROM audit_context) = 0 AND NEW.group_id IS NOT NULL
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', NEW.group_id, 'GroupHook', NEW.id, 'group_hook_created',
        NULL,
        json_object('id', NEW.id, 'group_id', NEW.group_id, 'name', NEW.name, 'description', NEW.description, 'releases_events', json(CASE WHEN NEW.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN NEW.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', NEW.other_events, 'enable_ssl_verification', json(CASE WHEN NEW.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', NEW.push_events_branch_filter, 'branch_filter_strategy', NEW.branch_filter_strategy, 'custom_webhook_template', NEW.custom_webhook_template)
    FROM audit_context c;
END;

CREATE TRIGGER audit_group_hooks_update AFTER UPDATE ON web_hooks
WHEN (SELECT paused FROM audit_context) = 0 AND NEW.group_id IS NOT NULL AND (OLD.id IS NOT NEW.id OR OLD.name IS NOT NEW.name OR OLD.description IS NOT NEW.description OR OLD.releases_events IS NOT NEW.releases_events OR OLD.tag_push_events IS NOT NEW.tag_push_events OR OLD.other_events IS NOT NEW.other_events OR OLD.enable_ssl_verification IS NOT NEW.enable_ssl_verification OR OLD.push_events_branch_filter IS NOT NEW.push_events_branch_filter OR OLD.branch_filter_strategy IS NOT NEW.branch_filter_strategy OR OLD.custom_webhook_template IS NOT NEW.custom_webhook_template)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', NEW.group_id, 'GroupHook', NEW.id, 'group_hook_updated',
        json_object('id', OLD.id, 'group_id', OLD.group_id, 'name', OLD.name, 'description', OLD.description, 'releases_events', json(CASE WHEN OLD.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN OLD.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', OLD.other_events, 'enable_ssl_verification', json(CASE WHEN OLD.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', OLD.push_events_branch_filter, 'branch_filter_strategy', OLD.branch_filter_strategy, 'custom_webhook_template', OLD.custom_webhook_template),
        json_object('id', NEW.id, 'group_id', NEW.group_id, 'name', NEW.name, 'description', NEW.description, 'releases_events', json(CASE WHEN NEW.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN NEW.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', NEW.other_events, 'enable_ssl_verification', json(CASE WHEN NEW.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', NEW.push_events_branch_filter, 'branch_filter_strategy', NEW.branch_filter_strategy, 'custom_webhook_template', NEW.custom_webhook_template)
    FROM audit_context c;
END;

CREATE TRIGGER audit_group_hooks_delete AFTER DELETE ON web_hooks
WHEN (SELECT paused FROM audit_context) = 0 AND OLD.group_id IS NOT NULL
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Group', OLD.group_id, 'GroupHook', OLD.id, 'group_hook_deleted',
        json_object('id', OLD.id, 'group_id', OLD.group_id, 'name', OLD.name, 'description', OLD.description, 'releases_events', json(CASE WHEN OLD.releases_events THEN 'true' ELSE 'false' END), 'tag_push_events', json(CASE WHEN OLD.tag_push_events THEN 'true' ELSE 'false' END), 'other_events', OLD.other_events, 'enable_ssl_verification', json(CASE WHEN OLD.enable_ssl_verification THEN 'true' ELSE 'false' END), 'push_events_branch_filter', OLD.push_events_branch_filter, 'branch_filter_strategy', OLD.branch_filter_strategy, 'custom_webhook_template', OLD.custom_webhook_template),
        NULL
    FROM audit_context c;
END;
