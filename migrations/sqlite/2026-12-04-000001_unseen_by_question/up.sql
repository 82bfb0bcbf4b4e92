-- What is new for a reader is counted per question over this index (see db::posts::unseen_counts);
-- with the staff author's column in it, the count reads the index alone.
DROP INDEX posts_outline;
CREATE INDEX posts_outline ON posts (question_id, created_at, id, parent_id, thread_id, participant_id, private_to, author_user_id);
