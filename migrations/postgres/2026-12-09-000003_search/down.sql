DROP INDEX codings_batch;
ALTER TABLE codings DROP COLUMN batch_id;
DROP INDEX stage_summaries_search;
ALTER TABLE stage_summaries DROP COLUMN search;
DROP INDEX posts_search;
ALTER TABLE posts DROP COLUMN search;
