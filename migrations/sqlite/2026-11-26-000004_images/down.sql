ALTER TABLE questions DROP COLUMN allow_images;
DROP TABLE images;
