-- A memo written while coding a selection belongs to that excerpt (it is also on the reply):
-- REFI-QDA projects carry it as the selection's description. Should the excerpt go, the memo
-- stays on the reply.
ALTER TABLE memos ADD COLUMN excerpt_id TEXT REFERENCES excerpts(id) ON DELETE SET NULL;
CREATE INDEX memos_excerpt ON memos (excerpt_id);
