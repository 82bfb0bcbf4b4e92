DROP TABLE memos;
DROP TABLE codings;
DROP TABLE excerpts;
DROP TABLE codes;
