//! What pages and the API show: plain serialisable data built from rows, never the rows
//! themselves, so nothing (a token hash, another participant's email) slips out by accident.

use crate::db::models::{Board, Question, Stage};
use crate::domain::ids::{BoardId, ImageId, ParticipantId, PostId, QuestionId, StageId, SummaryId};
use crate::domain::markdown;
use crate::domain::polls::QuestionKind;
use crate::domain::roles::{
    pseudonym, Anonymity, BoardRole, BoardState, PostSource, ResponseMode, Seen, Standing, WithdrawalPolicy,
    WithdrawalSource,
};
use crate::domain::timezone::BoardZone;
use crate::domain::visibility::{stage_phase, StagePhase};
use serde::Serialize;
use time::PrimitiveDateTime;
use utoipa::ToSchema;

/// A moment, for machines (RFC 3339 in the board's zone) and for people.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct When {
    pub at: String,
    pub text: String,
    /// The value for an `<input type="datetime-local">` in the board's zone.
    pub local: String,
}

impl When {
    pub fn new(zone: &BoardZone, t: PrimitiveDateTime) -> Self {
        When { at: zone.to_rfc3339(t), text: zone.display(t), local: zone.to_input(t) }
    }
    pub fn opt(zone: &BoardZone, t: Option<PrimitiveDateTime>) -> Option<Self> {
        t.map(|t| Self::new(zone, t))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardView {
    pub id: BoardId,
    pub title: String,
    pub welcome_md: String,
    pub welcome_html: String,
    pub consent_md: String,
    pub consent_html: String,
    pub time_zone: String,
    pub opens_at: Option<When>,
    pub closes_at: Option<When>,
    pub anonymity: Anonymity,
    pub state: BoardState,
    /// The asker's part on this board: administrator, moderator, co_moderator, observer,
    /// analyst or participant.
    pub your_role: String,
    pub can_manage: bool,
    /// May code, read the report and export.
    pub can_analyse: bool,
    pub closing_message_md: String,
    /// Reminder rules (hours; null: off). Shown to the board's staff only.
    pub remind_before_close_hours: Option<i32>,
    pub remind_not_signed_in_hours: Option<i32>,
    /// Roles besides moderators that see participants' names and emails; for staff.
    pub identities_seen_by: Vec<BoardRole>,
    /// Whether the asker sees participants' names and emails (else pseudonyms).
    pub you_see_identities: bool,
    pub withdrawal_policy: WithdrawalPolicy,
    /// What the consent page says withdrawing does.
    pub withdrawal_notice: String,
    /// The last day personal data is kept (YYYY-MM-DD); for staff.
    pub retain_until: Option<String>,
    /// The scheduler purges the board once archived and past `retain_until`; for staff.
    pub purge_when_due: bool,
    /// When participants' personal data was purged.
    pub purged_at: Option<When>,
    /// Paused: nothing is released and no reminder goes out; participants still post.
    pub paused_at: Option<When>,
    /// The board's holidays, one date per line; for staff.
    pub holidays: String,
    /// The hour (board time) daily digests go out.
    pub digest_hour: i32,
}

impl BoardView {
    pub fn new(b: &Board, standing: Standing) -> Self {
        let zone = BoardZone::of(&b.time_zone);
        BoardView {
            id: b.id.clone(),
            title: b.title.clone(),
            welcome_md: b.welcome_md.clone(),
            welcome_html: markdown::render(&b.welcome_md),
            consent_md: b.consent_md.clone(),
            consent_html: markdown::render(&b.consent_md),
            time_zone: b.time_zone.clone(),
            opens_at: When::opt(&zone, b.opens_at),
            closes_at: When::opt(&zone, b.closes_at),
            anonymity: b.anonymity,
            state: b.state,
            your_role: standing.name().to_string(),
            can_manage: standing.can_manage(),
            can_analyse: standing.can_analyse(),
            closing_message_md: b.closing_message_md.clone(),
            remind_before_close_hours: b.remind_before_close_hours.filter(|_| standing.sees_everything()),
            remind_not_signed_in_hours: b.remind_not_signed_in_hours.filter(|_| standing.sees_everything()),
            identities_seen_by: if standing.sees_everything() {
                b.identities_seen_by.get().clone()
            } else {
                Vec::new()
            },
            you_see_identities: standing.sees_identities(&b.identities_seen_by),
            withdrawal_policy: b.withdrawal_policy,
            withdrawal_notice: b.withdrawal_policy.consent_notice().to_string(),
            retain_until: b.retain_until.filter(|_| standing.sees_everything()).map(|d| d.to_string()),
            purge_when_due: b.purge_when_due && standing.sees_everything(),
            purged_at: When::opt(&zone, b.purged_at),
            paused_at: When::opt(&zone, b.paused_at),
            holidays: if standing.sees_everything() { b.holidays.get().as_lines() } else { String::new() },
            digest_hour: b.digest_hour,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StageView {
    pub id: StageId,
    pub board_id: BoardId,
    pub position: i32,
    pub title: String,
    pub intro_md: String,
    pub intro_html: String,
    pub release_at: Option<When>,
    pub close_at: Option<When>,
    pub released_at: Option<When>,
    /// scheduled, open or closed.
    pub phase: String,
    /// The phase as people read it: an unreleased stage is "Scheduled" only when it has a
    /// release time, "Not released" otherwise.
    pub phase_label: String,
    pub questions: Vec<QuestionView>,
    /// The groups it is for; empty: everyone.
    pub groups: Vec<String>,
    /// Images of the introduction.
    pub images: Vec<ImageView>,
    /// Summaries of earlier stages fed back at the top of this one.
    pub feedback: Vec<SummaryView>,
    /// Posts by others in this stage since the asker last looked.
    pub new_posts: i64,
}

/// A moderator's summary of a stage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryView {
    pub id: SummaryId,
    /// The stage it summarises.
    pub stage_id: StageId,
    pub stage_title: String,
    /// The stage at whose top it is shown.
    pub shown_in_stage_id: Option<StageId>,
    /// The source; for staff.
    pub body_md: Option<String>,
    pub body_html: String,
    pub contributors_only: bool,
    pub published: Option<When>,
    pub images: Vec<ImageView>,
}

impl StageView {
    pub fn new(s: &Stage, zone: &BoardZone, now: PrimitiveDateTime) -> Self {
        StageView {
            id: s.id.clone(),
            board_id: s.board_id.clone(),
            position: s.position,
            title: s.title.clone(),
            intro_md: s.intro_md.clone(),
            intro_html: markdown::render(&s.intro_md),
            release_at: When::opt(zone, s.release_at),
            close_at: When::opt(zone, s.close_at),
            released_at: When::opt(zone, s.released_at),
            phase: phase_name(stage_phase(s.released_at, s.close_at, now)).into(),
            phase_label: match stage_phase(s.released_at, s.close_at, now) {
                StagePhase::Scheduled if s.release_at.is_some() => "Scheduled",
                StagePhase::Scheduled => "Not released",
                StagePhase::Open => "Open",
                StagePhase::Closed => "Closed",
            }
            .into(),
            questions: Vec::new(),
            groups: s.groups.get().clone(),
            images: Vec::new(),
            feedback: Vec::new(),
            new_posts: 0,
        }
    }
}

pub fn phase_name(p: StagePhase) -> &'static str {
    match p {
        StagePhase::Scheduled => "scheduled",
        StagePhase::Open => "open",
        StagePhase::Closed => "closed",
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionView {
    pub id: QuestionId,
    pub stage_id: StageId,
    pub position: i32,
    pub prompt_md: String,
    pub prompt_html: String,
    pub mode: ResponseMode,
    pub mode_label: String,
    /// When the wording last changed after release.
    pub revised_at: Option<When>,
    /// Participants who answered; for participants of a private question, only whether they did.
    pub answered_count: Option<i64>,
    /// Participants on the board ("N of M answered").
    pub participant_count: Option<i64>,
    /// For a participant: whether they answered.
    pub answered_by_you: Option<bool>,
    /// Posts by others since the asker last opened the question.
    pub new_posts: i64,
    /// The summary this question asks participants to react to.
    pub summary_id: Option<SummaryId>,
    /// The groups it is for; empty: everyone.
    pub groups: Vec<String>,
    pub kind: QuestionKind,
    /// Options or scale of a question that is voted on.
    pub poll: crate::domain::polls::PollConfig,
    pub allow_images: bool,
    pub images: Vec<ImageView>,
}

impl QuestionView {
    pub fn new(q: &Question, zone: &BoardZone) -> Self {
        let mode = q.mode;
        QuestionView {
            id: q.id.clone(),
            stage_id: q.stage_id.clone(),
            position: q.position,
            prompt_md: q.prompt_md.clone(),
            prompt_html: markdown::render(&q.prompt_md),
            mode,
            mode_label: mode.description().into(),
            revised_at: When::opt(zone, q.revised_at),
            answered_count: None,
            participant_count: None,
            answered_by_you: None,
            new_posts: 0,
            summary_id: q.summary_id.clone(),
            groups: q.groups.get().clone(),
            kind: q.kind,
            poll: q.config.get().clone(),
            allow_images: q.allow_images,
            images: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostView {
    /// Removed with its author's withdrawal: no text, kept only for the replies to it.
    pub removed: bool,
    pub id: PostId,
    pub question_id: QuestionId,
    pub parent_id: Option<PostId>,
    pub author: String,
    /// participant or moderator.
    pub author_kind: String,
    pub is_yours: bool,
    pub body_html: String,
    /// The markdown source; given only to its author.
    pub body_md: Option<String>,
    pub created: When,
    pub edited: Option<When>,
    /// Hidden by the moderators: participants see that a post was here, not what it said.
    pub hidden: bool,
    /// Why it was hidden; for staff.
    pub hidden_reason: Option<String>,
    /// A moderator's follow-up on a reply.
    pub is_probe: bool,
    /// Only one participant and the staff can read this post.
    pub private: bool,
    /// web, or how an answer recorded on a participant's behalf was given.
    pub source: PostSource,
    /// Shown with an answer recorded on a participant's behalf.
    pub recorded_note: Option<String>,
    /// How many participants agree with this post.
    pub agrees: i64,
    pub agreed_by_you: bool,
    /// Who agreed; for the board's staff (moderators, observers, analysts).
    pub agreed_by: Vec<String>,
    pub images: Vec<ImageView>,
    /// Replies to a post not shown with it (on an earlier page of the question).
    pub continues_thread: bool,
    #[schema(no_recursion)]
    pub replies: Vec<PostView>,
}

/// How a participant appears to someone on the board: by screen name to other participants
/// on an anonymous board; to staff who see identities with the real name added; to staff who
/// do not, by pseudonym (beside the screen name the participant chose).
pub fn participant_label(
    screen_name: Option<&str>,
    name: &str,
    pseudonym_no: i32,
    anonymity: Anonymity,
    seen: Seen,
) -> String {
    // An erased participant has neither: only the pseudonym is left.
    if name.is_empty() && screen_name.is_none() {
        return pseudonym(pseudonym_no);
    }
    let screen = screen_name.unwrap_or("Participant");
    match (anonymity, seen) {
        (Anonymity::RealNames, Seen::AsParticipant | Seen::WithIdentities) => name.to_string(),
        (Anonymity::RealNames, Seen::ByPseudonym) => pseudonym(pseudonym_no),
        (Anonymity::ScreenNames, Seen::AsParticipant) => screen.to_string(),
        (Anonymity::ScreenNames, Seen::WithIdentities) => format!("{screen} ({name})"),
        (Anonymity::ScreenNames, Seen::ByPseudonym) => format!("{screen} ({})", pseudonym(pseudonym_no)),
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantView {
    pub id: ParticipantId,
    /// For staff who see identities (moderators always; other roles as the board says); null
    /// for the others.
    pub email: Option<String>,
    /// The name, or for staff who do not see identities the pseudonym.
    pub name: String,
    /// The stable pseudonym the exports use (P01 …).
    pub pseudonym: String,
    pub screen_name: Option<String>,
    pub attributes: serde_json::Map<String, serde_json::Value>,
    pub consented_at: Option<When>,
    pub first_signed_in_at: Option<When>,
    pub last_seen_at: Option<When>,
    pub posts: i64,
    /// not_signed_in, signed_in (but never posted) or posted.
    pub status: crate::domain::roles::ParticipantStatus,
    /// When the participant withdrew (they get no email and cannot sign in).
    pub withdrawn_at: Option<When>,
    /// The day they asked (YYYY-MM-DD), and how.
    pub withdrawal_asked_on: Option<String>,
    pub withdrawal_source: Option<WithdrawalSource>,
    /// Erased: their name, email, attributes and screen name are gone.
    pub erased: bool,
    /// The participant's personal sign-in link; shown to the board's moderators only.
    pub sign_in_link: Option<String>,
    pub link_expires_at: Option<When>,
    pub invited_at: Option<When>,
    /// A message to this participant finally failed (see the board's email page).
    pub email_failed: bool,
    /// What the last bounce of their address said.
    pub email_bounce: Option<String>,
}

/// Groups as shown to staff. Every rule reads them through the fallible accessor and fails on
/// bad data; a view only shows that they could not be read.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImageView {
    pub id: ImageId,
    /// The question it belongs to, directly or through a post.
    pub question_id: Option<QuestionId>,
    pub alt_text: String,
    pub url: String,
    pub thumb_url: String,
    pub width: i32,
    pub height: i32,
}

/// An image as pages and the API show it.
pub fn image_view(i: &crate::db::models::Image, question_id: Option<&QuestionId>) -> ImageView {
    ImageView {
        id: i.id.clone(),
        question_id: question_id.cloned(),
        alt_text: i.alt_text.clone(),
        url: format!("/images/{}", i.id),
        thumb_url: format!("/images/{}/thumb", i.id),
        width: i.width,
        height: i.height,
    }
}
