//! Participants: importing them, their personal sign-in links, consent and screen names.

use super::views::{ParticipantView, When};
use super::{access, in_tx, Actor, Ctx, Field};
use crate::db::json_text::JsonText;
use crate::db::models::Participant;
use crate::db::{self, DbConn};
use crate::domain::attributes::Attributes;
use crate::domain::ids::{BoardId, ParticipantId};
use crate::domain::participants_csv::{self, ImportRow, ParsedImport, RowError};
use crate::domain::roles::{pseudonym, Anonymity, ParticipantStatus, Seen};
use crate::domain::tokens;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use time::PrimitiveDateTime;
use utoipa::ToSchema;

pub fn list(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<ParticipantView>> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("The participant list is for the board's staff."));
    }
    // Staff who do not see identities get the pseudonym where the name would be, and no email.
    let identities = acc.seen == Seen::WithIdentities;
    // A sign-in link opens the participant's own pages, their email included: it goes with
    // seeing who they are.
    let show_links = acc.standing.can_manage() && identities;
    let zone = acc.zone();
    let posts = db::posts::post_counts_by_participant(conn, board_id)?;
    let failed: std::collections::HashSet<ParticipantId> =
        db::outbox::failed_participants(conn, board_id)?.into_iter().collect();
    let mut people = db::participants::of_board(conn, board_id)?;
    // By name for those who see names; otherwise by pseudonym, so the order says nothing.
    if !identities {
        people.sort_by_key(|p| p.pseudonym_no);
    }
    people
        .iter()
        .map(|p| {
            let n = posts.get(&p.id).copied().unwrap_or(0);
            Ok(ParticipantView {
                id: p.id.clone(),
                email: p.shown_identity(identities).1,
                name: p.shown_identity(identities).0,
                pseudonym: pseudonym(p.pseudonym_no),
                screen_name: p.screen_name.clone(),
                attributes: p.attributes.get().clone(),
                consented_at: When::opt(&zone, p.consented_at),
                first_signed_in_at: When::opt(&zone, p.first_signed_in_at),
                last_seen_at: When::opt(&zone, super::last_seen(ctx, p)),
                posts: n,
                // Posts count only once signed in: an answer recorded on their behalf before
                // they ever came is not a sign-in.
                status: match (p.withdrawn_at, p.first_signed_in_at) {
                    (Some(_), _) => ParticipantStatus::Withdrawn,
                    (None, None) => ParticipantStatus::NotSignedIn,
                    (None, Some(_)) => ParticipantStatus::of(true, n > 0),
                },
                withdrawn_at: When::opt(&zone, p.withdrawn_at),
                withdrawal_asked_on: p.withdrawal_asked_on.map(|d| d.to_string()),
                withdrawal_source: p.withdrawal_source,
                erased: p.erased_at.is_some(),
                sign_in_link: if show_links { ctx.link_url(p) } else { None },
                link_expires_at: When::opt(&zone, p.token_expires_at),
                invited_at: When::opt(&zone, p.invited_at),
                email_failed: failed.contains(&p.id) || p.email_failing_at.is_some(),
                // What the bounce said names the address: for those who see identities.
                email_bounce: p.email_failing_reason.clone().filter(|_| identities),
            })
        })
        .collect()
}

/// The outcome of reading an import file: the rows that would be added, and every problem.
/// Nothing is added unless there are no problems.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    pub attribute_columns: Vec<String>,
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
    /// Whether the participants were added (false for a preview or when there are errors).
    pub imported: bool,
}

