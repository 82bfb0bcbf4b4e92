DROP TRIGGER outbox_version_delete;
DROP TRIGGER outbox_version_update;
DROP TRIGGER outbox_version_insert;
DROP TRIGGER codings_version_delete;
DROP TRIGGER codings_version_update;
DROP TRIGGER codings_version_insert;
DROP TRIGGER excerpts_version_delete;
DROP TRIGGER excerpts_version_update;
DROP TRIGGER excerpts_version_insert;
DROP TRIGGER codes_version_delete;
DROP TRIGGER codes_version_update;
DROP TRIGGER codes_version_insert;
DROP TRIGGER pending_members_version_delete;
DROP TRIGGER pending_members_version_update;
DROP TRIGGER pending_members_version_insert;
DROP TRIGGER participants_version_update;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
