//! Boards: creating, editing, listing, staff membership and the moderator's overview.

use super::views::{BoardView, QuestionView, StageView};
use super::{access, in_tx, patch_time, Access, Actor, Ctx, Field};
use crate::db::json_text::JsonText;
use crate::db::models::{Board, BoardMember};
use crate::db::{self, DbConn};
use crate::domain::attributes::eligible_count;
use crate::domain::ids::{BoardId, QuestionId, StageId, UserId};
use crate::domain::roles::{Anonymity, BoardRole, BoardState, Standing, WithdrawalPolicy};
use crate::domain::schedule::Holidays;
use crate::domain::timezone::BoardZone;
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

/// A board's settings as entered in the form or sent to the API. Times are local to the
/// board's time zone ("2021-03-26T09:00") or RFC 3339 with an offset. Every field may be left
/// out: on creation it takes its default, on update it keeps its value (the form sends them all).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct BoardInput {
    /// Required on creation; absent: unchanged.
    pub title: Option<String>,
    /// Absent: unchanged.
    pub welcome_md: Option<String>,
    /// Absent: unchanged.
    pub consent_md: Option<String>,
    /// An IANA zone; absent: unchanged (UTC on a new board).
    pub time_zone: Option<String>,
    /// Absent: unchanged; null or empty: no opening date.
    #[serde(deserialize_with = "crate::domain::patch::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub opens_at: Option<Option<String>>,
    /// Absent: unchanged; null or empty: no closing date.
    #[serde(deserialize_with = "crate::domain::patch::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub closes_at: Option<Option<String>>,
    /// screen_names (default) or real_names; absent: unchanged.
    pub anonymity: Option<String>,
    /// draft, open (default), closed or archived; absent: unchanged.
    pub state: Option<String>,
    /// Shown to participants once the board is closed (markdown); absent keeps it.
    pub closing_message_md: Option<String>,
    /// The roles besides moderators that see participants' names and emails: a list of
    /// co_moderator, observer and analyst (the others see pseudonyms); absent keeps it
    /// (co-moderators on a new board).
    #[schema(value_type = Option<Vec<String>>)]
    pub identities_seen_by: Option<serde_json::Value>,
    /// Hours before a stage closes to remind those who have not answered all its questions;
    /// empty or null switches the reminder off; absent keeps it (24 on a new board).
    #[schema(value_type = Option<String>)]
    #[serde(deserialize_with = "present")]
    pub remind_before_close_hours: Option<serde_json::Value>,
    /// Hours after the invitation to remind those who never signed in; as above (48).
    #[schema(value_type = Option<String>)]
    #[serde(deserialize_with = "present")]
    pub remind_not_signed_in_hours: Option<serde_json::Value>,
    /// Days skipped like weekends when stages are scheduled by working days: dates
    /// (YYYY-MM-DD) one per line or separated by commas; absent: unchanged.
    pub holidays: Option<String>,
    /// The hour (0 to 23, the board's zone) daily digests go out; absent: unchanged (18).
    #[schema(value_type = Option<String>)]
    pub digest_hour: Option<serde_json::Value>,
    /// keep (default) or remove: what happens to a withdrawing participant's posts, votes,
    /// reactions and images. Fixed once a participant has agreed to take part.
    pub withdrawal_policy: Option<String>,
    /// The last day (YYYY-MM-DD, the board's zone) personal data must be kept; absent: unchanged;
    /// null or empty: none.
    #[serde(deserialize_with = "crate::domain::patch::double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub retain_until: Option<Option<String>>,
    /// Whether the scheduler purges the board's personal data once it is archived and past its
    /// retention date; absent: unchanged (off on a new board).
    pub purge_when_due: Option<bool>,
}

