//! Participants' rights: withdrawing (by themselves, or recorded by a moderator), erasure, and
//! the purge of archived boards past their retention date.

use super::{access, in_tx, Access, Actor, Ctx};
use crate::db::erasure::{self, ThreadPost};
use crate::db::models::{Board, Participant};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, ParticipantId, PostId};
use crate::domain::roles::{pseudonym, BoardRole, BoardState, Standing, WithdrawalPolicy, WithdrawalSource};
use crate::domain::timezone::BoardZone;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use utoipa::ToSchema;

/// A withdrawal received by email, telephone or in person, as a moderator records it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct WithdrawalInput {
    /// email, telephone, in_person or other.
    pub source: Option<String>,
    /// The day the participant asked (YYYY-MM-DD); absent or empty: today.
    pub asked_on: Option<String>,
}

/// What a withdrawal or erasure did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WithdrawalReport {
    pub participant_id: ParticipantId,
    pub pseudonym: String,
    pub policy: WithdrawalPolicy,
    /// Posts deleted from the board.
    pub posts_removed: usize,
    /// Posts emptied of their text but kept in place because others replied to them.
    pub posts_emptied: usize,
    /// Votes and agreements deleted.
    pub votes_and_reactions_removed: usize,
    /// Emails that were waiting and will not be sent.
    pub emails_cancelled: usize,
    /// For an erasure: images deleted.
    pub images_removed: usize,
    pub erased: bool,
}

impl WithdrawalReport {
    fn of(p: &Participant, policy: WithdrawalPolicy) -> Self {
        WithdrawalReport {
            participant_id: p.id.clone(),
            pseudonym: pseudonym(p.pseudonym_no),
            policy,
            posts_removed: 0,
            posts_emptied: 0,
            votes_and_reactions_removed: 0,
            emails_cancelled: 0,
            images_removed: 0,
            erased: false,
        }
    }
}

/// A participant withdraws from their preferences page: every email stops, their sessions end
/// and the board's policy applies to what they wrote.
pub fn withdraw_self(conn: &mut DbConn, ctx: &Ctx, actor: &Actor) -> AppResult<WithdrawalReport> {
    let Actor::Participant(p) = actor else {
        return Err(AppError::forbidden("Only a participant withdraws themselves; staff record a withdrawal."));
    };
    let acc = access(conn, actor, &p.board_id)?;
    let today = acc.zone().local_date(ctx.now());
    in_tx(conn, |conn| withdraw_in_tx(conn, ctx, &acc, p, today, WithdrawalSource::Participant))
}

/// A moderator records a withdrawal a participant sent another way, with its day and source.
pub fn record_withdrawal(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    participant_id: &ParticipantId,
    input: &WithdrawalInput,
) -> AppResult<WithdrawalReport> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    acc.require_identities()?;
    let p = participant_of(conn, board_id, participant_id)?;
    if p.withdrawn_at.is_some() {
        return Err(AppError::Conflict(format!("{} has already withdrawn.", pseudonym(p.pseudonym_no))));
    }
    let (source, asked_on) = read_input(&acc, ctx, input)?;
    in_tx(conn, |conn| withdraw_in_tx(conn, ctx, &acc, &p, asked_on, source))
}

fn read_input(acc: &Access, ctx: &Ctx, input: &WithdrawalInput) -> AppResult<(WithdrawalSource, time::Date)> {
    let source = match input.source.as_deref().map(str::trim) {
        None | Some("") => return Err(AppError::invalid_field("source", "Say how the participant asked to withdraw.")),
        Some("participant") => {
            return Err(AppError::invalid_field(
                "source",
                "Participants withdraw themselves from their preferences page.",
            ))
        }
        Some(s) => WithdrawalSource::parse(s).map_err(|e| AppError::invalid_field("source", e))?,
    };
    let today = acc.zone().local_date(ctx.now());
    let asked_on = match input.asked_on.as_deref().map(str::trim) {
        None | Some("") => today,
        Some(day) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            let day = time::Date::parse(day, &format)
                .map_err(|_| AppError::invalid_field("asked_on", "The day they asked: a date such as 2027-03-14."))?;
            if day > today {
                return Err(AppError::invalid_field("asked_on", "The day they asked cannot be in the future."));
            }
            day
        }
    };
    Ok((source, asked_on))
}

fn participant_of(conn: &mut DbConn, board_id: &BoardId, id: &ParticipantId) -> AppResult<Participant> {
    db::participants::find(conn, id)?.filter(|p| p.board_id == *board_id).ok_or_else(AppError::not_found)
}

