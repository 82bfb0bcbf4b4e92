//! Withdrawal, erasure and purge: what leaves the database when a participant withdraws or is
//! erased. Deletions, not flags, except a removed post that replies hang from, which keeps its
//! place with no text.

use super::models::Board;
use super::schema::{
    api_tokens, audit_log, boards, excerpts, idempotency_keys, images, memos, outbox, participants, post_revisions,
    posts, reactions, sessions, staff_notes, votes,
};
use super::DbConn;
use crate::domain::email::DeliveryStatus;
use crate::domain::ids::{BoardId, ParticipantId, PostId};
use crate::domain::roles::WithdrawalSource;
use diesel::prelude::*;
use time::{Date, PrimitiveDateTime};

/// Marks a participant withdrawn and ends their sign-in link; `false` when they already were.
pub fn withdraw(
    conn: &mut DbConn,
    id: &ParticipantId,
    now: PrimitiveDateTime,
    asked_on: Date,
    source: WithdrawalSource,
) -> QueryResult<bool> {
    diesel::update(participants::table.find(id).filter(participants::withdrawn_at.is_null()))
        .set((
            participants::withdrawn_at.eq(now),
            participants::withdrawal_asked_on.eq(asked_on),
            participants::withdrawal_source.eq(source),
            participants::token_hash.eq(None::<String>),
            participants::token_expires_at.eq(None::<PrimitiveDateTime>),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Stops every email to a participant that is waiting or may be retried.
pub fn cancel_emails_of(conn: &mut DbConn, id: &ParticipantId) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::participant_id.eq(id))
            .filter(outbox::status.eq_any([DeliveryStatus::Queued, DeliveryStatus::Failed])),
    )
    .set(outbox::status.eq(DeliveryStatus::Cancelled))
    .execute(conn)
}

/// One post of a thread: id, parent, author, and whether it was removed.
pub type ThreadPost = (PostId, Option<PostId>, Option<ParticipantId>, Option<PrimitiveDateTime>);

/// Every post of the threads a participant wrote in, theirs and others'.
pub fn threads_of(conn: &mut DbConn, id: &ParticipantId) -> QueryResult<Vec<ThreadPost>> {
    let threads: Vec<PostId> = posts::table.filter(posts::participant_id.eq(id)).select(posts::thread_id).load(conn)?;
    posts::table
        .filter(posts::thread_id.eq_any(threads))
        .select((posts::id, posts::parent_id, posts::participant_id, posts::removed_at))
        .load(conn)
}

/// Deletes posts; their revisions, images, reactions, excerpts, codings and memos go with them
/// (foreign keys cascade).
pub fn delete_posts(conn: &mut DbConn, ids: &[PostId]) -> QueryResult<usize> {
    diesel::delete(posts::table.filter(posts::id.eq_any(ids))).execute(conn)
}

