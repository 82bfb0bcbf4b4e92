//! Reply keys, the mail that arrived, and addresses marked failing by bounces.

use super::models::{InboundMail, Participant, ReplyKey};
use super::schema::{inbound_mail, outbox, participants, reply_keys};
use super::DbConn;
use crate::domain::email::InboundOutcome;
use crate::domain::ids::{BoardId, ParticipantId, PostId};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use time::PrimitiveDateTime;

pub fn insert_key(conn: &mut DbConn, key: &ReplyKey) -> QueryResult<()> {
    diesel::insert_into(reply_keys::table).values(key).execute(conn).map(drop)
}

pub fn find_key(conn: &mut DbConn, key_hash: &str) -> QueryResult<Option<ReplyKey>> {
    reply_keys::table.find(key_hash).select(ReplyKey::as_select()).first(conn).optional()
}

/// Records a message that arrived unless it was recorded before (by this instance or another);
/// returns whether this call recorded it. In a savepoint, as the outbox's insert.
pub fn insert_mail(conn: &mut DbConn, mail: &InboundMail) -> QueryResult<bool> {
    let result = conn.transaction(|conn| diesel::insert_into(inbound_mail::table).values(mail).execute(conn));
    match result {
        Ok(_) => Ok(true),
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Messages waiting for a moderator on a board: those matched to it, and those that matched no
/// board but came from one of its participants' addresses. Newest first; `only` picks one.
pub fn unmatched_of_board(
    conn: &mut DbConn,
    board_id: &BoardId,
    only: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<InboundMail>> {
    let addresses = participants::table
        .filter(participants::board_id.eq(board_id))
        .filter(participants::erased_at.is_null())
        .select(participants::email);
    let mut query = inbound_mail::table
        .filter(inbound_mail::outcome.eq(InboundOutcome::Unmatched))
        .filter(
            inbound_mail::board_id
                .eq(board_id)
                .or(inbound_mail::board_id.is_null().and(inbound_mail::sender.eq_any(addresses))),
        )
        .into_boxed();
    if let Some(id) = only {
        query = query.filter(inbound_mail::id.eq(id.to_string()));
    }
    query.order(inbound_mail::received_at.desc()).limit(limit).select(InboundMail::as_select()).load(conn)
}

/// Settles a waiting message, once: returns false if someone else settled it first.
pub fn settle(
    conn: &mut DbConn,
    id: &str,
    outcome: InboundOutcome,
    post_id: Option<&PostId>,
    by: &str,
    at: PrimitiveDateTime,
) -> QueryResult<bool> {
    // A posted or attached message's words live in the post (where withdrawal and erasure
    // find them); a discarded one's are not kept.
    let n = diesel::update(inbound_mail::table.find(id).filter(inbound_mail::outcome.eq(InboundOutcome::Unmatched)))
        .set((
            inbound_mail::outcome.eq(outcome),
            inbound_mail::body_text.eq(""),
            inbound_mail::post_id.eq(post_id),
            inbound_mail::handled_by.eq(by),
            inbound_mail::handled_at.eq(at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

/// Why a message waits for a moderator.
pub fn set_reason(conn: &mut DbConn, id: &str, reason: &str) -> QueryResult<()> {
    diesel::update(inbound_mail::table.find(id)).set(inbound_mail::reason.eq(reason)).execute(conn).map(drop)
}

/// Marks every participant with `address` as failing; returns them.
pub fn mark_failing(
    conn: &mut DbConn,
    address: &str,
    reason: &str,
    at: PrimitiveDateTime,
) -> QueryResult<Vec<Participant>> {
    diesel::update(
        participants::table.filter(participants::email.eq(address)).filter(participants::erased_at.is_null()),
    )
    .set((participants::email_failing_at.eq(at), participants::email_failing_reason.eq(reason)))
    .execute(conn)?;
    participants::table
        .filter(participants::email.eq(address))
        .filter(participants::erased_at.is_null())
        .select(Participant::as_select())
        .load(conn)
}

/// A message to `participant_id` was delivered after all, or their address changed.
pub fn clear_failing(conn: &mut DbConn, participant_id: &ParticipantId) -> QueryResult<()> {
    diesel::update(participants::table.find(participant_id).filter(participants::email_failing_at.is_not_null()))
        .set((
            participants::email_failing_at.eq(None::<PrimitiveDateTime>),
            participants::email_failing_reason.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}

/// Everything kept of a participant's mail, for erasure: their reply keys, the messages that
/// came from or were matched to them on `board_id`, and the board's notes to their address
/// about replies by email.
pub fn erase_of(
    conn: &mut DbConn,
    board_id: &BoardId,
    participant_id: &ParticipantId,
    address: &str,
) -> QueryResult<usize> {
    let keys = diesel::delete(reply_keys::table.filter(reply_keys::participant_id.eq(participant_id))).execute(conn)?;
    let mail = diesel::delete(inbound_mail::table.filter(inbound_mail::participant_id.eq(participant_id).or(
        inbound_mail::sender.eq(address).and(inbound_mail::board_id.eq(board_id).or(inbound_mail::board_id.is_null())),
    )))
    .execute(conn)?;
    let notes = diesel::delete(
        outbox::table
            .filter(outbox::recipient.eq(address))
            .filter(outbox::board_id.eq(board_id).or(outbox::board_id.is_null())),
    )
    .execute(conn)?;
    Ok(keys + mail + notes)
}

/// Replies by email waiting for a moderator on a board.
pub fn unmatched_count(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<i64> {
    inbound_mail::table
        .filter(inbound_mail::board_id.eq(board_id))
        .filter(inbound_mail::outcome.eq(InboundOutcome::Unmatched))
        .count()
        .get_result(conn)
}
