//! The threads of the question page, rendered one post at a time by a template compiled into
//! the binary (askama). A recursive handlebars partial copied the whole page's data at every
//! post, and interpreting the post's many conditions was most of the page's cost.

use super::session::Viewer;
use crate::domain::ids::QuestionId;
use crate::domain::threads::{PageSpan, POSTS_PER_PAGE};
use crate::error::AppError;
use crate::service::pages::QuestionPage;
use crate::service::views::PostView;
use askama::Template;

/// What the forms inside a post need from the page around it.
struct Around<'a> {
    csrf: &'a str,
    form_token: &'a str,
    participant: bool,
    can_manage: bool,
    can_reply: bool,
    allow_images: bool,
}

#[derive(Template)]
#[template(path = "compiled/post.html")]
struct PostHtml<'a> {
    p: &'a PostView,
    /// Link back to the post this one replies to, on an earlier page; once for a run of
    /// replies to the same post.
    link_back: bool,
    replies_html: &'a str,
    c: &'a Around<'a>,
}

/// Takes the page's threads out of `page` and returns them as HTML, replies nested.
pub fn posts_html(viewer: &Viewer, page: &mut QuestionPage) -> Result<String, AppError> {
    let around = Around {
        csrf: &viewer.csrf,
        form_token: viewer.form_token(),
        participant: page.board.your_role == "participant",
        can_manage: page.board.can_manage,
        can_reply: page.can_reply,
        allow_images: page.question.allow_images,
    };
    let mut html = String::new();
    let mut previous_parent = None;
    for post in std::mem::take(&mut page.posts) {
        let link_back = post.continues_thread && post.parent_id != previous_parent;
        post_html(&post, link_back, &around, &mut html)?;
        previous_parent = post.parent_id;
    }
    Ok(html)
}

fn post_html(post: &PostView, link_back: bool, around: &Around, out: &mut String) -> Result<(), AppError> {
    let mut replies_html = String::new();
    for reply in &post.replies {
        post_html(reply, false, around, &mut replies_html)?;
    }
    PostHtml { p: post, link_back, replies_html: &replies_html, c: around }
        .render_into(out)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}

/// Links between the pages of a long question, plain links that work without JavaScript.
#[derive(serde::Serialize)]
pub struct Pager {
    number: usize,
    count: usize,
    /// Positions (from 1) of the first and last post on this page, and of all posts.
    first: usize,
    last: usize,
    total: usize,
    prev: Option<String>,
    next: Option<String>,
    links: Vec<PageLink>,
}

#[derive(serde::Serialize)]
struct PageLink {
    number: usize,
    href: String,
    current: bool,
    /// Stands for the pages left out between two links.
    gap_before: bool,
}

impl Pager {
    /// `keep` is the query the links carry besides the page (`as=…&`), or empty.
    pub fn new(question_id: &QuestionId, span: &PageSpan, keep: &str) -> Option<Pager> {
        if span.count < 2 {
            return None;
        }
        let href = |n: usize| format!("/q/{question_id}?{keep}page={n}");
        // The first, the last, and two either side of this one.
        let near = |n: usize| n == 1 || n == span.count || n.abs_diff(span.number) <= 2;
        let mut links = Vec::new();
        let mut last_shown = 0;
        for n in (1..=span.count).filter(|&n| near(n)) {
            links.push(PageLink {
                number: n,
                href: href(n),
                current: n == span.number,
                gap_before: n > last_shown + 1,
            });
            last_shown = n;
        }
        Some(Pager {
            number: span.number,
            count: span.count,
            first: span.start + 1,
            last: span.end.max(span.start + 1).min(span.start + POSTS_PER_PAGE),
            total: span.total_posts,
            prev: (span.number > 1).then(|| href(span.number - 1)),
            next: (span.number < span.count).then(|| href(span.number + 1)),
            links,
        })
    }
}
