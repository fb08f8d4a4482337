-- relinks schema, SQLite.
-- Times are microseconds since the Unix epoch (INTEGER); dates are 'YYYY-MM-DD' text.
-- AUTOINCREMENT everywhere: an id is never reused, so a deleted link's URL never points to
-- another link later.

CREATE TABLE users (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    username   TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    email      TEXT    NOT NULL,
    is_admin   INTEGER NOT NULL DEFAULT 0,
    state      TEXT    NOT NULL DEFAULT 'active',
    created_at INTEGER NOT NULL
);
-- Unique rules are named indexes, identical on every engine, so that a violation can be told
-- apart by name. Names and paths compare case-insensitively, as GitLab's routes do.
CREATE UNIQUE INDEX users_username_unique ON users (lower(username));
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));

-- Users' personal namespaces and groups share one path space, like GitLab's routes.
CREATE TABLE namespaces (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL CHECK (kind IN ('user', 'group')),
    name          TEXT    NOT NULL,
    path          TEXT    NOT NULL,
    full_path     TEXT    NOT NULL,
    full_name     TEXT    NOT NULL,
    parent_id     INTEGER REFERENCES namespaces (id) ON DELETE CASCADE,
    -- The ids from the root down to this namespace, '/'-separated: inherited memberships are
    -- found with one IN list instead of a recursive walk.
    traversal_ids TEXT    NOT NULL DEFAULT '',
    owner_id      INTEGER REFERENCES users (id) ON DELETE CASCADE,
    visibility    TEXT    NOT NULL,
    description   TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX namespaces_full_path_unique ON namespaces (lower(full_path));
CREATE INDEX namespaces_parent ON namespaces (parent_id);
CREATE UNIQUE INDEX namespaces_owner ON namespaces (owner_id) WHERE kind = 'user';

CREATE TABLE projects (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    namespace_id          INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    name                  TEXT    NOT NULL,
    path                  TEXT    NOT NULL,
    description           TEXT,
    visibility            TEXT    NOT NULL,
    releases_access_level TEXT    NOT NULL DEFAULT 'enabled',
    creator_id            INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX projects_path_unique ON projects (namespace_id, lower(path));
CREATE UNIQUE INDEX projects_name_unique ON projects (namespace_id, name);

-- Old full paths of renamed projects: GET requests are redirected, writes refused (405).
CREATE TABLE redirect_routes (
    path       TEXT    NOT NULL,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX redirect_routes_path_unique ON redirect_routes (lower(path));

CREATE TABLE project_members (
    project_id   INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_level INTEGER NOT NULL,
    expires_at   TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_id)
);
CREATE INDEX project_members_user ON project_members (user_id);

CREATE TABLE group_members (
    namespace_id INTEGER NOT NULL REFERENCES namespaces (id) ON DELETE CASCADE,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    access_level INTEGER NOT NULL,
    expires_at   TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (namespace_id, user_id)
);
CREATE INDEX group_members_user ON group_members (user_id);

CREATE TABLE personal_access_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    digest       TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    expires_at   TEXT,
    revoked      INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE UNIQUE INDEX personal_access_tokens_digest_unique ON personal_access_tokens (digest);
CREATE INDEX personal_access_tokens_user ON personal_access_tokens (user_id);

CREATE TABLE job_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    digest     TEXT    NOT NULL,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX job_tokens_digest_unique ON job_tokens (digest);

CREATE TABLE protected_tags (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id          INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    create_access_level INTEGER NOT NULL,
    created_at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX protected_tags_name_unique ON protected_tags (project_id, name);

CREATE TABLE tags (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    target     TEXT,
    message    TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tags_name_unique ON tags (project_id, name);

CREATE TABLE releases (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id  INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    tag         TEXT    NOT NULL,
    name        TEXT,
    description TEXT,
    author_id   INTEGER REFERENCES users (id) ON DELETE SET NULL,
    sha         TEXT,
    released_at INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX releases_tag_unique ON releases (project_id, tag);
CREATE INDEX releases_project_released ON releases (project_id, released_at, id);
CREATE INDEX releases_project_created ON releases (project_id, created_at, id);

-- Name, URL and filepath are each unique within a release, case-sensitively, enforced here so
-- that two racing requests cannot both win (NULL filepaths do not collide).
CREATE TABLE release_links (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    filepath   TEXT,
    link_type  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX release_links_name_unique ON release_links (release_id, name);
CREATE UNIQUE INDEX release_links_url_unique ON release_links (release_id, url);
CREATE UNIQUE INDEX release_links_filepath_unique ON release_links (release_id, filepath);
CREATE INDEX release_links_sorted ON release_links (release_id, created_at, id);
