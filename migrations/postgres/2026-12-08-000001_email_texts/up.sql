-- A board's own wording of the emails it sends (src/domain/email_texts.rs); a board without a
-- row for an email uses the default wording.
CREATE TABLE email_texts (
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    which TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_md TEXT NOT NULL,
    updated_by TEXT NOT NULL REFERENCES users(id),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (board_id, which)
);

-- "Send me my link" finds a participant by the address they type, on every board.
CREATE INDEX participants_email ON participants (email);
