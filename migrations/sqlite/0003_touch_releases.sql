-- A release's updated_at follows its links (GitLab's `belongs_to :release, touch: true`): kept
-- by the database, so that a link write is one statement.
CREATE TRIGGER release_links_touch_insert AFTER INSERT ON release_links
BEGIN
    UPDATE releases SET updated_at = NEW.updated_at WHERE id = NEW.release_id;
END;

CREATE TRIGGER release_links_touch_update AFTER UPDATE ON release_links
BEGIN
    UPDATE releases SET updated_at = NEW.updated_at WHERE id = NEW.release_id;
END;

CREATE TRIGGER release_links_touch_delete AFTER DELETE ON release_links
BEGIN
    UPDATE releases SET updated_at = CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER)
    WHERE id = OLD.release_id;
END;
