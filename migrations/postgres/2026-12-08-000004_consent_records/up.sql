-- Consent with a record: each agreement keeps the consent text as it was at that moment and
-- its version. A board's consent text that changes moves its version on, and participants
-- are asked again at their next visit.
ALTER TABLE boards ADD COLUMN consent_version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE consent_records (
    id TEXT PRIMARY KEY NOT NULL,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    consent_md TEXT NOT NULL,
    agreed_at TIMESTAMP NOT NULL
);
CREATE INDEX consent_records_participant ON consent_records (participant_id, agreed_at);
CREATE INDEX consent_records_board ON consent_records (board_id);
-- Agreements given before records were kept: the text they agreed to is the one there now.
INSERT INTO consent_records (id, participant_id, board_id, version, consent_md, agreed_at)
SELECT participants.id || ':1', participants.id, participants.board_id, 1, boards.consent_md, participants.consented_at
FROM participants JOIN boards ON boards.id = participants.board_id
WHERE participants.consented_at IS NOT NULL;
