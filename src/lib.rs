//! focusboard: asynchronous online focus groups run as a staged bulletin board.
//!
//! Layers, outermost first: `web` (HTTP pages and the JSON API) calls `service` (one function per
//! user action, with its permission check), which uses `db` (diesel queries for SQLite and
//! PostgreSQL) and `domain` (types and rules, no I/O). `scheduler` releases stages on time.

pub mod backup;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod email;
pub mod error;
pub mod export;
pub mod scheduler;
pub mod service;
pub mod startup;
pub mod telemetry;
pub mod templates;
pub mod web;
