DROP INDEX memos_excerpt;
ALTER TABLE memos DROP COLUMN excerpt_id;
