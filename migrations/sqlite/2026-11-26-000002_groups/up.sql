-- Stages and questions can be shown to chosen groups only: a JSON array of group names
-- (a participant's group is their "group" attribute); empty means everyone.
ALTER TABLE stages ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';
ALTER TABLE questions ADD COLUMN groups TEXT NOT NULL DEFAULT '[]';