/// The roles a board lets see identities, from a list (or comma-separated text) of role names;
/// moderators always do, so naming them changes nothing.
fn identity_roles(value: &serde_json::Value) -> AppResult<Vec<BoardRole>> {
    let names: Vec<&str> = match value {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().ok_or("a role name"))
            .collect::<Result<_, _>>()
            .map_err(|what| AppError::invalid_field("identities_seen_by", format!("Each entry must be {what}.")))?,
        serde_json::Value::String(s) => s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect(),
        serde_json::Value::Null => Vec::new(),
        _ => return Err(AppError::invalid_field("identities_seen_by", "A list of roles is expected.")),
    };
    let mut roles = Vec::new();
    for name in names {
        let role = BoardRole::parse(name).map_err(|e| AppError::invalid_field("identities_seen_by", e))?;
        if role != BoardRole::Moderator && !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(roles)
}

/// Keeps an explicit `null` (switch off) apart from an absent field (keep): serde's default
/// for `Option` would read both as `None`.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<serde_json::Value>, D::Error> {
    serde_json::Value::deserialize(d).map(Some)
}

/// Reads an hours setting: absent keeps `current`, empty or null switches it off.
fn hours(field: Field, value: &Option<serde_json::Value>, current: Option<i32>) -> AppResult<Option<i32>> {
    use serde_json::Value;
    let n = match value {
        None => return Ok(current),
        Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
        Some(v) => super::whole_number(v),
    };
    match n {
        Some(h) if (0..=24 * 60).contains(&h) => Ok(Some(h as i32)),
        _ => Err(AppError::invalid_field(
            field.0,
            format!("{} must be a whole number of hours between 0 and 1440, or empty for off.", field.1),
        )),
    }
}

fn apply(board: &mut Board, input: &BoardInput) -> AppResult<()> {
    let zone = match input.time_zone.as_deref().map(str::trim) {
        None => BoardZone::parse(&board.time_zone).map_err(|e| AppError::invalid_field("time_zone", e))?,
        Some("") => BoardZone::parse("UTC").map_err(|e| AppError::invalid_field("time_zone", e))?,
        Some(z) => BoardZone::parse(z).map_err(|e| AppError::invalid_field("time_zone", e))?,
    };
    if let Some(t) = &input.title {
        board.title = super::required(Field("title", "Title"), t, 200)?;
    } else if board.title.is_empty() {
        return Err(AppError::invalid_field("title", "Title is required."));
    }
    if let Some(w) = &input.welcome_md {
        board.welcome_md = super::optional_text(Field("welcome_md", "Welcome text"), w, 20_000)?;
    }
    if let Some(c) = &input.consent_md {
        board.consent_md = super::optional_text(Field("consent_md", "Consent text"), c, 20_000)?;
    }
    board.opens_at = patch_time(&zone, Field("opens_at", "Opens"), &input.opens_at, board.opens_at)?;
    board.closes_at = patch_time(&zone, Field("closes_at", "Closes"), &input.closes_at, board.closes_at)?;
    if let (Some(o), Some(c)) = (board.opens_at, board.closes_at) {
        if c <= o {
            return Err(AppError::invalid_field("closes_at", "The board must close after it opens."));
        }
    }
    board.time_zone = zone.name().to_string();
    if let Some(a) = input.anonymity.as_deref().filter(|a| !a.is_empty()) {
        board.anonymity = Anonymity::parse(a).map_err(|e| AppError::invalid_field("anonymity", e))?;
    }
    if let Some(s) = input.state.as_deref().filter(|s| !s.is_empty()) {
        board.state = BoardState::parse(s).map_err(|e| AppError::invalid_field("state", e))?;
    }
    if let Some(m) = &input.closing_message_md {
        board.closing_message_md = super::optional_text(Field("closing_message_md", "Closing message"), m, 20_000)?;
    }
    if let Some(roles) = &input.identities_seen_by {
        board.identities_seen_by = JsonText::new(identity_roles(roles)?)?;
    }
    if let Some(policy) = input.withdrawal_policy.as_deref().filter(|p| !p.is_empty()) {
        board.withdrawal_policy =
            WithdrawalPolicy::parse(policy).map_err(|e| AppError::invalid_field("withdrawal_policy", e))?;
    }
    match input.retain_until.as_ref().map(|d| d.as_deref().map(str::trim).unwrap_or("")) {
        None => {}
        Some("") => board.retain_until = None,
        Some(day) => {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            board.retain_until = Some(time::Date::parse(day, &format).map_err(|_| {
                AppError::invalid_field("retain_until", "Keep personal data until: a date such as 2027-06-30.")
            })?);
        }
    }
    if let Some(text) = &input.holidays {
        let days =
            Holidays::parse_list(text).map_err(|e| AppError::invalid_field("holidays", format!("Holidays: {e}.")))?;
        board.holidays = JsonText::new(days)?;
    }
    match &input.digest_hour {
        None | Some(serde_json::Value::Null) => {}
        Some(v) => {
            let hour = super::whole_number(v);
            board.digest_hour = hour
                .filter(|h| (0..24).contains(h))
                .map(|h| h as i32)
                .ok_or_else(|| AppError::invalid_field("digest_hour", "Digests go out at: an hour from 0 to 23."))?;
        }
    }
    if let Some(purge) = input.purge_when_due {
        board.purge_when_due = purge;
    }
    if board.purge_when_due && board.retain_until.is_none() {
        return Err(AppError::invalid_field(
            "retain_until",
            "Give the date until which personal data is kept, or do not purge automatically.",
        ));
    }
    board.remind_before_close_hours = hours(
        Field("remind_before_close_hours", "Reminder before a stage closes"),
        &input.remind_before_close_hours,
        board.remind_before_close_hours,
    )?;
    board.remind_not_signed_in_hours = hours(
        Field("remind_not_signed_in_hours", "Reminder to those not signed in"),
        &input.remind_not_signed_in_hours,
        board.remind_not_signed_in_hours,
    )?;
    Ok(())
}

