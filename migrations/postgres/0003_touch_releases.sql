-- A release's updated_at follows its links (GitLab's `belongs_to :release, touch: true`): kept
-- by the database, so that a link write is one statement.
CREATE FUNCTION release_links_touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE releases SET updated_at = (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT
        WHERE id = OLD.release_id;
        RETURN OLD;
    END IF;
    UPDATE releases SET updated_at = NEW.updated_at WHERE id = NEW.release_id;
    RETURN NEW;
END;
$$;

CREATE TRIGGER release_links_touch AFTER INSERT OR UPDATE OR DELETE ON release_links
FOR EACH ROW EXECUTE FUNCTION release_links_touch();
