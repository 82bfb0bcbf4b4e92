-- Who of a board's staff see participants' names and emails. Moderators and administrators
-- always do; the board chooses for the other roles (a JSON list of roles). The others see
-- each participant's stable pseudonym (P01 …) instead.
ALTER TABLE boards ADD COLUMN identities_seen_by TEXT NOT NULL DEFAULT '["co_moderator"]';
-- Pseudonyms are numbered per board in the order participants are added and never reused:
-- the board counts how many it has given out.
ALTER TABLE boards ADD COLUMN pseudonyms_issued INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN pseudonym_no INTEGER NOT NULL DEFAULT 0;
-- Participants already there keep the numbers the exports gave them: by time added, then id.
UPDATE participants SET pseudonym_no = (
    SELECT COUNT(*) FROM participants p2
    WHERE p2.board_id = participants.board_id
      AND (p2.created_at < participants.created_at OR (p2.created_at = participants.created_at AND p2.id <= participants.id))
);
UPDATE boards SET pseudonyms_issued = (
    SELECT COALESCE(MAX(participants.pseudonym_no), 0) FROM participants WHERE participants.board_id = boards.id
);
CREATE UNIQUE INDEX participants_pseudonym ON participants (board_id, pseudonym_no);
