//! The threads of the question page, rendered one post at a time by a template compiled into
//! the binary (askama). A recursive handlebars partial copied the whole page's data at every
//! post, and interpreting the post's many conditions was most of the page's cost.

use super::session::Viewer;
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
    for post in std::mem::take(&mut page.posts) {
        post_html(&post, &around, &mut html)?;
    }
    Ok(html)
}

fn post_html(post: &PostView, around: &Around, out: &mut String) -> Result<(), AppError> {
    let mut replies_html = String::new();
    for reply in &post.replies {
        post_html(reply, around, &mut replies_html)?;
    }
    PostHtml { p: post, replies_html: &replies_html, c: around }
        .render_into(out)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
}
