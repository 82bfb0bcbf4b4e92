-- A question's outline (the order of its threads, who wrote what, what is private) is read on
-- every view of the question; with every column it needs in the index, it is read from the
-- index alone instead of from the rows, which carry the posts' text.
CREATE INDEX posts_outline ON posts (question_id, created_at, id, parent_id, thread_id, participant_id, private_to);
DROP INDEX posts_question;
