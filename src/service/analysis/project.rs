//! Importing a REFI-QDA project (.qdpx) onto the board it came from: coding done in NVivo,
//! ATLAS.ti, MAXQDA or another program comes back as codes, excerpts, codings and memos. Sources
//! are the board's replies by their GUIDs (focusboard writes each reply's id as its source's
//! GUID); importing the same project twice adds nothing the second time.

use super::codebook::{insert_specs, ImportResult};
use super::shared::analysis_access;
use crate::db::models::{Coding, Excerpt, Memo, Post};
use crate::db::{self, DbConn};
use crate::domain::codebook::CodeSpec;
use crate::domain::ids::{BoardId, CodeId, ExcerptId, PostId};
use crate::domain::refi_qda::{self, QdaCode};
use crate::error::{AppError, AppResult};
use crate::service::{in_tx, Access, Actor, Ctx};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// What importing a project did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectImport {
    pub codebook: ImportResult,
    /// Sources found among the board's replies.
    pub sources_matched: usize,
    /// Sources that are not replies of this board (another board's, or made elsewhere).
    pub sources_not_found: usize,
    /// Replies whose text has changed since the export (or that were exported with names
    /// redacted): their selections cannot be placed, so they are left out.
    pub sources_changed: usize,
    pub excerpts_added: usize,
    pub codings_added: usize,
    pub memos_added: usize,
}

/// The project's code tree as codebook entries, in the file's order.
fn specs(codes: &[QdaCode]) -> Vec<CodeSpec> {
    fn children(codes: &[QdaCode], parent: Option<&str>) -> Vec<CodeSpec> {
        codes
            .iter()
            .filter(|c| c.parent.as_deref() == parent)
            .map(|c| CodeSpec {
                name: c.name.clone(),
                description: c.description.clone(),
                colour: c.colour.clone(),
                children: children(codes, Some(&c.guid)),
            })
            .collect()
    }
    children(codes, None)
}

pub fn import_project(
    conn: &mut DbConn,
    ctx: &Ctx,
    actor: &Actor,
    board_id: &BoardId,
    bytes: &[u8],
) -> AppResult<ProjectImport> {
    let acc = analysis_access(conn, actor, board_id)?;
    let project = refi_qda::read_project(bytes).map_err(|e| AppError::invalid_field("file", e))?;
    in_tx(conn, |conn| {
        let codebook = match project.codes.is_empty() {
            true => ImportResult { added: 0, skipped: vec![] },
            false => insert_specs(conn, ctx, &acc, &specs(&project.codes))?,
        };
        // Codes are matched by name, as the codebook import merges them.
        let by_name: HashMap<String, CodeId> =
            db::analysis::codes_of_board(conn, board_id)?.into_iter().map(|c| (c.name.to_lowercase(), c.id)).collect();
        let code_of: HashMap<&str, CodeId> = project
            .codes
            .iter()
            .filter_map(|c| Some((c.guid.as_str(), by_name.get(&c.name.to_lowercase())?.clone())))
            .collect();
        let notes: HashMap<&str, &str> = project.notes.iter().map(|n| (n.guid.as_str(), n.text.as_str())).collect();
        let ids: Vec<PostId> = project.sources.iter().map(|s| PostId::from(s.guid.as_str())).collect();
        let posts: HashMap<PostId, Post> = db::posts::find_many(conn, &ids)?
            .into_iter()
            .filter(|p| p.board_id == *board_id && p.removed_at.is_none())
            .map(|p| (p.id.clone(), p))
            .collect();
        let mut import = Import::new(ctx, &acc, db::analysis::memos_of_board(conn, board_id)?)?;
        let mut result = ProjectImport {
            codebook,
            sources_matched: 0,
            sources_not_found: 0,
            sources_changed: 0,
            excerpts_added: 0,
            codings_added: 0,
            memos_added: 0,
        };
        for source in &project.sources {
            let Some(post) = posts.get(source.guid.as_str()) else {
                result.sources_not_found += 1;
                continue;
            };
            if post.body_md != source.text {
                result.sources_changed += 1;
                continue;
            }
            result.sources_matched += 1;
            let length = source.text.chars().count();
            for sel in &source.selections {
                if sel.end > length {
                    return Err(AppError::invalid_field(
                        "file",
                        format!("A selection of \"{}\" ends after its text.", source.name),
                    ));
                }
                let codes: Vec<&CodeId> = sel.codes.iter().filter_map(|g| code_of.get(g.as_str())).collect();
                let memos: Vec<&str> = std::iter::once(sel.description.as_str())
                    .chain(sel.note_refs.iter().filter_map(|n| notes.get(n.as_str()).copied()))
                    .filter(|m| !m.trim().is_empty())
                    .collect();
                let quote = refi_qda::Source::is_quote(sel);
                if codes.is_empty() && memos.is_empty() && !quote {
                    continue;
                }
                let whole = sel.start == 0 && sel.end == length;
                let range = (!whole).then_some((sel.start, sel.end));
                let (excerpt, added) = import.excerpt(conn, post, range)?;
                result.excerpts_added += usize::from(added);
                // A quote chosen here and exported comes back a quote.
                if quote {
                    db::analysis::set_quote(conn, &excerpt, true)?;
                }
                for code in codes {
                    result.codings_added += usize::from(import.coding(conn, post, &excerpt, code)?);
                }
                for memo in memos {
                    // A memo on a whole reply is the reply's; on a selection, the excerpt's.
                    let on_excerpt = (!whole).then_some(&excerpt);
                    result.memos_added += usize::from(import.memo(conn, Some(&post.id), on_excerpt, None, memo)?);
                }
            }
            for note in source.note_refs.iter().filter_map(|n| notes.get(n.as_str())) {
                result.memos_added += usize::from(import.memo(conn, Some(&post.id), None, None, note)?);
            }
        }
        for code in &project.codes {
            let Some(id) = code_of.get(code.guid.as_str()) else { continue };
            for note in code.note_refs.iter().filter_map(|n| notes.get(n.as_str())) {
                result.memos_added += usize::from(import.memo(conn, None, None, Some(id), note)?);
            }
        }
        crate::service::audit::record(
            conn,
            ctx,
            &acc,
            "analysis.import_project",
            format!("board {board_id}"),
            None,
            serde_json::to_value(&result).ok(),
        )?;
        Ok(result)
    })
}

