//! A board's schedule in working days: the unreleased stages placed "every N working days at
//! HH:MM from a date", each closing after M working days, skipping weekends and the board's
//! holidays in its time zone; and a pause, during which nothing is released and no reminder
//! goes out, with the remaining schedule moved on by the paused working days, or kept.

use super::{access, audit, in_tx, Actor, Ctx, Field};
use crate::db::models::Stage;
use crate::db::{self, DbConn};
use crate::domain::ids::BoardId;
use crate::domain::schedule::{self, Holidays, WorkingDayPlan};
use crate::domain::timezone::BoardZone;
use crate::error::{AppError, AppResult};
use serde::Deserialize;
use serde_json::json;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WorkingDaysInput {
    /// The first day a stage may be released (YYYY-MM-DD, the board's calendar); a weekend or
    /// holiday moves to the next working day.
    pub from: String,
    /// Working days between one release and the next (1 to 30).
    #[schema(value_type = String)]
    pub every: serde_json::Value,
    /// The time of day of each release and close (HH:MM, the board's zone).
    pub at: String,
    /// Working days each stage stays open; empty: stages do not close by themselves.
    #[schema(value_type = Option<String>)]
    pub close_after: Option<serde_json::Value>,
}

/// A whole number from a form (text) or JSON (a number) in `range`.
fn count(field: Field, value: &serde_json::Value, range: std::ops::RangeInclusive<u32>) -> AppResult<u32> {
    super::whole_number(value)
        .and_then(|n| u32::try_from(n).ok())
        .filter(|n| range.contains(n))
        .ok_or_else(|| field.invalid(format!("must be a whole number from {} to {}.", range.start(), range.end())))
}

/// The instants of `plan` for `stages` (in board order).
fn placed(
    zone: &BoardZone,
    plan: WorkingDayPlan,
    stages: &[Stage],
    holidays: &Holidays,
) -> AppResult<Vec<(PrimitiveDateTime, Option<PrimitiveDateTime>)>> {
    schedule::plan_days(plan, stages.len(), holidays)
        .into_iter()
        .map(|(release, close)| {
            let at = |day| zone.at_local(day, plan.at).map_err(AppError::invalid);
            Ok((at(release)?, close.map(at).transpose()?))
        })
        .collect()
}

/// Schedules every stage not yet released; returns how many were scheduled.
pub fn schedule_working_days(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &WorkingDaysInput,
) -> AppResult<usize> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let from = time::Date::parse(input.from.trim(), &format)
        .map_err(|_| Field("from", "The first day").invalid("must be a date such as 2026-03-02."))?;
    let every = count(Field("every", "Every"), &input.every, 1..=30)?;
    let at = schedule::parse_time_of_day(&input.at).map_err(|e| AppError::invalid_field("at", e))?;
    let close_after = match &input.close_after {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(v) => Some(count(Field("close_after", "Each stage closes after"), v, 1..=60)?),
    };
    let zone = acc.zone();
    let holidays = acc.board.holidays.get().clone();
    let stages: Vec<Stage> =
        db::stages::of_board(conn, board_id)?.into_iter().filter(|s| s.released_at.is_none()).collect();
    if stages.is_empty() {
        return Err(AppError::invalid("Every stage is already released: there is nothing left to schedule."));
    }
    let plan = WorkingDayPlan { from, every, at, close_after };
    let times = placed(&zone, plan, &stages, &holidays)?;
    if let Some((first, _)) = times.first() {
        if *first <= ctx.now() {
            return Err(Field("from", "The first release").invalid("would be in the past; choose a later day or time."));
        }
    }
    in_tx(conn, |conn| {
        for (stage, (release, close)) in stages.iter().zip(&times) {
            let mut s = stage.clone();
            s.release_at = Some(*release);
            s.close_at = *close;
            db::stages::update(conn, &s)?;
        }
        audit::record(
            conn,
            ctx,
            &acc,
            "stage.schedule",
            format!("{} stages", stages.len()),
            None,
            Some(json!({
                "from": input.from.trim(), "every": every, "at": input.at.trim(), "close_after": close_after,
                "releases": times.iter().map(|(r, _)| zone.to_rfc3339(*r)).collect::<Vec<_>>(),
            })),
        )
    })?;
    Ok(stages.len())
}

/// Pauses a board: no stage is released and no reminder goes out until it is resumed.
/// Participants still read and post in the stages already open.
pub fn pause(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId) -> AppResult<()> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    if acc.board.paused_at.is_some() {
        return Err(AppError::Conflict("The board is already paused.".into()));
    }
    let mut board = acc.board.clone();
    board.paused_at = Some(ctx.now());
    in_tx(conn, |conn| {
        db::boards::update(conn, &board)?;
        audit::record(conn, ctx, &acc, "board.pause", format!("board {}", board.id), None, None)
    })
}

/// Resumes a paused board. With `shift`, every release and close still to come moves on by the
/// working days the pause lasted (keeping its time of day); otherwise they stay, and stages
/// whose release time passed during the pause are released at the scheduler's next pass.
pub fn resume(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId, shift: bool) -> AppResult<u32> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let Some(paused_at) = acc.board.paused_at else {
        return Err(AppError::Conflict("The board is not paused.".into()));
    };
    let now = ctx.now();
    let zone = acc.zone();
    let holidays = acc.board.holidays.get().clone();
    let days = if shift {
        schedule::working_days_between(zone.local_date(paused_at), zone.local_date(now), &holidays)
    } else {
        0
    };
    let moved = |t: PrimitiveDateTime| -> AppResult<PrimitiveDateTime> {
        let local = zone.local(t);
        let day = schedule::add_working_days(local.date(), days, &holidays);
        zone.at_local(day, local.time()).map_err(AppError::invalid)
    };
    let mut board = acc.board.clone();
    board.paused_at = None;
    in_tx(conn, |conn| {
        if days > 0 {
            for mut s in db::stages::of_board(conn, board_id)? {
                let mut changed = false;
                if let (None, Some(r)) = (s.released_at, s.release_at) {
                    s.release_at = Some(moved(r)?);
                    changed = true;
                }
                if let Some(c) = s.close_at.filter(|c| *c > paused_at) {
                    s.close_at = Some(moved(c)?);
                    changed = true;
                }
                if changed {
                    db::stages::update(conn, &s)?;
                }
            }
        }
        db::boards::update(conn, &board)?;
        audit::record(
            conn,
            ctx,
            &acc,
            "board.resume",
            format!("board {}", board.id),
            None,
            Some(json!({"shifted_working_days": days})),
        )
    })?;
    Ok(days)
}