/// Reads a CSV file and checks it against the board; with `commit`, adds every row in one
/// transaction, or none when any row is bad.
pub fn import(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    csv: &[u8],
    commit: bool,
) -> AppResult<ImportReport> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let ParsedImport { attribute_columns, rows, mut errors } =
        participants_csv::parse(csv).map_err(|e| AppError::invalid_field("file", e))?;
    let emails: Vec<String> = rows.iter().map(|r| r.email.clone()).collect();
    let existing = db::participants::existing_emails(conn, board_id, &emails)?;
    for row in rows.iter().filter(|r| existing.contains(&r.email)) {
        errors
            .push(RowError { line: row.line, reason: format!("{} is already a participant of this board", row.email) });
    }
    errors.sort_by_key(|e| e.line);
    let mut report = ImportReport { attribute_columns, rows, errors, imported: false };
    if !commit || !report.errors.is_empty() {
        return Ok(report);
    }
    let now = ctx.now();
    let expires = link_expiry(ctx, now);
    let mut new: Vec<Participant> = report
        .rows
        .iter()
        .map(|r| -> AppResult<Participant> {
            let id: ParticipantId = db::new_id();
            let hash = tokens::hash(&ctx.link_token(&id, expires));
            let attributes: Attributes =
                r.attributes.iter().map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone()))).collect();
            Ok(Participant {
                id,
                board_id: board_id.clone(),
                email: r.email.clone(),
                name: r.name.clone(),
                attributes: JsonText::new(attributes)?,
                screen_name: None,
                consented_at: None,
                first_signed_in_at: None,
                last_seen_at: None,
                token_hash: Some(hash),
                token_expires_at: Some(expires),
                created_at: now,
                email_opt_out: JsonText::new(Vec::new())?,
                invited_at: None,
                pseudonym_no: 0,
                withdrawn_at: None,
                withdrawal_asked_on: None,
                withdrawal_source: None,
                erased_at: None,
                email_failing_at: None,
                email_failing_reason: None,
                reply_notices: crate::domain::email::ReplyNotices::Each,
                digest_sent_at: None,
            })
        })
        .collect::<AppResult<_>>()?;
    in_tx(conn, |conn| {
        // Numbered in the file's order, after every pseudonym the board ever gave out.
        let first = db::boards::take_pseudonyms(conn, board_id, new.len() as i32)?;
        for (i, p) in new.iter_mut().enumerate() {
            p.pseudonym_no = first + i as i32;
        }
        db::participants::insert_all(conn, &new)?;
        let emails: Vec<&str> = new.iter().map(|p| p.email.as_str()).collect();
        super::audit::record(
            conn,
            ctx,
            &acc,
            "participants.import",
            format!("{} participants", new.len()),
            None,
            Some(serde_json::json!({"emails": emails})),
        )
    })?;
    report.imported = true;
    Ok(report)
}

fn link_expiry(ctx: &Ctx, now: PrimitiveDateTime) -> PrimitiveDateTime {
    // Whole seconds, so the expiry survives any database's timestamp precision unchanged and
    // the token derived from it can be derived again.
    let t = now + time::Duration::days(ctx.link_days);
    t.replace_nanosecond(0).unwrap_or(t)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SignInLink {
    pub participant_id: ParticipantId,
    pub url: String,
    pub expires_at: When,
}

/// Issues a new personal link. The previous one stops working at once, and so do the browser
/// sessions and API tokens started with it (the moderator's answer to a forwarded link).
pub fn reissue_link(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    participant_id: &ParticipantId,
) -> AppResult<SignInLink> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    acc.require_identities()?;
    let mut p = db::participants::find(conn, participant_id)?
        .filter(|p| p.board_id == board_id)
        .ok_or_else(AppError::not_found)?;
    let mut expires = link_expiry(ctx, ctx.now());
    if p.token_expires_at == Some(expires) {
        // Reissued twice within a second: move on a second so the token changes.
        expires += time::Duration::seconds(1);
    }
    let hash = tokens::hash(&ctx.link_token(&p.id, expires));
    in_tx(conn, |conn| {
        db::participants::set_token(conn, &p.id, &hash, expires)?;
        db::users::revoke_participant_tokens(conn, &p.id, ctx.now())?;
        db::users::revoke_participant_sessions(conn, &p.id, ctx.now())?;
        super::audit::record(
            conn,
            ctx,
            &acc,
            "participant.new_link",
            format!("participant {} <{}>", p.id, p.email),
            None,
            None,
        )
    })?;
    p.token_expires_at = Some(expires);
    Ok(SignInLink {
        participant_id: p.id.clone(),
        url: ctx.link_url(&p).unwrap_or_default(),
        expires_at: When::new(&acc.zone(), expires),
    })
}

