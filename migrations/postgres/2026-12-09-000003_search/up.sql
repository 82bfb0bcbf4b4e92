-- Full-text search over replies and probes (posts) and stage summaries: a tsvector kept by
-- PostgreSQL itself (a generated column, so always current) with English stemming, and a GIN
-- index. Hidden and removed posts are left out when searching.
ALTER TABLE posts ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body_md)) STORED;
CREATE INDEX posts_search ON posts USING GIN (search);
ALTER TABLE stage_summaries ADD COLUMN search tsvector GENERATED ALWAYS AS (to_tsvector('english', body_md)) STORED;
CREATE INDEX stage_summaries_search ON stage_summaries USING GIN (search);
-- Codings made together by one auto-coding action, so that it can be undone as one.
ALTER TABLE codings ADD COLUMN batch_id TEXT;
CREATE INDEX codings_batch ON codings (batch_id);
