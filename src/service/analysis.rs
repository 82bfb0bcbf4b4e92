//! The analysts' work: the codebook (a tree of codes, templates, REFI-QDA codebook import),
//! coding whole replies or excerpts, quotes, memos, and the counts of the report page.
//! Analysts, moderators, co-moderators and administrators of a board may do all of it; every
//! coding and memo keeps who made it and when, so several analysts can code one board.

use super::views::When;
use super::{access, in_tx, optional_text, required, Access, Actor, Ctx};
use crate::db::models::{Code, Coding, Excerpt, Memo, Participant, Post};
use crate::db::{self, DbConn};
use crate::domain::codebook::{self, CodeSpec};
use crate::error::{AppError, AppResult};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use utoipa::ToSchema;

/// Analysts, moderators, co-moderators and administrators: those who code and export.
pub fn analysis_access(conn: &mut DbConn, actor: &Actor, board_id: &str) -> AppResult<Access> {
    let acc = access(conn, actor, board_id)?;
    if acc.standing.can_analyse() {
        Ok(acc)
    } else {
        Err(AppError::forbidden("Coding and exports are for the board's analysts and moderators."))
    }
}

/// P01, P02 …: stable per board, in the order participants were added.
pub fn pseudonyms(people: &[Participant]) -> HashMap<String, String> {
    let mut ordered: Vec<&Participant> = people.iter().collect();
    ordered.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    let width = ordered.len().to_string().len().max(2);
    ordered.iter().enumerate().map(|(i, p)| (p.id.clone(), format!("P{:0width$}", i + 1))).collect()
}

