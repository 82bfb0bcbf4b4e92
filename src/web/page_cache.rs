//! Pages kept in memory as rendered bytes, per reader, under the version of their board: a
//! question (HTML and JSON), and the staff's board page, participation grid and report. A
//! reader who opens a page again while nothing on the board has changed gets the bytes made for
//! them last time, after the same session check as any request; the first view after any change
//! is rendered in full.
//!
//! The version is read from the database on every view (`pages::board_version`), and triggers
//! move it on at every write to what the board's pages show, from whichever instance, so a page
//! is never served stale across instances. It is read before the page's data, so a page made
//! while a write commits is kept under the older version and made again on the next view.
//! A page that changes by itself at a time (its stage closes) is kept only until then.
//!
//! What differs between two views of one reader is not kept: the session's CSRF token and the
//! page's one-time form token are holes filled in for each response, so two views never share a
//! form token (a form sent from each is two posts, not one twice).

use crate::db::DbConn;
use crate::domain::ids::{BoardId, PostId, QuestionId};
use crate::domain::tokens;
use crate::error::AppResult;
use crate::service::pages::{self, PageAt};
use crate::service::{Actor, Ctx, Identity};
use bytes::{Bytes, BytesMut};
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use std::sync::Arc;
use time::PrimitiveDateTime;

/// Which page a key is of.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum View {
    /// One page of a question, in one format.
    Question { question: QuestionId, page: Option<usize>, post: Option<PostId>, json: bool },
    /// The staff's page of a board.
    Board(BoardId),
    /// The participation grid, with its query (filter and page) as asked.
    Grid(BoardId, String),
    /// The report, broken down by an attribute or not.
    Report(BoardId, Option<String>),
}

/// One reader's view of one page.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    reader: String,
    view: View,
}

impl View {
    /// One page of `question`, as HTML or (`json`) JSON.
    pub fn question(question: &QuestionId, at: &PageAt, json: bool) -> Self {
        View::Question { question: question.clone(), page: at.page, post: at.post.clone(), json }
    }
}

impl PageKey {
    /// The key of `view` for `actor`.
    fn of(actor: &Actor, view: View) -> Self {
        PageKey { reader: actor.reader_id().to_string(), view }
    }
}

/// What a kept page was made at: the board's version, and for a page that also depends on
/// something of the reader's outside it (what they have read) a fingerprint of that.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Made {
    pub version: i64,
    pub stamp: u64,
}

/// What the first look at a view of a question page found besides who is asking.
pub enum Look {
    /// The page kept from this reader's last view, nothing on the board having changed since.
    Kept(Arc<KeptPage>),
    /// No page kept: one made now is kept under this key and version, if it may be kept.
    Make(Option<(PageKey, Made)>),
}

/// A staff page: the one kept for the reader, or one to make now (`Fresh`).
pub enum Staff<T> {
    Kept(Arc<KeptPage>),
    Made(Box<Fresh<T>>),
}

/// The service's data for a page made now, the key and version to keep it under (none when it
/// may not be kept), and the reader it is for.
pub struct Fresh<T> {
    pub data: T,
    pub keep: Option<(PageKey, Made)>,
    pub reader: Actor,
}

/// A piece of a kept page: its own bytes, or a hole for a value of this response.
#[derive(Debug, PartialEq)]
enum Part {
    Bytes(Bytes),
    Csrf,
    FormToken,
}

/// A kept page and what it was made from.
pub struct KeptPage {
    made: Made,
    /// The reader as read when the page was made, after the version: while the version holds,
    /// nothing about them that their access depends on has changed (`Identity::load_with`).
    reader: Actor,
    /// The page changes by itself at this time (its stage closes).
    until: Option<PrimitiveDateTime>,
    parts: Vec<Part>,
    len: usize,
}

impl KeptPage {
    fn reader(&self) -> &Actor {
        &self.reader
    }

    /// The page's bytes with this response's tokens in its holes.
    pub fn body(&self, csrf: &str, form_token: &str) -> Bytes {
        if let [Part::Bytes(b)] = self.parts.as_slice() {
            return b.clone();
        }
        let mut out = BytesMut::with_capacity(self.len + 64 * self.parts.len());
        for part in &self.parts {
            match part {
                Part::Bytes(b) => out.extend_from_slice(b),
                Part::Csrf => out.extend_from_slice(csrf.as_bytes()),
                Part::FormToken => out.extend_from_slice(form_token.as_bytes()),
            }
        }
        out.freeze()
    }
}

#[derive(Clone)]
struct BySize;