fn withdraw_in_tx(
    conn: &mut DbConn,
    ctx: &Ctx,
    acc: &Access,
    p: &Participant,
    asked_on: time::Date,
    source: WithdrawalSource,
) -> AppResult<WithdrawalReport> {
    let now = ctx.now();
    if !erasure::withdraw(conn, &p.id, now, asked_on, source)? {
        return Err(AppError::Conflict(format!("{} has already withdrawn.", pseudonym(p.pseudonym_no))));
    }
    db::users::revoke_participant_sessions(conn, &p.id, now)?;
    db::users::revoke_participant_tokens(conn, &p.id, now)?;
    let mut report = WithdrawalReport::of(p, acc.board.withdrawal_policy);
    report.emails_cancelled = erasure::cancel_emails_of(conn, &p.id)?;
    if acc.board.withdrawal_policy == WithdrawalPolicy::Remove {
        remove_contributions(conn, ctx, &p.id, &mut report)?;
        // Their replies by email that were never posted are words of theirs too.
        db::inbound::erase_of(conn, &p.board_id, &p.id, &p.email)?;
    }
    super::audit::record(
        conn,
        ctx,
        acc,
        "participant.withdraw",
        format!("participant {} ({})", p.id, report.pseudonym),
        None,
        Some(json!({"source": source, "asked_on": asked_on.to_string(), "policy": acc.board.withdrawal_policy,
                    "posts_removed": report.posts_removed, "posts_emptied": report.posts_emptied,
                    "votes_and_reactions_removed": report.votes_and_reactions_removed,
                    "emails_cancelled": report.emails_cancelled})),
    )?;
    Ok(report)
}

/// Removes a participant's posts, votes and agreements. A post others replied to (however
/// deep) stays as an empty place, so that their replies keep their thread.
fn remove_contributions(
    conn: &mut DbConn,
    ctx: &Ctx,
    id: &ParticipantId,
    report: &mut WithdrawalReport,
) -> AppResult<()> {
    let (delete, empty) = split_removal(&erasure::threads_of(conn, id)?, id);
    erasure::redact_reply_notices(conn, &[delete.as_slice(), empty.as_slice()].concat())?;
    if !empty.is_empty() {
        erasure::empty_posts(conn, &empty, ctx.now())?;
    }
    if !delete.is_empty() {
        erasure::delete_posts(conn, &delete)?;
    }
    if !delete.is_empty() || !empty.is_empty() {
        // The search index holds their words too, until merged.
        db::search::forget_removed(conn)?;
    }
    report.posts_removed += delete.len();
    report.posts_emptied += empty.len();
    report.votes_and_reactions_removed += erasure::delete_votes_and_reactions_of(conn, id)?;
    report.images_removed += erasure::delete_images_of(conn, id)?;
    Ok(())
}

/// Which of `author`'s posts can go altogether and which must stay as empty places: a post
/// stays when a post by someone else hangs below it.
fn split_removal(posts: &[ThreadPost], author: &ParticipantId) -> (Vec<PostId>, Vec<PostId>) {
    let mut children: HashMap<&PostId, Vec<&ThreadPost>> = HashMap::new();
    for p in posts {
        if let Some(parent) = &p.1 {
            children.entry(parent).or_default().push(p);
        }
    }
    fn others_below(post: &PostId, author: &ParticipantId, children: &HashMap<&PostId, Vec<&ThreadPost>>) -> bool {
        children.get(post).is_some_and(|kids| {
            kids.iter().any(|k| k.2.as_ref() != Some(author) || others_below(&k.0, author, children))
        })
    }
    let mut delete = Vec::new();
    let mut empty = Vec::new();
    for p in posts.iter().filter(|p| p.2.as_ref() == Some(author)) {
        if others_below(&p.0, author, &children) {
            if p.3.is_none() {
                empty.push(p.0.clone());
            }
        } else {
            delete.push(p.0.clone());
        }
    }
    (delete, empty)
}

