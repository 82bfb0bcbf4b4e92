DROP TABLE consent_records;
ALTER TABLE boards DROP COLUMN consent_version;
