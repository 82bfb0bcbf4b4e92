DROP TABLE image_data;
DROP TABLE idempotency_keys;
ALTER TABLE users DROP COLUMN disabled_at;
ALTER TABLE api_tokens DROP COLUMN read_only;
ALTER TABLE api_tokens DROP COLUMN expires_at;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN can_create_boards;
DROP TABLE pending_members;
DROP INDEX posts_one_answer;
