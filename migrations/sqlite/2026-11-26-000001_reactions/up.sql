-- "Agree" on a post: one per person and post.
CREATE TABLE reactions (
    post_id TEXT NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
    participant_id TEXT NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
    question_id TEXT NOT NULL REFERENCES questions(id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (post_id, participant_id)
);
CREATE INDEX reactions_question ON reactions (question_id);
