ALTER TABLE users DROP COLUMN can_create_boards;
DROP TABLE pending_members;
DROP INDEX posts_one_answer;
