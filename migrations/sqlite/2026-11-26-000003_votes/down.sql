DROP TABLE votes;
ALTER TABLE questions DROP COLUMN config;
ALTER TABLE questions DROP COLUMN kind;