/// Codes in tree order (each parent before its children, siblings by position) with depth.
pub fn tree_order(codes: Vec<Code>) -> Vec<(Code, usize)> {
    let ids: HashSet<String> = codes.iter().map(|c| c.id.clone()).collect();
    let mut children: BTreeMap<Option<String>, Vec<Code>> = BTreeMap::new();
    for c in codes {
        // A parent from another board cannot happen; treat a missing one as a root.
        let parent = c.parent_id.clone().filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(c);
    }
    fn walk(parent: Option<String>, depth: usize, children: &mut BTreeMap<Option<String>, Vec<Code>>, out: &mut Vec<(Code, usize)>) {
        for c in children.remove(&parent).unwrap_or_default() {
            let id = c.id.clone();
            out.push((c, depth));
            walk(Some(id), depth + 1, children, out);
        }
    }
    let mut out = Vec::new();
    walk(None, 0, &mut children, &mut out);
    out
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemoView {
    pub id: String,
    pub body: String,
    pub by: String,
    pub at: When,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeView {
    pub id: String,
    pub board_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    pub description: String,
    pub colour: String,
    /// 0 for a top-level code.
    pub depth: usize,
    /// The names from the root, joined by " › ".
    pub path: String,
    pub created_by: String,
    pub created_at: When,
    pub memos: Vec<MemoView>,
}

fn memo_view(m: &Memo, names: &HashMap<String, String>, acc: &Access) -> MemoView {
    MemoView { id: m.id.clone(), body: m.body.clone(), by: names.get(&m.created_by).cloned().unwrap_or_default(), at: When::new(&acc.zone(), m.created_at) }
}

/// Codes in tree order with depth and their path of names from the root.
fn with_paths(codes: Vec<Code>) -> Vec<(Code, usize, String)> {
    let mut paths: HashMap<String, String> = HashMap::new();
    tree_order(codes)
        .into_iter()
        .map(|(c, depth)| {
            let path = match c.parent_id.as_ref().and_then(|p| paths.get(p)) {
                Some(parent) => format!("{parent} › {}", c.name),
                None => c.name.clone(),
            };
            paths.insert(c.id.clone(), path.clone());
            (c, depth, path)
        })
        .collect()
}

fn code_views(codes: Vec<Code>, memos: &[Memo], names: &HashMap<String, String>, acc: &Access) -> Vec<CodeView> {
    with_paths(codes)
        .into_iter()
        .map(|(c, depth, path)| CodeView {
            memos: memos.iter().filter(|m| m.code_id.as_deref() == Some(c.id.as_str())).map(|m| memo_view(m, names, acc)).collect(),
            created_by: names.get(&c.created_by).cloned().unwrap_or_default(),
            created_at: When::new(&acc.zone(), c.created_at),
            id: c.id,
            board_id: c.board_id,
            parent_id: c.parent_id,
            name: c.name,
            description: c.description,
            colour: c.colour,
            depth,
            path,
        })
        .collect()
}

/// The codebook with memos and names: three queries.
fn codebook_views(conn: &mut DbConn, acc: &Access) -> AppResult<Vec<CodeView>> {
    let codes = db::analysis::codes_of_board(conn, &acc.board.id)?;
    let memos = db::analysis::memos_of_board(conn, &acc.board.id)?;
    let names = super::user_names(conn, codes.iter().map(|c| c.created_by.clone()).chain(memos.iter().map(|m| m.created_by.clone())))?;
    Ok(code_views(codes, &memos, &names, acc))
}

pub fn codebook(conn: &mut DbConn, actor: &Actor, board_id: &str) -> AppResult<Vec<CodeView>> {
    let acc = analysis_access(conn, actor, board_id)?;
    codebook_views(conn, &acc)
}

#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct CodeInput {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// #rrggbb or #rgb; a colour from a palette when left out.
    #[serde(default)]
    pub colour: Option<String>,
    /// The parent code, for a code inside another.
    #[serde(default)]
    pub parent_id: Option<String>,
}

struct CleanCode {
    name: String,
    description: String,
    colour: Option<String>,
    parent_id: Option<String>,
}

fn clean_code(conn: &mut DbConn, acc: &Access, input: &CodeInput, editing: Option<&str>) -> AppResult<CleanCode> {
    let name = required("Name", &input.name, 200)?;
    let description = optional_text("Description", input.description.as_deref().unwrap_or(""), 5000)?;
    let colour = match input.colour.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(codebook::normalise_colour(c).ok_or_else(|| AppError::invalid(format!("The colour \"{c}\" is not of the form #rrggbb.")))?),
        None => None,
    };
    let parent_id = input.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(str::to_string);
    let codes = db::analysis::codes_of_board(conn, &acc.board.id)?;
    if codes.iter().any(|c| c.name.eq_ignore_ascii_case(&name) && Some(c.id.as_str()) != editing) {
        return Err(AppError::Conflict(format!("The codebook already has a code named \"{name}\".")));
    }
    if let Some(parent) = &parent_id {
        if !codes.iter().any(|c| &c.id == parent) {
            return Err(AppError::invalid("The parent code is not in this board's codebook."));
        }
        // A code cannot move under itself or one of its descendants.
        if let Some(me) = editing {
            let mut at = Some(parent.clone());
            while let Some(id) = at {
                if id == me {
                    return Err(AppError::invalid("A code cannot be placed inside itself or one of its own codes."));
                }
                at = codes.iter().find(|c| c.id == id).and_then(|c| c.parent_id.clone());
            }
        }
    }
    Ok(CleanCode { name, description, colour, parent_id })
}

fn new_code(ctx: &Ctx, acc: &Access, position: i32, clean: CleanCode) -> AppResult<Code> {
    Ok(Code {
        id: db::new_id(),
        board_id: acc.board.id.clone(),
        parent_id: clean.parent_id,
        name: clean.name,
        description: clean.description,
        colour: clean.colour.unwrap_or_else(|| codebook::default_colour(position as usize).to_string()),
        position,
        created_by: acc.actor.user()?.id.clone(),
        created_at: ctx.now(),
    })
}

pub fn add_code(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &str, input: &CodeInput) -> AppResult<CodeView> {
    let acc = analysis_access(conn, actor, board_id)?;
    let id = in_tx(conn, |conn| {
        let clean = clean_code(conn, &acc, input, None)?;
        let position = db::analysis::next_code_position(conn, &acc.board.id)?;
        let code = new_code(ctx, &acc, position, clean)?;
        db::analysis::insert_codes(conn, std::slice::from_ref(&code))?;
        Ok(code.id)
    })?;
    view_of(conn, &acc, &id)
}

fn view_of(conn: &mut DbConn, acc: &Access, code_id: &str) -> AppResult<CodeView> {
    codebook_views(conn, acc)?.into_iter().find(|c| c.id == code_id).ok_or_else(AppError::not_found)
}

