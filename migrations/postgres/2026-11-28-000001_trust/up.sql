-- One answer per participant per question, whoever typed it (the participant, or a moderator
-- recording it on their behalf): the database decides, so two submits racing give one answer.
-- Answers already doubled by an earlier race become replies under the first one, so nothing
-- is lost: first their threads move under the first answer, then they become its replies.
UPDATE posts SET thread_id = (
    SELECT f.id FROM posts f, posts r
    WHERE r.id = posts.thread_id AND f.question_id = r.question_id AND f.participant_id = r.participant_id AND f.parent_id IS NULL
    ORDER BY f.created_at, f.id LIMIT 1
)
WHERE thread_id IN (
    SELECT r.id FROM posts r
    WHERE r.parent_id IS NULL AND r.participant_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM posts e
        WHERE e.question_id = r.question_id AND e.participant_id = r.participant_id AND e.parent_id IS NULL
          AND (e.created_at < r.created_at OR (e.created_at = r.created_at AND e.id < r.id))
    )
);
UPDATE posts SET parent_id = thread_id WHERE parent_id IS NULL AND id <> thread_id;
CREATE UNIQUE INDEX posts_one_answer ON posts (question_id, participant_id) WHERE parent_id IS NULL AND participant_id IS NOT NULL;

-- Staff added to a board by an email that has no account yet: the role is given when an
-- account with that email is created. Adding a known and an unknown email then answers the
-- same, so board staff cannot find out who has an account.
CREATE TABLE pending_members (
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (board_id, email)
);
CREATE INDEX pending_members_email ON pending_members (email);

-- Creating boards is a permission: administrators always, other staff when given it.
ALTER TABLE users ADD COLUMN can_create_boards BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE users SET can_create_boards = TRUE WHERE id IN (SELECT created_by FROM boards);

-- Sessions kept on the server: the cookie carries a random secret whose hash is the id, so
-- signing out, a new link, a changed password or a disabled account ends a session at once,
-- and a copied cookie stops working with it.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    participant_id TEXT REFERENCES participants(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_seen_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_participant ON sessions (participant_id);

-- Tokens end (participants' with their link, staff's after a set time) and may be read-only.
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMP;
ALTER TABLE api_tokens ADD COLUMN read_only BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE users ADD COLUMN disabled_at TIMESTAMP;

-- Retried requests: the first answer to a (person, key) is kept and given again, so a client
-- that lost the answer and retries does not post twice. Kept a day.
CREATE TABLE idempotency_keys (
    owner_id TEXT NOT NULL,
    key TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    response TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (owner_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Image bytes live in the database, so every instance behind one address serves them under the
-- same permission checks, and a backup of the database holds them.
CREATE TABLE image_data (
    image_id TEXT PRIMARY KEY NOT NULL REFERENCES images(id) ON DELETE CASCADE,
    full_bytes BYTEA NOT NULL,
    thumb_bytes BYTEA NOT NULL
);
