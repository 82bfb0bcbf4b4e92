-- A version per board that every change to what its pages show moves on, kept by triggers so
-- that no write path (another instance, a script, a direct SQL fix) can forget it. Rendered
-- pages are kept in memory under the version they were made at (src/web/page_cache.rs) and
-- served again only while it is unchanged. A column added to a table below that pages show
-- must be added to its trigger's condition where the trigger lists columns.
-- On PostgreSQL the bump is deferred to commit (constraint triggers), so concurrent writers on
-- one board hold the version's row lock only while they commit.
CREATE TABLE board_versions (
    board_id TEXT PRIMARY KEY NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    version BIGINT NOT NULL
);
INSERT INTO board_versions (board_id, version) SELECT id, 1 FROM boards;

CREATE FUNCTION board_version_create() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO board_versions (board_id, version) VALUES (NEW.id, 1);
    RETURN NULL;
END $$;
CREATE FUNCTION board_version_of_board() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.id;
    RETURN NULL;
END $$;
CREATE FUNCTION board_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
    ELSE
        UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION board_version_of_reaction() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        UPDATE board_versions SET version = version + 1
         WHERE board_id = (SELECT board_id FROM questions WHERE id = OLD.question_id);
    ELSE
        UPDATE board_versions SET version = version + 1
         WHERE board_id = (SELECT board_id FROM questions WHERE id = NEW.question_id);
    END IF;
    RETURN NULL;
END $$;
CREATE FUNCTION board_version_all() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE board_versions SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER boards_version_insert AFTER INSERT ON boards FOR EACH ROW EXECUTE FUNCTION board_version_create();
CREATE CONSTRAINT TRIGGER boards_version_update AFTER UPDATE ON boards DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_of_board();
CREATE CONSTRAINT TRIGGER board_members_version AFTER INSERT OR UPDATE OR DELETE ON board_members DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER participants_version AFTER INSERT OR DELETE ON participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER participants_version_update AFTER UPDATE ON participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.email IS DISTINCT FROM OLD.email OR NEW.name IS DISTINCT FROM OLD.name OR NEW.attributes IS DISTINCT FROM OLD.attributes OR NEW.screen_name IS DISTINCT FROM OLD.screen_name OR NEW.consented_at IS DISTINCT FROM OLD.consented_at OR NEW.token_hash IS DISTINCT FROM OLD.token_hash OR NEW.token_expires_at IS DISTINCT FROM OLD.token_expires_at)
    EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER stages_version AFTER INSERT OR UPDATE OR DELETE ON stages DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER questions_version AFTER INSERT OR UPDATE OR DELETE ON questions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER posts_version AFTER INSERT OR UPDATE OR DELETE ON posts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER stage_summaries_version AFTER INSERT OR UPDATE OR DELETE ON stage_summaries DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER staff_notes_version AFTER INSERT OR UPDATE OR DELETE ON staff_notes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER votes_version AFTER INSERT OR UPDATE OR DELETE ON votes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER images_version AFTER INSERT OR UPDATE OR DELETE ON images DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER reactions_version AFTER INSERT OR DELETE ON reactions DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_of_reaction();
CREATE CONSTRAINT TRIGGER users_version AFTER UPDATE ON users DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.is_admin IS DISTINCT FROM OLD.is_admin OR NEW.disabled_at IS DISTINCT FROM OLD.disabled_at)
    EXECUTE FUNCTION board_version_all();