pub fn create_board(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, input: &BoardInput) -> AppResult<BoardView> {
    let user = actor.user()?;
    if !(user.is_admin || user.can_create_boards) {
        return Err(AppError::forbidden(
            "Creating boards is for administrators and the staff they allow; ask an administrator.",
        ));
    }
    let now = ctx.now();
    let mut board = Board {
        id: db::new_id(),
        title: String::new(),
        welcome_md: String::new(),
        consent_md: String::new(),
        time_zone: "UTC".into(),
        opens_at: None,
        closes_at: None,
        anonymity: Anonymity::ScreenNames,
        state: BoardState::Open,
        created_by: user.id.clone(),
        created_at: now,
        remind_before_close_hours: Some(24),
        remind_not_signed_in_hours: Some(48),
        closing_message_md: String::new(),
        identities_seen_by: JsonText::new(vec![BoardRole::CoModerator])?,
        pseudonyms_issued: 0,
        consent_version: 1,
        withdrawal_policy: WithdrawalPolicy::Keep,
        retain_until: None,
        purge_when_due: false,
        purged_at: None,
        digest_hour: 18,
        holidays: JsonText::new(Default::default())?,
        paused_at: None,
    };
    apply(&mut board, input)?;
    in_tx(conn, |conn| {
        db::boards::insert(conn, &board)?;
        let after = serde_json::to_value(BoardView::new(&board, Standing::Staff(BoardRole::Moderator))).ok();
        super::audit::entry(
            conn,
            ctx,
            Some(&board.id),
            &user.id,
            &user.name,
            "board.create",
            format!("board {}", board.id),
            None,
            after,
        )?;
        db::boards::set_member(
            conn,
            &BoardMember {
                board_id: board.id.clone(),
                user_id: user.id.clone(),
                role: BoardRole::Moderator,
                created_at: now,
                digest: false,
                digest_sent_at: None,
            },
        )?;
        Ok(())
    })?;
    Ok(BoardView::new(&board, Standing::Staff(BoardRole::Moderator)))
}

