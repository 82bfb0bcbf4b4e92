//! Reading order and pages of a question's threads. Each post is followed by its replies,
//! depth first, in creation order at every level; a long question is cut into pages of
//! `POSTS_PER_PAGE` posts in that order, so a page costs the same however long the question.

use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;

/// Posts on one page of a question.
pub const POSTS_PER_PAGE: usize = 50;

/// The order a question's posts are read in. `posts` are `(id, parent id)` oldest first; the
/// answer gives their indexes, each post followed by its replies. A post whose parent is not
/// among `posts` starts a thread of its own (its parent is one the reader may not see).
pub fn reading_order(posts: &[(&str, Option<&str>)]) -> Vec<usize> {
    let index: HashMap<&str, usize> = posts.iter().enumerate().map(|(i, (id, _))| (*id, i)).collect();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); posts.len()];
    let mut roots = Vec::new();
    for (i, (_, parent)) in posts.iter().enumerate() {
        match parent.and_then(|p| index.get(p)) {
            Some(&p) => children[p].push(i),
            None => roots.push(i),
        }
    }
    // An explicit stack: a chain of replies to replies can be thousands deep.
    let mut order = Vec::with_capacity(posts.len());
    let mut stack: Vec<usize> = roots.into_iter().rev().collect();
    while let Some(i) = stack.pop() {
        order.push(i);
        stack.extend(children[i].iter().rev());
    }
    order
}

/// Which page of a question a reader asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PageWanted {
    #[default]
    First,
    /// A page by its number, from 1.
    Number(usize),
    /// The page holding the post at this position in the reading order.
    Holding(usize),
}

/// The page shown and where it lies among the question's posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub struct PageSpan {
    /// This page's number, from 1.
    pub number: usize,
    /// How many pages the question's posts fill (at least 1).
    pub count: usize,
    /// Posts the reader may read in the whole question.
    pub total_posts: usize,
    /// Position of this page's first post in the reading order, from 0.
    #[serde(skip)]
    pub start: usize,
    /// Position after this page's last post.
    #[serde(skip)]
    pub end: usize,
}

impl PageSpan {
    /// The page `wanted` of `total` posts; a number past the end gives the last page.
    pub fn of(total: usize, wanted: PageWanted) -> PageSpan {
        Self::sized(total, wanted, POSTS_PER_PAGE)
    }

    /// As `of`, for any list shown `per_page` to a page (the participation grid's participants).
    pub fn sized(total: usize, wanted: PageWanted, per_page: usize) -> PageSpan {
        let count = total.div_ceil(per_page).max(1);
        let number = match wanted {
            PageWanted::First => 1,
            PageWanted::Number(n) => n,
            PageWanted::Holding(position) => position / per_page + 1,
        }
        .clamp(1, count);
        let start = (number - 1) * per_page;
        PageSpan { number, count, total_posts: total, start, end: (start + per_page).min(total) }
    }

    /// Whether every post is on this page.
    pub fn is_whole(&self) -> bool {
        self.count == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_follow_their_post_in_creation_order() {
        // a, b answers; c replies to a; d to c; e to a; f to a post not shown.
        let posts = [("a", None), ("b", None), ("c", Some("a")), ("d", Some("c")), ("e", Some("a")), ("f", Some("x"))];
        let order: Vec<&str> = reading_order(&posts).into_iter().map(|i| posts[i].0).collect();
        assert_eq!(order, ["a", "c", "d", "e", "b", "f"]);
    }

    #[test]
    fn a_deep_chain_does_not_overflow() {
        let ids: Vec<String> = (0..100_000).map(|i| i.to_string()).collect();
        let posts: Vec<(&str, Option<&str>)> =
            ids.iter().enumerate().map(|(i, id)| (id.as_str(), i.checked_sub(1).map(|p| ids[p].as_str()))).collect();
        assert_eq!(reading_order(&posts), (0..100_000).collect::<Vec<_>>());
    }

    #[test]
    fn pages_cover_every_post_once() {
        let p = PageSpan::of(120, PageWanted::First);
        assert_eq!((p.number, p.count, p.start, p.end), (1, 3, 0, 50));
        let p = PageSpan::of(120, PageWanted::Number(3));
        assert_eq!((p.start, p.end), (100, 120));
        assert_eq!(PageSpan::of(120, PageWanted::Number(9)).number, 3);
        assert_eq!(PageSpan::of(120, PageWanted::Number(0)).number, 1);
        let p = PageSpan::sized(122, PageWanted::Number(3), 50);
        assert_eq!((p.number, p.count, p.start, p.end), (3, 3, 100, 122));
        assert_eq!(
            (PageSpan::sized(0, PageWanted::Number(2), 50).start, PageSpan::sized(0, PageWanted::First, 50).end),
            (0, 0)
        );
        assert_eq!(PageSpan::of(120, PageWanted::Holding(50)).number, 2);
        assert_eq!(PageSpan::of(120, PageWanted::Holding(49)).number, 1);
        let empty = PageSpan::of(0, PageWanted::Number(4));
        assert_eq!((empty.number, empty.count, empty.start, empty.end), (1, 1, 0, 0));
        assert!(empty.is_whole() && PageSpan::of(50, PageWanted::First).is_whole());
        assert!(!PageSpan::of(51, PageWanted::First).is_whole());
    }
}
