CREATE INDEX posts_question ON posts (question_id, created_at);
DROP INDEX posts_outline;