pub fn update_board(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &BoardInput,
) -> AppResult<BoardView> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let mut board = acc.board.clone();
    apply(&mut board, input)?;
    // Participants agreed to the policy they were shown: it holds for them.
    if board.withdrawal_policy != acc.board.withdrawal_policy && db::participants::anyone_consented(conn, board_id)? {
        return Err(AppError::invalid_field(
            "withdrawal_policy",
            "Participants have already agreed to take part under the current policy for withdrawal; it cannot change now.",
        ));
    }
    // A new consent text is a new version; those who agreed to the old one are asked again.
    let consent_changed = board.consent_md != acc.board.consent_md;
    if consent_changed {
        board.consent_version += 1;
    }
    let closing = acc.state() != BoardState::Closed && board.state == BoardState::Closed;
    let before = serde_json::to_value(BoardView::new(&acc.board, acc.standing)).ok();
    let after = serde_json::to_value(BoardView::new(&board, acc.standing)).ok();
    in_tx(conn, |conn| {
        db::boards::update(conn, &board)?;
        super::audit::record(conn, ctx, &acc, "board.update", format!("board {}", board.id), before, after)?;
        if consent_changed {
            db::participants::ask_consent_again(conn, &board.id)?;
        }
        if closing {
            super::notifications::board_closed(conn, ctx, &board)?;
        }
        Ok(())
    })?;
    Ok(BoardView::new(&board, acc.standing))
}

pub fn get_board(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<BoardView> {
    let acc = access(conn, actor, board_id)?;
    Ok(BoardView::new(&acc.board, acc.standing))
}

/// The boards a person may open: all of them for an administrator, their own for staff, the
/// one board of a participant.
pub fn list_boards(conn: &mut DbConn, actor: &Actor) -> AppResult<Vec<BoardView>> {
    Ok(match actor {
        Actor::User(u) if u.is_admin => {
            db::boards::all(conn)?.iter().map(|b| BoardView::new(b, Standing::Admin)).collect()
        }
        Actor::User(u) => {
            let boards = db::boards::of_member(conn, &u.id)?;
            boards.iter().map(|(b, role)| BoardView::new(b, Standing::Staff(*role))).collect()
        }
        Actor::Participant(p) => {
            db::boards::find(conn, &p.board_id)?.iter().map(|b| BoardView::new(b, Standing::Participant)).collect()
        }
        Actor::System => db::boards::all(conn)?.iter().map(|b| BoardView::new(b, Standing::Admin)).collect(),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Funnel {
    pub invited: i64,
    pub signed_in: i64,
    pub posted: i64,
    /// Participants with a message that finally failed.
    pub email_failed: i64,
    /// Participants who withdrew: counted here and in none of the above.
    pub withdrawn: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberView {
    /// The account, for administrators; board staff see only emails and roles, so that the
    /// list does not tell them which emails have accounts.
    pub user_id: Option<UserId>,
    pub name: Option<String>,
    pub email: String,
    pub role: BoardRole,
    /// For administrators: true while no account exists for the email yet.
    pub pending: Option<bool>,
}

/// What the moderator's board page shows: every stage and question with answer counts, the
/// participation funnel and the staff. A fixed number of queries whatever the board's size.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardOverview {
    pub board: BoardView,
    /// What setting the board up takes, in order, each with whether it is done.
    pub setup: Vec<SetupStep>,
    /// Every step is done: the checklist can fold away.
    pub set_up: bool,
    pub stages: Vec<StageView>,
    pub funnel: Funnel,
    pub members: Vec<MemberView>,
    /// Moderators' probes still waiting for the participant's answer.
    pub awaiting_probes: Vec<super::moderation::OpenProbe>,
    /// Notes from observers and staff, newest first.
    pub notes: Vec<super::moderation::NoteView>,
    /// For a member of the board's staff: whether they get its daily digest.
    pub your_digest: Option<bool>,
    /// When the page changes by itself, a stage closing: a page kept until then
    /// (`web::page_cache`) is not shown after it.
    #[serde(skip)]
    pub changes_at: Option<PrimitiveDateTime>,
}

pub fn overview(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId) -> AppResult<BoardOverview> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("This overview is for the board's staff."));
    }
    let people = db::participants::of_board(conn, board_id)?;
    let taking_part = participation(conn, board_id)?;
    let funnel = funnel(conn, &acc, &people, taking_part.active)?;
    let (stages, changes_at) = staff_stages(conn, ctx, &acc, &people, &taking_part)?;
    let admin = acc.standing == Standing::Admin;
    let staff = db::boards::members(conn, board_id)?;
    let your_digest = match actor {
        Actor::User(u) => staff.iter().find(|m| m.user_id == u.id).map(|m| m.digest),
        _ => None,
    };
    let mut members: Vec<MemberView> = staff
        .into_iter()
        .map(|m| MemberView {
            user_id: admin.then_some(m.user_id),
            name: admin.then_some(m.name),
            email: m.email,
            role: m.role,
            pending: admin.then_some(false),
        })
        .chain(db::boards::pending_members(conn, board_id)?.into_iter().map(|(email, role)| MemberView {
            user_id: None,
            name: None,
            email,
            role,
            pending: admin.then_some(true),
        }))
        .collect();
    members.sort_by(|a, b| a.email.cmp(&b.email));
    let awaiting_probes = super::moderation::open_probes(conn, &acc, None)?;
    let notes = super::moderation::notes_for(conn, &acc, None)?;
    let setup = setup_steps(&acc.board, &stages, people.len(), funnel.invited);
    Ok(BoardOverview {
        set_up: setup.iter().all(|s| s.done != Some(false)),
        setup,
        board: BoardView::new(&acc.board, acc.standing),
        stages,
        funnel,
        members,
        awaiting_probes,
        notes,
        your_digest,
        changes_at,
    })
}

/// A step of setting a board up, with where it is done.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SetupStep {
    pub label: String,
    /// None for a step that is advised but not recorded (looking at the preview).
    pub done: Option<bool>,
    /// The page where it is done.
    pub href: String,
}