/// The code and the access to its board, for someone who may code it.
fn code_access(conn: &mut DbConn, actor: &Actor, code_id: &str) -> AppResult<(Access, Code)> {
    let code = db::analysis::find_code(conn, code_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &code.board_id)?;
    Ok((acc, code))
}

pub fn update_code(conn: &mut DbConn, actor: &Actor, code_id: &str, input: &CodeInput) -> AppResult<CodeView> {
    let (acc, code) = code_access(conn, actor, code_id)?;
    in_tx(conn, |conn| {
        let clean = clean_code(conn, &acc, input, Some(&code.id))?;
        let colour = clean.colour.unwrap_or(code.colour.clone());
        db::analysis::update_code(conn, &code.id, &clean.name, &clean.description, &colour, clean.parent_id.as_deref())?;
        Ok(())
    })?;
    view_of(conn, &acc, &code.id)
}

/// Deletes a code, its sub-codes, and their codings and memos.
pub fn delete_code(conn: &mut DbConn, actor: &Actor, code_id: &str) -> AppResult<String> {
    let (acc, code) = code_access(conn, actor, code_id)?;
    db::analysis::delete_code(conn, &code.id)?;
    Ok(acc.board.id)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportResult {
    /// Codes added to the codebook.
    pub added: usize,
    /// Codes left out because the codebook already had a code of that name.
    pub skipped: Vec<String>,
}

/// Adds a tree of codes in the file's order; a code whose name is already in the codebook is
/// kept as it is and the imported children go under it.
fn insert_specs(conn: &mut DbConn, ctx: &Ctx, acc: &Access, specs: &[CodeSpec]) -> AppResult<ImportResult> {
    struct Import<'a> {
        ctx: &'a Ctx,
        acc: &'a Access,
        position: i32,
        seen: HashMap<String, String>,
        rows: Vec<Code>,
        result: ImportResult,
    }
    fn add(import: &mut Import, parent: Option<&str>, specs: &[CodeSpec]) -> AppResult<()> {
        for spec in specs {
            let name = required("A code's name", &spec.name, 200)?;
            let id = match import.seen.get(&name.to_lowercase()) {
                Some(id) => {
                    import.result.skipped.push(name);
                    id.clone()
                }
                None => {
                    let clean =
                        CleanCode { name: name.clone(), description: spec.description.trim().to_string(), colour: spec.colour.clone(), parent_id: parent.map(str::to_string) };
                    let code = new_code(import.ctx, import.acc, import.position, clean)?;
                    import.position += 1;
                    import.seen.insert(name.to_lowercase(), code.id.clone());
                    import.result.added += 1;
                    let id = code.id.clone();
                    import.rows.push(code);
                    id
                }
            };
            if import.rows.len() > 10_000 {
                return Err(AppError::invalid("A codebook may hold at most 10,000 codes."));
            }
            add(import, Some(&id), &spec.children)?;
        }
        Ok(())
    }
    in_tx(conn, |conn| {
        let mut import = Import {
            ctx,
            acc,
            position: db::analysis::next_code_position(conn, &acc.board.id)?,
            seen: db::analysis::codes_of_board(conn, &acc.board.id)?.into_iter().map(|c| (c.name.to_lowercase(), c.id)).collect(),
            rows: vec![],
            result: ImportResult { added: 0, skipped: vec![] },
        };
        add(&mut import, None, specs)?;
        db::analysis::insert_codes(conn, &import.rows)?;
        Ok(import.result)
    })
}

pub fn apply_template(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &str, key: &str) -> AppResult<ImportResult> {
    let acc = analysis_access(conn, actor, board_id)?;
    let template = codebook::template(key).ok_or_else(|| AppError::invalid(format!("There is no codebook template \"{key}\".")))?;
    insert_specs(conn, ctx, &acc, &[(template.codes)()])
}