/// Erases a participant (a moderator or administrator, who sees identities): withdraws them if
/// they had not, applies the board's policy to what they wrote, deletes their images and their
/// identity, and takes their name and email out of the audit log and emails. The audit log
/// keeps that the erasure happened, by whom and when.
pub fn erase(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    participant_id: &ParticipantId,
    input: &WithdrawalInput,
) -> AppResult<WithdrawalReport> {
    let acc = access(conn, actor, board_id)?;
    if !matches!(acc.standing, Standing::Admin | Standing::Staff(BoardRole::Moderator)) {
        return Err(AppError::forbidden("Erasing a participant is for the board's moderators."));
    }
    let p = participant_of(conn, board_id, participant_id)?;
    if p.erased_at.is_some() {
        return Err(AppError::Conflict(format!("{} was already erased.", pseudonym(p.pseudonym_no))));
    }
    let asked = match p.withdrawn_at {
        None => Some(read_input(&acc, ctx, input)?),
        Some(_) => None,
    };
    in_tx(conn, |conn| {
        let mut report = match asked {
            Some((source, day)) => withdraw_in_tx(conn, ctx, &acc, &p, day, source)?,
            None => WithdrawalReport::of(&p, acc.board.withdrawal_policy),
        };
        erase_in_tx(conn, ctx, &acc.board, &p, &mut report)?;
        super::audit::record(
            conn,
            ctx,
            &acc,
            "participant.erase",
            format!("participant {} ({})", p.id, report.pseudonym),
            None,
            Some(json!({"images_removed": report.images_removed, "posts_removed": report.posts_removed})),
        )?;
        Ok(report)
    })
}

/// The erasure itself, inside the caller's transaction.
fn erase_in_tx(
    conn: &mut DbConn,
    ctx: &Ctx,
    board: &Board,
    p: &Participant,
    report: &mut WithdrawalReport,
) -> AppResult<()> {
    report.images_removed += erasure::delete_images_of(conn, &p.id)?;
    if board.withdrawal_policy == WithdrawalPolicy::Remove {
        remove_contributions(conn, ctx, &p.id, report)?;
    }
    erasure::delete_traces_of(conn, &p.id)?;
    db::inbound::erase_of(conn, &p.board_id, &p.id, &p.email)?;
    erasure::erase_identity(conn, &p.id, ctx.now(), false)?;
    scrub(conn, &board.id, p)?;
    report.erased = true;
    Ok(())
}

/// What of a participant must not remain in logs and other people's emails: their email, name
/// and screen name (names shorter than three letters would match too much to replace safely).
fn identifying_texts(p: &Participant) -> Vec<String> {
    let mut needles = vec![p.email.clone()];
    needles.extend([p.name.trim(), p.screen_name.as_deref().unwrap_or("").trim()].map(str::to_string));
    needles.retain(|n| n.chars().count() >= 3);
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    needles.dedup();
    needles
}

const ERASED: &str = "[erased]";

/// Replaces each needle where it stands as a whole (not "Ann" inside "Anna"), case as written.
fn replace_all(text: &str, needles: &[String]) -> String {
    needles.iter().fold(text.to_string(), |t, n| replace_whole(&t, n))
}

