-- The number of links of each release, kept by triggers: the per-release cap is checked against
-- it, so a create costs the same in a release of ten links as in one of ten thousand (counting
-- them made filling a release quadratic).
CREATE TABLE release_link_counts (
    release_id BIGINT PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
    links      BIGINT NOT NULL
);
INSERT INTO release_link_counts (release_id, links)
SELECT release_id, COUNT(*) FROM release_links GROUP BY release_id;

CREATE FUNCTION release_links_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE release_link_counts SET links = links - 1 WHERE release_id = OLD.release_id;
        RETURN OLD;
    END IF;
    INSERT INTO release_link_counts (release_id, links) VALUES (NEW.release_id, 1)
    ON CONFLICT (release_id) DO UPDATE SET links = release_link_counts.links + 1;
    RETURN NEW;
END;
$$;

CREATE TRIGGER release_links_count AFTER INSERT OR DELETE ON release_links
FOR EACH ROW EXECUTE FUNCTION release_links_count();

-- The generations of the instances' read caches, one per part of the cache (who may do what;
-- tags and releases; links), moved on by every write to the tables of a part, in the write's own
-- transaction. An instance reads this row once per request (one round trip) and serves what it
-- keeps in memory only while the row has not moved since it was read: a write committed by any
-- instance is seen by the next request on every instance. One row rather than three: a
-- transaction that writes several parts takes one lock, never two in different orders.
CREATE TABLE cache_generations (
    id       BIGINT PRIMARY KEY CHECK (id = 1),
    access   BIGINT NOT NULL,
    releases BIGINT NOT NULL,
    links    BIGINT NOT NULL
);
INSERT INTO cache_generations (id, access, releases, links) VALUES (1, 1, 1, 1);

-- A write to a part's tables starts that part anew and the parts that depend on it: a release
-- takes its links with it; who may do what decides everything.
CREATE FUNCTION cache_generations_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_generations SET
        access = access + (TG_ARGV[0] = 'access')::int,
        releases = releases + (TG_ARGV[0] IN ('access', 'releases'))::int,
        links = links + 1
    WHERE id = 1;
    RETURN NULL;
END $$;

CREATE TRIGGER cache_users AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_namespaces AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON namespaces
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_projects AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_redirect_routes AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON redirect_routes
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_project_members AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON project_members
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_group_members AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_members
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_personal_access_tokens AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON personal_access_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_job_tokens AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON job_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_sessions AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sessions
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_protected_tags AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON protected_tags
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('access');
CREATE TRIGGER cache_tags AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON tags
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('releases');
-- A link write touches its release's updated_at, which no cached answer shows (as on SQLite):
-- only the other columns move the releases part, or every link write would.
CREATE TRIGGER cache_releases_written AFTER INSERT OR DELETE OR TRUNCATE ON releases
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('releases');
CREATE TRIGGER cache_releases_updated
    AFTER UPDATE OF id, project_id, tag, name, description, author_id, sha, released_at, created_at
    ON releases FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('releases');
CREATE TRIGGER cache_release_links AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON release_links
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('links');
CREATE TRIGGER cache_link_filepath_aliases AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON link_filepath_aliases
    FOR EACH STATEMENT EXECUTE FUNCTION cache_generations_move('links');
