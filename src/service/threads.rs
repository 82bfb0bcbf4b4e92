//! Reading and writing answers: the participant's board home, the question page with the
//! replies the asker may see, posting, replying and editing with history.

use super::rules::{can_read_post, eligible_count, is_for, may_write_under, question_access};
use super::views::{participant_label, BoardView, PostView, QuestionView, StageView, SummaryView, When};
use super::{access, Access, Actor, Ctx};
use crate::db::json_text::JsonText;
use crate::db::models::{Post, Question, Stage};
use crate::db::posts::AuthoredPost;
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId, StageId};
use crate::domain::markdown;
use crate::domain::polls::{tally, Answer, QuestionKind, Results};
use crate::domain::roles::{Anonymity, BoardState, PostSource, ResponseMode, Standing};
use crate::domain::visibility::{answer_refusal, for_group, participant_scope, reply_refusal, stage_phase, ReplyScope};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

pub use super::post_trees::MAX_POST_CHARS;
use super::post_trees::{reactions_of, recorder_names, thread_tree, Reader};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantHome {
    pub board: BoardView,
    /// Released stages only, newest last.
    pub stages: Vec<StageView>,
    pub unanswered: i64,
    pub new_posts: i64,
    /// Moderators' follow-ups that wait for this participant's answer.
    pub open_probes: Vec<super::moderation::OpenProbe>,
    /// The closing message, once the board is closed.
    pub closing_message_html: Option<String>,
    /// Set when a staff member views the board as this participant: nothing can be posted
    /// and the participant's reads are not touched.
    pub viewing_as: Option<String>,
}

/// A participant's board home: released stages and their questions, which are still
/// unanswered, and what is new since they last looked.
pub fn participant_home(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId) -> AppResult<ParticipantHome> {
    let acc = access(conn, actor, board_id)?;
    home(conn, ctx, &acc, false)
}

/// The board home exactly as participant `participant_id` sees it, for the board's staff.
pub fn participant_home_as(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &BoardId, participant_id: &ParticipantId) -> AppResult<ParticipantHome> {
    let staff = access(conn, actor, board_id)?;
    let acc = as_participant(conn, staff, participant_id)?;
    home(conn, ctx, &acc, true)
}

/// Turns a staff member's access into the access of one participant of the same board.
fn as_participant(conn: &mut DbConn, staff: Access, participant_id: &ParticipantId) -> AppResult<Access> {
    if !staff.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    let p = db::participants::find(conn, participant_id)?.filter(|p| p.board_id == staff.board.id).ok_or_else(|| AppError::invalid("Choose a participant of this board."))?;
    Ok(Access { board: staff.board, state: staff.state, standing: Standing::Participant, actor: Actor::Participant(p) })
}

