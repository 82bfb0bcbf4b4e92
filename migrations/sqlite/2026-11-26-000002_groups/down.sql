ALTER TABLE questions DROP COLUMN groups;
ALTER TABLE stages DROP COLUMN groups;
