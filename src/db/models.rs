//! Rows as stored. They stay inside `db` and `service`; pages and JSON get view types.

use super::json_text::JsonText;
use super::schema::*;
use crate::domain::attributes::{self, attribute_text, group_of, Attributes};
use crate::domain::email::{DeliveryStatus, EmailKind, InboundOutcome, ReplyNotices};
use crate::domain::email_texts::EditableEmail;
use crate::domain::ids::*;
use crate::domain::polls::{Answer, PollConfig, QuestionKind};
use crate::domain::roles::{
    AccountLinkPurpose, Anonymity, BoardRole, BoardState, PostSource, ResponseMode, WithdrawalPolicy, WithdrawalSource,
};
use crate::domain::schedule::Holidays;
use diesel::prelude::*;
use time::PrimitiveDateTime;

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub is_admin: bool,
    pub created_at: PrimitiveDateTime,
    /// Administrators create boards whatever this says.
    pub can_create_boards: bool,
    /// A disabled account cannot sign in; its sessions and tokens stop at once.
    pub disabled_at: Option<PrimitiveDateTime>,
}

/// A signed-in browser. `id` is the hash of the secret in its cookie.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: Option<UserId>,
    pub participant_id: Option<ParticipantId>,
    pub created_at: PrimitiveDateTime,
    pub last_seen_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub revoked_at: Option<PrimitiveDateTime>,
}

/// `None` is written as NULL both ways: a reminder rule switched off must not fall back to the
/// column's default on insert, nor be skipped on update.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = boards, treat_none_as_default_value = false, treat_none_as_null = true)]
pub struct Board {
    pub id: BoardId,
    pub title: String,
    pub welcome_md: String,
    pub consent_md: String,
    pub time_zone: String,
    pub opens_at: Option<PrimitiveDateTime>,
    pub closes_at: Option<PrimitiveDateTime>,
    pub anonymity: Anonymity,
    pub state: BoardState,
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
    pub remind_before_close_hours: Option<i32>,
    pub remind_not_signed_in_hours: Option<i32>,
    pub closing_message_md: String,
    /// Roles besides moderators (and administrators) that see participants' names and emails.
    pub identities_seen_by: JsonText<Vec<BoardRole>>,
    /// How many pseudonyms the board has given out; the next participant gets the next one.
    pub pseudonyms_issued: i32,
    /// Moves on each time the consent text changes; participants agree to a version.
    pub consent_version: i32,
    pub withdrawal_policy: WithdrawalPolicy,
    /// The last day (in the board's zone) its participants' personal data must be kept.
    pub retain_until: Option<time::Date>,
    /// The scheduler purges the board once it is archived and past `retain_until`.
    pub purge_when_due: bool,
    pub purged_at: Option<PrimitiveDateTime>,
    /// The hour (board time) daily digests go out.
    pub digest_hour: i32,
    /// Days skipped, like weekends, when stages are scheduled by working days.
    pub holidays: JsonText<Holidays>,
    /// While set, nothing is released and no reminder is sent.
    pub paused_at: Option<PrimitiveDateTime>,
}

/// A participant's agreement, with the consent text as it was when they agreed.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = consent_records)]
pub struct ConsentRecord {
    pub id: String,
    pub participant_id: ParticipantId,
    pub board_id: BoardId,
    pub version: i32,
    pub consent_md: String,
    pub agreed_at: PrimitiveDateTime,
}

/// A single-use link to set a staff account's password.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = account_links)]
pub struct AccountLink {
    pub token_hash: String,
    pub user_id: UserId,
    pub purpose: AccountLinkPurpose,
    pub created_at: PrimitiveDateTime,
    pub expires_at: PrimitiveDateTime,
    pub used_at: Option<PrimitiveDateTime>,
}

/// A board's own wording of one of its emails.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = email_texts)]
pub struct EmailText {
    pub board_id: BoardId,
    pub which: EditableEmail,
    pub subject: String,
    pub body_md: String,
    pub updated_by: UserId,
    pub updated_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = board_members)]
pub struct BoardMember {
    pub board_id: BoardId,
    pub user_id: UserId,
    pub role: BoardRole,
    pub created_at: PrimitiveDateTime,
    /// Whether this member gets a daily digest of the board's activity.
    pub digest: bool,
    pub digest_sent_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = participants)]
