-- The staff's board page, grid and report are kept under the board's version too
-- (src/web/page_cache.rs), so what only they show moves it on as well: a participant's first
-- sign-in (the funnel), invitations waiting for an account (the staff list), codes, excerpts and
-- codings (the report), and an email that failed or stopped failing (the funnel and the grid).
-- An email's other changes (claimed, sent, retried) leave it alone: a mailing of thousands
-- would otherwise move it on thousands of times.
DROP TRIGGER participants_version_update;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at OR NEW.first_signed_in_at IS NOT OLD.first_signed_in_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER pending_members_version_insert AFTER INSERT ON pending_members BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER pending_members_version_update AFTER UPDATE ON pending_members BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER pending_members_version_delete AFTER DELETE ON pending_members BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER codes_version_insert AFTER INSERT ON codes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER codes_version_update AFTER UPDATE ON codes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER codes_version_delete AFTER DELETE ON codes BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER excerpts_version_insert AFTER INSERT ON excerpts BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER excerpts_version_update AFTER UPDATE ON excerpts BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER excerpts_version_delete AFTER DELETE ON excerpts BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER codings_version_insert AFTER INSERT ON codings BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER codings_version_update AFTER UPDATE ON codings BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER codings_version_delete AFTER DELETE ON codings BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
CREATE TRIGGER outbox_version_insert AFTER INSERT ON outbox WHEN NEW.status = 'failed' BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
CREATE TRIGGER outbox_version_update AFTER UPDATE ON outbox WHEN (NEW.status = 'failed') IS NOT (OLD.status = 'failed') OR (NEW.status = 'failed' AND NEW.participant_id IS NOT OLD.participant_id) BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id IN (NEW.board_id, OLD.board_id);
END;
CREATE TRIGGER outbox_version_delete AFTER DELETE ON outbox WHEN OLD.status = 'failed' BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = OLD.board_id;
END;
