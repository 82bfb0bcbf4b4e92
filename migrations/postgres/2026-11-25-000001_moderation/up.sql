-- Who did what on a board, with the state before and after (JSON), for the board's staff.
CREATE TABLE audit_log (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT REFERENCES boards(id) ON DELETE CASCADE,
    actor_id TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    subject TEXT NOT NULL,
    before_json TEXT,
    after_json TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_board ON audit_log (board_id, at);

-- Moderation of posts: hiding with a reason, probes (a moderator's follow-up, possibly
-- private to one participant), and answers recorded on a participant's behalf.
ALTER TABLE posts ADD COLUMN hidden_at TIMESTAMP;
ALTER TABLE posts ADD COLUMN hidden_reason TEXT;
ALTER TABLE posts ADD COLUMN is_probe BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE posts ADD COLUMN private_to TEXT;
ALTER TABLE posts ADD COLUMN source TEXT NOT NULL DEFAULT 'web';
ALTER TABLE posts ADD COLUMN recorded_by TEXT;
CREATE INDEX posts_private_to ON posts (private_to);

-- A moderator's summary of a stage, fed back at the top of a later stage.
CREATE TABLE stage_summaries (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    stage_id TEXT NOT NULL UNIQUE REFERENCES stages(id) ON DELETE CASCADE,
    shown_in_stage_id TEXT REFERENCES stages(id) ON DELETE SET NULL,
    body_md TEXT NOT NULL,
    contributors_only BOOLEAN NOT NULL DEFAULT FALSE,
    published_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX stage_summaries_board ON stage_summaries (board_id);

-- A question may ask participants to react to a summary.
ALTER TABLE questions ADD COLUMN summary_id TEXT;

-- Notes from observers and staff to the moderators; never shown to participants.
CREATE TABLE staff_notes (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    question_id TEXT REFERENCES questions(id) ON DELETE CASCADE,
    author_id TEXT NOT NULL REFERENCES users(id),
    body_md TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX staff_notes_board ON staff_notes (board_id, created_at);

-- Shown to participants when the board is closed.
ALTER TABLE boards ADD COLUMN closing_message_md TEXT NOT NULL DEFAULT '';
