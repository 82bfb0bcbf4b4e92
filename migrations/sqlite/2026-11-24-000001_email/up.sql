-- Every email is written here in the same transaction as the action that causes it, then sent
-- by the outbox worker. A row is claimed by a conditional update (status and lease), so with
-- several instances each message is sent by one of them.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT REFERENCES boards(id) ON DELETE CASCADE,
    participant_id TEXT REFERENCES participants(id) ON DELETE CASCADE,
    recipient TEXT NOT NULL,
    kind TEXT NOT NULL,
    -- One message per person, kind and occasion (for example a reminder per stage).
    dedup_key TEXT UNIQUE,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    unsubscribe_url TEXT,
    message_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP,
    locked_by TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_board ON outbox (board_id, created_at);
CREATE INDEX outbox_participant ON outbox (participant_id, status);
CREATE INDEX outbox_claim ON outbox (locked_by);

-- Kinds of email a participant chose not to receive, as a JSON array.
ALTER TABLE participants ADD COLUMN email_opt_out TEXT NOT NULL DEFAULT '[]';
ALTER TABLE participants ADD COLUMN invited_at TIMESTAMP;

-- Reminder rules per board; NULL switches a rule off.
ALTER TABLE boards ADD COLUMN remind_before_close_hours INTEGER DEFAULT 24;
ALTER TABLE boards ADD COLUMN remind_not_signed_in_hours INTEGER DEFAULT 48;
