-- Old filepaths of links, so that every direct_asset_url relinks ever returned keeps resolving
-- after a link's filepath changes. A live link's own filepath always wins over an alias.
CREATE TABLE link_filepath_aliases (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    filepath   TEXT    NOT NULL,
    link_id    INTEGER NOT NULL REFERENCES release_links (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX link_filepath_aliases_unique ON link_filepath_aliases (release_id, filepath);
CREATE INDEX link_filepath_aliases_link ON link_filepath_aliases (link_id);

-- Browser sessions, made by signing in with a personal access token. Only a digest of the
-- session secret is kept, and a session lives no longer than its token.
CREATE TABLE sessions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    digest     TEXT    NOT NULL,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_id   INTEGER NOT NULL REFERENCES personal_access_tokens (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX sessions_digest_unique ON sessions (digest);