impl Weighter<PageKey, Arc<KeptPage>> for BySize {
    fn weight(&self, key: &PageKey, page: &Arc<KeptPage>) -> u64 {
        (page.len + key.reader.len() + 200) as u64
    }
}

/// The kept pages, at most `bytes` of them in all.
pub struct PageCache {
    pages: Option<Cache<PageKey, Arc<KeptPage>, BySize>>,
    /// Written in place of the CSRF token and the form token when a page is rendered to be kept:
    /// random per process and made of letters and digits only, so no escaping changes them and
    /// no text a person wrote can contain them by chance.
    csrf_mark: String,
    form_mark: String,
}

impl PageCache {
    /// A cache of at most `bytes`; 0 keeps nothing.
    pub fn new(bytes: u64) -> Self {
        let prefix = &tokens::generate().hash[..32];
        PageCache {
            // About 100 KB a page: the estimate only sizes the table.
            pages: (bytes > 0).then(|| Cache::with_weighter((bytes / 100_000).max(16) as usize, bytes, BySize)),
            csrf_mark: format!("{prefix}csrfhole"),
            form_mark: format!("{prefix}formhole"),
        }
    }

    pub fn enabled(&self) -> bool {
        self.pages.is_some()
    }

    /// The page kept for `key` if it was made at `made` and has not changed by itself since.
    pub fn get(&self, key: &PageKey, made: Made, now: PrimitiveDateTime) -> Option<Arc<KeptPage>> {
        let page = self.pages.as_ref()?.get(key)?;
        (page.made == made && page.until.is_none_or(|t| now < t)).then_some(page)
    }

    /// A staff page for `actor`: the one kept for them at `view` (`staff_look`), or the data
    /// `make` reads for one made now. No `view` (a view with a one-time notice) neither serves
    /// nor keeps one.
    pub fn staff_page<T>(
        &self,
        conn: &mut DbConn,
        ctx: &Ctx,
        actor: &Actor,
        view: Option<View>,
        stamp: impl FnOnce(&mut DbConn) -> AppResult<u64>,
        make: impl FnOnce(&mut DbConn) -> AppResult<T>,
    ) -> AppResult<Staff<T>> {
        let look = match view {
            Some(view) => self.staff_look(conn, ctx, actor, view, stamp)?,
            None => Look::Make(None),
        };
        Ok(match look {
            Look::Kept(kept) => Staff::Kept(kept),
            Look::Make(keep) => Staff::Made(Box::new(Fresh { data: make(conn)?, keep, reader: actor.clone() })),
        })
    }

    /// The first look at a staff page of a board, for `actor` (already checked as always):
    /// the board's version first, so whatever is read after it is at least as new as it says;
    /// then `stamp`, for what the page shows of the reader outside the version; then the page
    /// kept for them. While the version holds, nothing their access depends on has changed
    /// (their role, the board, their account), so a kept page is theirs to see again.
    fn staff_look(
        &self,
        conn: &mut DbConn,
        ctx: &Ctx,
        actor: &Actor,
        view: View,
        stamp: impl FnOnce(&mut DbConn) -> AppResult<u64>,
    ) -> AppResult<Look> {
        let board = match &view {
            View::Board(b) | View::Grid(b, _) | View::Report(b, _) => b,
            View::Question { .. } => return Ok(Look::Make(None)),
        };
        if !self.enabled() || matches!(actor, Actor::System) {
            return Ok(Look::Make(None));
        }
        let Some(version) = crate::service::boards::board_version(conn, board)? else {
            return Ok(Look::Make(None));
        };
        let made = Made { version, stamp: stamp(conn)? };
        let key = PageKey::of(actor, view);
        Ok(match self.get(&key, made, ctx.now()) {
            Some(kept) => Look::Kept(kept),
            None => Look::Make(Some((key, made))),
        })
    }

    /// The first look at a view of `question` (HTML, or JSON with `json`), on one connection:
    /// the board's version first, so whatever is read after it is at least as new as it says
    /// and a page made while a write commits is kept under the version before it; then as
    /// `first_look_at`.
    pub fn first_look(
        &self,
        conn: &mut DbConn,
        ctx: &Ctx,
        identity: &Identity,
        question: &QuestionId,
        at: &PageAt,
        json: bool,
    ) -> AppResult<(Actor, Look)> {
        let version = if self.enabled() { pages::board_version(conn, question)? } else { None };
        self.first_look_at(conn, ctx, identity, View::question(question, at, json), version)
    }