/// The participant a sign-in link belongs to, if it is current and not expired.
pub fn participant_of_link(conn: &mut DbConn, ctx: &Ctx, token: &str) -> AppResult<Participant> {
    let gone = || {
        AppError::Gone(
            "This sign-in link is not valid: it may have been replaced by a newer one. \
             Please use the most recent link you were sent, or ask the moderator for a new one."
                .into(),
        )
    };
    if token.is_empty() || token.len() > 100 {
        return Err(gone());
    }
    let p = db::participants::find_by_token_hash(conn, &tokens::hash(token))?.ok_or_else(gone)?;
    match p.token_expires_at {
        Some(exp) if exp > ctx.now() => Ok(p),
        _ => Err(AppError::Gone("This sign-in link has expired. Please ask the moderator for a new one.".into())),
    }
}

/// Follows a sign-in link: records the sign-in and returns the participant to start a session for.
pub fn sign_in_with_link(conn: &mut DbConn, ctx: &Ctx, token: &str) -> AppResult<Participant> {
    let p = participant_of_link(conn, ctx, token)?;
    db::participants::record_sign_in(conn, &p, ctx.now())?;
    Ok(p)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ConsentInput {
    /// Must be true ("on" from a checkbox).
    pub consent: Option<String>,
    /// Required on boards that use screen names.
    pub screen_name: Option<String>,
}

impl ConsentInput {
    fn agreed(&self) -> bool {
        matches!(self.consent.as_deref(), Some("on" | "true" | "yes" | "1"))
    }
}

/// Records consent (with its time) and the screen name a participant chose.
pub fn give_consent(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, input: &ConsentInput) -> AppResult<()> {
    let Actor::Participant(p) = actor else {
        return Err(AppError::forbidden("Only participants give consent."));
    };
    let acc = access(conn, actor, &p.board_id)?;
    if !input.agreed() {
        return Err(AppError::invalid_field("consent", "Please tick the box to say you agree to take part."));
    }
    let screen_name = match acc.board.anonymity {
        Anonymity::RealNames => None,
        Anonymity::ScreenNames => {
            use crate::domain::screen_names;
            let name = screen_names::normalise(input.screen_name.as_deref().unwrap_or(""))
                .map_err(|e| AppError::invalid_field("screen_name", e))?;
            // Taken when it looks like another participant's name, whatever the case, spacing
            // or look-alike letters: one query for the board's names, compared here.
            let key = screen_names::comparison_key(&name);
            let taken = db::participants::screen_names_of_board(conn, &p.board_id, &p.id)?
                .iter()
                .any(|other| screen_names::comparison_key(other) == key);
            if taken {
                return Err(AppError::invalid_field(
                    "screen_name",
                    format!("The screen name “{name}” is taken, or looks too like one that is; please choose another."),
                ));
            }
            Some(name)
        }
    };
    let now = ctx.now();
    // The text as it is now is what they agree to; it stays in the record if it changes later.
    let record = crate::db::models::ConsentRecord {
        id: db::new_id(),
        participant_id: p.id.clone(),
        board_id: p.board_id.clone(),
        version: acc.board.consent_version,
        consent_md: acc.board.consent_md.clone(),
        agreed_at: now,
    };
    in_tx(conn, |conn| {
        db::participants::record_consent(conn, &p.id, screen_name.as_deref(), now)?;
        db::participants::insert_consent_record(conn, &record)?;
        Ok(())
    })
}

/// Whether a participant is asked to agree again because the consent text changed.
pub fn asked_again(conn: &mut DbConn, actor: &Actor) -> AppResult<bool> {
    match actor {
        Actor::Participant(p) if p.consented_at.is_none() => Ok(db::participants::has_consent_record(conn, &p.id)?),
        _ => Ok(false),
    }
}

/// Puts a participant in a group (their "group" attribute), or in none with an empty name.
pub fn set_group(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    participant_id: &ParticipantId,
    group: &str,
) -> AppResult<ParticipantView> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let p = db::participants::find(conn, participant_id)?
        .filter(|p| p.board_id == board_id)
        .ok_or_else(AppError::not_found)?;
    let group = super::optional_text(Field("group", "Group"), group, 100)?;
    let before = p.group();
    let mut attributes = p.attributes.get().clone();
    attributes.retain(|k, _| !k.eq_ignore_ascii_case("group"));
    if !group.is_empty() {
        attributes.insert("group".into(), group.clone().into());
    }
    in_tx(conn, |conn| {
        db::participants::set_attributes(conn, &p.id, &JsonText::new(attributes)?)?;
        super::audit::record(
            conn,
            ctx,
            &acc,
            "participant.group",
            format!("participant {} <{}>", p.id, p.email),
            Some(serde_json::json!({"group": before})),
            Some(serde_json::json!({"group": group})),
        )
    })?;
    list(conn, ctx, actor, board_id)?.into_iter().find(|v| v.id == participant_id).ok_or_else(AppError::not_found)
}

