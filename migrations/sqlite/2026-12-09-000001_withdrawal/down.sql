DROP TRIGGER participants_version_update;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at OR NEW.first_signed_in_at IS NOT OLD.first_signed_in_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
ALTER TABLE posts DROP COLUMN removed_at;
ALTER TABLE participants DROP COLUMN erased_at;
ALTER TABLE participants DROP COLUMN withdrawal_source;
ALTER TABLE participants DROP COLUMN withdrawal_asked_on;
ALTER TABLE participants DROP COLUMN withdrawn_at;
ALTER TABLE boards DROP COLUMN purged_at;
ALTER TABLE boards DROP COLUMN purge_when_due;
ALTER TABLE boards DROP COLUMN retain_until;
ALTER TABLE boards DROP COLUMN withdrawal_policy;
