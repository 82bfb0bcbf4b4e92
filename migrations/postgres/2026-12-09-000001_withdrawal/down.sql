DROP TRIGGER participants_version_update ON participants;
CREATE CONSTRAINT TRIGGER participants_version_update AFTER UPDATE ON participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.email IS DISTINCT FROM OLD.email OR NEW.name IS DISTINCT FROM OLD.name OR NEW.attributes IS DISTINCT FROM OLD.attributes OR NEW.screen_name IS DISTINCT FROM OLD.screen_name OR NEW.consented_at IS DISTINCT FROM OLD.consented_at OR NEW.token_hash IS DISTINCT FROM OLD.token_hash OR NEW.token_expires_at IS DISTINCT FROM OLD.token_expires_at OR NEW.first_signed_in_at IS DISTINCT FROM OLD.first_signed_in_at)
    EXECUTE FUNCTION board_version_bump();
ALTER TABLE posts DROP COLUMN removed_at;
ALTER TABLE participants DROP COLUMN erased_at;
ALTER TABLE participants DROP COLUMN withdrawal_source;
ALTER TABLE participants DROP COLUMN withdrawal_asked_on;
ALTER TABLE participants DROP COLUMN withdrawn_at;
ALTER TABLE boards DROP COLUMN purged_at;
ALTER TABLE boards DROP COLUMN purge_when_due;
ALTER TABLE boards DROP COLUMN retain_until;
ALTER TABLE boards DROP COLUMN withdrawal_policy;
