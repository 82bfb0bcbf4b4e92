ALTER TABLE boards DROP COLUMN remind_not_signed_in_hours;
ALTER TABLE boards DROP COLUMN remind_before_close_hours;
ALTER TABLE participants DROP COLUMN invited_at;
ALTER TABLE participants DROP COLUMN email_opt_out;
DROP TABLE outbox;
