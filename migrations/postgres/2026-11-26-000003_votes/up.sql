-- Question kinds beside open discussion, with their options as JSON:
-- {"options": ["A", "B"], "scale": {"max": 5, "low": "Not at all", "high": "Very"}}.
ALTER TABLE questions ADD COLUMN kind TEXT NOT NULL DEFAULT 'discussion';
ALTER TABLE questions ADD COLUMN config TEXT NOT NULL DEFAULT '{}';

-- Every vote is kept; a changed vote supersedes the earlier one, which stays for analysts.
CREATE TABLE votes (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    answer TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP
);
CREATE INDEX votes_question ON votes (question_id, superseded_at);
CREATE INDEX votes_participant ON votes (participant_id, question_id);
CREATE INDEX votes_board ON votes (board_id);