    /// The first look at a question's `view`, the board's `version` read already (with the
    /// asker's token: `Bearer::read_checked_at`): the page kept for this reader, then who is
    /// asking, the reader kept with the page standing for them while the version holds
    /// (`Identity::load_with`: the session or token is checked as always).
    pub fn first_look_at(
        &self,
        conn: &mut DbConn,
        ctx: &Ctx,
        identity: &Identity,
        view: View,
        version: Option<i64>,
    ) -> AppResult<(Actor, Look)> {
        let key = identity.person_id().map(|who| PageKey { reader: who.to_string(), view });
        let made = version.filter(|_| self.enabled()).map(|version| Made { version, stamp: 0 });
        let kept = match (made, &key) {
            (Some(made), Some(key)) => self.get(key, made, ctx.now()),
            _ => None,
        };
        let actor = identity.load_with(conn, ctx, kept.as_ref().map(|k| k.reader()))?;
        let look = match kept {
            Some(kept) => Look::Kept(kept),
            None => Look::Make(key.zip(made)),
        };
        Ok((actor, look))
    }

    /// What a page to be kept is rendered with in place of the CSRF token and the form token.
    pub fn marks(&self) -> (&str, &str) {
        (&self.csrf_mark, &self.form_mark)
    }

    /// Keeps `body`, made for `reader` and rendered with `marks()` in place of the tokens, and
    /// returns it.
    pub fn put(
        &self,
        key: PageKey,
        made: Made,
        until: Option<PrimitiveDateTime>,
        reader: Actor,
        body: String,
    ) -> Arc<KeptPage> {
        let len = body.len();
        let page = Arc::new(KeptPage { made, reader, until, parts: self.split(body), len });
        if let Some(pages) = &self.pages {
            pages.insert(key, page.clone());
        }
        page
    }

    /// Cuts `body` at the marks.
    fn split(&self, body: String) -> Vec<Part> {
        let body = Bytes::from(body);
        let text = std::str::from_utf8(&body).unwrap_or_default();
        // Both marks start with the same random prefix; what follows it tells which.
        let prefix = &self.csrf_mark[..self.csrf_mark.len() - "csrfhole".len()];
        let mut parts = Vec::new();
        let mut from = 0;
        for (at, _) in text.match_indices(prefix) {
            if at < from {
                continue;
            }
            let rest = &text[at..];
            let (hole, mark_len) = if rest.starts_with(&self.csrf_mark) {
                (Part::Csrf, self.csrf_mark.len())
            } else if rest.starts_with(&self.form_mark) {
                (Part::FormToken, self.form_mark.len())
            } else {
                continue;
            };
            if at > from {
                parts.push(Part::Bytes(body.slice(from..at)));
            }
            parts.push(hole);
            from = at + mark_len;
        }
        if from < body.len() || parts.is_empty() {
            parts.push(Part::Bytes(body.slice(from..)));
        }
        parts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(reader: &str) -> PageKey {
        let view = View::Question { question: "q".to_string().into(), page: None, post: None, json: false };
        PageKey { reader: reader.into(), view }
    }

    fn at(version: i64) -> Made {
        Made { version, stamp: 0 }
    }

    #[test]
    fn holes_are_filled_per_response() {
        let cache = PageCache::new(1 << 20);
        let (csrf, form) = cache.marks();
        let body = format!("<a>{csrf}</a><b>{form}{form}</b>{csrf}");
        let page = cache.put(key("r"), at(1), None, Actor::System, body);
        assert_eq!(&page.body("C", "F")[..], b"<a>C</a><b>FF</b>C");
        assert_eq!(&page.body("c2", "f2")[..], b"<a>c2</a><b>f2f2</b>c2");
        let plain = cache.put(key("s"), at(1), None, Actor::System, "{\"a\":1}".into());
        assert_eq!(&plain.body("C", "F")[..], b"{\"a\":1}");
    }

    #[test]
    fn a_page_is_kept_for_its_version_and_until_it_changes_by_itself() {
        let cache = PageCache::new(1 << 20);
        let t = time::macros::datetime!(2026-12-07 10:00);
        cache.put(key("r"), at(7), Some(t), Actor::System, "page".into());
        assert!(cache.get(&key("r"), at(7), t - time::Duration::seconds(1)).is_some());
        assert!(
            cache.get(&key("r"), Made { version: 7, stamp: 1 }, t - time::Duration::seconds(1)).is_none(),
            "read on"
        );
        assert!(cache.get(&key("r"), at(8), t - time::Duration::seconds(1)).is_none(), "another version");
        assert!(cache.get(&key("r"), at(7), t).is_none(), "the stage closed");
        assert!(cache.get(&key("someone else"), at(7), t - time::Duration::seconds(1)).is_none());
        let off = PageCache::new(0);
        off.put(key("r"), at(7), None, Actor::System, "page".into());
        assert!(off.get(&key("r"), at(7), t).is_none());
    }
}
