//! The codebook: a tree of codes, templates, REFI-QDA codebook import, memos on codes.

use super::shared::*;
use crate::db::models::{Code, Memo};
use crate::db::{self, DbConn};
use crate::domain::codebook::{self, CodeSpec};
use crate::domain::ids::{BoardId, CodeId, UserId};
use crate::error::{AppError, AppResult};
use crate::service::views::When;
use crate::service::{in_tx, optional_text, required, Access, Actor, Ctx, Field};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CodeView {
    pub id: CodeId,
    pub board_id: BoardId,
    pub parent_id: Option<CodeId>,
    pub name: String,
    pub description: String,
    pub colour: String,
    /// 0 for a top-level code.
    pub depth: usize,
    /// The names from the root, joined by " › ".
    pub path: String,
    /// The name of who added it.
    pub created_by: String,
    pub created_at: When,
    pub memos: Vec<MemoView>,
}

/// Codes in tree order with depth and their path of names from the root.
pub(super) fn with_paths(codes: Vec<Code>) -> Vec<(Code, usize, String)> {
    let mut paths: HashMap<CodeId, String> = HashMap::new();
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

pub(super) fn code_views(
    codes: Vec<Code>,
    memos: &[Memo],
    names: &HashMap<UserId, String>,
    acc: &Access,
) -> Vec<CodeView> {
    with_paths(codes)
        .into_iter()
        .map(|(c, depth, path)| CodeView {
            memos: memos
                .iter()
                .filter(|m| m.code_id.as_deref() == Some(c.id.as_str()))
                .map(|m| memo_view(m, names, acc))
                .collect(),
            created_by: names.get(c.created_by.as_str()).cloned().unwrap_or_default(),
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
    let names = crate::service::user_names(
        conn,
        codes.iter().map(|c| c.created_by.clone()).chain(memos.iter().map(|m| m.created_by.clone())),
    )?;
    Ok(code_views(codes, &memos, &names, acc))
}

pub fn codebook(conn: &mut DbConn, actor: &Actor, board_id: &BoardId) -> AppResult<Vec<CodeView>> {
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
    pub parent_id: Option<CodeId>,
}

struct CleanCode {
    name: String,
    description: String,
    colour: Option<String>,
    parent_id: Option<CodeId>,
}

fn clean_code(conn: &mut DbConn, acc: &Access, input: &CodeInput, editing: Option<&CodeId>) -> AppResult<CleanCode> {
    let name = required(Field("name", "Name"), &input.name, 200)?;
    let description =
        optional_text(Field("description", "Description"), input.description.as_deref().unwrap_or(""), 5000)?;
    let colour = match input.colour.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(codebook::normalise_colour(c).ok_or_else(|| {
            AppError::invalid_field("colour", format!("The colour \"{c}\" is not of the form #rrggbb."))
        })?),
        None => None,
    };
    let parent_id = input.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(CodeId::from);
    let codes = db::analysis::codes_of_board(conn, &acc.board.id)?;
    if codes.iter().any(|c| c.name.eq_ignore_ascii_case(&name) && Some(&c.id) != editing) {
        return Err(AppError::Conflict(format!("The codebook already has a code named \"{name}\".")));
    }
    if let Some(parent) = &parent_id {
        if !codes.iter().any(|c| c.id == parent) {
            return Err(AppError::invalid_field("parent_id", "The parent code is not in this board's codebook."));
        }
        // A code cannot move under itself or one of its descendants.
        if let Some(me) = editing {
            let mut at = Some(parent.clone());
            while let Some(id) = at {
                if id == me {
                    return Err(AppError::invalid_field(
                        "parent_id",
                        "A code cannot be placed inside itself or one of its own codes.",
                    ));
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

pub fn add_code(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    input: &CodeInput,
) -> AppResult<CodeView> {
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

fn view_of(conn: &mut DbConn, acc: &Access, code_id: &CodeId) -> AppResult<CodeView> {
    codebook_views(conn, acc)?.into_iter().find(|c| c.id == code_id).ok_or_else(AppError::not_found)
}

/// The code and the access to its board, for someone who may code it.
pub(super) fn code_access(conn: &mut DbConn, actor: &Actor, code_id: &CodeId) -> AppResult<(Access, Code)> {
    let code = db::analysis::find_code(conn, code_id)?.ok_or_else(AppError::not_found)?;
    let acc = analysis_access(conn, actor, &code.board_id)?;
    Ok((acc, code))
}

pub fn update_code(conn: &mut DbConn, actor: &Actor, code_id: &CodeId, input: &CodeInput) -> AppResult<CodeView> {
    let (acc, code) = code_access(conn, actor, code_id)?;
    in_tx(conn, |conn| {
        let clean = clean_code(conn, &acc, input, Some(&code.id))?;
        let colour = clean.colour.unwrap_or(code.colour.clone());
        db::analysis::update_code(conn, &code.id, &clean.name, &clean.description, &colour, clean.parent_id.as_ref())?;
        Ok(())
    })?;
    view_of(conn, &acc, &code.id)
}

/// The board a code is of, for one who may see it.
pub fn board_of_code(conn: &mut DbConn, actor: &Actor, code_id: &CodeId) -> AppResult<BoardId> {
    Ok(code_access(conn, actor, code_id)?.0.board.id)
}

/// Deletes a code, its sub-codes, and their codings and memos.
pub fn delete_code(conn: &mut DbConn, actor: &Actor, code_id: &CodeId) -> AppResult<BoardId> {
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
pub(super) fn insert_specs(conn: &mut DbConn, ctx: &Ctx, acc: &Access, specs: &[CodeSpec]) -> AppResult<ImportResult> {
    struct Import<'a> {
        ctx: &'a Ctx,
        acc: &'a Access,
        position: i32,
        seen: HashMap<String, CodeId>,
        rows: Vec<Code>,
        result: ImportResult,
    }
    fn add(import: &mut Import, parent: Option<&CodeId>, specs: &[CodeSpec]) -> AppResult<()> {
        for spec in specs {
            let name = required(Field("name", "A code's name"), &spec.name, 200)?;
            let id = match import.seen.get(&name.to_lowercase()) {
                Some(id) => {
                    import.result.skipped.push(name);
                    id.clone()
                }
                None => {
                    let clean = CleanCode {
                        name: name.clone(),
                        description: spec.description.trim().to_string(),
                        colour: spec.colour.clone(),
                        parent_id: parent.cloned(),
                    };
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
            seen: db::analysis::codes_of_board(conn, &acc.board.id)?
                .into_iter()
                .map(|c| (c.name.to_lowercase(), c.id))
                .collect(),
            rows: vec![],
            result: ImportResult { added: 0, skipped: vec![] },
        };
        add(&mut import, None, specs)?;
        db::analysis::insert_codes(conn, &import.rows)?;
        Ok(import.result)
    })
}

pub fn apply_template(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    key: &str,
) -> AppResult<ImportResult> {
    let acc = analysis_access(conn, actor, board_id)?;
    let template = codebook::template(key)
        .ok_or_else(|| AppError::invalid_field("template", format!("There is no codebook template \"{key}\".")))?;
    insert_specs(conn, ctx, &acc, &[(template.codes)()])
}

/// Imports a REFI-QDA codebook (.qdc), or the codebook of a project file.
pub fn import_qdc(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    xml: &[u8],
) -> AppResult<ImportResult> {
    let acc = analysis_access(conn, actor, board_id)?;
    let text = std::str::from_utf8(xml)
        .map_err(|_| AppError::invalid_field("file", "The codebook is not UTF-8 text; a .qdc file is XML in UTF-8."))?;
    let specs = codebook::parse_qdc(text).map_err(|e| AppError::invalid_field("file", e))?;
    insert_specs(conn, ctx, &acc, &specs)
}
