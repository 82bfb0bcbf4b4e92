//! Integration tests: each test starts the real HTTP server on a free loopback port over a
//! fresh database (a SQLite file, or a new PostgreSQL database when run by `scripts/test`), and
//! acts as a person would: pages with cookies and CSRF tokens, or the JSON API with a token.

#![allow(clippy::unwrap_used)] // tests unwrap: a failure there is the test failing
mod helpers;

mod analysis;
mod api;
mod bad_input;
mod cli;
mod consent;
mod data_download;
mod digests;
mod email;
mod email_texts;
mod export;
mod forms;
mod groups;
mod identities;
mod images;
mod inbound;
mod journey;
mod link_request;
mod moderation;
mod page_cache;
mod paging;
mod participant_flow;
mod permissions;
mod plain_words;
mod polls;
mod queries;
mod reactions;
mod scheduler;
mod search;
mod setup;
mod staff_accounts;
mod trust;
mod withdrawal;
mod working_days;
