DROP INDEX posts_probes;
CREATE INDEX posts_board ON posts (board_id, created_at);
DROP INDEX posts_board_outline;
CREATE INDEX posts_question ON posts (question_id, created_at);
DROP INDEX posts_outline;