/// The set-up checklist: welcome and consent texts, participants, stages with questions, a
/// look at the preview, invitations, the first release.
fn setup_steps(board: &Board, stages: &[StageView], participants: usize, invited: i64) -> Vec<SetupStep> {
    let id = &board.id;
    let first_stage = stages.first().map_or(format!("/boards/{id}#stages-h"), |s| format!("/stages/{}", s.id));
    let step = |label: &str, done: Option<bool>, href: String| SetupStep { label: label.into(), done, href };
    vec![
        step(
            "Write the welcome and consent texts",
            Some(!board.welcome_md.trim().is_empty() && !board.consent_md.trim().is_empty()),
            format!("/boards/{id}/settings"),
        ),
        step("Import the participants", Some(participants > 0), format!("/boards/{id}/participants")),
        step(
            "Add stages and their questions",
            Some(!stages.is_empty() && stages.iter().all(|s| !s.questions.is_empty())),
            format!("/boards/{id}#stages-h"),
        ),
        step(
            "Preview a stage as participants will see it",
            None,
            stages.first().map_or(format!("/boards/{id}#stages-h"), |s| format!("/stages/{}/preview", s.id)),
        ),
        step("Send the invitations", Some(invited > 0), format!("/boards/{id}/participants")),
        step(
            "Release the first stage, now or at a set time",
            Some(stages.iter().any(|s| s.released_at.is_some() || s.release_at.is_some())),
            first_stage,
        ),
    ]
}

