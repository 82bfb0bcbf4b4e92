DROP TRIGGER participants_version_update;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at OR NEW.first_signed_in_at IS NOT OLD.first_signed_in_at OR NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.erased_at IS NOT OLD.erased_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
ALTER TABLE boards DROP COLUMN paused_at;
ALTER TABLE boards DROP COLUMN holidays;
ALTER TABLE board_members DROP COLUMN digest_sent_at;
ALTER TABLE board_members DROP COLUMN digest;
ALTER TABLE boards DROP COLUMN digest_hour;
ALTER TABLE participants DROP COLUMN digest_sent_at;
ALTER TABLE participants DROP COLUMN reply_notices;
ALTER TABLE participants DROP COLUMN email_failing_reason;
ALTER TABLE participants DROP COLUMN email_failing_at;
DROP TABLE inbound_mail;
DROP TABLE reply_keys;
ALTER TABLE outbox DROP COLUMN reply_to;
