//! Coding whole replies or excerpts, quotes, memos on replies, and the coding page.

use super::codebook::{code_access, code_views, CodeView};
use super::shared::*;
use crate::db::models::{Code, Coding, Excerpt, Memo, Post};
use crate::db::posts::AuthoredPost;
use crate::db::{self, DbConn};
use crate::domain::codebook::{self};
use crate::domain::ids::{BoardId, CodeId, ExcerptId, PostId, QuestionId, UserId};
use crate::error::{AppError, AppResult};
use crate::service::views::When;
use crate::service::{in_tx, optional_text, required, Access, Actor, Ctx, Field};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodingView {
    pub id: String,
    pub code_id: CodeId,
    pub code: String,
    pub colour: String,
    pub by: String,
    pub at: When,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExcerptView {
    pub id: ExcerptId,
    pub post_id: PostId,
    /// Characters of the reply's text; absent for the whole reply.
    pub start: Option<i32>,
    pub end: Option<i32>,
    pub whole: bool,
    pub text: String,
    pub is_quote: bool,
    pub by: String,
    pub at: When,
    pub codings: Vec<CodingView>,
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CodingInput {
    /// Codes to apply; may be empty when only marking a quote or adding a memo.
    #[serde(default)]
    pub code_ids: Vec<CodeId>,
    /// The selection in characters of the reply's text (start inclusive, end exclusive).
    /// Leave both out to code the whole reply.
    #[serde(default)]
    pub start: Option<i32>,
    #[serde(default)]
    pub end: Option<i32>,
    /// The selected text. With start and end it must match the reply there; alone, its first
    /// occurrence in the reply is used.
    #[serde(default)]
    pub excerpt: Option<String>,
    /// Mark the selection as a quote.
    #[serde(default)]
    pub quote: bool,
    /// A memo about the reply.
    #[serde(default)]
    pub memo: Option<String>,
}

/// The reply and its board, for someone who may code it.
fn post_access(conn: &mut DbConn, actor: &Actor, post_id: &PostId) -> AppResult<(Access, Post)> {
    let post = db::posts::find(conn, post_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &post.board_id)?;
    Ok((acc, post))
}

/// The character range a coding input selects in `body`, or None for the whole reply.
fn selection(body: &str, input: &CodingInput) -> AppResult<Option<(usize, usize, String)>> {
    let length = body.chars().count();
    let excerpt = input.excerpt.as_deref().filter(|e| !e.trim().is_empty());
    match (input.start, input.end) {
        (Some(start), Some(end)) => {
            if start < 0 || end <= start || end as usize > length {
                return Err(AppError::invalid(format!(
                    "The selection {start}..{end} is not within the reply, which has {length} characters."
                )));
            }
            let text = codebook::char_slice(body, start as usize, end as usize);
            if excerpt.is_some_and(|e| e != text) {
                return Err(AppError::Conflict("The selected text is no longer in the reply at that place (it may have been edited). Please select it again.".into()));
            }
            Ok(Some((start as usize, end as usize, text)))
        }
        (None, None) => match excerpt {
            Some(e) => {
                let (start, end) = codebook::find_chars(body, e).ok_or_else(|| {
                    AppError::invalid_field(
                        "excerpt",
                        "The excerpt is not in the reply's text; copy it exactly as written.",
                    )
                })?;
                Ok(Some((start, end, e.to_string())))
            }
            None => Ok(None),
        },
        _ => {
            Err(AppError::invalid("Give both the start and the end of the selection, or neither for the whole reply."))
        }
    }
}

/// Codes a reply or an excerpt of it, marks it as a quote, and adds a memo, as one action.
pub fn code_post(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    post_id: &PostId,
    input: &CodingInput,
) -> AppResult<ExcerptView> {
    let (acc, post) = post_access(conn, actor, post_id)?;
    let me = acc.actor.user()?.id.clone();
    let memo = optional_text(Field("memo", "Memo"), input.memo.as_deref().unwrap_or(""), 20_000)?;
    if input.code_ids.is_empty() && !input.quote {
        return Err(AppError::invalid_field(
            "code_ids",
            "Choose at least one code or mark the selection as a quote (a memo alone goes to the reply's memos).",
        ));
    }
    let range = selection(&post.body_md, input)?;
    let excerpt_id = in_tx(conn, |conn| {
        let codes: HashMap<CodeId, Code> =
            db::analysis::codes_of_board(conn, &acc.board.id)?.into_iter().map(|c| (c.id.clone(), c)).collect();
        if let Some(missing) = input.code_ids.iter().find(|id| !codes.contains_key(*id)) {
            return Err(AppError::invalid_field(
                "code_ids",
                format!("The code {missing} is not in this board's codebook."),
            ));
        }
        let (start, end) = (range.as_ref().map(|r| r.0 as i32), range.as_ref().map(|r| r.1 as i32));
        let excerpt = match db::analysis::excerpt_with_range(conn, &post.id, start, end)? {
            Some(e) => e,
            None => {
                let e = Excerpt {
                    id: db::new_id(),
                    board_id: acc.board.id.clone(),
                    post_id: post.id.clone(),
                    start_char: start,
                    end_char: end,
                    text: range.as_ref().map(|r| r.2.clone()).unwrap_or_else(|| post.body_md.clone()),
                    is_quote: false,
                    created_by: me.clone(),
                    created_at: ctx.now(),
                };
                db::analysis::insert_excerpt(conn, &e)?;
                e
            }
        };
        if input.quote && !excerpt.is_quote {
            db::analysis::set_quote(conn, &excerpt.id, true)?;
        }
        for code_id in &input.code_ids {
            if !db::analysis::coding_exists(conn, &excerpt.id, code_id)? {
                db::analysis::insert_coding(
                    conn,
                    &Coding {
                        id: db::new_id(),
                        board_id: acc.board.id.clone(),
                        excerpt_id: excerpt.id.clone(),
                        post_id: post.id.clone(),
                        code_id: code_id.clone(),
                        created_by: me.clone(),
                        created_at: ctx.now(),
                        batch_id: None,
                    },
                )?;
            }
        }
        if !memo.is_empty() {
            // Written about a selection, it belongs to that excerpt (and shows with the reply).
            let on = MemoOn::Post(&post.id, range.as_ref().map(|_| &excerpt.id));
            insert_memo(conn, ctx, &acc, on, &memo)?;
        }
        Ok(excerpt.id)
    })?;
    excerpt_views(conn, &acc, std::slice::from_ref(&post.id))?
        .into_iter()
        .find(|e| e.id == excerpt_id)
        .ok_or_else(AppError::not_found)
}

/// What a memo is about: a reply (and perhaps one excerpt of it), or a code.
enum MemoOn<'a> {
    Post(&'a PostId, Option<&'a ExcerptId>),
    Code(&'a CodeId),
}

fn insert_memo(conn: &mut DbConn, ctx: &Ctx, acc: &Access, on: MemoOn, body: &str) -> AppResult<Memo> {
    let (post_id, excerpt_id, code_id) = match on {
        MemoOn::Post(post, excerpt) => (Some(post.clone()), excerpt.cloned(), None),
        MemoOn::Code(code) => (None, None, Some(code.clone())),
    };
    let memo = Memo {
        id: db::new_id(),
        board_id: acc.board.id.clone(),
        post_id,
        code_id,
        body: body.to_string(),
        created_by: acc.actor.user()?.id.clone(),
        created_at: ctx.now(),
        excerpt_id,
    };
    db::analysis::insert_memo(conn, &memo)?;
    Ok(memo)
}

/// Excerpts (with their codings) of some replies, in four queries.
fn excerpt_views(conn: &mut DbConn, acc: &Access, post_ids: &[PostId]) -> AppResult<Vec<ExcerptView>> {
    let excerpts = db::analysis::excerpts_of_posts(conn, post_ids)?;
    let codings = db::analysis::codings_of_posts(conn, post_ids)?;
    let codes: HashMap<CodeId, Code> =
        db::analysis::codes_of_board(conn, &acc.board.id)?.into_iter().map(|c| (c.id.clone(), c)).collect();
    let names = crate::service::user_names(
        conn,
        excerpts.iter().map(|e| e.created_by.clone()).chain(codings.iter().map(|c| c.created_by.clone())),
    )?;
    Ok(build_excerpt_views(excerpts, codings, &codes, &names, acc))
}

fn build_excerpt_views(
    excerpts: Vec<Excerpt>,
    codings: Vec<Coding>,
    codes: &HashMap<CodeId, Code>,
    names: &HashMap<UserId, String>,
    acc: &Access,
) -> Vec<ExcerptView> {
    let zone = acc.zone();
    let mut by_excerpt: HashMap<ExcerptId, Vec<Coding>> = HashMap::new();
    for c in codings {
        by_excerpt.entry(c.excerpt_id.clone()).or_default().push(c);
    }
    excerpts
        .into_iter()
        .map(|e| ExcerptView {
            codings: by_excerpt
                .remove(e.id.as_str())
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| {
                    let code = codes.get(c.code_id.as_str())?;
                    Some(CodingView {
                        code_id: code.id.clone(),
                        code: code.name.clone(),
                        colour: code.colour.clone(),
                        by: names.get(c.created_by.as_str()).cloned().unwrap_or_default(),
                        at: When::new(&zone, c.created_at),
                        id: c.id,
                    })
                })
                .collect(),
            whole: e.start_char.is_none(),
            by: names.get(e.created_by.as_str()).cloned().unwrap_or_default(),
            at: When::new(&zone, e.created_at),
            id: e.id,
            post_id: e.post_id,
            start: e.start_char,
            end: e.end_char,
            text: e.text,
            is_quote: e.is_quote,
        })
        .collect()
}

/// Removes one coding; an excerpt left with no codes and no quote mark goes too.
pub fn remove_coding(conn: &mut DbConn, actor: &Actor, coding_id: &str) -> AppResult<BoardId> {
    let coding = db::analysis::find_coding(conn, coding_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &coding.board_id)?;
    in_tx(conn, |conn| {
        db::analysis::delete_coding(conn, &coding.id)?;
        let excerpt = db::analysis::find_excerpt(conn, &coding.excerpt_id)?;
        if excerpt.is_some_and(|e| !e.is_quote) && db::analysis::codings_left_on_excerpt(conn, &coding.excerpt_id)? == 0
        {
            db::analysis::delete_excerpt(conn, &coding.excerpt_id)?;
        }
        Ok(())
    })?;
    Ok(acc.board.id)
}

/// Marks or unmarks an excerpt as a quote; unmarked and uncoded, it goes.
pub fn set_quote(conn: &mut DbConn, actor: &Actor, excerpt_id: &ExcerptId, is_quote: bool) -> AppResult<BoardId> {
    let excerpt = db::analysis::find_excerpt(conn, excerpt_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &excerpt.board_id)?;
    in_tx(conn, |conn| {
        db::analysis::set_quote(conn, &excerpt.id, is_quote)?;
        if !is_quote && db::analysis::codings_left_on_excerpt(conn, &excerpt.id)? == 0 {
            db::analysis::delete_excerpt(conn, &excerpt.id)?;
        }
        Ok(())
    })?;
    Ok(acc.board.id)
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct MemoInput {
    pub body: String,
}

pub fn add_post_memo(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    post_id: &PostId,
    input: &MemoInput,
) -> AppResult<MemoView> {
    let (acc, post) = post_access(conn, actor, post_id)?;
    let body = required(Field("body", "Memo"), &input.body, 20_000)?;
    let memo = insert_memo(conn, ctx, &acc, MemoOn::Post(&post.id, None), &body)?;
    let names = crate::service::user_names(conn, [memo.created_by.clone()])?;
    Ok(memo_view(&memo, &names, &acc))
}

pub fn add_code_memo(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    code_id: &CodeId,
    input: &MemoInput,
) -> AppResult<MemoView> {
    let (acc, code) = code_access(conn, actor, code_id)?;
    let body = required(Field("body", "Memo"), &input.body, 20_000)?;
    let memo = insert_memo(conn, ctx, &acc, MemoOn::Code(&code.id), &body)?;
    let names = crate::service::user_names(conn, [memo.created_by.clone()])?;
    Ok(memo_view(&memo, &names, &acc))
}

/// A memo is deleted by its author, or by a moderator.
pub fn delete_memo(conn: &mut DbConn, actor: &Actor, memo_id: &str) -> AppResult<BoardId> {
    let memo = db::analysis::find_memo(conn, memo_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &memo.board_id)?;
    if acc.actor.user()?.id != memo.created_by && !acc.standing.can_manage() {
        return Err(AppError::forbidden("Only its author or a moderator can delete a memo."));
    }
    db::analysis::delete_memo(conn, &memo.id)?;
    Ok(acc.board.id)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReplyForCoding {
    pub id: PostId,
    /// P07, or "moderator".
    pub participant: String,
    /// The reply's text as written; excerpts count characters of it.
    pub text: String,
    pub time: When,
    pub hidden: bool,
    pub private: bool,
    pub is_probe: bool,
    /// The post this one answers.
    pub in_reply_to: Option<PostId>,
    pub source: String,
    pub excerpts: Vec<ExcerptView>,
    /// The text cut where coded excerpts begin and end, for the page to mark them.
    pub segments: Vec<Segment>,
    /// The post it answers, for a reply in a thread: its author and its first words.
    pub parent: Option<String>,
    pub memos: Vec<MemoView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodingPage {
    /// Replies to the question, before the filter.
    pub total: usize,
    pub uncoded_only: bool,
    pub code: Option<String>,
    pub board_id: BoardId,
    pub board_title: String,
    pub question_id: QuestionId,
    pub stage_title: String,
    pub prompt_md: String,
    pub replies: Vec<ReplyForCoding>,
    pub codebook: Vec<CodeView>,
}

/// A question's replies with their excerpts, codings and memos, for coding. Hidden and private
/// replies are shown, marked, since analysts decide what to use.
/// Which replies a coding page shows.
#[derive(Debug, Clone, Default, Deserialize, ToSchema, utoipa::IntoParams)]
pub struct CodingFilter {
    /// Only replies with no code yet.
    #[serde(default)]
    pub uncoded: bool,
    /// Only replies with this code (on the whole reply or an excerpt).
    #[serde(default)]
    pub code: Option<String>,
}

/// A piece of a reply's text: coded (with the colour of its first code, and every code's name)
/// or not.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Segment {
    pub text: String,
    pub colour: Option<String>,
    /// The stylesheet class that tints it: `c0`…`c7` for the palette's colours, `c-other`.
    pub tint: Option<String>,
    pub codes: String,
}

/// Cuts `text` at the start and end of each excerpt (character offsets), so that coded
/// pieces can be marked; where excerpts overlap, the earliest-starting one gives the colour.
fn segments(text: &str, excerpts: &[ExcerptView]) -> Vec<Segment> {
    let chars: Vec<char> = text.chars().collect();
    let spans: Vec<(usize, usize, &ExcerptView)> = excerpts
        .iter()
        .filter_map(|e| Some((usize::try_from(e.start?).ok()?, usize::try_from(e.end?).ok()?, e)))
        .filter(|(s, e, _)| s < e && *e <= chars.len())
        .collect();
    let mut cuts: Vec<usize> = spans.iter().flat_map(|(s, e, _)| [*s, *e]).chain([0, chars.len()]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .map(|w| {
            let covering: Vec<&ExcerptView> =
                spans.iter().filter(|(s, e, _)| *s <= w[0] && w[1] <= *e).map(|(_, _, x)| *x).collect();
            let names: Vec<&str> = covering.iter().flat_map(|x| x.codings.iter().map(|c| c.code.as_str())).collect();
            let colour = covering.first().map(|x| x.codings.first().map_or("#7f7f7f".into(), |c| c.colour.clone()));
            Segment {
                text: chars[w[0]..w[1]].iter().collect(),
                tint: colour.as_deref().map(|c| match codebook::palette_index(c) {
                    Some(i) => format!("c{i}"),
                    None => "c-other".into(),
                }),
                colour,
                codes: names.join(", "),
            }
        })
        .collect()
}

pub fn coding_page(
    conn: &mut DbConn,
    actor: &Actor,
    question_id: &QuestionId,
    filter: &CodingFilter,
) -> AppResult<CodingPage> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &q.board_id)?;
    let stage = db::stages::find(conn, &q.stage_id)?.ok_or_else(AppError::not_found)?;
    let posts = db::posts::of_question(conn, &q.id)?;
    let people = db::participants::of_board(conn, &acc.board.id)?;
    let ids = pseudonyms(&people);
    let post_ids: Vec<PostId> = posts.iter().map(|ap| ap.post.id.clone()).collect();
    let codes = db::analysis::codes_of_board(conn, &acc.board.id)?;
    let memos = db::analysis::memos_of_board(conn, &acc.board.id)?;
    let excerpt_rows = db::analysis::excerpts_of_posts(conn, &post_ids)?;
    let coding_rows = db::analysis::codings_of_posts(conn, &post_ids)?;
    let names = crate::service::user_names(
        conn,
        codes
            .iter()
            .map(|c| c.created_by.clone())
            .chain(memos.iter().map(|m| m.created_by.clone()))
            .chain(excerpt_rows.iter().map(|e| e.created_by.clone()))
            .chain(coding_rows.iter().map(|c| c.created_by.clone())),
    )?;
    let code_map: HashMap<CodeId, Code> = codes.iter().map(|c| (c.id.clone(), c.clone())).collect();
    let mut excerpts: HashMap<PostId, Vec<ExcerptView>> = HashMap::new();
    for e in build_excerpt_views(excerpt_rows, coding_rows, &code_map, &names, &acc) {
        excerpts.entry(e.post_id.clone()).or_default().push(e);
    }
    let zone = acc.zone();
    // A reply's thread: who it answers, and their first words (only for posts answered).
    let answered: std::collections::HashSet<&PostId> =
        posts.iter().filter_map(|ap| ap.post.parent_id.as_ref()).collect();
    let parents: HashMap<PostId, String> = posts
        .iter()
        .filter(|ap| answered.contains(&ap.post.id))
        .map(|ap| {
            let who = ap
                .post
                .participant_id
                .as_ref()
                .and_then(|id| ids.get(id).cloned())
                .unwrap_or_else(|| "a moderator".into());
            (
                ap.post.id.clone(),
                format!("{who}: \u{201c}{}\u{201d}", crate::domain::markdown::short(&ap.post.body_md, 80)),
            )
        })
        .collect();
    let replies = posts
        .into_iter()
        .map(|AuthoredPost { post: p, .. }| {
            let mine = excerpts.remove(&p.id).unwrap_or_default();
            ReplyForCoding {
                segments: segments(&p.body_md, &mine),
                parent: p.parent_id.as_ref().and_then(|id| parents.get(id).cloned()),
                participant: p
                    .participant_id
                    .as_ref()
                    .and_then(|id| ids.get(id).cloned())
                    .unwrap_or_else(|| "moderator".into()),
                time: When::new(&zone, p.created_at),
                hidden: p.hidden_at.is_some(),
                private: p.private_to.is_some() || q.mode == crate::domain::roles::ResponseMode::Private,
                is_probe: p.is_probe,
                in_reply_to: p.parent_id.clone(),
                source: p.source.described(p.recorded_by.is_some()),
                excerpts: mine,
                memos: memos
                    .iter()
                    .filter(|m| m.post_id.as_deref() == Some(p.id.as_str()))
                    .map(|m| memo_view(m, &names, &acc))
                    .collect(),
                text: p.body_md,
                id: p.id,
            }
        })
        .collect::<Vec<ReplyForCoding>>();
    let total = replies.len();
    let code = filter.code.as_deref().filter(|c| !c.is_empty());
    let replies: Vec<ReplyForCoding> = replies
        .into_iter()
        .filter(|r| !filter.uncoded || r.excerpts.iter().all(|e| e.codings.is_empty()))
        .filter(|r| code.is_none_or(|c| r.excerpts.iter().any(|e| e.codings.iter().any(|x| x.code_id == c))))
        .collect();
    Ok(CodingPage {
        total,
        uncoded_only: filter.uncoded,
        code: code.map(str::to_string),
        board_id: acc.board.id.clone(),
        board_title: acc.board.title.clone(),
        question_id: q.id,
        stage_title: stage.title,
        prompt_md: q.prompt_md,
        replies,
        codebook: code_views(codes, &memos, &names, &acc),
    })
}