/// Empties posts that replies hang from: the text, its earlier versions and everything made
/// from it go; the row stays, marked removed.
pub fn empty_posts(conn: &mut DbConn, ids: &[PostId], now: PrimitiveDateTime) -> QueryResult<()> {
    diesel::delete(post_revisions::table.filter(post_revisions::post_id.eq_any(ids))).execute(conn)?;
    diesel::delete(excerpts::table.filter(excerpts::post_id.eq_any(ids))).execute(conn)?;
    diesel::delete(memos::table.filter(memos::post_id.eq_any(ids))).execute(conn)?;
    diesel::delete(images::table.filter(images::post_id.eq_any(ids))).execute(conn)?;
    diesel::delete(reactions::table.filter(reactions::post_id.eq_any(ids))).execute(conn)?;
    diesel::update(posts::table.filter(posts::id.eq_any(ids)))
        .set((
            posts::body_md.eq(""),
            posts::body_html.eq(""),
            posts::hidden_reason.eq(None::<String>),
            posts::edited_at.eq(None::<PrimitiveDateTime>),
            posts::removed_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Reply notices quote the reply they announce: for removed posts, those not sent yet are
/// cancelled and every copy loses the quoted words (the row stays, as the recipient's delivery
/// record).
pub fn redact_reply_notices(conn: &mut DbConn, post_ids: &[PostId]) -> QueryResult<usize> {
    let keys: Vec<String> = post_ids.iter().map(|id| format!("reply:{id}")).collect();
    diesel::update(
        outbox::table
            .filter(outbox::dedup_key.eq_any(&keys))
            .filter(outbox::status.eq_any([DeliveryStatus::Queued, DeliveryStatus::Failed])),
    )
    .set(outbox::status.eq(DeliveryStatus::Cancelled))
    .execute(conn)?;
    const NOTE: &str = "This email quoted a post that was removed when its author withdrew from the study.";
    diesel::update(outbox::table.filter(outbox::dedup_key.eq_any(&keys)))
        .set((outbox::body_text.eq(NOTE), outbox::body_html.eq(format!("<p>{NOTE}</p>"))))
        .execute(conn)
}

/// Deletes a participant's votes (with their history) and their agreements with others' posts.
pub fn delete_votes_and_reactions_of(conn: &mut DbConn, id: &ParticipantId) -> QueryResult<usize> {
    let v = diesel::delete(votes::table.filter(votes::participant_id.eq(id))).execute(conn)?;
    let r = diesel::delete(reactions::table.filter(reactions::participant_id.eq(id))).execute(conn)?;
    Ok(v + r)
}

/// Deletes every image a participant uploaded (their data goes with them).
pub fn delete_images_of(conn: &mut DbConn, id: &ParticipantId) -> QueryResult<usize> {
    diesel::delete(images::table.filter(images::uploaded_by.eq(id.as_str()))).execute(conn)
}

/// Deletes the identity from a participant's row, keeping the pseudonym number (never given
/// again). The email column is unique per board, so it keeps a placeholder that names no one.
/// A purge keeps the attributes, which analysts compare cases by.
pub fn erase_identity(
    conn: &mut DbConn,
    id: &ParticipantId,
    now: PrimitiveDateTime,
    keep_attributes: bool,
) -> QueryResult<usize> {
    if !keep_attributes {
        diesel::update(participants::table.find(id).filter(participants::erased_at.is_null()))
            .set(participants::attributes.eq("{}"))
            .execute(conn)?;
    }
    diesel::update(participants::table.find(id).filter(participants::erased_at.is_null()))
        .set((
            participants::name.eq(""),
            participants::email.eq(format!("erased:{id}")),
            participants::screen_name.eq(None::<String>),
            participants::token_hash.eq(None::<String>),
            participants::token_expires_at.eq(None::<PrimitiveDateTime>),
            participants::email_opt_out.eq("[]"),
            participants::erased_at.eq(now),
        ))
        .execute(conn)
}

/// Deletes the sessions, API tokens, stored API answers and emails of a participant: all may
/// carry their name, email, link or words.
pub fn delete_traces_of(conn: &mut DbConn, id: &ParticipantId) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::participant_id.eq(id))).execute(conn)?;
    diesel::delete(api_tokens::table.filter(api_tokens::participant_id.eq(id))).execute(conn)?;
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::owner_id.eq(id.as_str()))).execute(conn)?;
    diesel::delete(outbox::table.filter(outbox::participant_id.eq(id))).execute(conn)?;
    Ok(())
}