/// Who took part on a board: per question, how many participants answered it (in writing or
/// by voting), and how many posted or voted at all. Counted by the database in two
/// statements, so a view does not go through every answer of the board.
pub struct Participation {
    pub answered: HashMap<QuestionId, i64>,
    pub active: i64,
}

pub fn participation(conn: &mut DbConn, board_id: &BoardId) -> AppResult<Participation> {
    let answered: HashMap<QuestionId, i64> = db::posts::answered_counts(conn, board_id)?.into_iter().collect();
    Ok(Participation { answered, active: db::participants::active_count(conn, board_id)? })
}

/// Invited, signed in, posted (or voted: `posted`, from `Participation::active`), failed
/// email, and withdrawn apart from all of those.
pub fn funnel(
    conn: &mut DbConn,
    acc: &Access,
    people: &[crate::db::models::Participant],
    posted: i64,
) -> AppResult<Funnel> {
    let taking_part = || people.iter().filter(|p| p.withdrawn_at.is_none());
    let invited = taking_part().count() as i64;
    let withdrawn = people.len() as i64 - invited;
    let signed_in = taking_part().filter(|p| p.first_signed_in_at.is_some()).count() as i64;
    // Failed to send, or bounced afterwards.
    let mut failing: std::collections::HashSet<crate::domain::ids::ParticipantId> =
        db::outbox::failed_participants(conn, &acc.board.id)?.into_iter().collect();
    failing.extend(people.iter().filter(|p| p.email_failing_at.is_some()).map(|p| p.id.clone()));
    let email_failed = failing.len() as i64;
    Ok(Funnel { invited, signed_in, posted, email_failed, withdrawn })
}

/// All stages with all questions and "N of M answered" for each, M being the participants
/// the question is for; and the next time a stage closes, when the view changes by itself.
pub fn staff_stages(
    conn: &mut DbConn,
    ctx: &Ctx,
    acc: &Access,
    people: &[crate::db::models::Participant],
    taking_part: &Participation,
) -> AppResult<(Vec<StageView>, Option<PrimitiveDateTime>)> {
    let zone = acc.zone();
    let now = ctx.now();
    super::reads::flush_reader(conn, &ctx.reads, acc.actor.reader_id())?;
    let unseen = db::posts::unseen_counts(conn, &acc.board.id, acc.actor.reader_id(), true)?;
    let stage_rows = db::stages::of_board(conn, &acc.board.id)?;
    let stage_of: HashMap<&StageId, &crate::db::models::Stage> = stage_rows.iter().map(|s| (&s.id, s)).collect();
    let mut by_stage: HashMap<StageId, Vec<QuestionView>> = HashMap::new();
    for q in db::stages::questions_of_board(conn, &acc.board.id)? {
        let mut v = QuestionView::new(&q, &zone);
        v.answered_count = Some(taking_part.answered.get(&q.id).copied().unwrap_or(0));
        v.participant_count = match stage_of.get(&q.stage_id) {
            Some(s) => Some(eligible_count(people.iter().map(|p| p.group()), &s.groups, &q.groups)),
            None => None,
        };
        v.new_posts = unseen.get(&q.id).copied().unwrap_or(0);
        by_stage.entry(q.stage_id.clone()).or_default().push(v);
    }
    let changes_at = stage_rows.iter().filter_map(|s| s.close_at).filter(|&at| at > now).min();
    let stages = stage_rows
        .iter()
        .map(|s| {
            let mut v = StageView::new(s, &zone, now);
            v.questions = by_stage.remove(&s.id).unwrap_or_default();
            v.new_posts = v.questions.iter().map(|q| q.new_posts).sum();
            v
        })
        .collect();
    Ok((stages, changes_at))
}

/// The board's version (`db::boards::version_of_board`): like `pages::board_version`, it tells
/// nothing about the board's content and needs no permission; it only decides whether a page
/// made earlier for the same reader, after that reader's own checks, is still theirs to see.
pub fn board_version(conn: &mut DbConn, board_id: &BoardId) -> AppResult<Option<i64>> {
    Ok(db::boards::version_of_board(conn, board_id)?)
}

