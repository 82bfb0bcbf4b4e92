//! The participant's pages: the board home (stages, questions, summaries, what is still to
//! answer) and the question page with the replies the reader may see. Staff see both as a
//! participant would ("view as").

use super::post_trees::{reactions_of, reactions_of_posts, recorder_names, thread_tree, Reader};
use super::rules::question_access;
use super::views::{participant_label, BoardView, PostView, QuestionView, StageView, SummaryView, When};
use super::{access, Access, Actor, Ctx};
use crate::db::models::{Participant, Question, Stage};
use crate::db::posts::PostOutline;
use crate::db::{self, DbConn};
use crate::domain::attributes::eligible_count;
use crate::domain::ids::{BoardId, ParticipantId, PostId, QuestionId, StageId};
use crate::domain::markdown;
use crate::domain::polls::{tally, Answer, QuestionKind, Results};
use crate::domain::roles::{Anonymity, BoardState, ResponseMode, Seen, Standing};
use crate::domain::threads::{self, PageSpan, PageWanted};
use crate::domain::visibility::{
    answer_refusal, for_group, participant_scope, reply_refusal, stage_phase, ReplyScope, StagePhase,
};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// Where a participant goes next.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NextSteps {
    /// The first question of a stage open now that still waits for their answer.
    pub next_question: Option<QuestionId>,
    /// When the next stage for them is released, if it has a time.
    pub next_release: Option<When>,
}

