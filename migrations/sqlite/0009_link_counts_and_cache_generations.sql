-- The number of links of each release, kept by triggers: the per-release cap is checked against
-- it, so a create costs the same in a release of ten links as in one of ten thousand (counting
-- them made filling a release quadratic).
CREATE TABLE release_link_counts (
    release_id INTEGER PRIMARY KEY REFERENCES releases (id) ON DELETE CASCADE,
    links      INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO release_link_counts (release_id, links)
SELECT release_id, COUNT(*) FROM release_links GROUP BY release_id;

CREATE TRIGGER release_links_count_insert AFTER INSERT ON release_links
BEGIN
    INSERT INTO release_link_counts (release_id, links) VALUES (NEW.release_id, 1)
    ON CONFLICT (release_id) DO UPDATE SET links = links + 1;
END;

CREATE TRIGGER release_links_count_delete AFTER DELETE ON release_links
BEGIN
    UPDATE release_link_counts SET links = links - 1 WHERE release_id = OLD.release_id;
END;

-- The generations of PostgreSQL's read caches (see the PostgreSQL migration of this name). A
-- SQLite file has one writer, which keeps its cache's generations in memory: the row is here so
-- that both engines have the same tables, and nothing updates it.
CREATE TABLE cache_generations (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    access   INTEGER NOT NULL,
    releases INTEGER NOT NULL,
    links    INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO cache_generations (id, access, releases, links) VALUES (1, 1, 1, 1);
