DROP TRIGGER outbox_version_delete ON outbox;
DROP TRIGGER outbox_version_update ON outbox;
DROP TRIGGER outbox_version_insert ON outbox;
DROP TRIGGER codings_version ON codings;
DROP TRIGGER excerpts_version ON excerpts;
DROP TRIGGER codes_version ON codes;
DROP TRIGGER pending_members_version ON pending_members;
DROP TRIGGER participants_version_update ON participants;
CREATE CONSTRAINT TRIGGER participants_version_update AFTER UPDATE ON participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.email IS DISTINCT FROM OLD.email OR NEW.name IS DISTINCT FROM OLD.name OR NEW.attributes IS DISTINCT FROM OLD.attributes OR NEW.screen_name IS DISTINCT FROM OLD.screen_name OR NEW.consented_at IS DISTINCT FROM OLD.consented_at OR NEW.token_hash IS DISTINCT FROM OLD.token_hash OR NEW.token_expires_at IS DISTINCT FROM OLD.token_expires_at)
    EXECUTE FUNCTION board_version_bump();
