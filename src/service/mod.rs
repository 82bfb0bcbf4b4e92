//! One function per thing a person does, shared by the pages and the JSON API so both enforce
//! the same permissions. Each takes the connection, the context and the `Actor` asking.

pub mod accounts;
pub mod analysis;
pub mod audit;
pub mod boards;
pub mod digests;
pub mod email_texts;
pub mod grid;
pub mod idempotency;
pub mod images;
pub mod inbound;
pub mod moderation;
pub mod notifications;
pub mod outlines;
pub mod pages;
pub mod participants;
pub mod post_trees;
pub mod posting;
pub mod reads;
pub mod rules;
pub mod schedule;
pub mod search;
pub mod staff;
pub mod stages;
pub mod summaries;
pub mod views;
pub mod votes;
pub mod withdrawal;

use crate::clock::SharedClock;
use crate::db::models::{Board, Participant, User};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, ParticipantId, UserId};
use crate::domain::roles::{BoardState, Seen, Standing};
use crate::domain::timezone::BoardZone;
use crate::error::{AppError, AppResult};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;
use time::PrimitiveDateTime;

/// Records that a participant was here, in memory, written with the read marks (`reads`): a
/// view writes nothing. "Last seen" to the minute is enough.
fn note_seen(ctx: &Ctx, p: &Participant, now: PrimitiveDateTime) {
    if last_seen(ctx, p).is_none_or(|seen| now - seen > time::Duration::minutes(1)) {
        ctx.reads.note_use(reads::Used::Participant, p.id.as_str(), now);
    }
}

/// When a participant was last here, counting a visit not yet written.
pub fn last_seen(ctx: &Ctx, p: &Participant) -> Option<PrimitiveDateTime> {
    p.last_seen_at.max(ctx.reads.last_use(reads::Used::Participant, p.id.as_str()))
}

/// What services need besides the database.
#[derive(Clone)]
pub struct Ctx {
    pub clock: SharedClock,
    /// Derives participants' sign-in tokens, so a moderator can be shown a participant's current
    /// link while the database holds only its hash.
    pub link_key: Arc<Vec<u8>>,
    /// Signs unsubscribe links, which work without signing in.
    pub mail_key: Arc<Vec<u8>>,
    pub base_url: String,
    pub link_days: i64,
    /// How long lasts a browser session left unused, and one at most.
    pub session_idle: time::Duration,
    pub session_max: time::Duration,
    /// How long a staff API token lasts unless its maker says otherwise.
    pub token_days: i64,
    /// "Read up to here" marks waiting to be written together.
    pub reads: Arc<reads::ReadMarks>,
    /// Large questions' outlines, kept between views.
    pub outlines: Arc<outlines::Outlines>,
    /// The address replies go to, before a reply key is added to it.
    pub reply_address: String,
}

impl Ctx {
    pub fn now(&self) -> PrimitiveDateTime {
        self.clock.now()
    }

    /// The sign-in token of a participant whose link expires at `expires`.
    pub fn link_token(&self, participant_id: &ParticipantId, expires: PrimitiveDateTime) -> String {
        sign(
            &self.link_key,
            &[participant_id.as_str().as_bytes(), &expires.assume_utc().unix_timestamp_nanos().to_be_bytes()],
            32,
        )
    }

    /// An unsubscribe token for one participant and kind of email: `<id>.<kind>.<signature>`.
    pub fn unsubscribe_token(&self, participant_id: &ParticipantId, kind: &str) -> String {
        let sig = sign(&self.mail_key, &[participant_id.as_str().as_bytes(), kind.as_bytes()], 16);
        format!("{participant_id}.{kind}.{sig}")
    }

    /// The participant id and kind an unsubscribe token names, if its signature holds.
    pub fn check_unsubscribe_token(&self, token: &str) -> Option<(ParticipantId, String)> {
        let mut parts = token.splitn(3, '.');
        let (id, kind, sig) = (parts.next()?, parts.next()?, parts.next()?);
        let expected = sign(&self.mail_key, &[id.as_bytes(), kind.as_bytes()], 16);
        crate::domain::tokens::constant_time_eq(&expected, sig).then(|| (ParticipantId::from(id), kind.to_string()))
    }