/// Adds what is not there yet, and remembers what it added.
struct Import<'a> {
    ctx: &'a Ctx,
    acc: &'a Access,
    user: crate::domain::ids::UserId,
    /// (reply, code, body) of the memos there are: a memo whose excerpt went stays on the
    /// reply, and is not written again.
    memos: HashSet<(Option<PostId>, Option<CodeId>, String)>,
}

impl<'a> Import<'a> {
    fn new(ctx: &'a Ctx, acc: &'a Access, memos: Vec<Memo>) -> AppResult<Self> {
        Ok(Import {
            ctx,
            acc,
            user: acc.actor.user()?.id.clone(),
            memos: memos.into_iter().map(|m| (m.post_id, m.code_id, m.body.trim().to_string())).collect(),
        })
    }

    /// The excerpt of `post` at `range` (chars; None: the whole reply), and whether it is new.
    fn excerpt(
        &mut self,
        conn: &mut DbConn,
        post: &Post,
        range: Option<(usize, usize)>,
    ) -> AppResult<(ExcerptId, bool)> {
        let (start, end) = (range.map(|r| r.0 as i32), range.map(|r| r.1 as i32));
        if let Some(e) = db::analysis::excerpt_with_range(conn, &post.id, start, end)? {
            return Ok((e.id, false));
        }
        let text = match range {
            Some((s, e)) => post.body_md.chars().skip(s).take(e - s).collect(),
            None => post.body_md.clone(),
        };
        let excerpt = Excerpt {
            id: db::new_id(),
            board_id: self.acc.board.id.clone(),
            post_id: post.id.clone(),
            start_char: start,
            end_char: end,
            text,
            is_quote: false,
            created_by: self.user.clone(),
            created_at: self.ctx.now(),
        };
        db::analysis::insert_excerpt(conn, &excerpt)?;
        Ok((excerpt.id, true))
    }

    fn coding(&mut self, conn: &mut DbConn, post: &Post, excerpt: &ExcerptId, code: &CodeId) -> AppResult<bool> {
        if db::analysis::coding_exists(conn, excerpt, code)? {
            return Ok(false);
        }
        db::analysis::insert_coding(
            conn,
            &Coding {
                id: db::new_id(),
                board_id: self.acc.board.id.clone(),
                excerpt_id: excerpt.clone(),
                post_id: post.id.clone(),
                code_id: code.clone(),
                created_by: self.user.clone(),
                created_at: self.ctx.now(),
                batch_id: None,
            },
        )?;
        Ok(true)
    }

    fn memo(
        &mut self,
        conn: &mut DbConn,
        post: Option<&PostId>,
        excerpt: Option<&ExcerptId>,
        code: Option<&CodeId>,
        body: &str,
    ) -> AppResult<bool> {
        let body = body.trim().to_string();
        let key = (post.cloned(), code.cloned(), body.clone());
        if body.is_empty() || self.memos.contains(&key) {
            return Ok(false);
        }
        db::analysis::insert_memo(
            conn,
            &Memo {
                id: db::new_id(),
                board_id: self.acc.board.id.clone(),
                post_id: post.cloned(),
                code_id: code.cloned(),
                body,
                created_by: self.user.clone(),
                created_at: self.ctx.now(),
                excerpt_id: excerpt.cloned(),
            },
        )?;
        self.memos.insert(key);
        Ok(true)
    }
}