fn home(conn: &mut DbConn, ctx: &Ctx, acc: &Access, observing: bool) -> AppResult<ParticipantHome> {
    let board_id = &acc.board.id;
    let me = match (&acc.actor, observing) {
        // Staff look at the board as a participant sees it, consent or not.
        (Actor::Participant(p), true) => p.clone(),
        _ => acc.participant()?.clone(),
    };
    let zone = acc.zone();
    let now = ctx.now();
    if !observing {
        db::participants::touch(conn, &me.id, now)?;
    }
    let answered: HashSet<QuestionId> = db::posts::answered_questions(conn, &me.id)?.into_iter().chain(db::votes::voted_questions(conn, &me.id)?).collect();
    let unseen = db::posts::unseen_counts(conn, board_id, &me.id, false)?;
    let mut by_stage: HashMap<StageId, Vec<QuestionView>> = HashMap::new();
    let group = me.group();
    for q in db::stages::questions_of_board(conn, board_id)? {
        if !for_group(&q.groups, group.as_deref()) {
            continue;
        }
        let mut v = QuestionView::new(&q, &zone);
        let done = answered.contains(&q.id);
        v.answered_by_you = Some(done);
        // Only count what the participant may read, so nothing about hidden replies leaks.
        if participant_scope(v.mode, done) == ReplyScope::All {
            v.new_posts = unseen.get(&q.id).copied().unwrap_or(0);
        }
        by_stage.entry(q.stage_id.clone()).or_default().push(v);
    }
    let summaries = super::summaries::readable(conn, acc, Some(&me))?;
    let intro_images = db::images::of_stages_and_summaries(conn, board_id)?;
    let mut open_stages = Vec::new();
    for s in db::stages::of_board(conn, board_id)? {
        if s.released_at.is_some() && for_group(&s.groups, group.as_deref()) {
            open_stages.push(s);
        }
    }
    let stages: Vec<StageView> = open_stages
        .iter()
        .map(|s| {
            let mut v = StageView::new(s, &zone, now);
            v.questions = by_stage.remove(s.id.as_str()).unwrap_or_default();
            v.new_posts = v.questions.iter().map(|q| q.new_posts).sum();
            v.feedback = summaries.iter().filter(|f| f.shown_in_stage_id.as_deref() == Some(s.id.as_str())).cloned().collect();
            v.images = intro_images.iter().filter(|i| i.stage_id.as_deref() == Some(s.id.as_str())).map(|i| super::views::image_view(i, None)).collect();
            v
        })
        .collect();
    let questions = stages.iter().flat_map(|s| s.questions.iter());
    let unanswered = questions.clone().filter(|q| q.answered_by_you == Some(false)).count() as i64;
    let new_posts = questions.map(|q| q.new_posts).sum();
    let open_probes = super::moderation::open_probes(conn, acc, Some(&me.id))?;
    let closing_message_html = (acc.state() == BoardState::Closed || acc.state() == BoardState::Archived).then(|| markdown::render(&acc.board.closing_message_md));
    Ok(ParticipantHome {
        board: BoardView::new(&acc.board, acc.standing),
        stages,
        unanswered,
        new_posts,
        open_probes,
        closing_message_html,
        viewing_as: observing.then(|| participant_label(me.screen_name.as_deref(), &me.name, Anonymity::ScreenNames, Standing::Admin)),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionPage {
    pub board: BoardView,
    pub stage: StageView,
    pub question: QuestionView,
    /// Threads the asker may read, each answer with its replies nested.
    pub posts: Vec<PostView>,
    /// The asker may write an answer now.
    pub can_answer: bool,
    /// The asker may reply inside the threads shown.
    pub can_reply: bool,
    /// Why answering is not possible, when it is not.
    pub refusal: Option<String>,
    /// Post first: answers by others that appear once the asker has answered.
    pub hidden_answers: i64,
    pub your_answer_id: Option<PostId>,
    /// The summary this question asks participants to react to, shown beside the form.
    pub summary: Option<SummaryView>,
    /// Notes from staff about this question; for staff only.
    pub notes: Vec<super::moderation::NoteView>,
    /// Set when a staff member views the question as one participant sees it.
    pub viewing_as: Option<String>,
    /// The board's participants, for staff to view as or record an answer for.
    pub people: Vec<PersonRef>,
    /// Counts of the current votes, when the asker may see them.
    pub results: Option<Results>,
    /// The asker's current vote.
    pub your_vote: Option<Answer>,
    /// The participants' groups, for staff to filter the results by.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: ParticipantId,
    pub name: String,
    pub screen_name: Option<String>,
}

fn already_answered() -> AppError {
    AppError::AlreadyAnswered("You have already answered this question; edit your answer or reply in a thread.".into())
}

pub fn question_page(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, question_id: &QuestionId) -> AppResult<QuestionPage> {
    let (acc, stage, q) = question_access(conn, actor, question_id)?;
    render_question(conn, ctx, acc, stage, q, false)
}

/// The question exactly as participant `participant_id` sees it (post-first and private rules
/// included), for the board's staff; nothing can be posted from it.
pub fn question_page_as(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, question_id: &QuestionId, participant_id: &ParticipantId) -> AppResult<QuestionPage> {
    let (staff, stage, q) = question_access(conn, actor, question_id)?;
    let acc = as_participant(conn, staff, participant_id)?;
    let for_them = match &acc.actor {
        Actor::Participant(p) => is_for(p, &stage, &q)?,
        Actor::User(_) | Actor::System => false,
    };
    if stage.released_at.is_none() || !for_them {
        return Err(AppError::not_found());
    }
    render_question(conn, ctx, acc, stage, q, true)
}

fn render_question(conn: &mut DbConn, ctx: &Ctx, acc: Access, stage: Stage, q: Question, observing: bool) -> AppResult<QuestionPage> {
    let question_id = &q.id;
    let actor = &acc.actor;
    let zone = acc.zone();
    let now = ctx.now();
    let mode = q.mode;
    let all = db::posts::of_question(conn, question_id)?;
    let me = actor.reader_id().to_string();
    let mut question = QuestionView::new(&q, &zone);
    let phase = stage_phase(stage.released_at, stage.close_at, now);
    let state = acc.state();
    let kind = q.kind;
    let votes = if kind == QuestionKind::Discussion { Vec::new() } else { db::votes::current_of_question(conn, question_id)? };
    let your_vote: Option<Answer> = votes.iter().find(|v| v.participant_id == me).map(|v| v.answer.get().clone());

    let (visible, hidden_answers, your_answer_id, can_answer, can_reply, refusal) = match acc.standing {
        Standing::Participant => {
            let own_answer = all.iter().find(|AuthoredPost { post: p, .. }| p.parent_id.is_none() && p.participant_id.as_deref() == Some(&me));
            let your_answer_id = own_answer.map(|AuthoredPost { post: p, .. }| p.id.clone());
            let has_answered = your_answer_id.is_some() || your_vote.is_some();
            let scope = participant_scope(mode, has_answered);
            let own_threads: HashSet<&str> = all
                .iter()
                .filter(|AuthoredPost { post: p, .. }| p.parent_id.is_none() && p.participant_id.as_deref() == Some(&me))
                .map(|AuthoredPost { post: p, .. }| p.id.as_str())
                .collect();
            let visible: Vec<&AuthoredPost> = all
                .iter()
                .filter(|AuthoredPost { post: p, .. }| scope == ReplyScope::All || own_threads.contains(p.thread_id.as_str()))
                // Private probes and the answers to them reach one participant only.
                .filter(|AuthoredPost { post: p, .. }| p.private_to.as_deref().is_none_or(|to| to == me))
                .collect();
            let hidden = if mode == ResponseMode::PostFirst && scope == ReplyScope::OwnThreads {
                all.iter().filter(|AuthoredPost { post: p, .. }| p.parent_id.is_none()).count() as i64
            } else {
                0
            };
            let refusal = answer_refusal(state, phase);
            // A vote can be changed while the stage is open; a written answer is edited instead.
            let can_answer = refusal.is_none() && (kind != QuestionKind::Discussion || your_answer_id.is_none());
            let can_reply = reply_refusal(state, phase).is_none();
            question.answered_by_you = Some(has_answered);
            let refusal = match (has_answered, refusal) {
                (true, _) => None,
                (false, r) => r.map(str::to_string),
            };
            (visible, hidden, your_answer_id, can_answer, can_reply, refusal)
        }
        standing => {
            let invited = eligible_count(&db::participants::of_board(conn, &acc.board.id)?, &stage, &q)?;
            let answered: HashSet<&str> = all
                .iter()
                .filter(|AuthoredPost { post: p, .. }| p.parent_id.is_none())
                .filter_map(|AuthoredPost { post: p, .. }| p.participant_id.as_deref())
                .chain(votes.iter().map(|v| v.participant_id.as_str()))
                .collect();
            question.answered_count = Some(answered.len() as i64);
            question.participant_count = Some(invited);
            let can_reply = standing.can_manage() && reply_refusal(state, phase).is_none();
            (all.iter().collect(), 0, None, false, can_reply, None)
        }
    };
    let anonymity = acc.board.anonymity;
    let recorders = recorder_names(conn, &all)?;
    let reactions = reactions_of(conn, question_id, anonymity)?;
    let visible_ids: Vec<PostId> = visible.iter().map(|AuthoredPost { post: p, .. }| p.id.clone()).collect();
    let mut post_images: HashMap<PostId, Vec<super::views::ImageView>> = HashMap::new();
    for image in db::images::of_question(conn, question_id, &visible_ids)? {
        match &image.post_id {
            Some(pid) => post_images.entry(pid.clone()).or_default().push(super::views::image_view(&image, Some(question_id))),
            None => question.images.push(super::views::image_view(&image, Some(question_id))),
        }
    }
    let posts = thread_tree(&visible, &Reader { me: &me, zone: &zone, anonymity, standing: acc.standing, recorders: &recorders, reactions: &reactions, images: &post_images });
    if !observing {
        db::posts::mark_read(conn, question_id, &me, now)?;
    }
    let participant = match &acc.actor {
        Actor::Participant(p) => Some(p),
        Actor::User(_) | Actor::System => None,
    };
    let summary = match &q.summary_id {
        Some(id) => super::summaries::readable(conn, &acc, participant)?.into_iter().find(|s| s.id == id),
        None => None,
    };
    let (notes, people, groups) = if acc.standing.sees_everything() {
        let rows = db::participants::of_board(conn, &acc.board.id)?;
        let mut groups = std::collections::BTreeSet::new();
        for p in &rows {
            groups.extend(p.group());
        }
        let people = rows.into_iter().map(|p| PersonRef { id: p.id, name: p.name, screen_name: p.screen_name }).collect();
        (super::moderation::notes_for(conn, &acc, Some(question_id))?, people, groups.into_iter().collect())
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let viewing_as = participant.filter(|_| observing).map(|p| participant_label(p.screen_name.as_deref(), &p.name, Anonymity::ScreenNames, Standing::Admin));
    // Results: always for staff; for participants as the mode says (post first: once they voted).
    let results_visible = match (acc.standing, mode) {
        (Standing::Participant, ResponseMode::Private) => false,
        (Standing::Participant, ResponseMode::PostFirst) => your_vote.is_some(),
        _ => true,
    };
    let results = (kind != QuestionKind::Discussion && results_visible).then(|| {
        let answers: Vec<Answer> = votes.iter().map(|v| v.answer.get().clone()).collect();
        tally(kind, &question.poll, &answers)
    });
    let mut stage_view = StageView::new(&stage, &zone, now);
    stage_view.questions.clear();
    Ok(QuestionPage {
        results,
        your_vote,
        groups,
        board: BoardView::new(&acc.board, acc.standing),
        stage: stage_view,
        question,
        posts,
        can_answer: can_answer && !observing,
        can_reply: can_reply && !observing,
        refusal,
        hidden_answers,
        your_answer_id,
        summary,
        notes,
        viewing_as,
        people,
    })
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PostInput {
    pub body_md: String,
    /// The post this replies to; none for an answer to the question.
    pub parent_id: Option<PostId>,
}

/// Writes an answer (no parent) or a reply inside a thread the asker can see.
pub fn create_post(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, question_id: &QuestionId, input: &PostInput) -> AppResult<PostView> {
    let (acc, stage, q) = question_access(conn, actor, question_id)?;
    let now = ctx.now();
    let phase = stage_phase(stage.released_at, stage.close_at, now);
    let body = super::required("Your reply", &input.body_md, MAX_POST_CHARS)?;
    let parent_id = input.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(PostId::from);
    let parent = match &parent_id {
        Some(pid) => {
            Some(db::posts::find(conn, pid)?.filter(|p| p.question_id == q.id).ok_or_else(|| AppError::invalid("The post you are replying to is not part of this question."))?)
        }
        None => None,
    };
    let (participant_id, author_user_id) = match (&acc.standing, &parent) {
        (Standing::Participant, _) => {
            let me = acc.participant()?;
            let answered = db::posts::has_answered(conn, &me.id, &q.id)?;
            match &parent {
                None => {
                    if let Some(why) = answer_refusal(acc.state(), phase) {
                        return Err(AppError::Forbidden(why.into()));
                    }
                    if q.kind != QuestionKind::Discussion && db::votes::current_vote(conn, &me.id, &q.id)?.is_none() {
                        return Err(AppError::invalid("Vote first; your comment goes with your vote."));
                    }
                    if answered {
                        return Err(already_answered());
                    }
                }
                Some(parent) => {
                    if let Some(why) = reply_refusal(acc.state(), phase) {
                        return Err(AppError::Forbidden(why.into()));
                    }
                    // Writing into a thread needs the same right as reading it: not under a
                    // post they may not read (post-first, another's private exchange), and
                    // not under a hidden post. Same answer as for a post that does not exist.
                    if !may_write_under(conn, actor, parent)? {
                        return Err(AppError::invalid("The post you are replying to is not part of this question."));
                    }
                }
            }
            (Some(me.id.clone()), None)
        }
        (standing, Some(_)) if standing.can_manage() => {
            if let Some(why) = reply_refusal(acc.state(), phase) {
                return Err(AppError::Forbidden(why.into()));
            }
            (None, Some(acc.actor.user()?.id.clone()))
        }
        (standing, None) if standing.can_manage() => return Err(AppError::invalid("Moderators reply inside a participant's thread; answers come from participants.")),
        _ => return Err(AppError::forbidden("Observers and analysts read the board but do not post.")),
    };
    let is_probe = author_user_id.is_some() && parent.as_ref().is_some_and(|p| p.participant_id.is_some());
    let id: PostId = db::new_id();
    let post = Post {
        thread_id: parent.as_ref().map_or(id.clone(), |p| p.thread_id.clone()),
        id,
        board_id: q.board_id.clone(),
        question_id: q.id.clone(),
        parent_id: parent.as_ref().map(|p| p.id.clone()),
        participant_id,
        author_user_id,
        body_html: markdown::render(&body),
        body_md: body,
        created_at: now,
        edited_at: None,
        hidden_at: None,
        hidden_reason: None,
        // A moderator's reply to a participant is a probe: the participant is asked to answer.
        is_probe,
        // A reply inside a private exchange stays private to the same participant.
        private_to: parent.as_ref().and_then(|p| p.private_to.clone()),
        source: PostSource::Web,
        recorded_by: None,
    };
    super::in_tx(conn, |conn| {
        if post.parent_id.is_none() {
            if !db::posts::insert_answer(conn, &post)? {
                return Err(already_answered());
            }
        } else {
            db::posts::insert(conn, &post)?;
        }
        if let Some(parent) = &parent {
            // How the replier appears to the author of the post replied to, a participant.
            let replier = match actor {
                Actor::Participant(p) => {
                    let anonymity = acc.board.anonymity;
                    participant_label(p.screen_name.as_deref(), &p.name, anonymity, Standing::Participant)
                }
                Actor::User(u) => format!("{} (moderator)", u.name),
                Actor::System => "The moderators".to_string(),
            };
            super::notifications::reply_posted(conn, ctx, &acc.board, parent, &post, &replier, &q.prompt_md)?;
        }
        if let Actor::Participant(p) = actor {
            db::participants::touch(conn, &p.id, now)?;
        }
        Ok(())
    })?;
    find_post_view(conn, actor, &acc, &post.id)
}

fn find_post_view(conn: &mut DbConn, actor: &Actor, acc: &Access, post_id: &PostId) -> AppResult<PostView> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let all = db::posts::of_question(conn, &post.question_id)?;
    let ap = all.iter().find(|AuthoredPost { post: p, .. }| p.id == post_id).ok_or_else(AppError::not_found)?;
    let anonymity = acc.board.anonymity;
    let recorders = recorder_names(conn, std::slice::from_ref(ap))?;
    let reactions = reactions_of(conn, &post.question_id, anonymity)?;
    let zone = acc.zone();
    let no_images = HashMap::new();
    let mut tree =
        thread_tree(&[ap], &Reader { me: actor.reader_id(), zone: &zone, anonymity, standing: acc.standing, recorders: &recorders, reactions: &reactions, images: &no_images });
    tree.pop().ok_or_else(AppError::not_found)
}

/// The author edits their own post; the earlier wording is kept.
pub fn edit_post(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &PostId, body_md: &str) -> AppResult<PostView> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let (acc, stage, _q) = question_access(conn, actor, &post.question_id)?;
    let me = actor.reader_id();
    if post.participant_id.as_deref() != Some(me) && post.author_user_id.as_deref() != Some(me) {
        return Err(AppError::forbidden("Only the author can edit a post."));
    }
    let phase = stage_phase(stage.released_at, stage.close_at, ctx.now());
    if let Some(why) = reply_refusal(acc.state(), phase) {
        return Err(AppError::Forbidden(why.into()));
    }
    if !may_write_under(conn, actor, &post)? {
        return Err(AppError::forbidden("A moderator has hidden this post; it can no longer be changed."));
    }
    let body = super::required("Your reply", body_md, MAX_POST_CHARS)?;
    if body != post.body_md {
        super::in_tx(conn, |conn| Ok(db::posts::update_body(conn, &post, &body, &markdown::render(&body), ctx.now())?))?;
    }
    find_post_view(conn, actor, &acc, post_id)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Revision {
    pub body_md: String,
    pub body_html: String,
    pub replaced_at: When,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PostHistory {
    pub post: PostView,
    /// Earlier wordings, oldest first.
    pub revisions: Vec<Revision>,
}

/// A post's earlier wordings, for its author and the board's staff.
pub fn post_history(conn: &mut DbConn, actor: &Actor, post_id: &PostId) -> AppResult<PostHistory> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let (acc, ..) = question_access(conn, actor, &post.question_id)?;
    let me = actor.reader_id();
    let own = post.participant_id.as_deref() == Some(me) || post.author_user_id.as_deref() == Some(me);
    if !own && !acc.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    let zone = acc.zone();
    let revisions = db::posts::revisions(conn, post_id)?
        .into_iter()
        .map(|r| Revision { body_html: markdown::render(&r.body_md), body_md: r.body_md, replaced_at: When::new(&zone, r.replaced_at) })
        .collect();
    Ok(PostHistory { post: find_post_view(conn, actor, &acc, post_id)?, revisions })
}

/// A participant agrees with a post they can read, or takes their agreement back. Returns the
/// post as they now see it.
pub fn toggle_agree(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &PostId) -> AppResult<PostView> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let (acc, stage, _q) = question_access(conn, actor, &post.question_id)?;
    let me = match acc.standing {
        Standing::Participant => acc.participant()?.clone(),
        _ => return Err(AppError::forbidden("Only participants agree with posts.")),
    };
    let visible = can_read_post(conn, actor, &post)? && post.hidden_at.is_none();
    if !visible {
        return Err(AppError::not_found());
    }
    if post.participant_id.as_deref() == Some(me.id.as_str()) {
        return Err(AppError::invalid("You cannot agree with your own post."));
    }
    if let Some(why) = reply_refusal(acc.state(), stage_phase(stage.released_at, stage.close_at, ctx.now())) {
        return Err(AppError::Forbidden(why.into()));
    }
    db::posts::toggle_reaction(conn, &post, &me.id, ctx.now())?;
    find_post_view(conn, actor, &acc, post_id)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct VoteInput {
    pub answer: Answer,
    /// An optional comment, posted as the participant's written answer the first time.
    #[serde(default)]
    pub comment_md: Option<String>,
}

/// Casts or changes a participant's vote while the stage is open; every change is kept.
pub fn vote(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, question_id: &QuestionId, input: &VoteInput) -> AppResult<QuestionPage> {
    let (acc, stage, q) = question_access(conn, actor, question_id)?;
    let me = match acc.standing {
        Standing::Participant => acc.participant()?.clone(),
        _ => return Err(AppError::forbidden("Only participants vote.")),
    };
    let kind = q.kind;
    q.config.check_answer(kind, &input.answer).map_err(AppError::invalid)?;
    if let Some(why) = answer_refusal(acc.state(), stage_phase(stage.released_at, stage.close_at, ctx.now())) {
        return Err(AppError::Forbidden(why.into()));
    }
    let vote = crate::db::models::Vote {
        id: db::new_id(),
        board_id: q.board_id.clone(),
        question_id: q.id.clone(),
        participant_id: me.id.clone(),
        answer: JsonText::new(input.answer.clone())?,
        created_at: ctx.now(),
        superseded_at: None,
    };
    super::in_tx(conn, |conn| Ok(db::votes::cast(conn, &vote)?))?;
    let comment = input.comment_md.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(comment) = comment {
        if !db::posts::has_answered(conn, &me.id, &q.id)? {
            create_post(conn, ctx, actor, question_id, &PostInput { body_md: comment.into(), parent_id: None })?;
        }
    }
    question_page(conn, ctx, actor, question_id)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VoteRecord {
    pub participant_id: ParticipantId,
    pub answer: Answer,
    pub cast: When,
    /// When a later vote replaced it; empty for the current vote.
    pub superseded: Option<When>,
}

/// Every vote of a question, changed ones included, for the board's staff.
pub fn vote_history(conn: &mut DbConn, actor: &Actor, question_id: &QuestionId) -> AppResult<Vec<VoteRecord>> {
    let (acc, ..) = question_access(conn, actor, question_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Vote histories are for the board's staff."));
    }
    let zone = acc.zone();
    Ok(db::votes::history_of_question(conn, question_id)?
        .into_iter()
        .map(|v| VoteRecord {
            answer: v.answer.into_inner(),
            participant_id: v.participant_id,
            cast: When::new(&zone, v.created_at),
            superseded: When::opt(&zone, v.superseded_at),
        })
        .collect())
}

/// A vote submitted from the question page's form.
pub fn vote_from_form(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, question_id: &QuestionId, form: &HashMap<String, String>) -> AppResult<QuestionPage> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let answer = crate::domain::polls::answer_from_form(q.kind, q.config.options.len(), form).map_err(AppError::invalid)?;
    vote(conn, ctx, actor, question_id, &VoteInput { answer, comment_md: form.get("comment_md").cloned() })
}

/// The results of a voted question counting only the votes of one group, for staff.
pub fn results_for_group(conn: &mut DbConn, actor: &Actor, question_id: &QuestionId, group: &str) -> AppResult<Results> {
    let (acc, _stage, q) = question_access(conn, actor, question_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Results by group are for the board's staff."));
    }
    let kind = q.kind;
    if kind == QuestionKind::Discussion {
        return Err(AppError::invalid("This question takes written answers, not votes."));
    }
    let mut in_group: HashSet<ParticipantId> = HashSet::new();
    for p in db::participants::of_board(conn, &q.board_id)? {
        if p.group().is_some_and(|g| g.eq_ignore_ascii_case(group.trim())) {
            in_group.insert(p.id);
        }
    }
    let answers: Vec<Answer> =
        db::votes::current_of_question(conn, question_id)?.into_iter().filter(|v| in_group.contains(v.participant_id.as_str())).map(|v| v.answer.into_inner()).collect();
    Ok(tally(kind, &q.config, &answers))
}