    /// A Message-ID for a new email, in the domain of the base URL.
    pub fn message_id(&self, id: &str) -> String {
        let host = self.base_url.split("://").nth(1).unwrap_or("localhost");
        let host = host.split(['/', ':']).next().filter(|h| !h.is_empty()).unwrap_or("localhost");
        format!("<{id}@{host}>")
    }

    pub fn link_url(&self, participant: &Participant) -> Option<String> {
        participant.token_expires_at.map(|exp| format!("{}/p/{}", self.base_url, self.link_token(&participant.id, exp)))
    }
}

/// An HMAC-SHA256 of `parts` (separated by `|`), base64url, cut to `bytes` bytes.
fn sign(key: &[u8], parts: &[&[u8]], bytes: usize) -> String {
    use base64::Engine;
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            mac.update(b"|");
        }
        mac.update(part);
    }
    let digest = mac.finalize().into_bytes();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..bytes.min(digest.len())])
}

/// Who is asking: a staff account, a participant of one board, or the system itself (the
/// command line run by the server's operator), which reads every board and is no account.
#[derive(Debug, Clone)]
// One per request, moved rarely: boxing the participant would cost more than its size.
#[allow(clippy::large_enum_variant)]
pub enum Actor {
    User(User),
    Participant(Participant),
    System,
}

/// How the system appears in the audit log.
pub const SYSTEM_ACTOR_ID: &str = "system";
pub const SYSTEM_ACTOR_NAME: &str = "focusboard (command line)";

impl Actor {
    /// The id under which reads ("new since your last visit") are remembered.
    pub fn reader_id(&self) -> &str {
        match self {
            Actor::User(u) => u.id.as_str(),
            Actor::Participant(p) => p.id.as_str(),
            Actor::System => SYSTEM_ACTOR_ID,
        }
    }

    /// The staff account asking; the system acts through no account.
    pub fn user(&self) -> AppResult<&User> {
        match self {
            Actor::User(u) => Ok(u),
            Actor::Participant(_) | Actor::System => Err(AppError::forbidden("This is for moderators and staff.")),
        }
    }

    /// The id and name the audit log records for this actor.
    pub fn audit_name(&self) -> (&str, &str) {
        match self {
            Actor::User(u) => (u.id.as_str(), &u.name),
            Actor::Participant(p) => (p.id.as_str(), &p.name),
            Actor::System => (SYSTEM_ACTOR_ID, SYSTEM_ACTOR_NAME),
        }
    }
}

/// An identity as carried by a session cookie or a bearer token, before it is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    Anonymous,
    /// A staff account; `session` is the secret of a browser's session cookie (none for a
    /// bearer token, which was checked when it was read).
    User {
        id: UserId,
        session: Option<String>,
    },
    /// A participant; `link` identifies the sign-in link a browser session was started with
    /// (its expiry, which changes whenever a link is issued), so issuing a new link ends
    /// sessions started with the old one. Bearer tokens carry none: they are revoked instead.
    Participant {
        id: ParticipantId,
        link: Option<i64>,
        session: Option<String>,
    },
}

/// What identifies one issue of a participant's sign-in link.
pub fn link_generation(p: &Participant) -> Option<i64> {
    p.token_expires_at.map(|t| t.assume_utc().unix_timestamp())
}

impl Identity {
    /// The person behind the identity, if their session or token still holds: not signed out,
    /// not idle too long, not past its end, the account not disabled, the participant's link
    /// neither replaced nor expired, the participant not withdrawn.
    pub fn load(&self, conn: &mut DbConn, ctx: &Ctx) -> AppResult<Actor> {
        self.load_with(conn, ctx, None)
    }

