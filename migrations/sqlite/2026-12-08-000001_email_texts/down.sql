DROP TABLE email_texts;
DROP INDEX participants_email;
