//! What every export reads: the board's frame (stages, questions, participants with their
//! pseudonyms, the codebook, memos), loaded once, and the replies, read in batches in a stable
//! order so that memory does not grow with the size of the board.

use super::format::ExportOptions;
use crate::db::models::{Board, Code, Coding, Excerpt, Memo, Participant, Post, Question, Stage};
use crate::db::{self, DbConn};
use crate::domain::codebook;
use crate::domain::ids::{CodeId, ExcerptId, ImageId, ParticipantId, PostId, QuestionId, StageId, UserId};
use crate::domain::redaction::{Redacted, Redactor};
use crate::domain::roles::ResponseMode;
use crate::domain::timezone::BoardZone;
use crate::error::AppResult;
use crate::service::analysis::{pseudonyms, tree_order};
use std::collections::{BTreeSet, HashMap, HashSet};
use time::PrimitiveDateTime;

/// What a reply to a post removed with its author's withdrawal says it answers.
pub const REMOVED_PARENT: &str = "a withdrawn participant's post was removed";

/// How many replies are read and written at a time.
pub const BATCH: i64 = 1000;

pub struct Frame {
    pub board: Board,
    pub zone: BoardZone,
    pub options: ExportOptions,
    pub redactor: Redactor,
    /// In board order.
    pub stages: Vec<Stage>,
    /// In board order: by stage, then position. Private questions only when chosen.
    pub questions: Vec<Question>,
    question_index: HashMap<QuestionId, usize>,
    stage_index: HashMap<StageId, usize>,
    /// In pseudonym order (P01 first).
    pub people: Vec<Participant>,
    pub ids: HashMap<ParticipantId, String>,
    person_index: HashMap<ParticipantId, usize>,
    /// Every attribute name participants have, sorted.
    pub attributes: Vec<String>,
    /// Each participant's attributes, read once when the frame loads (bad stored data fails
    /// the export instead of showing as empty).
    /// The codebook in tree order, with depth.
    pub codes: Vec<(Code, usize)>,
    code_index: HashMap<CodeId, usize>,
    /// Memos on codes and on replies that are exported.
    pub memos: Vec<Memo>,
    /// Indexes into `memos` by the reply they are about.
    memos_by_post: HashMap<PostId, Vec<usize>>,
    /// Names of the staff who coded or wrote memos, by user id.
    pub coders: Vec<(UserId, String)>,
}

/// A reply with what exports show of it.
pub struct Reply {
    pub post: Post,
    /// P07, or "moderator".
    pub author: String,
    /// "P01 <post id>" of the post this one answers, or `REMOVED_PARENT`.
    pub in_reply_to: Option<String>,
    pub excerpts: Vec<(Excerpt, Vec<Coding>)>,
    /// How many participants agreed with the post.
    pub agrees: i64,
    /// Images attached to the post: (id, alt text).
    pub images: Vec<(ImageId, String)>,
}

