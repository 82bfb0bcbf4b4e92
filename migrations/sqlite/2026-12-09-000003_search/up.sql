-- Full-text search over replies and probes (posts) and stage summaries, in SQLite's FTS5 with
-- English stemming. The indexes hold no text of their own (external content): triggers keep
-- them current as posts are written, edited and deleted; hidden and removed posts are left out
-- when searching. A restored backup rebuilds them (rowids may differ in a copy).
CREATE VIRTUAL TABLE posts_fts USING fts5(body_md, content='posts', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO posts_fts(rowid, body_md) SELECT rowid, body_md FROM posts;
CREATE TRIGGER posts_fts_insert AFTER INSERT ON posts BEGIN
    INSERT INTO posts_fts(rowid, body_md) VALUES (NEW.rowid, NEW.body_md);
END;
CREATE TRIGGER posts_fts_delete AFTER DELETE ON posts BEGIN
    INSERT INTO posts_fts(posts_fts, rowid, body_md) VALUES ('delete', OLD.rowid, OLD.body_md);
END;
CREATE TRIGGER posts_fts_update AFTER UPDATE OF body_md ON posts BEGIN
    INSERT INTO posts_fts(posts_fts, rowid, body_md) VALUES ('delete', OLD.rowid, OLD.body_md);
    INSERT INTO posts_fts(rowid, body_md) VALUES (NEW.rowid, NEW.body_md);
END;
CREATE VIRTUAL TABLE summaries_fts USING fts5(body_md, content='stage_summaries', content_rowid='rowid', tokenize='porter unicode61 remove_diacritics 2');
INSERT INTO summaries_fts(rowid, body_md) SELECT rowid, body_md FROM stage_summaries;
CREATE TRIGGER summaries_fts_insert AFTER INSERT ON stage_summaries BEGIN
    INSERT INTO summaries_fts(rowid, body_md) VALUES (NEW.rowid, NEW.body_md);
END;
CREATE TRIGGER summaries_fts_delete AFTER DELETE ON stage_summaries BEGIN
    INSERT INTO summaries_fts(summaries_fts, rowid, body_md) VALUES ('delete', OLD.rowid, OLD.body_md);
END;
CREATE TRIGGER summaries_fts_update AFTER UPDATE OF body_md ON stage_summaries BEGIN
    INSERT INTO summaries_fts(summaries_fts, rowid, body_md) VALUES ('delete', OLD.rowid, OLD.body_md);
    INSERT INTO summaries_fts(rowid, body_md) VALUES (NEW.rowid, NEW.body_md);
END;
-- Codings made together by one auto-coding action, so that it can be undone as one.
ALTER TABLE codings ADD COLUMN batch_id TEXT;
CREATE INDEX codings_batch ON codings (batch_id);
