//! Full-text search in each database's own engine: SQLite's FTS5 tables (kept by triggers) and
//! PostgreSQL's `tsvector` columns with GIN indexes (see the search migration). The two speak
//! different SQL, so this module is the one place where queries are written per backend; the
//! query text they are given is only ever a list of plain words.

use super::DbConn;
use crate::domain::ids::{BoardId, CodeId, ParticipantId, PostId, QuestionId, StageId};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

/// Where a search looks, besides the board.
#[derive(Debug, Clone, Default)]
pub struct Within {
    pub stage: Option<StageId>,
    pub question: Option<QuestionId>,
    /// Only posts of these participants (an attribute or group chosen).
    pub participants: Option<Vec<ParticipantId>>,
    /// Only posts coded with this code.
    pub code: Option<CodeId>,
    /// Include posts the moderators hid (staff see them, marked).
    pub hidden: bool,
}

#[derive(QueryableByName, Debug)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName, Debug)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The condition and its values for the posts of a board holding every word, filtered.
fn condition(
    board: &BoardId,
    words: &[String],
    within: &Within,
    sqlite: bool,
    counting: bool,
) -> (String, Vec<String>) {
    // Counting in SQLite, the words' matches are the driving table of the query (see `count`):
    // they take the first placeholder, and the condition holds no match of its own.
    let mut binds: Vec<String> = Vec::new();
    let arg = |value: String, binds: &mut Vec<String>| {
        binds.push(value);
        if sqlite {
            "?".to_string()
        } else {
            format!("${}", binds.len())
        }
    };
    if sqlite && counting {
        binds.push(fts5_query(words));
    }
    let mut sql = format!("p.board_id = {} AND p.removed_at IS NULL", arg(board.to_string(), &mut binds));
    // The engines' own matching: FTS5's rowid set, or the tsvector column and its GIN index.
    match sqlite {
        true if counting => {}
        true => sql.push_str(&format!(
            " AND p.rowid IN (SELECT rowid FROM posts_fts WHERE posts_fts MATCH {})",
            arg(fts5_query(words), &mut binds)
        )),
        false => {
            sql.push_str(&format!(" AND p.search @@ plainto_tsquery('english', {})", arg(words.join(" "), &mut binds)))
        }
    }
    if !within.hidden {
        sql.push_str(" AND p.hidden_at IS NULL");
    }
    if let Some(q) = &within.question {
        sql.push_str(&format!(" AND p.question_id = {}", arg(q.to_string(), &mut binds)));
    }
    if let Some(s) = &within.stage {
        sql.push_str(&format!(
            " AND p.question_id IN (SELECT id FROM questions WHERE stage_id = {})",
            arg(s.to_string(), &mut binds)
        ));
    }
    if let Some(code) = &within.code {
        sql.push_str(&format!(
            " AND p.id IN (SELECT post_id FROM codings WHERE code_id = {})",
            arg(code.to_string(), &mut binds)
        ));
    }
    if let Some(people) = &within.participants {
        let list: Vec<String> = people.iter().map(|p| arg(p.to_string(), &mut binds)).collect();
        sql.push_str(&format!(" AND p.participant_id IN ({})", list.join(", ")));
    }
    (sql, binds)
}

/// How many posts of the board hold every word, after the filters.
pub fn count(conn: &mut DbConn, board: &BoardId, words: &[String], within: &Within) -> QueryResult<i64> {
    if within.participants.as_ref().is_some_and(Vec::is_empty) {
        return Ok(0);
    }
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let (cond, binds) = condition(board, words, within, sqlite, true);
    // SQLite: from the words' matches to their posts by rowid (CROSS JOIN fixes that order),
    // so the count costs the matches, not the board; a page (below) walks the board's posts in
    // order and stops at its end.
    let sql = match sqlite {
        true => format!(
            "SELECT count(*) AS n FROM (SELECT rowid AS r FROM posts_fts WHERE posts_fts MATCH ?) f \
             CROSS JOIN posts p ON p.rowid = f.r WHERE {cond}"
        ),
        false => format!("SELECT count(*) AS n FROM posts p WHERE {cond}"),
    };
    let rows: Vec<Count> = match conn {
        DbConn::Sqlite(c) => {
            binds.into_iter().fold(diesel::sql_query(sql).into_boxed(), |q, b| q.bind::<Text, _>(b)).load(c)?
        }
        DbConn::Postgresql(c) => {
            binds.into_iter().fold(diesel::sql_query(sql).into_boxed(), |q, b| q.bind::<Text, _>(b)).load(c)?
        }
    };
    Ok(rows.first().map_or(0, |r| r.n))
}