/// What the staff's board page counts as new for a reader depends, besides the board's
/// version, on how far they have read: a fingerprint of their read marks on the board, taken
/// after the marks still held in memory are written.
pub fn reading_stamp(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId) -> AppResult<u64> {
    use std::hash::{Hash, Hasher};
    super::reads::flush_reader(conn, &ctx.reads, actor.reader_id())?;
    let marks = db::posts::read_marks_on_board(conn, board_id, actor.reader_id())?;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    marks.hash(&mut hasher);
    Ok(hasher.finish())
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MemberInput {
    pub email: String,
    /// moderator, co_moderator, observer or analyst.
    pub role: String,
}

/// Refuses to take away the board's last moderator: someone must be able to run it.
fn keeps_a_moderator(conn: &mut DbConn, board_id: &BoardId) -> AppResult<()> {
    if db::boards::moderator_count(conn, board_id)? <= 1 {
        return Err(AppError::Conflict("A board needs a moderator: make someone else its moderator first.".into()));
    }
    Ok(())
}

/// Takes a staff member off the board, or forgets a role waiting for an account. Their access
/// ends with their next request; the board keeps at least one moderator.
pub fn remove_member(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId, email: &str) -> AppResult<()> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let email = email.trim().to_lowercase();
    in_tx(conn, |conn| {
        let removed = match db::users::find_by_email(conn, &email)? {
            Some(user) => {
                if db::boards::member_role(conn, board_id, &user.id)? == Some(BoardRole::Moderator) {
                    keeps_a_moderator(conn, board_id)?;
                }
                db::boards::remove_member(conn, board_id, &user.id)?
            }
            None => 0,
        } + db::boards::remove_pending_member(conn, board_id, &email)?;
        if removed == 0 {
            return Err(AppError::NotFound(format!("{email} has no role on this board.")));
        }
        super::audit::record(conn, ctx, &acc, "member.remove", format!("<{email}>"), None, None)
    })
}

/// Gives a staff account a role on the board. An email with no account yet keeps the role
/// until an account is created for it. Both answer the same way, so that board staff cannot
/// use this form to find out who has an account (administrators see accounts anyway).
pub fn set_member(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &MemberInput,
) -> AppResult<MemberView> {
    let acc = access(conn, actor, board_id)?;
    acc.require_manage()?;
    let role = BoardRole::parse(input.role.trim()).map_err(|e| AppError::invalid_field("role", e))?;
    let email = crate::domain::email::EmailAddress::parse(input.email.trim())
        .map_err(|e| AppError::invalid_field("email", e))?
        .as_str()
        .to_lowercase();
    in_tx(conn, |conn| match db::users::find_by_email(conn, &email)? {
        Some(user) => {
            let before = db::boards::member_role(conn, board_id, &user.id)?;
            if before == Some(BoardRole::Moderator) && role != BoardRole::Moderator {
                keeps_a_moderator(conn, board_id)?;
            }
            db::boards::set_member(
                conn,
                &BoardMember {
                    board_id: board_id.into(),
                    user_id: user.id.clone(),
                    role,
                    created_at: ctx.now(),
                    digest: false,
                    digest_sent_at: None,
                },
            )?;
            super::audit::record(
                conn,
                ctx,
                &acc,
                "member.set",
                format!("user {} <{}>", user.id, user.email),
                before.map(|r| json!({"role": r})),
                Some(json!({"role": role.as_str()})),
            )
        }
        None => {
            db::boards::set_pending_member(conn, board_id, &email, role, ctx.now())?;
            super::audit::record(
                conn,
                ctx,
                &acc,
                "member.set",
                format!("<{email}>"),
                None,
                Some(json!({"role": role.as_str()})),
            )
        }
    })?;
    Ok(MemberView { user_id: None, name: None, email, role, pending: None })
}
