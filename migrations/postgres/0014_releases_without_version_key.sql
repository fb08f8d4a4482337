-- The releases still without a version key (from before 0012), found at start without reading
-- every release: a scan of them all filled the writer's page cache with the whole table, about
-- 1 MB of a started server's memory per 10,000 releases. Every release written since 0012 has
-- its key, so the index is empty.
CREATE INDEX releases_version_key_missing ON releases (id) WHERE version_key IS NULL;
