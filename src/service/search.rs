//! Searching a board's replies, probes and summaries (staff), and auto-coding every hit with
//! one code as one action that can be undone.

use super::views::{participant_label, When};
use super::{access, in_tx, Access, Actor, Ctx};
use crate::db::models::{Coding, Excerpt};
use crate::db::search::{Within, MARK_END, MARK_START};
use crate::db::{self, DbConn};
use crate::domain::ids::{BoardId, CodeId, PostId, QuestionId, StageId};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::{IntoParams, ToSchema};

/// The most hits an auto-coding codes at once.
const MAX_HITS: i64 = 20_000;
const PAGE: usize = 20;

/// What to look for, and where. Every field may be left out.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema, IntoParams)]
#[serde(default)]
pub struct SearchInput {
    /// Words, all of which a reply must contain (in any form: "call" finds "calls").
    pub q: Option<String>,
    pub stage: Option<String>,
    pub question: Option<String>,
    /// A participant attribute and the value it must have.
    pub attribute: Option<String>,
    pub value: Option<String>,
    pub group: Option<String>,
    /// Only replies coded with this code.
    pub code: Option<String>,
    /// From 1.
    pub page: Option<u32>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchHit {
    pub post_id: PostId,
    pub question_id: QuestionId,
    pub question: String,
    pub stage: String,
    pub author: String,
    /// The matched words in context, as safe HTML with the words in `<mark>`.
    pub snippet_html: String,
    pub created: When,
    pub hidden: bool,
    pub is_probe: bool,
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SummaryHit {
    pub stage: String,
    pub snippet_html: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResults {
    /// The words searched for.
    pub words: Vec<String>,
    /// Replies found, all pages together.
    pub total: usize,
    /// True when there are more than an auto-coding codes at once (20,000): narrow the search.
    pub truncated: bool,
    pub page: usize,
    pub pages: usize,
    pub hits: Vec<SearchHit>,
    /// Stage summaries that match (when no reply-only filter is set).
    pub summaries: Vec<SummaryHit>,
}

/// The words of a search: letters and digits, lower-cased, each once, at most twelve.
pub fn words_of(q: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for w in q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        let w = w.to_lowercase();
        if !words.contains(&w) && words.len() < 12 {
            words.push(w);
        }
    }
    words
}

fn set(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// Where to look: the filters as the database takes them. An attribute or group becomes the
/// list of participants who have it (read once, compared here as the grid compares them).
fn within(conn: &mut DbConn, acc: &Access, input: &SearchInput) -> AppResult<Within> {
    let attribute = set(&input.attribute).zip(set(&input.value));
    let group = set(&input.group);
    let participants = match attribute.is_some() || group.is_some() {
        true => Some(
            db::participants::of_board(conn, &acc.board.id)?
                .into_iter()
                .filter(|p| {
                    attribute.is_none_or(|(a, v)| p.attribute(a).eq_ignore_ascii_case(v))
                        && group.is_none_or(|g| p.group().is_some_and(|x| x.eq_ignore_ascii_case(g)))
                })
                .map(|p| p.id)
                .collect(),
        ),
        false => None,
    };
    Ok(Within {
        stage: set(&input.stage).map(StageId::from),
        question: set(&input.question).map(QuestionId::from),
        participants,
        code: set(&input.code).map(CodeId::from),
        hidden: true,
    })
}

fn staff_access(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Access> {
    let acc = access(conn, actor, board_id)?;
    if !acc.standing.sees_everything() {
        return Err(AppError::forbidden("Search is for the board's staff."));
    }
    Ok(acc)
}

/// Marked snippet text as safe HTML.
fn snippet_html(snippet: &str) -> String {
    let escaped = snippet.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;");
    escaped.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
}

pub fn search(conn: &mut DbConn, actor: &Actor, board_id: &BoardId, input: &SearchInput) -> AppResult<SearchResults> {
    let acc = staff_access(conn, actor, board_id)?;
    let words = words_of(input.q.as_deref().unwrap_or(""));
    let mut results = SearchResults {
        words: words.clone(),
        total: 0,
        truncated: false,
        page: 1,
        pages: 0,
        hits: vec![],
        summaries: vec![],
    };
    if words.is_empty() {
        return Ok(results);
    }
    let within = within(conn, &acc, input)?;
    results.total = db::search::count(conn, board_id, &words, &within)? as usize;
    results.truncated = results.total > MAX_HITS as usize;
    results.pages = results.total.div_ceil(PAGE);
    results.page = (input.page.unwrap_or(1).max(1) as usize).min(results.pages.max(1));
    let start = ((results.page - 1) * PAGE) as i64;
    let page: Vec<PostId> = db::search::page(conn, board_id, &words, &within, start, PAGE as i64)?;
    let zone = acc.zone();
    let snippets: HashMap<PostId, String> = db::search::snippets(conn, &words, &page)?.into_iter().collect();
    let mut posts: HashMap<PostId, db::posts::AuthoredPost> =
        db::posts::authored_many(conn, &page)?.into_iter().map(|a| (a.post.id.clone(), a)).collect();
    let questions: HashMap<QuestionId, crate::db::models::Question> =
        db::stages::questions_of_board(conn, board_id)?.into_iter().map(|q| (q.id.clone(), q)).collect();
    let stages: HashMap<StageId, String> =
        db::stages::of_board(conn, board_id)?.into_iter().map(|s| (s.id, s.title)).collect();
    let code_names: HashMap<CodeId, String> =
        db::analysis::codes_of_board(conn, board_id)?.into_iter().map(|c| (c.id, c.name)).collect();
    let mut codes: HashMap<PostId, Vec<String>> = HashMap::new();
    for c in db::analysis::codings_of_posts(conn, &page)? {
        let names = codes.entry(c.post_id).or_default();
        if let Some(name) = code_names.get(&c.code_id).filter(|n| !names.contains(n)) {
            names.push(name.clone());
        }
    }
    let seen = acc.seen;
    for id in page {
        let Some(a) = posts.remove(&id) else { continue };
        let q = questions.get(&a.post.question_id);
        let author = match (&a.post.participant_id, &a.staff_name) {
            (Some(_), _) => participant_label(
                a.screen_name.as_deref(),
                a.participant_name.as_deref().unwrap_or(""),
                a.pseudonym_no.unwrap_or(0),
                acc.board.anonymity,
                seen,
            ),
            (None, Some(name)) => format!("{name} (moderator)"),
            (None, None) => "Moderator".into(),
        };
        results.hits.push(SearchHit {
            question_id: a.post.question_id.clone(),
            question: q.map(|q| crate::domain::markdown::one_line(&q.prompt_md)).unwrap_or_default(),
            stage: q.and_then(|q| stages.get(&q.stage_id)).cloned().unwrap_or_default(),
            author,
            snippet_html: snippet_html(snippets.get(&id).map_or("", String::as_str)),
            created: When::new(&zone, a.post.created_at),
            hidden: a.post.hidden_at.is_some(),
            is_probe: a.post.is_probe,
            codes: codes.remove(&id).unwrap_or_default(),
            post_id: id,
        });
    }
    let reply_only = [&input.question, &input.attribute, &input.group, &input.code].iter().any(|f| set(f).is_some());
    if !reply_only {
        let summary_stage: HashMap<String, StageId> = db::moderation::summaries_of_board(conn, board_id)?
            .into_iter()
            .map(|s| (s.id.to_string(), s.stage_id))
            .collect();
        for (id, snippet) in db::search::matching_summaries(conn, board_id, &words)? {
            let Some(stage) = summary_stage.get(&id) else { continue };
            if set(&input.stage).is_some_and(|s| s != stage.as_str()) {
                continue;
            }
            results.summaries.push(SummaryHit {
                stage: stages.get(stage).cloned().unwrap_or_default(),
                snippet_html: snippet_html(&snippet),
            });
        }
    }
    Ok(results)
}

/// Auto-coding: every hit of a search, coded with one code.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AutoCodeInput {
    #[serde(flatten)]
    pub search: SearchInput,
    pub code_id: String,
    /// "words": an excerpt of the first matched word in each reply; "reply" (default): the
    /// whole reply.
    pub scope: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AutoCodeResult {
    /// Undo with DELETE /api/v1/boards/{board}/autocodings/{batch_id}.
    pub batch_id: String,
    pub code: String,
    /// Replies coded (those already coded with the code at the same place are left as they are).
    pub codings_added: usize,
    pub excerpts_added: usize,
    pub hits: usize,
}

/// Where the first matched word is in a reply, in characters: a word that starts with one of
/// the searched words (the engines match word forms; "call" finds "calls"), whole.
pub fn first_match(text: &str, words: &[String]) -> Option<(usize, usize)> {
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_alphanumeric() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_alphanumeric() {
            i += 1;
        }
        let word: String = chars[start..i].iter().collect::<String>().to_lowercase();
        let stemless = |w: &str| w.trim_end_matches(['s', 'e', 'd', 'y']).to_string();
        if words.iter().any(|w| word.starts_with(&stemless(w)) && !stemless(w).is_empty()) {
            return Some((start, i));
        }
    }
    None
}

pub fn auto_code(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &AutoCodeInput,
) -> AppResult<AutoCodeResult> {
    let acc = crate::service::analysis::analysis_access(conn, actor, board_id)?;
    let user = actor.user()?.id.clone();
    let words = words_of(input.search.q.as_deref().unwrap_or(""));
    if words.is_empty() {
        return Err(AppError::invalid_field("q", "Search for some words first; the code goes on every reply found."));
    }
    let code = db::analysis::find_code(conn, &CodeId::from(input.code_id.trim()))?
        .filter(|c| c.board_id == *board_id)
        .ok_or_else(|| AppError::invalid_field("code_id", "Choose a code of this board's codebook."))?;
    let by_words = match input.scope.as_deref().map(str::trim) {
        None | Some("") | Some("reply") => false,
        Some("words") => true,
        Some(other) => return Err(AppError::invalid_field("scope", format!("{other:?} is not one of: words, reply"))),
    };
    let where_ = within(conn, &acc, &input.search)?;
    let ids = db::search::page(conn, board_id, &words, &where_, 0, MAX_HITS)?;
    let batch_id = db::new_id::<String>();
    let now = ctx.now();
    in_tx(conn, |conn| {
        let mut result = AutoCodeResult {
            batch_id: batch_id.clone(),
            code: code.name.clone(),
            codings_added: 0,
            excerpts_added: 0,
            hits: ids.len(),
        };
        for chunk in ids.chunks(500) {
            let posts = db::posts::find_many(conn, chunk)?;
            let existing: HashMap<(PostId, Option<i32>, Option<i32>), crate::domain::ids::ExcerptId> =
                db::analysis::excerpts_of_posts(conn, chunk)?
                    .into_iter()
                    .map(|e| ((e.post_id, e.start_char, e.end_char), e.id))
                    .collect();
            let coded: HashSet<(crate::domain::ids::ExcerptId, CodeId)> =
                db::analysis::codings_of_posts(conn, chunk)?.into_iter().map(|c| (c.excerpt_id, c.code_id)).collect();
            let (mut new_excerpts, mut new_codings) = (Vec::new(), Vec::new());
            for post in posts {
                let range = match by_words {
                    true => first_match(&post.body_md, &words),
                    false => None,
                };
                let (start, end) = (range.map(|r| r.0 as i32), range.map(|r| r.1 as i32));
                let excerpt_id = match existing.get(&(post.id.clone(), start, end)) {
                    Some(id) => id.clone(),
                    None => {
                        let text = match range {
                            Some((s, e)) => post.body_md.chars().skip(s).take(e - s).collect(),
                            None => post.body_md.clone(),
                        };
                        let e = Excerpt {
                            id: db::new_id(),
                            board_id: board_id.clone(),
                            post_id: post.id.clone(),
                            start_char: start,
                            end_char: end,
                            text,
                            is_quote: false,
                            created_by: user.clone(),
                            created_at: now,
                        };
                        let id = e.id.clone();
                        new_excerpts.push(e);
                        id
                    }
                };
                if coded.contains(&(excerpt_id.clone(), code.id.clone())) {
                    continue;
                }
                new_codings.push(Coding {
                    id: db::new_id(),
                    board_id: board_id.clone(),
                    excerpt_id,
                    post_id: post.id.clone(),
                    code_id: code.id.clone(),
                    created_by: user.clone(),
                    created_at: now,
                    batch_id: Some(batch_id.clone()),
                });
            }
            result.excerpts_added += new_excerpts.len();
            result.codings_added += new_codings.len();
            db::analysis::insert_many(conn, &new_excerpts, &new_codings)?;
        }
        super::audit::record(
            conn,
            ctx,
            &acc,
            "analysis.auto_code",
            format!("code {}", code.id),
            None,
            Some(serde_json::json!({"batch": batch_id, "words": words, "codings_added": result.codings_added,
                                    "excerpts_added": result.excerpts_added, "by_words": by_words})),
        )?;
        Ok(result)
    })
}

/// Undoes one auto-coding: its codings go, and the excerpts it left with nothing on them.
pub fn undo_auto_code(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    batch: &str,
) -> AppResult<usize> {
    let acc = crate::service::analysis::analysis_access(conn, actor, board_id)?;
    in_tx(conn, |conn| {
        let touched = db::analysis::delete_batch(conn, board_id, batch)?;
        if touched.is_empty() {
            return Err(AppError::not_found());
        }
        db::analysis::delete_bare_excerpts(conn, &touched)?;
        super::audit::record(
            conn,
            ctx,
            &acc,
            "analysis.undo_auto_code",
            format!("batch {batch}"),
            Some(serde_json::json!({"codings": touched.len()})),
            None,
        )?;
        Ok(touched.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_plain_and_few() {
        assert_eq!(
            words_of("  Weekly CALLS, \"calls\" & café -- OR NEAR(x)"),
            ["weekly", "calls", "café", "or", "near", "x"]
        );
        assert!(words_of("\"*()").is_empty());
    }

    #[test]
    fn the_first_match_is_a_whole_word_in_any_form() {
        assert_eq!(first_match("Our weekly calls helped", &["call".into()]), Some((11, 16)));
        assert_eq!(first_match("Planning, then plans", &["planned".into()]), Some((0, 8)));
        assert_eq!(first_match("nothing here", &["call".into()]), None);
    }
}

/// An option of a filter's list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// The search page: the results and what its filters offer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchPage {
    pub board: super::views::BoardView,
    pub results: SearchResults,
    pub stages: Vec<Choice>,
    pub questions: Vec<Choice>,
    pub codes: Vec<Choice>,
    pub attributes: Vec<String>,
    pub groups: Vec<String>,
    /// May auto-code the hits (analysts, moderators, co-moderators, administrators).
    pub can_code: bool,
}

pub fn search_page(conn: &mut DbConn, actor: &Actor, board_id: &BoardId, input: &SearchInput) -> AppResult<SearchPage> {
    let results = search(conn, actor, board_id, input)?;
    let acc = staff_access(conn, actor, board_id)?;
    let mut stage_rows = db::stages::of_board(conn, board_id)?;
    stage_rows.sort_by_key(|s| s.position);
    let position: HashMap<StageId, i32> = stage_rows.iter().map(|s| (s.id.clone(), s.position)).collect();
    let mut questions = db::stages::questions_of_board(conn, board_id)?;
    questions.sort_by_key(|q| (position.get(&q.stage_id).copied(), q.position));
    let people = db::participants::of_board(conn, board_id)?;
    let mut groups: Vec<String> = people.iter().filter_map(|p| p.group()).collect();
    groups.sort();
    groups.dedup();
    let attributes = crate::domain::attributes::names_in(people.iter().map(|p| p.attributes.get()))
        .into_iter()
        .filter(|a| !a.eq_ignore_ascii_case("group"))
        .collect();
    Ok(SearchPage {
        board: super::views::BoardView::new(&acc.board, acc.standing),
        results,
        stages: stage_rows.iter().map(|s| Choice { value: s.id.to_string(), label: s.title.clone() }).collect(),
        questions: questions
            .iter()
            .map(|q| {
                let mut label: String = crate::domain::markdown::one_line(&q.prompt_md).chars().take(60).collect();
                if q.prompt_md.chars().count() > 60 {
                    label.push('…');
                }
                Choice { value: q.id.to_string(), label }
            })
            .collect(),
        codes: crate::service::analysis::tree_order(db::analysis::codes_of_board(conn, board_id)?)
            .into_iter()
            .map(|(c, depth)| Choice { value: c.id.to_string(), label: format!("{}{}", "– ".repeat(depth), c.name) })
            .collect(),
        attributes,
        groups,
        can_code: acc.standing.can_analyse(),
    })
}
