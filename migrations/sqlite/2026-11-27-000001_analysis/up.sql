-- The analysts' work on a board: a codebook (a tree of codes), codings of whole replies or of
-- excerpts (character ranges of the reply's text), quotes, and memos on replies and codes.
-- Every row keeps who made it and when, so several analysts can code the same board.
CREATE TABLE codes (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES codes(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    colour TEXT NOT NULL,
    position INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX codes_board ON codes (board_id, position);
CREATE UNIQUE INDEX codes_unique_name ON codes (board_id, name);

-- A selection of a reply: start and end count characters (Unicode scalar values) of the
-- reply's text as written; both null means the whole reply. The text is kept as selected.
CREATE TABLE excerpts (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    start_char INTEGER,
    end_char INTEGER,
    text TEXT NOT NULL,
    is_quote BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX excerpts_board ON excerpts (board_id, post_id);
CREATE INDEX excerpts_post ON excerpts (post_id);

CREATE TABLE codings (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    excerpt_id TEXT NOT NULL REFERENCES excerpts(id) ON DELETE CASCADE,
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    code_id TEXT NOT NULL REFERENCES codes(id) ON DELETE CASCADE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX codings_unique ON codings (excerpt_id, code_id);
CREATE INDEX codings_board ON codings (board_id, code_id);
CREATE INDEX codings_post ON codings (post_id);
CREATE INDEX codings_code ON codings (code_id);

-- A memo is about one reply or one code.
CREATE TABLE memos (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    post_id TEXT REFERENCES posts(id) ON DELETE CASCADE,
    code_id TEXT REFERENCES codes(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX memos_board ON memos (board_id, created_at);
CREATE INDEX memos_post ON memos (post_id);
CREATE INDEX memos_code ON memos (code_id);