    /// The id of the person the identity names, before anything is checked.
    pub fn person_id(&self) -> Option<&str> {
        match self {
            Identity::Anonymous => None,
            Identity::User { id, .. } => Some(id.as_str()),
            Identity::Participant { id, .. } => Some(id.as_str()),
        }
    }

    /// As `load`; `known` is the person as read earlier, used instead of reading them again
    /// when the caller knows nothing about them has changed since (their board's version is
    /// the same: `web::page_cache`). The session is checked, and the person's row held to the
    /// same rules, as always.
    pub fn load_with(&self, conn: &mut DbConn, ctx: &Ctx, known: Option<&Actor>) -> AppResult<Actor> {
        let now = ctx.now();
        match self {
            Identity::Anonymous => Err(AppError::Unauthorized),
            Identity::User { id, session } => {
                if let Some(secret) = session {
                    check_session(conn, ctx, secret, |s| s.user_id.as_ref() == Some(id))?;
                }
                let user = match known {
                    Some(Actor::User(u)) if u.id == *id => Some(u.clone()),
                    _ => db::users::find(conn, id)?,
                };
                user.filter(|u| u.disabled_at.is_none()).map(Actor::User).ok_or(AppError::Unauthorized)
            }
            Identity::Participant { id, link, session } => {
                if let Some(secret) = session {
                    check_session(conn, ctx, secret, |s| s.participant_id.as_ref() == Some(id))?;
                }
                let participant = match known {
                    Some(Actor::Participant(p)) if p.id == *id => Some(p.clone()),
                    _ => db::participants::find(conn, id)?,
                };
                participant
                    .filter(|p| p.withdrawn_at.is_none())
                    .filter(|p| link.is_none() || *link == link_generation(p))
                    .filter(|p| p.token_expires_at.is_some_and(|end| end > now))
                    .map(Actor::Participant)
                    .ok_or(AppError::Unauthorized)
            }
        }
    }
}

/// Checks a browser session: it exists, is not revoked, has not passed its end or been idle
/// longer than allowed, and belongs to whom the cookie says. Notes its use once a minute.
fn check_session(
    conn: &mut DbConn,
    ctx: &Ctx,
    secret: &str,
    owner: impl Fn(&crate::db::models::SessionRow) -> bool,
) -> AppResult<()> {
    let now = ctx.now();
    let row = db::users::find_live_session(conn, &crate::domain::tokens::hash(secret), now)?
        .filter(|s| owner(s))
        .ok_or(AppError::Unauthorized)?;
    let last = ctx.reads.last_use(reads::Used::Session, &row.id).map_or(row.last_seen_at, |t| t.max(row.last_seen_at));
    if now - last > ctx.session_idle {
        return Err(AppError::Unauthorized);
    }
    // Written later with the read marks (`reads`): checking a session writes nothing.
    if now - last > time::Duration::minutes(1) {
        ctx.reads.note_use(reads::Used::Session, &row.id, now);
    }
    Ok(())
}

/// A board as seen by the actor, with their standing on it. Boards the actor has no part in
/// are "not found", so their existence is not revealed.
pub struct Access {
    pub board: Board,
    /// How the asker sees who participants are: names and emails, or pseudonyms. Staff viewing
    /// the board as a participant keep their own rule.
    pub seen: Seen,
    /// The board's state, read once: a stored value the code does not know fails the access.
    pub state: BoardState,
    pub standing: Standing,
    pub actor: Actor,
}

