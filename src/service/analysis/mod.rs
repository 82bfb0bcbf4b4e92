//! The analysts' work: the codebook (a tree of codes, templates, REFI-QDA codebook import),
//! coding whole replies or excerpts, quotes, memos, and the counts of the report page.
//! Analysts, moderators, co-moderators and administrators of a board may do all of it; every
//! coding and memo keeps who made it and when, so several analysts can code one board.

mod codebook;
mod coding;
mod project;
mod report;
mod shared;

pub use codebook::*;
pub use coding::*;
pub use project::{import_project, ProjectImport};
pub use report::*;
pub use shared::{analysis_access, pseudonyms, tree_order, MemoView};