/// The posts of the board holding every word, after the filters, in the order they were
/// written (as the board and the desktop programs' text searches list them): `limit` from
/// `offset`. Removed posts are never found; hidden ones only when `within.hidden`.
pub fn page(
    conn: &mut DbConn,
    board: &BoardId,
    words: &[String],
    within: &Within,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<PostId>> {
    if within.participants.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let (cond, binds) = condition(board, words, within, sqlite, false);
    let sql = format!(
        "SELECT p.id AS id FROM posts p WHERE {cond} ORDER BY p.created_at, p.id LIMIT {limit} OFFSET {offset}"
    );
    let rows: Vec<Id> = match conn {
        DbConn::Sqlite(c) => {
            binds.into_iter().fold(diesel::sql_query(sql).into_boxed(), |q, b| q.bind::<Text, _>(b)).load(c)?
        }
        DbConn::Postgresql(c) => {
            binds.into_iter().fold(diesel::sql_query(sql).into_boxed(), |q, b| q.bind::<Text, _>(b)).load(c)?
        }
    };
    Ok(rows.into_iter().map(|r| PostId::from(r.id)).collect())
}

#[derive(QueryableByName, Debug)]
struct Snip {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    snippet: String,
}

/// Start and end of a matched word in snippets: characters no text holds.
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// The FTS5 query for words: each a quoted term, all of them required.
fn fts5_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{}\"", w.replace('"', ""))).collect::<Vec<_>>().join(" ")
}

/// The matched words of some posts in their context, marked with `MARK_START` and `MARK_END`.
pub fn snippets(conn: &mut DbConn, words: &[String], ids: &[PostId]) -> QueryResult<Vec<(PostId, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Snip> = match conn {
        DbConn::Sqlite(c) => {
            let marks = format!("'{MARK_START}', '{MARK_END}'");
            let list = vec!["?"; ids.len()].join(", ");
            // Constrained by rowid inside the FTS query, so it looks up these posts alone rather
            // than every match of the words.
            let sql = format!(
                "SELECT p.id AS id, snippet(posts_fts, 0, {marks}, '…', 32) AS snippet FROM posts_fts \
                 JOIN posts p ON p.rowid = posts_fts.rowid WHERE posts_fts MATCH ? \
                 AND posts_fts.rowid IN (SELECT rowid FROM posts WHERE id IN ({list}))"
            );
            let mut query = diesel::sql_query(sql).into_boxed().bind::<Text, _>(fts5_query(words));
            for id in ids {
                query = query.bind::<Text, _>(id.to_string());
            }
            query.load(c)?
        }
        DbConn::Postgresql(c) => {
            let list: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT p.id AS id, ts_headline('english', p.body_md, plainto_tsquery('english', $1), \
                 'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=32, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"') AS snippet \
                 FROM posts p WHERE p.id IN ({})",
                list.join(", ")
            );
            let mut query = diesel::sql_query(sql).into_boxed().bind::<Text, _>(words.join(" "));
            for id in ids {
                query = query.bind::<Text, _>(id.to_string());
            }
            query.load(c)?
        }
    };
    Ok(rows.into_iter().map(|s| (PostId::from(s.id), s.snippet)).collect())
}

/// Stage summaries of the board matching every word: (summary id, snippet).
pub fn matching_summaries(conn: &mut DbConn, board: &BoardId, words: &[String]) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<Snip> = match conn {
        DbConn::Sqlite(c) => {
            let sql = format!(
                "SELECT s.id AS id, snippet(summaries_fts, 0, '{MARK_START}', '{MARK_END}', '…', 32) AS snippet \
                 FROM summaries_fts JOIN stage_summaries s ON s.rowid = summaries_fts.rowid \
                 WHERE summaries_fts MATCH ? AND s.board_id = ? ORDER BY bm25(summaries_fts) LIMIT 50"
            );
            diesel::sql_query(sql).bind::<Text, _>(fts5_query(words)).bind::<Text, _>(board.to_string()).load(c)?
        }
        DbConn::Postgresql(c) => {
            let sql = format!(
                "SELECT s.id AS id, ts_headline('english', s.body_md, w, 'StartSel={MARK_START}, StopSel={MARK_END}, MaxWords=32, MinWords=12') AS snippet \
                 FROM stage_summaries s, plainto_tsquery('english', $1) w \
                 WHERE s.search @@ w AND s.board_id = $2 ORDER BY ts_rank(s.search, w) DESC LIMIT 50"
            );
            diesel::sql_query(sql).bind::<Text, _>(words.join(" ")).bind::<Text, _>(board.to_string()).load(c)?
        }
    };
    Ok(rows.into_iter().map(|s| (s.id, s.snippet)).collect())
}

/// Rebuilds SQLite's indexes from their tables (after a restore); PostgreSQL's are columns.
pub fn rebuild(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        diesel::sql_query("INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')").execute(c)?;
        diesel::sql_query("INSERT INTO summaries_fts(summaries_fts) VALUES ('rebuild')").execute(c)?;
    }
    Ok(())
}

/// After posts are removed or emptied: SQLite's FTS5 keeps deleted entries' terms until its
/// segments merge, so they are merged at once (a third of a second at 100,000 replies; removals
/// are rare). PostgreSQL drops a row's index entries with the row, at its next vacuum.
pub fn forget_removed(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Sqlite(c) = conn {
        diesel::sql_query("INSERT INTO posts_fts(posts_fts) VALUES ('optimize')").execute(c)?;
    }
    Ok(())
}
