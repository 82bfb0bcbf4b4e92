-- Email both ways: answers by reply, bounces, digests, and a schedule of working days.

-- The Reply-To address of a message, with its reply key; none for messages that take no reply.
ALTER TABLE outbox ADD COLUMN reply_to TEXT;

-- A reply key: the random part of a Reply-To address, kept only as its SHA-256. It binds a reply
-- to the participant it was sent to (and their address then), to a question, and for probes and
-- reply notices to the post replied to. It ends with the board.
CREATE TABLE reply_keys (
    key_hash TEXT PRIMARY KEY,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    post_id TEXT REFERENCES posts(id) ON DELETE CASCADE,
    address TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reply_keys_participant ON reply_keys (participant_id);

-- Every message read from the mailbox (or the drop folder), once: the unique key (its
-- Message-ID, or a hash of its bytes) is what lets several instances read one mailbox.
CREATE TABLE inbound_mail (
    id TEXT PRIMARY KEY,
    dedup_key TEXT NOT NULL UNIQUE,
    board_id TEXT REFERENCES boards(id) ON DELETE CASCADE,
    participant_id TEXT REFERENCES participants(id) ON DELETE SET NULL,
    question_id TEXT REFERENCES questions(id) ON DELETE SET NULL,
    parent_post_id TEXT REFERENCES posts(id) ON DELETE SET NULL,
    sender TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    -- posted, unmatched (waiting for a moderator), attached, discarded
    outcome TEXT NOT NULL,
    reason TEXT,
    post_id TEXT REFERENCES posts(id) ON DELETE SET NULL,
    received_at TIMESTAMP NOT NULL,
    handled_by TEXT,
    handled_at TIMESTAMP
);
CREATE INDEX inbound_mail_board ON inbound_mail (board_id, outcome, received_at);
CREATE INDEX inbound_mail_sender ON inbound_mail (sender);

-- A bounce marks the address as failing until it changes or a message to it is delivered.
ALTER TABLE participants ADD COLUMN email_failing_at TIMESTAMP;
ALTER TABLE participants ADD COLUMN email_failing_reason TEXT;

-- How a participant hears of replies: each (one email per reply), daily (a digest) or none.
ALTER TABLE participants ADD COLUMN reply_notices TEXT NOT NULL DEFAULT 'each';
ALTER TABLE participants ADD COLUMN digest_sent_at TIMESTAMP;
-- The hour (board time) digests go out.
ALTER TABLE boards ADD COLUMN digest_hour INTEGER NOT NULL DEFAULT 18;
-- Staff who asked for a daily digest of the board's activity.
ALTER TABLE board_members ADD COLUMN digest BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE board_members ADD COLUMN digest_sent_at TIMESTAMP;

-- The board's holidays (a JSON list of dates), skipped like weekends when stages are
-- scheduled by working days; and a pause: no releases and no reminders while it is set.
ALTER TABLE boards ADD COLUMN holidays TEXT NOT NULL DEFAULT '[]';
ALTER TABLE boards ADD COLUMN paused_at TIMESTAMP;

-- The participants page, grid and funnel show failing addresses: a bounce moves the board's
-- version, so pages kept under it are rendered again.
DROP TRIGGER participants_version_update;
CREATE TRIGGER participants_version_update AFTER UPDATE ON participants WHEN NEW.email IS NOT OLD.email OR NEW.name IS NOT OLD.name OR NEW.attributes IS NOT OLD.attributes OR NEW.screen_name IS NOT OLD.screen_name OR NEW.consented_at IS NOT OLD.consented_at OR NEW.token_hash IS NOT OLD.token_hash OR NEW.token_expires_at IS NOT OLD.token_expires_at OR NEW.first_signed_in_at IS NOT OLD.first_signed_in_at OR NEW.withdrawn_at IS NOT OLD.withdrawn_at OR NEW.erased_at IS NOT OLD.erased_at OR NEW.email_failing_at IS NOT OLD.email_failing_at BEGIN
    UPDATE board_versions SET version = version + 1 WHERE board_id = NEW.board_id;
END;