fn replace_whole(text: &str, needle: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    while let Some(at) = rest.find(needle) {
        let before = rest[..at].chars().last().or_else(|| out.chars().last());
        let after = rest[at + needle.len()..].chars().next();
        out.push_str(&rest[..at]);
        if word(before) || word(after) {
            out.push_str(needle);
        } else {
            out.push_str(ERASED);
        }
        rest = &rest[at + needle.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces the needles inside every string of a JSON value, keeping it JSON.
fn replace_in_json(text: &str, needles: &[String]) -> String {
    fn walk(v: &mut serde_json::Value, needles: &[String]) {
        match v {
            serde_json::Value::String(s) => *s = replace_all(s, needles),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|i| walk(i, needles)),
            serde_json::Value::Object(map) => map.values_mut().for_each(|i| walk(i, needles)),
            _ => {}
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(mut v) => {
            walk(&mut v, needles);
            v.to_string()
        }
        Err(_) => replace_all(text, needles),
    }
}

/// Takes a participant's identifying texts out of the audit log, of the board's emails, staff
/// notes and memos, and of stored API answers.
fn scrub(conn: &mut DbConn, board_id: &BoardId, p: &Participant) -> AppResult<()> {
    let needles = identifying_texts(p);
    if needles.is_empty() {
        return Ok(());
    }
    for mut row in erasure::audit_mentioning(conn, board_id, &needles)? {
        row.1 = replace_all(&row.1, &needles);
        row.2 = replace_all(&row.2, &needles);
        row.3 = row.3.map(|t| replace_in_json(&t, &needles));
        row.4 = row.4.map(|t| replace_in_json(&t, &needles));
        erasure::set_audit_texts(conn, &row)?;
    }
    erasure::forget_answers_mentioning(conn, &needles)?;
    for (table, id, texts) in erasure::board_texts_mentioning(conn, board_id, &needles)? {
        let texts: Vec<String> = texts.iter().map(|t| replace_all(t, &needles)).collect();
        erasure::set_board_texts(conn, table, &id, &texts)?;
    }
    Ok(())
}

/// What a purge did to one board.
#[derive(Debug, Clone, Serialize)]
pub struct PurgeReport {
    pub board_id: BoardId,
    pub title: String,
    pub participants_erased: usize,
}

/// Erases every participant's identity on archived boards whose retention date has passed,
/// keeping what analysts need: the pseudonymised posts, votes, images, codings and each case's
/// attributes. With `scheduled`,
/// only boards that ask for it (the scheduler's run). Boards not archived are never touched.
pub fn purge(conn: &mut DbConn, ctx: &Ctx, scheduled: bool) -> AppResult<Vec<PurgeReport>> {
    let now = ctx.now();
    let mut reports = Vec::new();
    for board in erasure::archived_with_retention(conn, scheduled)? {
        let due = board.retain_until.is_some_and(|last| BoardZone::of(&board.time_zone).local_date(now) > last);
        if !due || board.state != BoardState::Archived {
            continue;
        }
        let waiting = erasure::not_erased(conn, &board.id)?;
        if waiting.is_empty() && board.purged_at.is_some() {
            continue;
        }
        if let Some(report) = in_tx(conn, |conn| purge_board(conn, ctx, &board, &waiting))? {
            reports.push(report);
        }
    }
    Ok(reports)
}

/// Purges one board, inside the caller's transaction. Another instance may be purging it at
/// the same moment: only rows this one changes are counted, and one that changed nothing on a
/// board already purged writes nothing.
fn purge_board(
    conn: &mut DbConn,
    ctx: &Ctx,
    board: &Board,
    waiting: &[ParticipantId],
) -> AppResult<Option<PurgeReport>> {
    let mut report = PurgeReport { board_id: board.id.clone(), title: board.title.clone(), participants_erased: 0 };
    let now = ctx.now();
    for id in waiting {
        let Some(p) = db::participants::find(conn, id)?.filter(|p| p.erased_at.is_none()) else { continue };
        if p.withdrawn_at.is_none() {
            // Their part is over, not withdrawn: no email, no sign-in, and what they wrote stays.
            let last_day = board.retain_until.unwrap_or(now.date());
            erasure::withdraw(conn, &p.id, now, last_day, WithdrawalSource::Other)?;
        }
        erasure::delete_traces_of(conn, &p.id)?;
        db::inbound::erase_of(conn, &p.board_id, &p.id, &p.email)?;
        if erasure::erase_identity(conn, &p.id, now, true)? == 1 {
            report.participants_erased += 1;
        }
        scrub(conn, &board.id, &p)?;
    }
    if report.participants_erased == 0 && board.purged_at.is_some() {
        return Ok(None);
    }
    erasure::mark_purged(conn, &board.id, now)?;
    super::audit::entry(
        conn,
        ctx,
        Some(&board.id),
        super::SYSTEM_ACTOR_ID,
        super::SYSTEM_ACTOR_NAME,
        "board.purge",
        format!("board {}", board.id),
        None,
        Some(json!({"participants_erased": report.participants_erased,
                    "retain_until": board.retain_until.map(|d| d.to_string())})),
    )?;
    Ok(Some(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(id: &str, parent: Option<&str>, author: &str) -> ThreadPost {
        (id.into(), parent.map(Into::into), Some(author.into()), None)
    }

    #[test]
    fn posts_with_others_below_stay_as_empty_places() {
        let me: ParticipantId = "me".into();
        let posts = vec![
            post("a", None, "me"),
            post("b", Some("a"), "me"),
            post("c", Some("b"), "other"),
            post("d", None, "me"),
            post("e", Some("d"), "me"),
        ];
        let (mut delete, mut empty) = split_removal(&posts, &me);
        delete.sort();
        empty.sort();
        assert_eq!(delete, vec![PostId::from("d"), PostId::from("e")]);
        assert_eq!(empty, vec![PostId::from("a"), PostId::from("b")]);
    }

    #[test]
    fn only_whole_names_are_replaced() {
        let needles = vec!["Ann".to_string()];
        assert_eq!(replace_all("Ann, Anna and Joann met Ann.", &needles), "[erased], Anna and Joann met [erased].");
    }

    #[test]
    fn identifying_texts_are_replaced_inside_json_strings() {
        let needles = vec!["sam@example.org".to_string(), "Sam \"Q\" Lee".to_string()];
        let json = r#"{"emails":["sam@example.org","x@example.org"],"name":"Sam \"Q\" Lee"}"#;
        let out = replace_in_json(json, &needles);
        assert!(!out.contains("sam@example.org") && !out.contains("Q\\\" Lee"), "{out}");
        assert!(out.contains("x@example.org"));
    }
}
