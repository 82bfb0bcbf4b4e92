-- Withdrawal, erasure and retention.
-- What happens to a withdrawing participant's posts, votes, reactions and images: 'keep' (they
-- stay, under the participant's pseudonym) or 'remove'. Chosen at set-up and shown on the
-- consent page; it cannot change once someone has agreed to it.
ALTER TABLE boards ADD COLUMN withdrawal_policy TEXT NOT NULL DEFAULT 'keep';
-- After this day (the board's time zone) an archived board's personal data may be purged.
ALTER TABLE boards ADD COLUMN retain_until DATE;
-- Whether the scheduler purges the board when its retention date has passed.
ALTER TABLE boards ADD COLUMN purge_when_due BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE boards ADD COLUMN purged_at TIMESTAMP;
-- A withdrawal: when it took effect here, the day the participant asked (they may have asked
-- by email or telephone before it was recorded) and how.
ALTER TABLE participants ADD COLUMN withdrawn_at TIMESTAMP;
ALTER TABLE participants ADD COLUMN withdrawal_asked_on DATE;
ALTER TABLE participants ADD COLUMN withdrawal_source TEXT;
-- Erased: name, email, attributes and screen name are gone from the row, which keeps only
-- the pseudonym number (never given again) so that kept posts still have an author.
ALTER TABLE participants ADD COLUMN erased_at TIMESTAMP;
-- A removed post keeps no text: it stays as an empty place only while replies hang from it.
ALTER TABLE posts ADD COLUMN removed_at TIMESTAMP;
-- Pages show withdrawn and erased participants differently: those changes move the board's version.
DROP TRIGGER participants_version_update;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at OR NEW.first_signed_in_at IS NOT OLD.first_signed_in_at OR NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.erased_at IS NOT OLD.erased_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
