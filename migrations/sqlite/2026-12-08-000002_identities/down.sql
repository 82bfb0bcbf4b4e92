DROP INDEX participants_pseudonym;
ALTER TABLE participants DROP COLUMN pseudonym_no;
ALTER TABLE boards DROP COLUMN pseudonyms_issued;
ALTER TABLE boards DROP COLUMN identities_seen_by;
