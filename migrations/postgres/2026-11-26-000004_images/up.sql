-- Images attached to questions (by moderators) and to posts (by their authors, where the
-- question allows it). Files live under the data folder with names that reveal nothing.
CREATE TABLE images (
    id TEXT PRIMARY KEY NOT NULL,
    board_id TEXT NOT NULL REFERENCES boards(id) ON DELETE CASCADE,
    question_id TEXT REFERENCES questions(id) ON DELETE CASCADE,
    post_id TEXT REFERENCES posts(id) ON DELETE CASCADE,
    stage_id TEXT REFERENCES stages(id) ON DELETE CASCADE,
    summary_id TEXT REFERENCES stage_summaries(id) ON DELETE CASCADE,
    alt_text TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX images_question ON images (question_id);
CREATE INDEX images_post ON images (post_id);
CREATE INDEX images_board ON images (board_id);

ALTER TABLE questions ADD COLUMN allow_images BOOLEAN NOT NULL DEFAULT FALSE;
