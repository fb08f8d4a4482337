-- Files relinks hosts: generic packages and their files, project uploads, and the blobs (the
-- stored bytes, by SHA-256) they refer to.
--
-- A blob row exists before its bytes take their name in the storage and is removed after they
-- are gone, so that the database always knows of every stored blob. An upload pins its blob
-- (`blob_pins`, one row per upload in flight, by instance) from before the bytes are placed
-- until its file row is committed; the sweep removes a blob only when no file refers to it and
-- no live pin holds it, after marking it `deleting` (which stops new pins) in a transaction of
-- its own.

CREATE TABLE blobs (
    sha256     TEXT    PRIMARY KEY,
    size       INTEGER NOT NULL,
    sha1       TEXT    NOT NULL,
    md5        TEXT    NOT NULL,
    deleting   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at INTEGER NOT NULL
);

CREATE TABLE blob_pins (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    blob_sha256 TEXT    NOT NULL REFERENCES blobs (sha256) ON DELETE CASCADE,
    instance    INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX blob_pins_by_blob ON blob_pins (blob_sha256);

CREATE TABLE packages (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id         INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    version            TEXT    NOT NULL,
    package_type       TEXT    NOT NULL DEFAULT 'generic',
    status             TEXT    NOT NULL DEFAULT 'default',
    creator_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    last_downloaded_at INTEGER
);
CREATE UNIQUE INDEX packages_name_version_unique ON packages (project_id, package_type, name, version);

CREATE TABLE package_files (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id  INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    file_name   TEXT    NOT NULL,
    blob_sha256 TEXT    NOT NULL REFERENCES blobs (sha256),
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX package_files_by_name ON package_files (package_id, file_name);
CREATE INDEX package_files_by_blob ON package_files (blob_sha256);

CREATE TABLE uploads (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    secret         TEXT    NOT NULL,
    filename       TEXT    NOT NULL,
    blob_sha256    TEXT    NOT NULL REFERENCES blobs (sha256),
    size           INTEGER NOT NULL,
    uploaded_by_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL
);
CREATE INDEX uploads_by_secret ON uploads (project_id, secret);
CREATE INDEX uploads_by_blob ON uploads (blob_sha256);

-- Their writes are audited as every other write is (0007); the secret of an upload's URL is
-- not recorded, nor download times.

CREATE TRIGGER audit_packages_insert AFTER INSERT ON packages
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Packages::Package', NEW.id, 'package_created',
        NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'version', NEW.version, 'package_type', NEW.package_type, 'status', NEW.status)
    FROM audit_context c;
END;

CREATE TRIGGER audit_packages_update AFTER UPDATE ON packages
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.project_id IS NOT NEW.project_id OR OLD.name IS NOT NEW.name OR OLD.version IS NOT NEW.version OR OLD.package_type IS NOT NEW.package_type OR OLD.status IS NOT NEW.status)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Packages::Package', NEW.id, 'package_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'version', OLD.version, 'package_type', OLD.package_type, 'status', OLD.status),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'name', NEW.name, 'version', NEW.version, 'package_type', NEW.package_type, 'status', NEW.status)
    FROM audit_context c;
END;

CREATE TRIGGER audit_packages_delete AFTER DELETE ON packages
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'Packages::Package', OLD.id, 'package_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'name', OLD.name, 'version', OLD.version, 'package_type', OLD.package_type, 'status', OLD.status),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_package_files_insert AFTER INSERT ON package_files
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Packages::PackageFile', NEW.id, 'package_file_created',
        NULL,
        json_object('id', NEW.id, 'package_id', NEW.package_id, 'project_id', NEW.project_id, 'file_name', NEW.file_name, 'blob_sha256', NEW.blob_sha256, 'size', NEW.size)
    FROM audit_context c;
END;

CREATE TRIGGER audit_package_files_update AFTER UPDATE ON package_files
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.package_id IS NOT NEW.package_id OR OLD.project_id IS NOT NEW.project_id OR OLD.file_name IS NOT NEW.file_name OR OLD.blob_sha256 IS NOT NEW.blob_sha256 OR OLD.size IS NOT NEW.size)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Packages::PackageFile', NEW.id, 'package_file_updated',
        json_object('id', OLD.id, 'package_id', OLD.package_id, 'project_id', OLD.project_id, 'file_name', OLD.file_name, 'blob_sha256', OLD.blob_sha256, 'size', OLD.size),
        json_object('id', NEW.id, 'package_id', NEW.package_id, 'project_id', NEW.project_id, 'file_name', NEW.file_name, 'blob_sha256', NEW.blob_sha256, 'size', NEW.size)
    FROM audit_context c;
END;

CREATE TRIGGER audit_package_files_delete AFTER DELETE ON package_files
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'Packages::PackageFile', OLD.id, 'package_file_deleted',
        json_object('id', OLD.id, 'package_id', OLD.package_id, 'project_id', OLD.project_id, 'file_name', OLD.file_name, 'blob_sha256', OLD.blob_sha256, 'size', OLD.size),
        NULL
    FROM audit_context c;
END;

CREATE TRIGGER audit_uploads_insert AFTER INSERT ON uploads
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Upload', NEW.id, 'upload_created',
        NULL,
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'filename', NEW.filename, 'blob_sha256', NEW.blob_sha256, 'size', NEW.size)
    FROM audit_context c;
END;

CREATE TRIGGER audit_uploads_update AFTER UPDATE ON uploads
WHEN (SELECT paused FROM audit_context) = 0 AND (OLD.id IS NOT NEW.id OR OLD.project_id IS NOT NEW.project_id OR OLD.filename IS NOT NEW.filename OR OLD.blob_sha256 IS NOT NEW.blob_sha256 OR OLD.size IS NOT NEW.size)
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', NEW.project_id, 'Upload', NEW.id, 'upload_updated',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'filename', OLD.filename, 'blob_sha256', OLD.blob_sha256, 'size', OLD.size),
        json_object('id', NEW.id, 'project_id', NEW.project_id, 'filename', NEW.filename, 'blob_sha256', NEW.blob_sha256, 'size', NEW.size)
    FROM audit_context c;
END;

CREATE TRIGGER audit_uploads_delete AFTER DELETE ON uploads
WHEN (SELECT paused FROM audit_context) = 0
BEGIN
    INSERT INTO audit_events (created_at, author_id, author_name, ip_address, request_id,
        entity_type, entity_id, target_type, target_id, event_name, old_value, new_value)
    SELECT CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), c.author_id, c.author_name, c.ip_address, c.request_id,
        'Project', OLD.project_id, 'Upload', OLD.id, 'upload_deleted',
        json_object('id', OLD.id, 'project_id', OLD.project_id, 'filename', OLD.filename, 'blob_sha256', OLD.blob_sha256, 'size', OLD.size),
        NULL
    FROM audit_context c;
END;