/// Which replies to read.
#[derive(Clone, Copy)]
pub enum Scope<'a> {
    Board,
    Question(&'a QuestionId),
    Participant(&'a ParticipantId),
}

impl Frame {
    pub fn load(conn: &mut DbConn, board: Board, options: ExportOptions) -> AppResult<Frame> {
        let board_id = board.id.clone();
        let mut stages = db::stages::of_board(conn, &board_id)?;
        stages.sort_by_key(|s| s.position);
        let stage_index: HashMap<StageId, usize> = stages.iter().enumerate().map(|(i, s)| (s.id.clone(), i)).collect();
        let mut questions: Vec<Question> = db::stages::questions_of_board(conn, &board_id)?
            .into_iter()
            .filter(|q| options.include_private || q.mode != ResponseMode::Private)
            .collect();
        questions.sort_by_key(|q| (stage_index.get(&q.stage_id).copied(), q.position));
        let question_index = questions.iter().enumerate().map(|(i, q)| (q.id.clone(), i)).collect();
        let mut people = db::participants::of_board(conn, &board_id)?;
        let ids = pseudonyms(&people);
        // By number: "P100" comes after "P99", not after "P10".
        people.sort_by_key(|p| p.pseudonym_no);
        let person_index = people.iter().enumerate().map(|(i, p)| (p.id.clone(), i)).collect();
        let attributes = crate::domain::attributes::names_in(people.iter().map(|p| p.attributes.get()));
        let codes = tree_order(db::analysis::codes_of_board(conn, &board_id)?);
        let code_index = codes.iter().enumerate().map(|(i, (c, _))| (c.id.clone(), i)).collect();
        let redactor = Redactor::new(options.redact.as_deref());
        let mut frame = Frame {
            board,
            zone: BoardZone::of(""),
            options,
            redactor,
            stages,
            questions,
            question_index,
            stage_index,
            people,
            ids,
            person_index,
            attributes,
            codes,
            code_index,
            memos: vec![],
            memos_by_post: HashMap::new(),
            coders: vec![],
        };
        frame.zone = BoardZone::of(&frame.board.time_zone);
        // Memos on replies that are left out of the export stay out with them.
        let memos = db::analysis::memos_of_board(conn, &board_id)?;
        let memo_posts: Vec<PostId> =
            memos.iter().filter_map(|m| m.post_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let exported: HashSet<PostId> =
            db::posts::find_many(conn, &memo_posts)?.into_iter().filter(|p| frame.included(p)).map(|p| p.id).collect();
        frame.memos = memos.into_iter().filter(|m| m.post_id.as_ref().is_none_or(|p| exported.contains(p))).collect();
        for (i, m) in frame.memos.iter().enumerate() {
            if let Some(post) = &m.post_id {
                frame.memos_by_post.entry(post.clone()).or_default().push(i);
            }
        }
        let coder_ids: Vec<UserId> = db::analysis::coders_of_board(conn, &board_id)?
            .into_iter()
            .chain(frame.memos.iter().map(|m| m.created_by.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        frame.coders = db::users::names(conn, &coder_ids)?;
        frame.coders.sort();
        Ok(frame)
    }

    /// Whether a post is exported, by the exporter's choices.
    pub fn included(&self, p: &Post) -> bool {
        self.question_index.contains_key(p.question_id.as_str())
            && p.removed_at.is_none()
            && (self.options.include_hidden || p.hidden_at.is_none())
            && (self.options.include_private || p.private_to.is_none())
            && (self.options.include_moderators || p.participant_id.is_some())
    }

    /// The memos about one reply.
    pub fn memos_of(&self, post_id: &PostId) -> impl Iterator<Item = &Memo> {
        self.memos_by_post.get(post_id.as_str()).into_iter().flatten().map(|&i| &self.memos[i])
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.question_index.get(id).map(|&i| &self.questions[i])
    }

    pub fn stage_of(&self, q: &Question) -> Option<&Stage> {
        self.stage_index.get(q.stage_id.as_str()).map(|&i| &self.stages[i])
    }

    pub fn code(&self, id: &str) -> Option<&Code> {
        self.code_index.get(id).map(|&i| &self.codes[i].0)
    }

    pub fn person(&self, id: Option<&str>) -> Option<&Participant> {
        id.and_then(|id| self.person_index.get(id)).map(|&i| &self.people[i])
    }

    /// A participant's attribute as text ("" when they have none).
    pub fn attribute(&self, p: &Participant, name: &str) -> String {
        crate::domain::attributes::attribute_text(&p.attributes, name)
    }

    pub fn pseudonym(&self, participant_id: Option<&ParticipantId>) -> String {
        participant_id.and_then(|id| self.ids.get(id.as_str()).cloned()).unwrap_or_else(|| "moderator".into())
    }

    pub fn time(&self, t: PrimitiveDateTime) -> String {
        self.zone.to_rfc3339(t)
    }

    /// A question's prompt, redacted, on one line.
    /// The question's text as plain words: exports are read in programs that do not render
    /// markdown.
    pub fn prompt(&self, q: &Question) -> String {
        self.redactor.text(&crate::domain::markdown::one_line(&q.prompt_md))
    }

    /// The reply's text with names redacted, and how positions moved.
    pub fn text(&self, reply: &Reply) -> Redacted {
        self.redactor.apply(&reply.post.body_md)
    }

    /// Where an excerpt is in the (redacted) text, in characters; None for the whole reply or
    /// when the reply was edited so that the excerpt is no longer in it.
    pub fn excerpt_range(&self, reply: &Reply, text: &Redacted, e: &Excerpt) -> Option<(usize, usize)> {
        let (start, end) = (e.start_char?, e.end_char?);
        let (start, end) = codebook::locate_excerpt(&reply.post.body_md, start as usize, end as usize, &e.text)?;
        Some((text.position(start), text.end_position(end)))
    }

    /// The names of the codes on a reply (whole or excerpts), in codebook order.
    pub fn code_names(&self, reply: &Reply) -> Vec<String> {
        let mut idx: Vec<usize> = reply
            .excerpts
            .iter()
            .flat_map(|(_, c)| c.iter().filter_map(|c| self.code_index.get(c.code_id.as_str()).copied()))
            .collect();
        idx.sort_unstable();
        idx.dedup();
        idx.into_iter().map(|i| self.codes[i].0.name.clone()).collect()
    }

    pub fn source(&self, p: &Post) -> String {
        p.source.described(p.recorded_by.is_some())
    }

    /// Calls `f` with the included replies of `scope`, a batch at a time, oldest first, each
    /// with its codings, agreements and images.
    pub fn each_batch(
        &self,
        conn: &mut DbConn,
        scope: Scope,
        mut f: impl FnMut(&mut DbConn, &[Reply]) -> AppResult<()>,
    ) -> AppResult<()> {
        self.each_post_batch(conn, scope, |conn, posts| {
            let replies = self.replies(conn, posts)?;
            f(conn, &replies)
        })
    }

    /// Calls `f` with the included posts of `scope` alone, a batch at a time, oldest first.
    pub fn each_post_batch(
        &self,
        conn: &mut DbConn,
        scope: Scope,
        mut f: impl FnMut(&mut DbConn, Vec<Post>) -> AppResult<()>,
    ) -> AppResult<()> {
        let mut after: Option<(PrimitiveDateTime, PostId)> = None;
        loop {
            // A question or participant belongs to one board; filtering by it alone lets the
            // database use that column's index.
            let of = match scope {
                Scope::Board => db::posts::PostScope::Board(&self.board.id),
                Scope::Question(q) => db::posts::PostScope::Question(q),
                Scope::Participant(p) => db::posts::PostScope::Participant(p),
            };
            let batch: Vec<Post> = db::posts::batch(conn, of, after.as_ref(), BATCH)?;
            let Some(last) = batch.last() else { return Ok(()) };
            after = Some((last.created_at, last.id.clone()));
            let full = batch.len() as i64 == BATCH;
            let included: Vec<Post> = batch.into_iter().filter(|p| self.included(p)).collect();
            if !included.is_empty() {
                f(conn, included)?;
            }
            if !full {
                return Ok(());
            }
        }
    }

    /// Included posts with their parents' authors, codings, agreements and images: five
    /// queries.
    fn replies(&self, conn: &mut DbConn, batch: Vec<Post>) -> AppResult<Vec<Reply>> {
        let ids: Vec<PostId> = batch.iter().map(|p| p.id.clone()).collect();
        let parent_ids: Vec<PostId> =
            batch.iter().filter_map(|p| p.parent_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
        let parents: HashMap<PostId, (Option<ParticipantId>, bool)> = if parent_ids.is_empty() {
            HashMap::new()
        } else {
            db::posts::authors_of_posts(conn, &parent_ids)?
                .into_iter()
                .map(|(id, p, removed)| (id, (p, removed)))
                .collect()
        };
        let mut excerpts: HashMap<PostId, Vec<(Excerpt, Vec<Coding>)>> = HashMap::new();
        let mut codings: HashMap<ExcerptId, Vec<Coding>> = HashMap::new();
        for c in db::analysis::codings_of_posts(conn, &ids)? {
            codings.entry(c.excerpt_id.clone()).or_default().push(c);
        }
        for e in db::analysis::excerpts_of_posts(conn, &ids)? {
            let mine = codings.remove(e.id.as_str()).unwrap_or_default();
            excerpts.entry(e.post_id.clone()).or_default().push((e, mine));
        }
        let mut agrees: HashMap<PostId, i64> = db::posts::agree_counts(conn, &ids)?.into_iter().collect();
        let mut images: HashMap<PostId, Vec<(ImageId, String)>> = HashMap::new();
        for (post, id, alt) in db::images::alt_texts_of_posts(conn, &ids)? {
            images.entry(post).or_default().push((id, alt));
        }
        Ok(batch
            .into_iter()
            .map(|post| Reply {
                agrees: agrees.remove(&post.id).unwrap_or(0),
                images: images.remove(post.id.as_str()).unwrap_or_default(),
                author: self.pseudonym(post.participant_id.as_ref()),
                in_reply_to: post.parent_id.as_ref().map(|parent| match parents.get(parent) {
                    Some((_, true)) => REMOVED_PARENT.to_string(),
                    found => format!("{} {parent}", self.pseudonym(found.and_then(|(p, _)| p.as_ref()))),
                }),
                excerpts: excerpts.remove(post.id.as_str()).unwrap_or_default(),
                post,
            })
            .collect())
    }
}
