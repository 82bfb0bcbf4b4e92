-- A version per board that every change to what its pages show moves on, kept by triggers so
-- that no write path (another instance, a script, a direct SQL fix) can forget it. Rendered
-- pages are kept in memory under the version they were made at (src/web/page_cache.rs) and
-- served again only while it is unchanged. A column added to a table below that pages show
-- must be added to its trigger's condition where the trigger lists columns.
CREATE TABLE board_versions (
    board_id TEXT PRIMARY KEY NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    version BIGINT NOT NULL
);
INSERT INTO board_versions (board_id, version) SELECT id, 1 FROM boards;
CREATE TRIGGER boards_version_insert AFTER INSERT ON boards BEGIN
    INSERT INTO board_versions (board_id, version) VALUES (NEW.id, 1);
END;
CREATE TRIGGER boards_version_update AFTER UPDATE ON boards BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.id;
END;
CREATE TRIGGER board_members_version_insert AFTER INSERT ON board_members BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER board_members_version_update AFTER UPDATE ON board_members BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER board_members_version_delete AFTER DELETE ON board_members BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER participants_version_insert AFTER INSERT ON participants BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER participants_version_delete AFTER DELETE ON participants BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER stages_version_insert AFTER INSERT ON stages BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER stages_version_update AFTER UPDATE ON stages BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER stages_version_delete AFTER DELETE ON stages BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER questions_version_insert AFTER INSERT ON questions BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER questions_version_update AFTER UPDATE ON questions BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER questions_version_delete AFTER DELETE ON questions BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER posts_version_insert AFTER INSERT ON posts BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER posts_version_update AFTER UPDATE ON posts BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER posts_version_delete AFTER DELETE ON posts BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER stage_summaries_version_insert AFTER INSERT ON stage_summaries BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER stage_summaries_version_update AFTER UPDATE ON stage_summaries BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER stage_summaries_version_delete AFTER DELETE ON stage_summaries BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER staff_notes_version_insert AFTER INSERT ON staff_notes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER staff_notes_version_update AFTER UPDATE ON staff_notes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER staff_notes_version_delete AFTER DELETE ON staff_notes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER votes_version_insert AFTER INSERT ON votes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER votes_version_update AFTER UPDATE ON votes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER votes_version_delete AFTER DELETE ON votes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER images_version_insert AFTER INSERT ON images BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER images_version_update AFTER UPDATE ON images BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER images_version_delete AFTER DELETE ON images BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
-- Reactions name their question, not their board.
CREATE TRIGGER reactions_version_insert AFTER INSERT ON reactions BEGIN
    UPDATE board_versions SET version = version + 1
     WHERE board_id = (SELECT board_id FROM questions WHERE id = NEW.question_id);
END;
CREATE TRIGGER reactions_version_delete AFTER DELETE ON reactions BEGIN
    UPDATE board_versions SET version = version + 1
     WHERE board_id = (SELECT board_id FROM questions WHERE id = OLD.question_id);
END;
-- A staff member's name or standing shows on every board they wrote on or can read.
CREATE TRIGGER users_version_update AFTER UPDATE ON users WHEN NEW.name IS NOT OLD.name OR NEW.is_admin IS NOT OLD.is_admin OR NEW.disabled_at IS NOT OLD.disabled_at BEGIN
    UPDATE board_versions SET version = version + 1;
END;
