//! Participants of a board.

use super::json_text::JsonText;
use super::models::{ConsentRecord, Participant};
use super::schema::{consent_records, participants};
use super::DbConn;
use crate::domain::email::EmailKind;
use crate::domain::ids::{BoardId, ParticipantId};
use diesel::prelude::*;
use time::PrimitiveDateTime;

pub fn insert_all(conn: &mut DbConn, rows: &[Participant]) -> QueryResult<()> {
    // One statement per row keeps SQLite's bound-parameter limit out of the picture; the caller
    // wraps them in one transaction so an import is all rows or none.
    for row in rows {
        diesel::insert_into(participants::table).values(row).execute(conn)?;
    }
    Ok(())
}

pub fn of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<Participant>> {
    participants::table
        .filter(participants::board_id.eq(board_id))
        .order((participants::name.asc(), participants::email.asc()))
        .select(Participant::as_select())
        .load(conn)
}

/// A participant as others may be shown them: id, screen name, name and pseudonym number.
pub type NameRow = (ParticipantId, Option<String>, String, i32);

/// The `NameRow` of each participant among `ids`.
pub fn names_of(conn: &mut DbConn, ids: &[ParticipantId]) -> QueryResult<Vec<NameRow>> {
    participants::table
        .filter(participants::id.eq_any(ids))
        .select((participants::id, participants::screen_name, participants::name, participants::pseudonym_no))
        .load(conn)
}

/// Who is asking, on every request of a participant: on the backend's own connection.
pub fn find(conn: &mut DbConn, id: &ParticipantId) -> QueryResult<Option<Participant>> {
    super::on_own_backend!(conn, |c| participants::table.find(id).select(Participant::as_select()).first(c).optional())
}

pub fn find_by_token_hash(conn: &mut DbConn, hash: &str) -> QueryResult<Option<Participant>> {
    participants::table
        .filter(participants::token_hash.eq(hash))
        .select(Participant::as_select())
        .first(conn)
        .optional()
}

/// Emails among `emails` already on the board.
pub fn existing_emails(conn: &mut DbConn, board_id: &BoardId, emails: &[String]) -> QueryResult<Vec<String>> {
    let mut found = Vec::new();
    // Chunks keep the IN list under every backend's parameter limit.
    for chunk in emails.chunks(500) {
        found.extend(
            participants::table
                .filter(participants::board_id.eq(board_id))
                .filter(participants::email.eq_any(chunk))
                .select(participants::email)
                .load::<String>(conn)?,
        );
    }
    Ok(found)
}

pub fn set_token(conn: &mut DbConn, id: &ParticipantId, hash: &str, expires: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(participants::table.find(id))
        .set((participants::token_hash.eq(hash), participants::token_expires_at.eq(expires)))
        .execute(conn)
        .map(drop)
}