pub fn access(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Access> {
    let board = db::boards::find(conn, board_id)?.ok_or_else(AppError::not_found)?;
    let standing = match actor {
        Actor::User(u) if u.is_admin => Standing::Admin,
        Actor::System => Standing::Admin,
        Actor::User(u) => {
            Standing::Staff(db::boards::member_role(conn, board_id, &u.id)?.ok_or_else(AppError::not_found)?)
        }
        Actor::Participant(p) if p.board_id == board_id => Standing::Participant,
        Actor::Participant(_) => return Err(AppError::not_found()),
    };
    let state = board.state;
    let seen = standing.seen(&board.identities_seen_by);
    Ok(Access { board, state, standing, seen, actor: actor.clone() })
}

impl Access {
    pub fn require_manage(&self) -> AppResult<()> {
        if self.standing.can_manage() {
            Ok(())
        } else {
            Err(AppError::forbidden("Only the board's moderators can do this."))
        }
    }

    /// For what names participants by name and email (the audit log, the email delivery list):
    /// those the board lets see identities.
    pub fn require_identities(&self) -> AppResult<()> {
        match self.seen {
            Seen::WithIdentities => Ok(()),
            Seen::AsParticipant | Seen::ByPseudonym => Err(AppError::forbidden(
                "This names participants; on this board it is for the staff who see their names.",
            )),
        }
    }

    /// The participant asking, who must have given consent before reading or writing.
    pub fn participant(&self) -> AppResult<&Participant> {
        match &self.actor {
            Actor::Participant(p) if p.consented_at.is_some() => Ok(p),
            Actor::Participant(_) => {
                Err(AppError::forbidden("Please read the welcome and give your consent before taking part."))
            }
            Actor::User(_) | Actor::System => Err(AppError::forbidden("Only participants answer questions.")),
        }
    }

    pub fn zone(&self) -> BoardZone {
        BoardZone::of(&self.board.time_zone)
    }

    pub fn state(&self) -> BoardState {
        self.state
    }
}

/// Staff names by user id, in one query (none when there are no ids).
pub fn user_names(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = UserId>,
) -> AppResult<std::collections::HashMap<UserId, String>> {
    let ids: Vec<UserId> = ids.into_iter().collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(db::users::names(conn, &ids)?.into_iter().collect())
}

/// Runs `f` in a transaction; both backends roll back on error. On SQLite it holds the write
/// lock from the start (see `db::transaction`), so a read-then-write cannot be overtaken.
pub fn in_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    db::transaction(conn, f)
}

/// A whole number from a form (text) or JSON (a number); none for anything else.
pub fn whole_number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A checkbox or flag from a form ("on") or JSON (true).
pub fn truthy(v: &Option<serde_json::Value>) -> bool {
    matches!(v, Some(serde_json::Value::Bool(true)))
        || matches!(v, Some(serde_json::Value::String(s)) if matches!(s.as_str(), "on" | "true" | "1" | "yes"))
}

/// A form field or JSON member: its name, for programs (a problem's `field`), and its label,
/// for people (the message).
#[derive(Debug, Clone, Copy)]
pub struct Field(pub &'static str, pub &'static str);

impl Field {
    pub fn invalid(self, why: impl std::fmt::Display) -> AppError {
        AppError::invalid_field(self.0, format!("{} {why}", self.1))
    }
}

/// Trims a required text field, refusing it when empty or longer than `max` characters.
pub fn required(field: Field, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(field.invalid("is required."));
    }
    optional_text(field, v, max)
}

pub fn optional_text(field: Field, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(field.invalid(format!("is longer than {max} characters.")));
    }
    Ok(v.to_string())
}

/// A time entered in the board's zone ("2021-03-29T09:00") or as RFC 3339; empty is none.
pub fn parse_time(
    zone: &crate::domain::timezone::BoardZone,
    field: Field,
    value: &Option<String>,
) -> AppResult<Option<time::PrimitiveDateTime>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => crate::domain::timezone::parse_api_time(zone, v)
            .map(Some)
            .map_err(|e| AppError::invalid_field(field.0, format!("{}: {e}", field.1))),
    }
}

/// A clearable time of a partial update: absent keeps `current`, null or empty clears it.
pub fn patch_time(
    zone: &crate::domain::timezone::BoardZone,
    field: Field,
    value: &Option<Option<String>>,
    current: Option<time::PrimitiveDateTime>,
) -> AppResult<Option<time::PrimitiveDateTime>> {
    match value {
        None => Ok(current),
        Some(v) => parse_time(zone, field, v),
    }
}