/// Imports a REFI-QDA codebook (.qdc), or the codebook of a project file.
pub fn import_qdc(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &str, xml: &[u8]) -> AppResult<ImportResult> {
    let acc = analysis_access(conn, actor, board_id)?;
    let text = std::str::from_utf8(xml).map_err(|_| AppError::invalid("The codebook is not UTF-8 text; a .qdc file is XML in UTF-8."))?;
    let specs = codebook::parse_qdc(text).map_err(AppError::invalid)?;
    insert_specs(conn, ctx, &acc, &specs)
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodingView {
    pub id: String,
    pub code_id: String,
    pub code: String,
    pub colour: String,
    pub by: String,
    pub at: When,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExcerptView {
    pub id: String,
    pub post_id: String,
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
    pub code_ids: Vec<String>,
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
fn post_access(conn: &mut DbConn, actor: &Actor, post_id: &str) -> AppResult<(Access, Post)> {
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
                return Err(AppError::invalid(format!("The selection {start}..{end} is not within the reply, which has {length} characters.")));
            }
            let text = codebook::char_slice(body, start as usize, end as usize);
            if excerpt.is_some_and(|e| e != text) {
                return Err(AppError::Conflict("The selected text is no longer in the reply at that place (it may have been edited). Please select it again.".into()));
            }
            Ok(Some((start as usize, end as usize, text)))
        }
        (None, None) => match excerpt {
            Some(e) => {
                let (start, end) = codebook::find_chars(body, e).ok_or_else(|| AppError::invalid("The excerpt is not in the reply's text; copy it exactly as written."))?;
                Ok(Some((start, end, e.to_string())))
            }
            None => Ok(None),
        },
        _ => Err(AppError::invalid("Give both the start and the end of the selection, or neither for the whole reply.")),
    }
}

/// Codes a reply or an excerpt of it, marks it as a quote, and adds a memo, as one action.
pub fn code_post(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &str, input: &CodingInput) -> AppResult<ExcerptView> {
    let (acc, post) = post_access(conn, actor, post_id)?;
    let me = acc.actor.user()?.id.clone();
    let memo = optional_text("Memo", input.memo.as_deref().unwrap_or(""), 20_000)?;
    if input.code_ids.is_empty() && !input.quote {
        return Err(AppError::invalid("Choose at least one code or mark the selection as a quote (a memo alone goes to the reply's memos)."));
    }
    let range = selection(&post.body_md, input)?;
    let excerpt_id = in_tx(conn, |conn| {
        let codes: HashMap<String, Code> = db::analysis::codes_of_board(conn, &acc.board.id)?.into_iter().map(|c| (c.id.clone(), c)).collect();
        if let Some(missing) = input.code_ids.iter().find(|id| !codes.contains_key(*id)) {
            return Err(AppError::invalid(format!("The code {missing} is not in this board's codebook.")));
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
                    },
                )?;
            }
        }
        if !memo.is_empty() {
            insert_memo(conn, ctx, &acc, Some(&post.id), None, &memo)?;
        }
        Ok(excerpt.id)
    })?;
    excerpt_views(conn, &acc, std::slice::from_ref(&post.id))?.into_iter().find(|e| e.id == excerpt_id).ok_or_else(AppError::not_found)
}

fn insert_memo(conn: &mut DbConn, ctx: &Ctx, acc: &Access, post_id: Option<&str>, code_id: Option<&str>, body: &str) -> AppResult<Memo> {
    let memo = Memo {
        id: db::new_id(),
        board_id: acc.board.id.clone(),
        post_id: post_id.map(str::to_string),
        code_id: code_id.map(str::to_string),
        body: body.to_string(),
        created_by: acc.actor.user()?.id.clone(),
        created_at: ctx.now(),
    };
    db::analysis::insert_memo(conn, &memo)?;
    Ok(memo)
}

/// Excerpts (with their codings) of some replies, in four queries.
fn excerpt_views(conn: &mut DbConn, acc: &Access, post_ids: &[String]) -> AppResult<Vec<ExcerptView>> {
    let excerpts = db::analysis::excerpts_of_posts(conn, post_ids)?;
    let codings = db::analysis::codings_of_posts(conn, post_ids)?;
    let codes: HashMap<String, Code> = db::analysis::codes_of_board(conn, &acc.board.id)?.into_iter().map(|c| (c.id.clone(), c)).collect();
    let names = super::user_names(conn, excerpts.iter().map(|e| e.created_by.clone()).chain(codings.iter().map(|c| c.created_by.clone())))?;
    Ok(build_excerpt_views(excerpts, codings, &codes, &names, acc))
}