pub struct Participant {
    pub id: ParticipantId,
    pub board_id: BoardId,
    pub email: String,
    pub name: String,
    pub attributes: JsonText<Attributes>,
    pub screen_name: Option<String>,
    pub consented_at: Option<PrimitiveDateTime>,
    pub first_signed_in_at: Option<PrimitiveDateTime>,
    pub last_seen_at: Option<PrimitiveDateTime>,
    pub token_hash: Option<String>,
    pub token_expires_at: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
    /// Kinds of email this participant chose not to receive.
    pub email_opt_out: JsonText<Vec<EmailKind>>,
    pub invited_at: Option<PrimitiveDateTime>,
    /// The number of the participant's pseudonym on the board (P01 is 1), never reused.
    pub pseudonym_no: i32,
    /// Withdrawn participants get no email and cannot sign in.
    pub withdrawn_at: Option<PrimitiveDateTime>,
    /// The day they asked, which may be before it was recorded.
    pub withdrawal_asked_on: Option<time::Date>,
    pub withdrawal_source: Option<WithdrawalSource>,
    /// Erased: name, email, attributes and screen name were deleted.
    pub erased_at: Option<PrimitiveDateTime>,
    /// Set by a bounce: mail to this address is not being delivered.
    pub email_failing_at: Option<PrimitiveDateTime>,
    pub email_failing_reason: Option<String>,
    pub reply_notices: ReplyNotices,
    pub digest_sent_at: Option<PrimitiveDateTime>,
}

impl Participant {
    /// The name and email as shown to staff: the real ones for those who see identities,
    /// otherwise (and once erased) the pseudonym and no email.
    pub fn shown_identity(&self, identities: bool) -> (String, Option<String>) {
        match identities && self.erased_at.is_none() {
            true => (self.name.clone(), Some(self.email.clone())),
            false => (crate::domain::roles::pseudonym(self.pseudonym_no), None),
        }
    }

    /// One attribute as text ("" when the participant has none).
    pub fn attribute(&self, name: &str) -> String {
        attribute_text(&self.attributes, name)
    }

    /// The participant's group: their "group" attribute (any capitalisation), if any.
    pub fn group(&self) -> Option<String> {
        group_of(&self.attributes)
    }

    /// Whether a stage's question is for this participant's group.
    pub fn is_for(&self, stage: &Stage, q: &Question) -> bool {
        attributes::is_for(self.group().as_deref(), &stage.groups, &q.groups)
    }

    /// Whether this participant chose not to receive this kind of email.
    pub fn opted_out_of(&self, kind: EmailKind) -> bool {
        self.email_opt_out.contains(&kind)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stages)]
pub struct Stage {
    pub id: StageId,
    pub board_id: BoardId,
    pub position: i32,
    pub title: String,
    pub intro_md: String,
    pub release_at: Option<PrimitiveDateTime>,
    pub close_at: Option<PrimitiveDateTime>,
    pub released_at: Option<PrimitiveDateTime>,
    pub created_at: PrimitiveDateTime,
    /// Group names; empty: everyone.
    pub groups: JsonText<Vec<String>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = questions)]
pub struct Question {
    pub id: QuestionId,
    pub board_id: BoardId,
    pub stage_id: StageId,
    pub position: i32,
    pub prompt_md: String,
    pub mode: ResponseMode,
    pub created_at: PrimitiveDateTime,
    pub revised_at: Option<PrimitiveDateTime>,
    pub summary_id: Option<SummaryId>,
    /// Group names; empty: everyone.
    pub groups: JsonText<Vec<String>>,
    pub kind: QuestionKind,
    /// The options of a choice or ranking question, the scale of a rating.
    pub config: JsonText<PollConfig>,
    /// Participants may attach images to their answers.
    pub allow_images: bool,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: PostId,
    pub board_id: BoardId,
    pub question_id: QuestionId,
    pub parent_id: Option<PostId>,
    pub thread_id: PostId,
    pub participant_id: Option<ParticipantId>,
    pub author_user_id: Option<UserId>,
    pub body_md: String,
    pub body_html: String,
    pub created_at: PrimitiveDateTime,
    pub edited_at: Option<PrimitiveDateTime>,
    pub hidden_at: Option<PrimitiveDateTime>,
    pub hidden_reason: Option<String>,
    /// A moderator's follow-up on one reply.
    pub is_probe: bool,
    /// Only this participant (and the staff) may read the post.
    pub private_to: Option<ParticipantId>,
    /// web, or where an answer recorded on a participant's behalf came from.
    pub source: PostSource,
    /// The staff member who recorded an answer on a participant's behalf.
    pub recorded_by: Option<UserId>,
    /// Removed with its author's withdrawal: the text is gone and the row stays only as the
    /// place replies hang from.
    pub removed_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = post_revisions)]
pub struct PostRevision {
    pub id: String,
    pub post_id: PostId,
    pub body_md: String,
    pub replaced_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = images)]
pub struct Image {
    pub id: ImageId,
    pub board_id: BoardId,
    /// Set for an image of a question.
    pub question_id: Option<QuestionId>,
    /// Set for an image of a post.
    pub post_id: Option<PostId>,
    /// Set for an image of a stage's introduction.
    pub stage_id: Option<StageId>,
    /// Set for an image of a stage summary.
    pub summary_id: Option<SummaryId>,
    pub alt_text: String,
    pub content_type: String,
    pub width: i32,
    pub height: i32,
    /// The reader id (staff account or participant) of who uploaded it.
    pub uploaded_by: String,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = votes)]