/// Everything the board holds about one participant, as JSON: who they are, their consent
/// record, what they wrote, their votes and the emails sent to them. For the participant
/// themselves, and for the board's moderators who see identities.
pub fn data_of(
    conn: &mut DbConn,
    actor: &Actor,
    board_id: &BoardId,
    participant_id: &ParticipantId,
) -> AppResult<serde_json::Value> {
    use serde_json::json;
    let acc = access(conn, actor, board_id)?;
    match actor {
        Actor::Participant(me) if me.id == *participant_id => {}
        Actor::Participant(_) => return Err(AppError::not_found()),
        Actor::User(_) | Actor::System => {
            acc.require_manage()?;
            acc.require_identities()?;
        }
    }
    let p = db::participants::find(conn, participant_id)?
        .filter(|p| p.board_id == *board_id)
        .ok_or_else(AppError::not_found)?;
    let zone = acc.zone();
    let at = |t: PrimitiveDateTime| When::new(&zone, t).at;
    let prompts: std::collections::HashMap<_, _> =
        db::stages::questions_of_board(conn, board_id)?.into_iter().map(|q| (q.id, q.prompt_md)).collect();
    let prompt = |q: &crate::domain::ids::QuestionId| prompts.get(q).cloned().unwrap_or_default();
    let posts: Vec<_> = db::posts::of_participant(conn, &p.id)?
        .into_iter()
        .filter(|post| post.removed_at.is_none())
        .map(|post| {
            json!({"question": prompt(&post.question_id), "reply_to": post.parent_id, "text": post.body_md,
                   "written_at": at(post.created_at), "edited_at": post.edited_at.map(at),
                   "source": post.source, "hidden_by_moderators": post.hidden_at.is_some()})
        })
        .collect();
    let votes: Vec<_> = db::votes::current_of_board(conn, board_id)?
        .into_iter()
        .filter(|v| v.participant_id == p.id)
        .map(|v| json!({"question": prompt(&v.question_id), "answer": v.answer.get(), "at": at(v.created_at)}))
        .collect();
    let consent: Vec<_> = db::participants::consent_records_of(conn, &p.id)?
        .into_iter()
        .map(|r| json!({"version": r.version, "text": r.consent_md, "agreed_at": at(r.agreed_at)}))
        .collect();
    let emails: Vec<_> = db::outbox::of_board(conn, board_id, Some(&p.id), None, 10_000)?
        .into_iter()
        .map(|m| {
            json!({"kind": m.kind.label(), "subject": m.subject, "status": m.status.label(),
                        "queued_at": at(m.created_at), "sent_at": m.sent_at.map(at)})
        })
        .collect();
    Ok(json!({
        "board": acc.board.title,
        "participant": {"name": p.name, "email": p.email, "screen_name": p.screen_name,
                        "pseudonym": pseudonym(p.pseudonym_no), "attributes": p.attributes.get(),
                        "invited_at": p.invited_at.map(at), "first_signed_in_at": p.first_signed_in_at.map(at)},
        "consent": consent,
        "withdrawal": p.withdrawn_at.map(|t| json!({"at": at(t), "asked_on": p.withdrawal_asked_on.map(|d| d.to_string()),
                                                     "source": p.withdrawal_source, "policy": acc.board.withdrawal_policy})),
        "posts": posts,
        "votes": votes,
        "emails": emails,
    }))
}
