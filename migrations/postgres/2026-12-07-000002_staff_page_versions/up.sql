-- The staff's board page, grid and report are kept under the board's version too
-- (src/web/page_cache.rs), so what only they show moves it on as well: a participant's first
-- sign-in (the funnel), invitations waiting for an account (the staff list), codes, excerpts and
-- codings (the report), and an email that failed or stopped failing (the funnel and the grid).
-- An email's other changes (claimed, sent, retried) leave it alone: a mailing of thousands
-- would otherwise move it on thousands of times.
DROP TRIGGER participants_version_update ON participants;
CREATE CONSTRAINT TRIGGER participants_version_update AFTER UPDATE ON participants DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.email IS DISTINCT FROM OLD.email OR NEW.name IS DISTINCT FROM OLD.name OR NEW.attributes IS DISTINCT FROM OLD.attributes OR NEW.screen_name IS DISTINCT FROM OLD.screen_name OR NEW.consented_at IS DISTINCT FROM OLD.consented_at OR NEW.token_hash IS DISTINCT FROM OLD.token_hash OR NEW.token_expires_at IS DISTINCT FROM OLD.token_expires_at OR NEW.first_signed_in_at IS DISTINCT FROM OLD.first_signed_in_at)
    EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER pending_members_version AFTER INSERT OR UPDATE OR DELETE ON pending_members DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER codes_version AFTER INSERT OR UPDATE OR DELETE ON codes DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER excerpts_version AFTER INSERT OR UPDATE OR DELETE ON excerpts DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER codings_version AFTER INSERT OR UPDATE OR DELETE ON codings DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER outbox_version_insert AFTER INSERT ON outbox DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.status = 'failed') EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER outbox_version_update AFTER UPDATE ON outbox DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN ((NEW.status = 'failed') IS DISTINCT FROM (OLD.status = 'failed') OR (NEW.status = 'failed' AND NEW.participant_id IS DISTINCT FROM OLD.participant_id))
    EXECUTE FUNCTION board_version_bump();
CREATE CONSTRAINT TRIGGER outbox_version_delete AFTER DELETE ON outbox DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status = 'failed') EXECUTE FUNCTION board_version_bump();
