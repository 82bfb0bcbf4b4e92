//! Daily digests. A participant who chose them gets, once a day at the board's hour, what is new
//! since their last digest in the questions they may read, by exactly the rules of the pages
//! (released stages, groups, post first, private exchanges, hidden posts); nothing when nothing
//! is new. Staff who asked get the board's activity: new answers, probes waiting, failed emails,
//! unmatched mail. Each digest is taken by a conditional update, so with several instances each
//! goes out once.

use super::notifications::{outbox_message, queue, BoardMail};
use super::rules::can_read_post;
use super::views::participant_label;
use super::{access, in_tx, Actor, Ctx};
use crate::db::models::{Board, Participant, Post};
use crate::db::{self, DbConn};
use crate::domain::email::EmailKind;
use crate::domain::ids::{ParticipantId, QuestionId};
use crate::domain::markdown;
use crate::domain::roles::Seen;
use crate::domain::timezone::BoardZone;
use crate::error::{AppError, AppResult};
use serde_json::{json, Value};
use std::collections::HashMap;
use time::PrimitiveDateTime;

/// Queues the digests due at `now` on every open board; returns how many were queued.
pub fn queue_digests(conn: &mut DbConn, ctx: &Ctx, now: PrimitiveDateTime) -> AppResult<usize> {
    let mut queued = 0;
    for board in db::digests::open_boards(conn)? {
        let zone = BoardZone::of(&board.time_zone);
        let local = zone.local(now);
        if i32::from(local.hour()) < board.digest_hour {
            continue;
        }
        // Today's digest hour: whoever has had nothing since then is due.
        let at = time::Time::from_hms(board.digest_hour.clamp(0, 23) as u8, 0, 0)
            .map_err(|e| AppError::Internal(e.into()))?;
        let day_start = zone.at_local(local.date(), at).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
        let people = db::digests::digest_due(conn, &board.id, day_start)?;
        let staff = db::digests::staff_digest_due(conn, &board.id, day_start)?;
        if people.is_empty() && staff.is_empty() {
            continue;
        }
        let since_all = people
            .iter()
            .map(participant_since)
            .chain(staff.iter().map(|(m, _)| m.digest_sent_at.unwrap_or(m.created_at)))
            .min()
            .unwrap_or(now);
        let posts = db::posts::of_board_since(conn, &board.id, since_all)?;
        let day = local.date().to_string();
        if !people.is_empty() {
            let mail = BoardMail::load(conn, board.clone())?;
            let names: HashMap<ParticipantId, Participant> =
                db::participants::of_board(conn, &board.id)?.into_iter().map(|p| (p.id.clone(), p)).collect();
            let questions: HashMap<QuestionId, String> = db::stages::questions_of_board(conn, &board.id)?
                .into_iter()
                .map(|q| (q.id, markdown::one_line(&q.prompt_md)))
                .collect();
            for p in people {
                let sent = in_tx(conn, |conn| {
                    if !db::digests::claim_digest(conn, &p.id, day_start, now)? {
                        return Ok(false);
                    }
                    let Some(extra) = digest_of(conn, ctx, &board, &p, &posts, &names, &questions)? else {
                        return Ok(false);
                    };
                    queue(conn, ctx, &mail, &p, EmailKind::Digest, Some(format!("digest:{}:{day}", p.id)), extra)
                })?;
                queued += sent as usize;
            }
        }
        for (member, user) in staff {
            let sent = in_tx(conn, |conn| {
                if !db::digests::claim_staff_digest(conn, &board.id, &user.id, day_start, now)? {
                    return Ok(false);
                }
                let since = member.digest_sent_at.unwrap_or(member.created_at);
                let acc = access(conn, &Actor::User(user.clone()), &board.id)?;
                let answers = posts.iter().filter(|p| p.created_at > since && p.participant_id.is_some()).count();
                let probes = super::moderation::open_probes(conn, &acc, None)?.len();
                let failed = db::outbox::failed_since(conn, &board.id, since)?;
                let unmatched = db::inbound::unmatched_count(conn, &board.id)?;
                if answers == 0 && probes == 0 && failed == 0 && unmatched == 0 {
                    return Ok(false);
                }
                let data = json!({
                    "board": {"title": board.title},
                    "name": user.name,
                    "answers": answers, "probes": probes, "failed": failed, "unmatched": unmatched,
                    "board_url": format!("{}/boards/{}", ctx.base_url, board.id),
                    "emails_url": format!("{}/boards/{}/emails", ctx.base_url, board.id),
                    "account_url": format!("{}/boards/{}", ctx.base_url, board.id),
                });
                let composed = crate::email::compose::compose(EmailKind::StaffDigest, &data)?;
                let dedup = Some(format!("staff_digest:{}:{}:{day}", board.id, user.id));
                let message = outbox_message(
                    ctx,
                    Some(&board.id),
                    None,
                    &user.email,
                    EmailKind::StaffDigest,
                    dedup,
                    composed,
                    None,
                );
                Ok(db::outbox::insert(conn, &message)?)
            })?;
            queued += sent as usize;
        }
    }
    Ok(queued)
}