/// `%needle%` for LIKE, with its own wildcards escaped.
fn containing(needle: &str) -> String {
    let escaped = needle.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

/// An audit entry's texts: id, subject, actor name, before and after.
pub type AuditTexts = (String, String, String, Option<String>, Option<String>);

/// Audit entries of a board whose texts contain any of `needles` (compared as stored: the
/// caller checks again, as LIKE's case rules differ between the databases). Another board's
/// log is left alone: the same address may be a participant there too.
pub fn audit_mentioning(conn: &mut DbConn, board_id: &BoardId, needles: &[String]) -> QueryResult<Vec<AuditTexts>> {
    let mut found = Vec::new();
    for needle in needles {
        let pattern = containing(needle);
        let rows: Vec<AuditTexts> = audit_log::table
            .filter(audit_log::board_id.eq(board_id))
            .filter(
                audit_log::subject
                    .like(&pattern)
                    .escape('\\')
                    .or(audit_log::actor_name.like(&pattern).escape('\\'))
                    .or(audit_log::before_json.like(&pattern).escape('\\'))
                    .or(audit_log::after_json.like(&pattern).escape('\\')),
            )
            .select((
                audit_log::id,
                audit_log::subject,
                audit_log::actor_name,
                audit_log::before_json,
                audit_log::after_json,
            ))
            .load(conn)?;
        found.extend(rows);
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found.dedup_by(|a, b| a.0 == b.0);
    Ok(found)
}

pub fn set_audit_texts(conn: &mut DbConn, row: &AuditTexts) -> QueryResult<usize> {
    diesel::update(audit_log::table.find(&row.0))
        .set((
            audit_log::subject.eq(&row.1),
            audit_log::actor_name.eq(&row.2),
            audit_log::before_json.eq(&row.3),
            audit_log::after_json.eq(&row.4),
        ))
        .execute(conn)
}

/// Forgets stored API answers (kept a day for retries) that name any of `needles`, such as an
/// import's report listing emails.
pub fn forget_answers_mentioning(conn: &mut DbConn, needles: &[String]) -> QueryResult<usize> {
    let mut n = 0;
    for needle in needles {
        n += diesel::delete(
            idempotency_keys::table.filter(idempotency_keys::response.like(containing(needle)).escape('\\')),
        )
        .execute(conn)?;
    }
    Ok(n)
}

/// Other texts of a board that may name a participant: emails to others (a reply notice names
/// its author), staff notes and memos. (table, id, text) triples.
pub fn board_texts_mentioning(
    conn: &mut DbConn,
    board_id: &BoardId,
    needles: &[String],
) -> QueryResult<Vec<(&'static str, String, Vec<String>)>> {
    let mut found = Vec::new();
    for needle in needles {
        let pattern = containing(needle);
        let mail: Vec<(String, String, String, String, String)> = outbox::table
            .filter(outbox::board_id.eq(board_id))
            .filter(
                outbox::recipient
                    .like(&pattern)
                    .escape('\\')
                    .or(outbox::subject.like(&pattern).escape('\\'))
                    .or(outbox::body_text.like(&pattern).escape('\\'))
                    .or(outbox::body_html.like(&pattern).escape('\\')),
            )
            .select((outbox::id, outbox::recipient, outbox::subject, outbox::body_text, outbox::body_html))
            .load(conn)?;
        found.extend(mail.into_iter().map(|(id, r, s, t, h)| ("outbox", id, vec![r, s, t, h])));
        let notes: Vec<(String, String)> = staff_notes::table
            .filter(staff_notes::board_id.eq(board_id))
            .filter(staff_notes::body_md.like(&pattern).escape('\\'))
            .select((staff_notes::id, staff_notes::body_md))
            .load(conn)?;
        found.extend(notes.into_iter().map(|(id, b)| ("staff_notes", id, vec![b])));
        let memo_rows: Vec<(String, String)> = memos::table
            .filter(memos::board_id.eq(board_id))
            .filter(memos::body.like(&pattern).escape('\\'))
            .select((memos::id, memos::body))
            .load(conn)?;
        found.extend(memo_rows.into_iter().map(|(id, b)| ("memos", id, vec![b])));
    }
    found.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    found.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    Ok(found)
}

/// Writes back texts read by `board_texts_mentioning`, in the same order of columns.
pub fn set_board_texts(conn: &mut DbConn, table: &str, id: &str, texts: &[String]) -> QueryResult<usize> {
    match (table, texts) {
        ("outbox", [r, s, t, h]) => diesel::update(outbox::table.find(id))
            .set((outbox::recipient.eq(r), outbox::subject.eq(s), outbox::body_text.eq(t), outbox::body_html.eq(h)))
            .execute(conn),
        ("staff_notes", [b]) => {
            diesel::update(staff_notes::table.find(id)).set(staff_notes::body_md.eq(b)).execute(conn)
        }
        ("memos", [b]) => diesel::update(memos::table.find(id)).set(memos::body.eq(b)).execute(conn),
        _ => Err(diesel::result::Error::QueryBuilderError(format!("no texts of {table} to write").into())),
    }
}

/// Archived boards with a retention date; with `scheduled`, only those that ask the scheduler
/// to purge them. Whether the date has passed is for the caller, in each board's zone.
pub fn archived_with_retention(conn: &mut DbConn, scheduled: bool) -> QueryResult<Vec<Board>> {
    let mut query = boards::table
        .filter(boards::state.eq(crate::domain::roles::BoardState::Archived))
        .filter(boards::retain_until.is_not_null())
        .select(Board::as_select())
        .into_boxed();
    if scheduled {
        query = query.filter(boards::purge_when_due.eq(true));
    }
    query.load(conn)
}

pub fn mark_purged(conn: &mut DbConn, board_id: &BoardId, now: PrimitiveDateTime) -> QueryResult<usize> {
    diesel::update(boards::table.find(board_id)).set(boards::purged_at.eq(now)).execute(conn)
}

/// The participants of a board not yet erased.
pub fn not_erased(conn: &mut DbConn, board_id: &BoardId) -> QueryResult<Vec<ParticipantId>> {
    participants::table
        .filter(participants::board_id.eq(board_id))
        .filter(participants::erased_at.is_null())
        .select(participants::id)
        .load(conn)
}