pub struct Vote {
    pub id: String,
    pub board_id: BoardId,
    pub question_id: QuestionId,
    pub participant_id: ParticipantId,
    /// Stored as {"choice": 0} | {"choices": [0, 2]} | {"rating": 4} | {"ranking": [2, 0, 1]}
    pub answer: JsonText<Answer>,
    pub created_at: PrimitiveDateTime,
    pub superseded_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_log)]
pub struct AuditEntry {
    pub id: String,
    pub board_id: Option<BoardId>,
    pub actor_id: String,
    pub actor_name: String,
    pub action: String,
    pub subject: String,
    pub before_json: Option<String>,
    pub after_json: Option<String>,
    pub at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = stage_summaries, treat_none_as_default_value = false)]
pub struct StageSummary {
    pub id: SummaryId,
    pub board_id: BoardId,
    pub stage_id: StageId,
    pub shown_in_stage_id: Option<StageId>,
    pub body_md: String,
    pub contributors_only: bool,
    pub published_at: Option<PrimitiveDateTime>,
    pub updated_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = staff_notes)]
pub struct StaffNote {
    pub id: String,
    pub board_id: BoardId,
    pub question_id: Option<QuestionId>,
    pub author_id: UserId,
    pub body_md: String,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = outbox)]
pub struct OutboxMessage {
    pub id: String,
    pub board_id: Option<BoardId>,
    pub participant_id: Option<ParticipantId>,
    pub recipient: String,
    pub kind: EmailKind,
    pub dedup_key: Option<String>,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub unsubscribe_url: Option<String>,
    pub message_id: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: PrimitiveDateTime,
    pub locked_until: Option<PrimitiveDateTime>,
    pub locked_by: Option<String>,
    pub created_at: PrimitiveDateTime,
    pub sent_at: Option<PrimitiveDateTime>,
    /// The Reply-To address with the message's reply key, for messages that take a reply.
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reply_keys)]
pub struct ReplyKey {
    /// SHA-256 of the key: the key itself is only in the message sent.
    pub key_hash: String,
    pub board_id: BoardId,
    pub participant_id: ParticipantId,
    pub question_id: QuestionId,
    /// For a probe or a reply notice: the post a reply answers.
    pub post_id: Option<PostId>,
    /// The participant's address when the key was made; a reply must come from it.
    pub address: String,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = inbound_mail)]
pub struct InboundMail {
    pub id: String,
    pub dedup_key: String,
    pub board_id: Option<BoardId>,
    pub participant_id: Option<ParticipantId>,
    pub question_id: Option<QuestionId>,
    pub parent_post_id: Option<PostId>,
    pub sender: String,
    pub subject: String,
    pub body_text: String,
    pub outcome: InboundOutcome,
    pub reason: Option<String>,
    pub post_id: Option<PostId>,
    pub received_at: PrimitiveDateTime,
    pub handled_by: Option<String>,
    pub handled_at: Option<PrimitiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: String,
    pub user_id: Option<UserId>,
    pub participant_id: Option<ParticipantId>,
    pub name: String,
    pub token_hash: String,
    pub created_at: PrimitiveDateTime,
    pub last_used_at: Option<PrimitiveDateTime>,
    pub revoked_at: Option<PrimitiveDateTime>,
    /// None: never (tokens made before expiry existed).
    pub expires_at: Option<PrimitiveDateTime>,
    /// Only reads (GET) are allowed with it.
    pub read_only: bool,
}

/// A code of a board's codebook; `parent_id` makes the tree.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = codes)]
pub struct Code {
    pub id: CodeId,
    pub board_id: BoardId,
    pub parent_id: Option<CodeId>,
    pub name: String,
    pub description: String,
    /// #rrggbb
    pub colour: String,
    pub position: i32,
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
}

/// A selection of a reply's text in characters, or the whole reply when the range is null.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = excerpts)]
pub struct Excerpt {
    pub id: ExcerptId,
    pub board_id: BoardId,
    pub post_id: PostId,
    pub start_char: Option<i32>,
    pub end_char: Option<i32>,
    pub text: String,
    pub is_quote: bool,
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = codings)]
pub struct Coding {
    pub id: String,
    pub board_id: BoardId,
    pub excerpt_id: ExcerptId,
    pub post_id: PostId,
    pub code_id: CodeId,
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
    /// The auto-coding action that made it, undone as one.
    pub batch_id: Option<String>,
}

/// An analyst's memo about a reply or a code.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = memos)]
pub struct Memo {
    pub id: String,
    pub board_id: BoardId,
    pub post_id: Option<PostId>,
    pub code_id: Option<CodeId>,
    pub body: String,
    pub created_by: UserId,
    pub created_at: PrimitiveDateTime,
    /// Written while coding this excerpt of the reply `post_id`.
    pub excerpt_id: Option<ExcerptId>,
}