/// `NextSteps` from the board's stages and questions (in order) and what `me` has answered;
/// `here`, the question they are on, is not "next".
fn next_steps(
    me: &Participant,
    stages: &[Stage],
    questions: &[Question],
    answered: &HashSet<QuestionId>,
    here: Option<&QuestionId>,
    zone: &crate::domain::timezone::BoardZone,
    now: time::PrimitiveDateTime,
) -> NextSteps {
    let next_question = stages
        .iter()
        .filter(|s| stage_phase(s.released_at, s.close_at, now) == StagePhase::Open)
        .flat_map(|s| questions.iter().filter(move |q| q.stage_id == s.id).map(move |q| (s, q)))
        .find(|(s, q)| me.is_for(s, q) && !answered.contains(&q.id) && Some(&q.id) != here)
        .map(|(_, q)| q.id.clone());
    let next_release = stages
        .iter()
        .filter(|s| s.released_at.is_none() && for_group(&s.groups, me.group().as_deref()))
        .filter_map(|s| s.release_at)
        .min();
    NextSteps { next_question, next_release: When::opt(zone, next_release) }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantHome {
    pub board: BoardView,
    pub next: NextSteps,
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
pub fn participant_home_as(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    participant_id: &ParticipantId,
) -> AppResult<ParticipantHome> {
    let staff = access(conn, actor, board_id)?;
    let acc = as_participant(conn, staff, participant_id)?;
    home(conn, ctx, &acc, true)
}

/// Turns a staff member's access into the access of one participant of the same board.
fn as_participant(conn: &mut DbConn, staff: Access, participant_id: &ParticipantId) -> AppResult<Access> {
    if !staff.standing.sees_everything() {
        return Err(AppError::not_found());
    }
    let p = db::participants::find(conn, participant_id)?
        .filter(|p| p.board_id == staff.board.id)
        .ok_or_else(|| AppError::invalid_field("participant", "Choose a participant of this board."))?;
    // Staff who see pseudonyms see them here too, even where the participant reads names.
    let seen = if staff.seen == Seen::ByPseudonym { Seen::ByPseudonym } else { Seen::AsParticipant };
    let (board, state) = (staff.board, staff.state);
    Ok(Access { board, state, standing: Standing::Participant, seen, actor: Actor::Participant(p) })
}

/// Whom staff viewing the board as a participant are viewing as: name or pseudonym, by their
/// own rule, beside the screen name.
fn staff_label(acc: &Access, p: &Participant) -> String {
    let seen = if acc.seen == Seen::ByPseudonym { Seen::ByPseudonym } else { Seen::WithIdentities };
    participant_label(p.screen_name.as_deref(), &p.name, p.pseudonym_no, Anonymity::ScreenNames, seen)
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
        super::note_seen(ctx, &me, now);
    }
    let answered: HashSet<QuestionId> = db::posts::answered_questions(conn, &me.id)?
        .into_iter()
        .chain(db::votes::voted_questions(conn, &me.id)?)
        .collect();
    super::reads::flush_reader(conn, &ctx.reads, me.id.as_str())?;
    let unseen = db::posts::unseen_counts(conn, board_id, &me.id, false)?;
    let mut by_stage: HashMap<StageId, Vec<QuestionView>> = HashMap::new();
    let group = me.group();
    let all_questions = db::stages::questions_of_board(conn, board_id)?;
    let all_stages = db::stages::of_board(conn, board_id)?;
    let next = next_steps(&me, &all_stages, &all_questions, &answered, None, &zone, now);
    for q in all_questions {
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
    for s in all_stages {
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
            v.feedback =
                summaries.iter().filter(|f| f.shown_in_stage_id.as_deref() == Some(s.id.as_str())).cloned().collect();
            v.images = intro_images
                .iter()
                .filter(|i| i.stage_id.as_deref() == Some(s.id.as_str()))
                .map(|i| super::views::image_view(i, None))
                .collect();
            v
        })
        .collect();
    let questions = stages.iter().flat_map(|s| s.questions.iter());
    let unanswered = questions.clone().filter(|q| q.answered_by_you == Some(false)).count() as i64;
    let new_posts = questions.map(|q| q.new_posts).sum();
    let open_probes = super::moderation::open_probes(conn, acc, Some(&me.id))?;
    let closing_message_html = (acc.state() == BoardState::Closed || acc.state() == BoardState::Archived)
        .then(|| markdown::render(&acc.board.closing_message_md));
    Ok(ParticipantHome {
        next,
        board: BoardView::new(&acc.board, acc.standing),
        stages,
        unanswered,
        new_posts,
        open_probes,
        closing_message_html,
        viewing_as: observing.then(|| staff_label(acc, &me)),
    })
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionPage {
    pub board: BoardView,
    /// For a participant: where to go after this question.
    pub next: Option<NextSteps>,
    /// The vote form's options with the reader's current vote marked, and their rating.
    pub ballot: Vec<crate::domain::polls::BallotOption>,
    pub ballot_rating: Option<u32>,
    pub stage: StageView,
    pub question: QuestionView,
    /// One page of the threads the asker may read, each answer with its replies nested.
    pub posts: Vec<PostView>,
    /// Which page of the question's posts `posts` is.
    pub pages: PageSpan,
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
    /// When the page changes by itself, with nothing written: its stage closes.
    #[serde(skip)]
    pub changes_at: Option<time::PrimitiveDateTime>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PersonRef {
    pub id: ParticipantId,
    pub name: String,
    pub screen_name: Option<String>,
}

/// Which page of a question's posts to show: by number, or the page that holds a post (how
/// links to one post reach it). Neither gives the first page.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct PageAt {
    /// The page, from 1; past the last, the last.
    pub page: Option<usize>,
    /// The page holding this post; a post the reader may not see gives the first page.
    pub post: Option<PostId>,
}

/// The version of the board `question_id` is on, moved on by every change to what its pages
/// show (`db::boards::version_of_question`). It tells nothing about the board's content, so it
/// needs no permission: it only decides whether a page made earlier for the same reader, after
/// that reader's own checks, is still the page they would get now.
pub fn board_version(conn: &mut DbConn, question_id: &QuestionId) -> AppResult<Option<i64>> {
    Ok(db::boards::version_of_question(conn, question_id)?)
}

pub fn question_page(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    at: &PageAt,
) -> AppResult<QuestionPage> {
    let (acc, stage, q) = question_access(conn, actor, question_id)?;
    render_question(conn, ctx, acc, stage, q, at, false)
}

/// The question exactly as participant `participant_id` sees it (post-first and private rules
/// included), for the board's staff; nothing can be posted from it.
pub fn question_page_as(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    question_id: &QuestionId,
    participant_id: &ParticipantId,
    at: &PageAt,
) -> AppResult<QuestionPage> {
    let (staff, stage, q) = question_access(conn, actor, question_id)?;
    let acc = as_participant(conn, staff, participant_id)?;
    let for_them = match &acc.actor {
        Actor::Participant(p) => p.is_for(&stage, &q),
        Actor::User(_) | Actor::System => false,
    };
    if stage.released_at.is_none() || !for_them {
        return Err(AppError::not_found());
    }
    render_question(conn, ctx, acc, stage, q, at, true)
}

fn render_question(
    conn: &mut DbConn,
    ctx: &Ctx,
    acc: Access,
    stage: Stage,
    q: Question,
    at: &PageAt,
    observing: bool,
) -> AppResult<QuestionPage> {
    let question_id = &q.id;
    let actor = &acc.actor;
    let zone = acc.zone();
    let now = ctx.now();
    let mode = q.mode;
    let outline = ctx.outlines.of(conn, question_id)?;
    let me = actor.reader_id().to_string();
    let mut question = QuestionView::new(&q, &zone);
    let phase = stage_phase(stage.released_at, stage.close_at, now);
    let state = acc.state();
    let kind = q.kind;
    let votes =
        if kind == QuestionKind::Discussion { Vec::new() } else { db::votes::current_of_question(conn, question_id)? };
    let your_vote: Option<Answer> = votes.iter().find(|v| v.participant_id == me).map(|v| v.answer.get().clone());

    let (visible, hidden_answers, your_answer_id, can_answer, can_reply, refusal) = match acc.standing {
        Standing::Participant => {
            let own_answer = outline.iter().find(|p| p.parent_id.is_none() && p.participant_id.as_deref() == Some(&me));
            let your_answer_id = own_answer.map(|p| p.id.clone());
            let has_answered = your_answer_id.is_some() || your_vote.is_some();
            let scope = participant_scope(mode, has_answered);
            let own_threads: HashSet<&str> = outline
                .iter()
                .filter(|p| p.parent_id.is_none() && p.participant_id.as_deref() == Some(&me))
                .map(|p| p.id.as_str())
                .collect();
            let visible: Vec<&PostOutline> = outline
                .iter()
                .filter(|p| scope == ReplyScope::All || own_threads.contains(p.thread_id.as_str()))
                // Private probes and the answers to them reach one participant only.
                .filter(|p| p.private_to.as_deref().is_none_or(|to| to == me))
                .collect();
            let hidden = if mode == ResponseMode::PostFirst && scope == ReplyScope::OwnThreads {
                outline.iter().filter(|p| p.parent_id.is_none()).count() as i64
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
            let invited = eligible_count(
                db::participants::of_board(conn, &acc.board.id)?.iter().map(|p| p.group()),
                &stage.groups,
                &q.groups,
            );
            let answered: HashSet<&str> = outline
                .iter()
                .filter(|p| p.parent_id.is_none())
                .filter_map(|p| p.participant_id.as_deref())
                .chain(votes.iter().map(|v| v.participant_id.as_str()))
                .collect();
            question.answered_count = Some(answered.len() as i64);
            question.participant_count = Some(invited);
            let can_reply = standing.can_manage() && reply_refusal(state, phase).is_none();
            (outline.iter().collect(), 0, None, false, can_reply, None)
        }
    };
    // One page of the threads in reading order; a question of any length costs one page.
    let order =
        threads::reading_order(&visible.iter().map(|p| (p.id.as_str(), p.parent_id.as_deref())).collect::<Vec<_>>());
    let wanted = match at {
        PageAt { post: Some(post), .. } => {
            order.iter().position(|&i| visible[i].id == *post).map_or(PageWanted::First, PageWanted::Holding)
        }
        PageAt { page: Some(n), .. } => PageWanted::Number(*n),
        PageAt { .. } => PageWanted::First,
    };
    let span = PageSpan::of(order.len(), wanted);
    let anonymity = acc.board.anonymity;
    let (shown, reactions) = if span.is_whole() && visible.len() == outline.len() {
        // The common case, every post on one page: the fixed statements by question.
        (db::posts::of_question(conn, question_id)?, reactions_of(conn, question_id, anonymity, acc.seen)?)
    } else {
        let ids: Vec<PostId> = order[span.start..span.end].iter().map(|&i| visible[i].id.clone()).collect();
        let mut rows = db::posts::authored_many(conn, &ids)?;
        let position: HashMap<&PostId, usize> = ids.iter().enumerate().map(|(n, id)| (id, n)).collect();
        rows.sort_by_key(|ap| position.get(&ap.post.id).copied().unwrap_or(usize::MAX));
        (rows, reactions_of_posts(conn, &ids, anonymity, acc.seen)?)
    };
    let recorders = recorder_names(conn, &shown)?;
    // Images of posts the reader may not see are never looked up: the threads hold visible posts.
    let on_page: HashSet<&PostId> = shown.iter().map(|ap| &ap.post.id).collect();
    let mut post_images: HashMap<PostId, Vec<super::views::ImageView>> = HashMap::new();
    for image in db::images::of_question(conn, question_id)? {
        match &image.post_id {
            Some(pid) if on_page.contains(pid) => {
                post_images.entry(pid.clone()).or_default().push(super::views::image_view(&image, Some(question_id)))
            }
            Some(_) => {}
            None => question.images.push(super::views::image_view(&image, Some(question_id))),
        }
    }
    let posts = thread_tree(
        &shown.iter().collect::<Vec<_>>(),
        &Reader {
            me: &me,
            zone: &zone,
            anonymity,
            standing: acc.standing,
            seen: acc.seen,
            recorders: &recorders,
            reactions: &reactions,
            images: &post_images,
        },
    );
    // A view notes its "read" mark only when it shows a post newer than the last one, and the
    // marks are written together later (`reads`): a view never waits for the database's
    // writer. The mark is the newest post shown, so newer posts on other pages stay new.
    if !observing {
        if let Some(latest) = shown.iter().map(|ap| ap.post.created_at).max() {
            let stored = db::posts::read_mark(conn, question_id, &me)?;
            if stored.max(ctx.reads.pending(&me, question_id)).is_none_or(|mark| latest > mark) {
                ctx.reads.note(&me, question_id, latest, stored.is_some());
            }
        }
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
        // Named as the asker may see them: names, or pseudonyms.
        let named = acc.seen == Seen::WithIdentities;
        let mut rows = rows;
        if !named {
            rows.sort_by_key(|p| p.pseudonym_no);
        }
        let people = rows
            .into_iter()
            .map(|p| PersonRef {
                name: if named { p.name } else { crate::domain::roles::pseudonym(p.pseudonym_no) },
                id: p.id,
                screen_name: p.screen_name,
            })
            .collect();
        (super::moderation::notes_for(conn, &acc, Some(question_id))?, people, groups.into_iter().collect())
    } else {
        (Vec::new(), Vec::new(), Vec::new())
    };
    let viewing_as = participant.filter(|_| observing).map(|p| staff_label(&acc, p));
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
    // Where a participant goes after this question, once they have answered it.
    let next = match (&acc.actor, observing) {
        (Actor::Participant(p), false) if your_answer_id.is_some() || your_vote.is_some() => {
            let answered: HashSet<QuestionId> = db::posts::answered_questions(conn, &p.id)?
                .into_iter()
                .chain(db::votes::voted_questions(conn, &p.id)?)
                .collect();
            let stages = db::stages::of_board(conn, &acc.board.id)?;
            let questions = db::stages::questions_of_board(conn, &acc.board.id)?;
            Some(next_steps(p, &stages, &questions, &answered, Some(question_id), &zone, now))
        }
        _ => None,
    };
    let (ballot, ballot_rating) = crate::domain::polls::ballot(&q.config, your_vote.as_ref());
    Ok(QuestionPage {
        next,
        ballot,
        ballot_rating,
        changes_at: stage.close_at.filter(|&at| at > now),
        results,
        your_vote,
        groups,
        board: BoardView::new(&acc.board, acc.standing),
        stage: stage_view,
        question,
        posts,
        pages: span,
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
