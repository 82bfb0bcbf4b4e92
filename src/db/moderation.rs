//! The audit log, stage summaries and staff notes.

use super::models::{AuditEntry, StaffNote, StageSummary};
use super::schema::{audit_log, staff_notes, stage_summaries, users};
use super::DbConn;
use crate::domain::ids::{BoardId, StageId, SummaryId};
use diesel::prelude::*;

pub fn insert_audit(conn: &mut DbConn, entry: &AuditEntry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table).values(entry).execute(conn).map(drop)
}

/// A board's audit log, newest first.
pub fn audit_of_board(conn: &mut DbConn, board_id: &BoardId, limit: i64) -> QueryResult<Vec<AuditEntry>> {
    audit_log::table
        .filter(audit_log::board_id.eq(board_id))
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .select(AuditEntry::as_select())
        .load(conn)
}

pub fn summary_of_stage(conn: &mut DbConn, stage_id: &StageId) -> QueryResult<Option<StageSummary>> {
    stage_summaries::table
        .filter(stage_summaries::stage_id.eq(stage_id))
        .select(StageSummary::as_select())
        .first(conn)
        .optional()
}

pub fn find_summary(conn: &mut DbConn, id: &SummaryId) -> QueryResult<Option<StageSummary>> {
    stage_summaries::table.find(id).select(StageSummary::as_select()).first(conn).optional()
}

pub fn summaries_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<StageSummary>> {
    stage_summaries::table.filter(stage_summaries::board_id.eq(board_id)).select(StageSummary::as_select()).load(conn)
}

/// Creates or replaces the summary of a stage.
pub fn save_summary(conn: &mut DbConn, s: &StageSummary) -> QueryResult<()> {
    let changed = diesel::update(stage_summaries::table.filter(stage_summaries::stage_id.eq(&s.stage_id)))
        .set((
            stage_summaries::body_md.eq(&s.body_md),
            stage_summaries::shown_in_stage_id.eq(&s.shown_in_stage_id),
            stage_summaries::contributors_only.eq(s.contributors_only),
            stage_summaries::published_at.eq(s.published_at),
            stage_summaries::updated_at.eq(s.updated_at),
        ))
        .execute(conn)?;
    if changed == 0 {
        diesel::insert_into(stage_summaries::table).values(s).execute(conn)?;
    }
    Ok(())
}

pub fn insert_note(conn: &mut DbConn, note: &StaffNote) -> QueryResult<()> {
    diesel::insert_into(staff_notes::table).values(note).execute(conn).map(drop)
}

/// Notes of a board with their authors' names, newest first.
pub fn notes_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<(StaffNote, String)>> {
    staff_notes::table
        .inner_join(users::table)
        .filter(staff_notes::board_id.eq(board_id))
        .order(staff_notes::created_at.desc())
        .select((StaffNote::as_select(), users::name))
        .load(conn)
}
