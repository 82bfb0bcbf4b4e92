-- A question's outline (the order of its threads, who wrote what, what is private) is read on
-- every view of the question; with every column it needs in the index, it is read from the
-- index alone instead of from the rows, which carry the posts' text.
CREATE INDEX posts_outline ON posts (question_id, created_at, id, parent_id, thread_id, participant_id, private_to);
DROP INDEX posts_question;
-- The same for the staff's board pages (who answered what, what is new for whom): at 1,000
-- participants and 20 questions they read every post of the board, from the index alone.
CREATE INDEX posts_board_outline ON posts (board_id, created_at, question_id, participant_id, parent_id, author_user_id, private_to, recorded_by);
DROP INDEX posts_board;
-- The probes waiting for an answer, on the board page: found without reading every post.
CREATE INDEX posts_probes ON posts (board_id, is_probe, created_at);
