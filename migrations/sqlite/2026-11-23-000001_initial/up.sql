CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE boards (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    welcome_md TEXT NOT NULL DEFAULT '',
    consent_md TEXT NOT NULL DEFAULT '',
    time_zone TEXT NOT NULL,
    opens_at TIMESTAMP,
    closes_at TIMESTAMP,
    anonymity TEXT NOT NULL DEFAULT 'screen_names',
    state TEXT NOT NULL DEFAULT 'open',
    created_by TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL
);

-- Staff roles per board. The creator is its moderator.
CREATE TABLE board_members (
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (board_id, user_id)
);
CREATE INDEX board_members_user ON board_members (user_id);

-- One row per person per board: a participant never spans boards.
CREATE TABLE participants (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    attributes TEXT NOT NULL DEFAULT '{}',
    screen_name TEXT,
    consented_at TIMESTAMP,
    first_signed_in_at TIMESTAMP,
    last_seen_at TIMESTAMP,
    token_hash TEXT UNIQUE,
    token_expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (board_id, email)
);
CREATE UNIQUE INDEX participants_screen_name ON participants (board_id, screen_name);

CREATE TABLE stages (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    title TEXT NOT NULL,
    intro_md TEXT NOT NULL DEFAULT '',
    release_at TIMESTAMP,
    close_at TIMESTAMP,
    released_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX stages_board ON stages (board_id, position);
-- The scheduler looks for due, unreleased stages.
CREATE INDEX stages_due ON stages (released_at, release_at);

CREATE TABLE questions (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    stage_id TEXT NOT NULL REFERENCES stages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    prompt_md TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'post_first',
    created_at TIMESTAMP NOT NULL,
    revised_at TIMESTAMP
);
CREATE INDEX questions_stage ON questions (stage_id, position);
CREATE INDEX questions_board ON questions (board_id);

-- Earlier wordings of a question edited after its release.
CREATE TABLE question_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    prompt_md TEXT NOT NULL,
    replaced_at TIMESTAMP NOT NULL
);
CREATE INDEX question_revisions_question ON question_revisions (question_id);

-- Answers (parent_id NULL) and threaded replies. Exactly one author column is set.
CREATE TABLE posts (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES posts(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL,
    participant_id TEXT REFERENCES participants(id) ON DELETE CASCADE,
    author_user_id TEXT REFERENCES users(id),
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
CREATE INDEX posts_question ON posts (question_id, created_at);
CREATE INDEX posts_board ON posts (board_id, created_at);
CREATE INDEX posts_participant ON posts (participant_id, question_id);
CREATE INDEX posts_thread ON posts (thread_id);

CREATE TABLE post_revisions (
    id TEXT PRIMARY KEY NOT NULL,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    body_md TEXT NOT NULL,
    replaced_at TIMESTAMP NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions (post_id);

-- When a reader last opened a question: drives "new since your last visit".
CREATE TABLE question_reads (
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    reader_id TEXT NOT NULL,
    read_at TIMESTAMP NOT NULL,
    PRIMARY KEY (reader_id, question_id)
);

-- Bearer tokens for the API: a staff member's, or a participant's exchanged from a sign-in link.
CREATE TABLE api_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    participant_id TEXT REFERENCES participants(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
CREATE INDEX api_tokens_participant ON api_tokens (participant_id);