pub fn record_sign_in(conn: &mut DbConn, p: &Participant, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(participants::table.find(&p.id))
        .set((
            participants::first_signed_in_at.eq(p.first_signed_in_at.unwrap_or(now)),
            participants::last_seen_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Moves a participant's "last seen" forward to `now` (never back: another instance may have
/// written a later visit).
pub fn touch(conn: &mut DbConn, id: &ParticipantId, now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::update(
        participants::table
            .find(id)
            .filter(participants::last_seen_at.is_null().or(participants::last_seen_at.lt(now))),
    )
    .set(participants::last_seen_at.eq(now))
    .execute(conn)
    .map(drop)
}

pub fn set_attributes(
    conn: &mut DbConn,
    id: &ParticipantId,
    attributes: &JsonText<crate::domain::attributes::Attributes>,
) -> QueryResult<()> {
    diesel::update(participants::table.find(id)).set(participants::attributes.eq(attributes)).execute(conn).map(drop)
}

pub fn record_consent(
    conn: &mut DbConn,
    id: &ParticipantId,
    screen_name: Option<&str>,
    now: PrimitiveDateTime,
) -> QueryResult<()> {
    diesel::update(participants::table.find(id))
        .set((participants::consented_at.eq(now), participants::screen_name.eq(screen_name)))
        .execute(conn)
        .map(drop)
}

/// The screen names chosen on a board, but `except`'s.
pub fn screen_names_of_board(conn: &mut DbConn, board_id: &BoardId, except: &str) -> QueryResult<Vec<String>> {
    participants::table
        .filter(participants::board_id.eq(board_id))
        .filter(participants::id.ne(except))
        .filter(participants::screen_name.is_not_null())
        .select(participants::screen_name.assume_not_null())
        .load(conn)
}

/// Marks as invited those of `ids` who were not yet.
pub fn mark_invited(conn: &mut DbConn, ids: &[ParticipantId], now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(participants::table.filter(participants::id.eq_any(ids)).filter(participants::invited_at.is_null()))
        .set(participants::invited_at.eq(now))
        .execute(conn)
}

/// Invited participants of open boards that remind those who never sign in, who never signed
/// in and have no answer at all (one recorded on their behalf counts: they are taking part).
pub fn never_signed_in_with_reminders(conn: &mut DbConn) -> QueryResult<Vec<(Participant, super::models::Board)>> {
    use super::schema::{boards, posts};
    participants::table
        .inner_join(boards::table)
        .filter(boards::state.eq("open"))
        .filter(boards::remind_not_signed_in_hours.is_not_null())
        .filter(boards::paused_at.is_null())
        .filter(participants::invited_at.is_not_null())
        .filter(participants::first_signed_in_at.is_null())
        .filter(diesel::dsl::not(diesel::dsl::exists(
            posts::table.filter(posts::participant_id.eq(participants::id.nullable())),
        )))
        .select((Participant::as_select(), super::models::Board::as_select()))
        .load(conn)
}

pub fn set_opt_out(conn: &mut DbConn, id: &ParticipantId, kinds: &JsonText<Vec<EmailKind>>) -> QueryResult<()> {
    diesel::update(participants::table.find(id)).set(participants::email_opt_out.eq(kinds)).execute(conn).map(drop)
}

/// How many of a board's participants posted (an answer or a reply) or voted at all, not
/// counting those who withdrew.
pub fn active_count(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<i64> {
    use super::schema::{posts, votes};
    use diesel::dsl::exists;
    participants::table
        .filter(participants::board_id.eq(board_id))
        .filter(participants::withdrawn_at.is_null())
        .filter(exists(posts::table.filter(posts::participant_id.eq(participants::id.nullable()))).or(exists(
            votes::table.filter(votes::participant_id.eq(participants::id)).filter(votes::superseded_at.is_null()),
        )))
        .count()
        .get_result(conn)
}

/// The participants, on any board, with this (lower-cased) address.
pub fn with_email(conn: &mut DbConn, email: &str) -> QueryResult<Vec<Participant>> {
    participants::table.filter(participants::email.eq(email)).select(Participant::as_select()).load(conn)
}

pub fn insert_consent_record(conn: &mut DbConn, record: &ConsentRecord) -> QueryResult<()> {
    diesel::insert_into(consent_records::table).values(record).execute(conn).map(drop)
}

/// Every agreement given on a board, oldest first.
pub fn consent_records_of_board(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<ConsentRecord>> {
    consent_records::table
        .filter(consent_records::board_id.eq(board_id))
        .order((consent_records::agreed_at.asc(), consent_records::id.asc()))
        .select(ConsentRecord::as_select())
        .load(conn)
}

/// Whether a participant has agreed before (to an earlier text, if they are asked again).
pub fn has_consent_record(conn: &mut DbConn, participant_id: &ParticipantId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        consent_records::table.filter(consent_records::participant_id.eq(participant_id)),
    ))
    .get_result(conn)
}

/// Asks every participant of a board for consent again (the text changed): their agreements
/// stay in the record.
pub fn ask_consent_again(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<usize> {
    diesel::update(participants::table.filter(participants::board_id.eq(board_id)))
        .set(participants::consented_at.eq(None::<PrimitiveDateTime>))
        .execute(conn)
}

/// A participant's agreements, oldest first.
pub fn consent_records_of(conn: &mut DbConn, participant_id: &ParticipantId) -> QueryResult<Vec<ConsentRecord>> {
    consent_records::table
        .filter(consent_records::participant_id.eq(participant_id))
        .order((consent_records::agreed_at.asc(), consent_records::id.asc()))
        .select(ConsentRecord::as_select())
        .load(conn)
}

/// Whether anyone ever agreed to take part in the board (a consent record exists).
pub fn anyone_consented(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(consent_records::table.filter(consent_records::board_id.eq(board_id))))
        .get_result(conn)
}

/// How a participant hears of replies.
pub fn set_reply_notices(
    conn: &mut DbConn,
    id: &ParticipantId,
    notices: crate::domain::email::ReplyNotices,
) -> QueryResult<()> {
    diesel::update(participants::table.find(id)).set(participants::reply_notices.eq(notices)).execute(conn).map(drop)
}
