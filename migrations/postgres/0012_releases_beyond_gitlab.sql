-- Releases beyond GitLab (extensions; a project that sets none of them behaves as GitLab's):
-- semantic-version order of releases, the project's settings for its "latest" release and for
-- immutable releases, and download counts per day.

-- A release's tag as a semantic-version sort key (domain::semver: byte order is SemVer
-- precedence, hence the "C" collation), '' when the tag is not a version. NULL until relinks
-- computes it, at its start for the releases made before this migration.
ALTER TABLE releases ADD COLUMN version_key TEXT COLLATE "C";
CREATE INDEX releases_version_key ON releases (project_id, version_key);

-- Which release the plain latest permalinks lead to: NULL or 'released_at' (GitLab's), or
-- 'semver'.
ALTER TABLE projects ADD COLUMN releases_latest_order TEXT;
-- Once published, a release of such a project keeps its links and its tag.
ALTER TABLE projects ADD COLUMN releases_immutable BOOLEAN NOT NULL DEFAULT FALSE;

-- Downloads through permanent links (subject 'link') and of hosted files ('package_file',
-- 'upload'), per UTC day (days since 1970-01-01). Counted in memory and added here every few
-- seconds by each instance; rows of deleted subjects are left (nothing shows them).
CREATE TABLE download_counts (
    subject_type TEXT   NOT NULL,
    subject_id   BIGINT NOT NULL,
    day          BIGINT NOT NULL,
    count        BIGINT NOT NULL,
    PRIMARY KEY (subject_type, subject_id, day)
);

-- The version key is not a field of the release: audit rows leave it out.
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
    IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD) - 'created_at' - 'updated_at' - 'author_id' - 'sha' - 'version_key'; END IF;
    IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW) - 'created_at' - 'updated_at' - 'author_id' - 'sha' - 'version_key'; END IF;
    -- A link's place, digest and size are named only when it has them (extensions).
    IF old_row ->> 'position' IS NULL THEN old_row := old_row - 'position'; END IF;
    IF new_row ->> 'position' IS NULL THEN new_row := new_row - 'position'; END IF;
    IF old_row ->> 'digest' IS NULL THEN old_row := old_row - 'digest'; END IF;
    IF new_row ->> 'digest' IS NULL THEN new_row := new_row - 'digest'; END IF;
    IF old_row ->> 'size' IS NULL THEN old_row := old_row - 'size'; END IF;
    IF new_row ->> 'size' IS NULL THEN new_row := new_row - 'size'; END IF;
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
