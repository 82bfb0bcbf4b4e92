DROP INDEX posts_outline;
CREATE INDEX posts_outline ON posts (question_id, created_at, id, parent_id, thread_id, participant_id, private_to);
