//! The outbox: messages written with the action that causes them, claimed and sent by a worker.

use super::json_text::JsonText;
use super::models::OutboxMessage;
use super::schema::{outbox, participants};
use super::DbConn;
use crate::domain::email::{DeliveryStatus, EmailKind};
use crate::domain::ids::{BoardId, ParticipantId};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use time::PrimitiveDateTime;

/// Queues a message unless one with the same dedup key exists; returns whether it was queued.
/// The insert runs in a savepoint, so a duplicate caught here leaves the caller's transaction
/// usable (PostgreSQL aborts a transaction on any error otherwise).
pub fn insert(conn: &mut DbConn, message: &OutboxMessage) -> QueryResult<bool> {
    let result = conn.transaction(|conn| diesel::insert_into(outbox::table).values(message).execute(conn));
    match result {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Of `keys`, those already used.
pub fn existing_keys(conn: &mut DbConn, keys: &[String]) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    for chunk in keys.chunks(500) {
        found.extend(
            outbox::table
                .filter(outbox::dedup_key.eq_any(chunk))
                .select(outbox::dedup_key.assume_not_null())
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

/// Claims up to `limit` messages that are due (queued and past their retry time, or left
/// "sending" by a worker whose lease ran out) for `claim`, and returns them. The conditional
/// update is what makes each message go to one worker, whichever instance it runs in.
pub fn claim(
    conn: &mut DbConn,
    claim: &str,
    now: PrimitiveDateTime,
    lease_until: PrimitiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    let due = || {
        outbox::status
            .eq(DeliveryStatus::Queued)
            .and(outbox::next_attempt_at.le(now))
            .or(outbox::status.eq(DeliveryStatus::Sending).and(outbox::locked_until.lt(now)))
    };
    // Two lookups, each in the order of its index so that it stops after `limit` rows: as one
    // query with OR, every due message was read and sorted on each claim (10,000 a claim
    // while a large mailing drained). Lapsed claims first: they have waited longest.
    let mut candidates: Vec<String> = outbox::table
        .filter(outbox::status.eq(DeliveryStatus::Sending))
        .filter(outbox::locked_until.lt(now))
        .limit(limit)
        .select(outbox::id)
        .load(conn)?;
    let room = limit - candidates.len() as i64;
    if room > 0 {
        candidates.extend(
            outbox::table
                .filter(outbox::status.eq(DeliveryStatus::Queued))
                .filter(outbox::next_attempt_at.le(now))
                .order(outbox::next_attempt_at.asc())
                .limit(room)
                .select(outbox::id)
                .load::<String>(conn)?,
        );
    }
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    diesel::update(outbox::table.filter(outbox::id.eq_any(&candidates)).filter(due()))
        .set((
            outbox::status.eq(DeliveryStatus::Sending),
            outbox::locked_by.eq(claim),
            outbox::locked_until.eq(lease_until),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)?;
    outbox::table
        .filter(outbox::locked_by.eq(claim))
        .filter(outbox::status.eq(DeliveryStatus::Sending))
        .select(OutboxMessage::as_select())
        .load(conn)
}

/// Records the outcome of one attempt, if the claim still holds.
pub fn finish(
    conn: &mut DbConn,
    id: &str,
    claim: &str,
    status: DeliveryStatus,
    error: Option<&str>,
    next_attempt_at: PrimitiveDateTime,
    sent_at: Option<PrimitiveDateTime>,
) -> QueryResult<()> {
    diesel::update(outbox::table.filter(outbox::id.eq(id)).filter(outbox::locked_by.eq(claim)))
        .set((
            outbox::status.eq(status),
            outbox::last_error.eq(error),
            outbox::next_attempt_at.eq(next_attempt_at),
            outbox::sent_at.eq(sent_at),
            outbox::locked_by.eq(None::<String>),
            outbox::locked_until.eq(None::<PrimitiveDateTime>),
        ))
        .execute(conn)
        .map(drop)
}

/// Puts back in the queue the messages still "sending" under claims that start with
/// `claim_prefix` (a whole instance's, or one claim's), as if never tried this time.
pub fn release_claims_of(conn: &mut DbConn, claim_prefix: &str) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::status.eq(DeliveryStatus::Sending))
            .filter(outbox::locked_by.like(format!("{}%", escape_like(claim_prefix))).escape('\\'))
            .filter(outbox::attempts.gt(0)),
    )
    .set((
        outbox::status.eq(DeliveryStatus::Queued),
        outbox::attempts.eq(outbox::attempts - 1),
        outbox::locked_by.eq(None::<String>),
        outbox::locked_until.eq(None::<PrimitiveDateTime>),
    ))
    .execute(conn)
}

/// `LIKE` with `%`, `_` and `\` taken literally (with `ESCAPE '\'` as both backends default to).
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Opt-outs of the participants of `messages`, by participant id.
pub fn opt_outs(
    conn: &mut DbConn,
    participant_ids: &[ParticipantId],
) -> QueryResult<Vec<(ParticipantId, JsonText<Vec<EmailKind>>)>> {
    participants::table
        .filter(participants::id.eq_any(participant_ids))
        .select((participants::id, participants::email_opt_out))
        .load(conn)
}

/// A board's messages, newest first, optionally for one participant or in one status.
pub fn of_board(
    conn: &mut DbConn,
    board_id: &BoardId,
    participant_id: Option<&ParticipantId>,
    status: Option<DeliveryStatus>,
    limit: i64,
) -> QueryResult<Vec<OutboxMessage>> {
    let mut q = outbox::table.filter(outbox::board_id.eq(board_id)).into_boxed();
    if let Some(p) = participant_id {
        q = q.filter(outbox::participant_id.eq(p));
    }
    if let Some(s) = status {
        q = q.filter(outbox::status.eq(s));
    }
    q.order((outbox::created_at.desc(), outbox::id.desc())).limit(limit).select(OutboxMessage::as_select()).load(conn)
}

/// Puts failed messages of a board (one, or all) back in the queue for a fresh set of attempts.
pub fn requeue_failed(
    conn: &mut DbConn,
    board_id: &BoardId,
    id: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<usize> {
    let mut q = diesel::update(outbox::table)
        .filter(outbox::board_id.eq(board_id))
        .filter(outbox::status.eq(DeliveryStatus::Failed))
        .into_boxed();
    if let Some(id) = id {
        q = q.filter(outbox::id.eq(id));
    }
    q.set((outbox::status.eq(DeliveryStatus::Queued), outbox::attempts.eq(0), outbox::next_attempt_at.eq(now)))
        .execute(conn)
}

/// Participants of a board with a message that finally failed.
pub fn failed_participants(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<ParticipantId>> {
    outbox::table
        .filter(outbox::board_id.eq(board_id))
        .filter(outbox::status.eq(DeliveryStatus::Failed))
        .filter(outbox::participant_id.is_not_null())
        .select(outbox::participant_id.assume_not_null())
        .distinct()
        .load(conn)
}

pub fn count_by_status(conn: &mut DbConn, status: DeliveryStatus) -> QueryResult<i64> {
    outbox::table.filter(outbox::status.eq(status)).count().get_result(conn)
}

/// Messages of a board that failed since `since`.
pub fn failed_since(conn: &mut DbConn, board_id: &BoardId, since: PrimitiveDateTime) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::board_id.eq(board_id))
        .filter(outbox::status.eq(DeliveryStatus::Failed))
        .filter(outbox::created_at.gt(since))
        .count()
        .get_result(conn)
}