fn build_excerpt_views(excerpts: Vec<Excerpt>, codings: Vec<Coding>, codes: &HashMap<String, Code>, names: &HashMap<String, String>, acc: &Access) -> Vec<ExcerptView> {
    let zone = acc.zone();
    let mut by_excerpt: HashMap<String, Vec<Coding>> = HashMap::new();
    for c in codings {
        by_excerpt.entry(c.excerpt_id.clone()).or_default().push(c);
    }
    excerpts
        .into_iter()
        .map(|e| ExcerptView {
            codings: by_excerpt
                .remove(&e.id)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|c| {
                    let code = codes.get(&c.code_id)?;
                    Some(CodingView {
                        code_id: code.id.clone(),
                        code: code.name.clone(),
                        colour: code.colour.clone(),
                        by: names.get(&c.created_by).cloned().unwrap_or_default(),
                        at: When::new(&zone, c.created_at),
                        id: c.id,
                    })
                })
                .collect(),
            whole: e.start_char.is_none(),
            by: names.get(&e.created_by).cloned().unwrap_or_default(),
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
pub fn remove_coding(conn: &mut DbConn, actor: &Actor, coding_id: &str) -> AppResult<String> {
    let coding = db::analysis::find_coding(conn, coding_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &coding.board_id)?;
    in_tx(conn, |conn| {
        db::analysis::delete_coding(conn, &coding.id)?;
        let excerpt = db::analysis::find_excerpt(conn, &coding.excerpt_id)?;
        if excerpt.is_some_and(|e| !e.is_quote) && db::analysis::codings_left_on_excerpt(conn, &coding.excerpt_id)? == 0 {
            db::analysis::delete_excerpt(conn, &coding.excerpt_id)?;
        }
        Ok(())
    })?;
    Ok(acc.board.id)
}

/// Marks or unmarks an excerpt as a quote; unmarked and uncoded, it goes.
pub fn set_quote(conn: &mut DbConn, actor: &Actor, excerpt_id: &str, is_quote: bool) -> AppResult<String> {
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

pub fn add_post_memo(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, post_id: &str, input: &MemoInput) -> AppResult<MemoView> {
    let (acc, post) = post_access(conn, actor, post_id)?;
    let body = required("Memo", &input.body, 20_000)?;
    let memo = insert_memo(conn, ctx, &acc, Some(&post.id), None, &body)?;
    let names = super::user_names(conn, [memo.created_by.clone()])?;
    Ok(memo_view(&memo, &names, &acc))
}

pub fn add_code_memo(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, code_id: &str, input: &MemoInput) -> AppResult<MemoView> {
    let (acc, code) = code_access(conn, actor, code_id)?;
    let body = required("Memo", &input.body, 20_000)?;
    let memo = insert_memo(conn, ctx, &acc, None, Some(&code.id), &body)?;
    let names = super::user_names(conn, [memo.created_by.clone()])?;
    Ok(memo_view(&memo, &names, &acc))
}

/// A memo is deleted by its author, or by a moderator.
pub fn delete_memo(conn: &mut DbConn, actor: &Actor, memo_id: &str) -> AppResult<String> {
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
    pub id: String,
    /// P07, or "moderator".
    pub participant: String,
    /// The reply's text as written; excerpts count characters of it.
    pub text: String,
    pub time: When,
    pub hidden: bool,
    pub private: bool,
    pub is_probe: bool,
    /// The post this one answers.
    pub in_reply_to: Option<String>,
    pub source: String,
    pub excerpts: Vec<ExcerptView>,
    pub memos: Vec<MemoView>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodingPage {
    /// Replies to the question, before the filter.
    pub total: usize,
    pub uncoded_only: bool,
    pub code: Option<String>,
    pub board_id: String,
    pub board_title: String,
    pub question_id: String,
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

pub fn coding_page(conn: &mut DbConn, actor: &Actor, question_id: &str, filter: &CodingFilter) -> AppResult<CodingPage> {
    let q = db::stages::find_question(conn, question_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &q.board_id)?;
    let stage = db::stages::find(conn, &q.stage_id)?.ok_or_else(AppError::not_found)?;
    let posts = db::posts::of_question(conn, &q.id)?;
    let people = db::participants::of_board(conn, &acc.board.id)?;
    let ids = pseudonyms(&people);
    let post_ids: Vec<String> = posts.iter().map(|(p, ..)| p.id.clone()).collect();
    let codes = db::analysis::codes_of_board(conn, &acc.board.id)?;
    let memos = db::analysis::memos_of_board(conn, &acc.board.id)?;
    let excerpt_rows = db::analysis::excerpts_of_posts(conn, &post_ids)?;
    let coding_rows = db::analysis::codings_of_posts(conn, &post_ids)?;
    let names = super::user_names(
        conn,
        codes
            .iter()
            .map(|c| c.created_by.clone())
            .chain(memos.iter().map(|m| m.created_by.clone()))
            .chain(excerpt_rows.iter().map(|e| e.created_by.clone()))
            .chain(coding_rows.iter().map(|c| c.created_by.clone())),
    )?;
    let code_map: HashMap<String, Code> = codes.iter().map(|c| (c.id.clone(), c.clone())).collect();
    let mut excerpts: HashMap<String, Vec<ExcerptView>> = HashMap::new();
    for e in build_excerpt_views(excerpt_rows, coding_rows, &code_map, &names, &acc) {
        excerpts.entry(e.post_id.clone()).or_default().push(e);
    }
    let zone = acc.zone();
    let replies = posts
        .into_iter()
        .map(|(p, ..)| {
            let mine = excerpts.remove(&p.id).unwrap_or_default();
            ReplyForCoding {
                participant: p.participant_id.as_ref().and_then(|id| ids.get(id).cloned()).unwrap_or_else(|| "moderator".into()),
                time: When::new(&zone, p.created_at),
                hidden: p.hidden_at.is_some(),
                private: p.private_to.is_some() || q.mode == "private",
                is_probe: p.is_probe,
                in_reply_to: p.parent_id.clone(),
                source: if p.recorded_by.is_some() { format!("on behalf ({})", p.source) } else { "web".into() },
                excerpts: mine,
                memos: memos.iter().filter(|m| m.post_id.as_deref() == Some(p.id.as_str())).map(|m| memo_view(m, &names, &acc)).collect(),
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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuestionCount {
    pub id: String,
    pub stage: String,
    pub prompt: String,
    /// Participants who answered (a reply or a vote).
    pub answered: i64,
    /// Participants the question was released to.
    pub released_to: i64,
    pub replies: i64,
    /// Replies with at least one code.
    pub coded: i64,
    /// Participants who answered, per value of the chosen attribute (`Report::values`).
    pub answered_by_value: Vec<i64>,
    /// Participants the question was released to, per value of the chosen attribute.
    pub released_by_value: Vec<i64>,
}

/// One participant's part in the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ParticipantCount {
    /// P01 …
    pub participant: String,
    /// Their value of the chosen attribute.
    pub value: Option<String>,
    /// Released questions they answered, of those released to them.
    pub answered: i64,
    pub released_to: i64,
    pub replies: i64,
    /// Their replies with at least one code.
    pub coded: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeCount {
    pub id: String,
    pub path: String,
    pub depth: usize,
    pub colour: String,
    /// Replies with this code (on the whole reply or an excerpt).
    pub replies: i64,
    /// Participants whose replies have this code.
    pub participants: i64,
    /// Replies with this code or one of its sub-codes.
    pub replies_in_tree: i64,
    /// Participants whose replies have this code or one of its sub-codes.
    pub participants_in_tree: i64,
    /// Participants (this code or its sub-codes) per value of the chosen attribute, in the
    /// order of `Report::values`.
    pub by_value: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QuoteView {
    pub participant: String,
    pub question: String,
    pub text: String,
    pub codes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Report {
    pub board_id: String,
    pub board_title: String,
    pub generated: When,
    pub participants: i64,
    pub questions: Vec<QuestionCount>,
    pub codes: Vec<CodeCount>,
    /// The attributes participants have, to break the counts down by.
    pub attributes: Vec<String>,
    /// The chosen attribute, and its values (with how many participants have each).
    pub attribute: Option<String>,
    pub values: Vec<String>,
    pub value_sizes: Vec<i64>,
    /// Per participant, in pseudonym order.
    pub people: Vec<ParticipantCount>,
    pub quotes: Vec<QuoteView>,
}

/// The counts analysts report: per question, answered of released to; per code, replies and
/// participants, broken down by one participant attribute. A fixed number of queries.
pub fn report(conn: &mut DbConn, ctx: &Ctx, actor: &Actor, board_id: &str, attribute: Option<&str>) -> AppResult<Report> {
    let acc = analysis_access(conn, actor, board_id)?;
    let people = db::participants::of_board(conn, board_id)?;
    let ids = pseudonyms(&people);
    let stages: HashMap<String, crate::db::models::Stage> = db::stages::of_board(conn, board_id)?.into_iter().map(|s| (s.id.clone(), s)).collect();
    let mut questions = db::stages::questions_of_board(conn, board_id)?;
    questions.sort_by_key(|q| (stages.get(&q.stage_id).map(|s| s.position), q.position));
    let answers = db::posts::answer_pairs_of_board(conn, board_id)?;
    let votes = db::votes::pairs_of_board(conn, board_id)?;
    let mut answered: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut replies: HashMap<&str, i64> = HashMap::new();
    for (q, p) in &answers {
        answered.entry(q).or_default().insert(p);
        *replies.entry(q).or_default() += 1;
    }
    for (q, p) in &votes {
        answered.entry(q).or_default().insert(p);
    }
    let codings = db::analysis::counted_codings_of_board(conn, board_id)?;
    let mut coded: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (_, post, question, _) in &codings {
        coded.entry(question).or_default().insert(post);
    }
    let attributes = db::models::attribute_names(&people)?;
    let attribute = attribute.filter(|a| attributes.iter().any(|x| x == a)).map(str::to_string);
    let mut value_of: HashMap<&str, String> = HashMap::new();
    for p in &people {
        let v = match &attribute {
            Some(a) => p.attribute(a)?,
            None => String::new(),
        };
        value_of.insert(p.id.as_str(), if v.is_empty() { "(none)".into() } else { v });
    }
    // Who each released question is for, by the group rule, worked out once.
    let mut eligible: HashSet<(&str, &str)> = HashSet::new();
    for q in &questions {
        if let Some(stage) = stages.get(&q.stage_id) {
            for p in &people {
                if super::rules::is_for(p, stage, q)? {
                    eligible.insert((p.id.as_str(), q.id.as_str()));
                }
            }
        }
    }
    let values: Vec<String> = if attribute.is_some() { value_of.values().cloned().collect::<BTreeSet<_>>().into_iter().collect() } else { vec![] };
    let value_sizes = values.iter().map(|v| value_of.values().filter(|x| *x == v).count() as i64).collect();

    let question_counts = questions
        .iter()
        .filter_map(|q| {
            let stage = stages.get(&q.stage_id)?;
            stage.released_at?;
            let who = answered.get(q.id.as_str());
            let released: Vec<&Participant> = people.iter().filter(|p| eligible.contains(&(p.id.as_str(), q.id.as_str()))).collect();
            let in_value = |v: &String, p: &str| value_of.get(p) == Some(v);
            Some(QuestionCount {
                id: q.id.clone(),
                stage: stage.title.clone(),
                prompt: q.prompt_md.clone(),
                answered: who.map_or(0, |s| s.len() as i64),
                released_to: released.len() as i64,
                answered_by_value: values.iter().map(|v| who.map_or(0, |s| s.iter().filter(|p| in_value(v, p)).count() as i64)).collect(),
                released_by_value: values.iter().map(|v| released.iter().filter(|p| in_value(v, &p.id)).count() as i64).collect(),
                replies: replies.get(q.id.as_str()).copied().unwrap_or(0),
                coded: coded.get(q.id.as_str()).map_or(0, |s| s.len() as i64),
            })
        })
        .collect();

    let released: Vec<(&crate::db::models::Stage, &crate::db::models::Question)> =
        questions.iter().filter_map(|q| stages.get(&q.stage_id).filter(|s| s.released_at.is_some()).map(|s| (s, q))).collect();
    let mut coded_by: HashMap<&str, HashSet<&str>> = HashMap::new();
    for (_, post, _, who) in &codings {
        if let Some(who) = who {
            coded_by.entry(who).or_default().insert(post);
        }
    }
    let mut replies_by: HashMap<&str, i64> = HashMap::new();
    for (_, p) in &answers {
        *replies_by.entry(p).or_default() += 1;
    }
    let mut person_counts: Vec<ParticipantCount> = people
        .iter()
        .map(|p| {
            let theirs: Vec<&&crate::db::models::Question> = released.iter().filter(|(_, q)| eligible.contains(&(p.id.as_str(), q.id.as_str()))).map(|(_, q)| q).collect();
            ParticipantCount {
                participant: ids.get(&p.id).cloned().unwrap_or_default(),
                value: attribute.as_ref().and(value_of.get(p.id.as_str()).cloned()),
                answered: theirs.iter().filter(|q| answered.get(q.id.as_str()).is_some_and(|s| s.contains(p.id.as_str()))).count() as i64,
                released_to: theirs.len() as i64,
                replies: replies_by.get(p.id.as_str()).copied().unwrap_or(0),
                coded: coded_by.get(p.id.as_str()).map_or(0, |s| s.len() as i64),
            }
        })
        .collect();
    person_counts.sort_by(|a, b| a.participant.cmp(&b.participant));

    let codes = db::analysis::codes_of_board(conn, board_id)?;
    let code_map: HashMap<String, Code> = codes.iter().map(|c| (c.id.clone(), c.clone())).collect();
    let tree = with_paths(codes);
    // In tree order a code's sub-codes follow it, up to the next code no deeper than it.
    let subtree = |i: usize| -> HashSet<&str> {
        let depth = tree[i].1;
        let end = tree[i + 1..].iter().position(|(_, d, _)| *d <= depth).map_or(tree.len(), |n| i + 1 + n);
        tree[i..end].iter().map(|(c, ..)| c.id.as_str()).collect()
    };
    let counted = |ids: &HashSet<&str>| {
        let mine: Vec<&db::analysis::CountedCoding> = codings.iter().filter(|(c, ..)| ids.contains(c.as_str())).collect();
        let posts: HashSet<&str> = mine.iter().map(|(_, p, ..)| p.as_str()).collect();
        let who: HashSet<&str> = mine.iter().filter_map(|(.., who)| who.as_deref()).collect();
        (posts.len() as i64, who)
    };
    let code_counts = (0..tree.len())
        .map(|i| {
            let (code, depth, path) = &tree[i];
            let (replies, who) = counted(&HashSet::from([code.id.as_str()]));
            let (replies_in_tree, who_in_tree) = counted(&subtree(i));
            CodeCount {
                id: code.id.clone(),
                path: path.clone(),
                depth: *depth,
                colour: code.colour.clone(),
                replies,
                participants: who.len() as i64,
                replies_in_tree,
                participants_in_tree: who_in_tree.len() as i64,
                by_value: values.iter().map(|v| who_in_tree.iter().filter(|p| value_of.get(**p) == Some(v)).count() as i64).collect(),
            }
        })
        .collect();

    let prompts: HashMap<&str, &str> = questions.iter().map(|q| (q.id.as_str(), q.prompt_md.as_str())).collect();
    let quotes = quotes(conn, &acc, &ids, &prompts, &code_map)?;
    Ok(Report {
        board_id: acc.board.id.clone(),
        board_title: acc.board.title.clone(),
        generated: When::new(&acc.zone(), ctx.now()),
        participants: people.len() as i64,
        questions: question_counts,
        codes: code_counts,
        attributes,
        attribute,
        values,
        value_sizes,
        people: person_counts,
        quotes,
    })
}

/// The board's quotes with pseudonymous ids, their question and codes: three queries.
fn quotes(conn: &mut DbConn, acc: &Access, ids: &HashMap<String, String>, prompts: &HashMap<&str, &str>, codes: &HashMap<String, Code>) -> AppResult<Vec<QuoteView>> {
    let quotes = db::analysis::quotes_of_board(conn, &acc.board.id)?;
    let post_ids: Vec<String> = quotes.iter().map(|q| q.post_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let posts: HashMap<String, Post> = db::posts::find_many(conn, &post_ids)?.into_iter().map(|p| (p.id.clone(), p)).collect();
    let codings = db::analysis::codings_of_posts(conn, &post_ids)?;
    Ok(quotes
        .into_iter()
        .filter_map(|q| {
            let post = posts.get(&q.post_id)?;
            Some(QuoteView {
                participant: post.participant_id.as_ref().and_then(|p| ids.get(p).cloned()).unwrap_or_else(|| "moderator".into()),
                question: prompts.get(post.question_id.as_str()).map(|p| p.to_string()).unwrap_or_default(),
                codes: codings.iter().filter(|c| c.excerpt_id == q.id).filter_map(|c| codes.get(&c.code_id)).map(|c| c.name.clone()).collect(),
                text: q.text,
            })
        })
        .collect())
}