/// Where a participant's next digest starts: their last one, or when they joined.
fn participant_since(p: &Participant) -> PrimitiveDateTime {
    p.digest_sent_at.or(p.consented_at).unwrap_or(p.created_at)
}

/// What is new for `p` in `posts`, as the digest's data; none when nothing is.
fn digest_of(
    conn: &mut DbConn,
    ctx: &Ctx,
    board: &Board,
    p: &Participant,
    posts: &[Post],
    names: &HashMap<ParticipantId, Participant>,
    questions: &HashMap<QuestionId, String>,
) -> AppResult<Option<Value>> {
    let since = participant_since(p);
    let reader = Actor::Participant(p.clone());
    let mut by_question: Vec<(QuestionId, Vec<Value>)> = Vec::new();
    let mut count = 0;
    for post in posts.iter().filter(|x| x.created_at > since && x.participant_id.as_ref() != Some(&p.id)) {
        // The page's own rule: what the participant could not open there is not in the digest.
        match can_read_post(conn, &reader, post) {
            Ok(true) => {}
            Ok(false) | Err(AppError::NotFound(_) | AppError::Forbidden(_)) => continue,
            Err(e) => return Err(e),
        }
        if post.hidden_at.is_some() {
            continue;
        }
        let author = match post.participant_id.as_ref().and_then(|id| names.get(id)) {
            Some(a) if a.withdrawn_at.is_some() => {
                format!("{} (withdrawn)", crate::domain::roles::pseudonym(a.pseudonym_no))
            }
            Some(a) => participant_label(
                a.screen_name.as_deref(),
                &a.name,
                a.pseudonym_no,
                board.anonymity,
                Seen::AsParticipant,
            ),
            None => "The moderators".to_string(),
        };
        let item = json!({
            "author": author,
            "excerpt": markdown::short(&post.body_md, 240),
            "url": format!("{}/q/{}?post={id}#post-{id}", ctx.base_url, post.question_id, id = post.id),
        });
        match by_question.iter_mut().find(|(q, _)| *q == post.question_id) {
            Some((_, items)) => items.push(item),
            None => by_question.push((post.question_id.clone(), vec![item])),
        }
        count += 1;
    }
    if count == 0 {
        return Ok(None);
    }
    Ok(Some(json!({
        "count": count,
        "questions": by_question
            .into_iter()
            .map(|(q, items)| json!({
                "prompt": questions.get(&q).cloned().unwrap_or_default(),
                "url": format!("{}/q/{q}", ctx.base_url),
                "posts": items,
            }))
            .collect::<Vec<_>>(),
    })))
}

/// A staff member asks for (or stops) the board's daily digest.
pub fn set_staff_digest(
    conn: &mut DbConn,
    actor: &Actor,
    board_id: &crate::domain::ids::BoardId,
    on: bool,
) -> AppResult<()> {
    access(conn, actor, board_id)?;
    let user = actor.user()?;
    if !db::digests::set_staff_digest(conn, board_id, &user.id, on)? {
        return Err(AppError::forbidden("Digests go to the board's own staff; administrators join its staff first."));
    }
    Ok(())
}
