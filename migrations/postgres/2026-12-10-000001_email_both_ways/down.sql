DROP TRIGGER participants_version_update ON participants;
CREATE CONSTRAINT TRIGGER participants_version_update AFTER UPDATE ON participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.email IS DISTINCT FROM OLD.email OR NEW.name IS DISTINCT FROM OLD.name OR NEW.attributes IS DISTINCT FROM OLD.attributes OR NEW.screen_name IS DISTINCT FROM OLD.screen_name OR NEW.consented_at IS DISTINCT FROM OLD.consented_at OR NEW.token_hash IS DISTINCT FROM OLD.token_hash OR NEW.token_expires_at IS DISTINCT FROM OLD.token_expires_at OR NEW.first_signed_in_at IS DISTINCT FROM OLD.first_signed_in_at OR NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at OR NEW.erased_at IS DISTINCT FROM OLD.erased_at)
    EXECUTE FUNCTION board_version_bump();
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
