//! A long question comes in pages of 50 posts in reading order (each post followed by its
//! replies), reached by plain links and by a post's own link, with the reading rules applied
//! before the posts are counted into pages.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(a_long_question_comes_in_pages, a_large_questions_kept_outline_follows_every_new_post);

/// The ids of a page's posts in the order they are shown, replies after their post.
fn shown(page: &Value) -> Vec<String> {
    fn walk(post: &Value, out: &mut Vec<String>) {
        out.push(post["id"].as_str().unwrap().to_string());
        for r in post["replies"].as_array().unwrap() {
            walk(r, out);
        }
    }
    let mut out = Vec::new();
    for p in page["posts"].as_array().unwrap() {
        walk(p, &mut out);
    }
    out
}

async fn a_long_question_comes_in_pages(backend: Backend) {
    let app = spawn(backend).await;
    let s = app
        .board_with_question(
            "mod@example.org",
            "post_first",
            &["ann@example.org", "bob@example.org", "cat@example.org"],
        )
        .await;
    let (ann, bob, cat) = (
        app.participant_api(s.link(0)).await,
        app.participant_api(s.link(1)).await,
        app.participant_api(s.link(2)).await,
    );
    let id = |v: &Value| v["id"].as_str().unwrap().to_string();
    // Ann's answer with 60 replies under it, then Bob's answer with 40: 102 posts, read as
    // A, its 60 replies, B, its 40 replies.
    let a = id(&ann.write_post(&s.question, json!({"body_md": "Ann's answer"})).await.1);
    let mut order = vec![a.clone()];
    for i in 0..60 {
        let (st, r) = ann.write_post(&s.question, json!({"body_md": format!("a{i}"), "parent_id": a})).await;
        assert_eq!(st, StatusCode::CREATED);
        order.push(id(&r));
    }
    let b = id(&bob.write_post(&s.question, json!({"body_md": "Bob's answer"})).await.1);
    order.push(b.clone());
    for i in 0..40 {
        order.push(id(&bob.write_post(&s.question, json!({"body_md": format!("b{i}"), "parent_id": b})).await.1));
    }

    // Three pages: 50, 50 and 2 posts, in reading order, each post once.
    let q = format!("/api/v1/questions/{}", s.question);
    let mut seen = Vec::new();
    for n in 1..=3 {
        let (st, page) = ann.get(&format!("{q}?page={n}")).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(page["pages"], json!({"number": n, "count": 3, "total_posts": 102}));
        seen.extend(shown(&page));
    }
    assert_eq!(seen, order, "every post once, replies after their post");
    let (_, first) = ann.question(&s.question).await;
    assert_eq!(shown(&first), order[..50], "no page asked for: the first");
    assert_eq!(first["posts"].as_array().unwrap().len(), 1, "page 1 is Ann's answer and 49 of its replies");
    assert_eq!(first["posts"][0]["continues_thread"], false);
    // Page 2 goes on with Ann's thread: its first post says it replies to one on page 1.
    let (_, second) = ann.get(&format!("{q}?page=2")).await;
    assert_eq!(second["posts"][0]["id"], json!(order[50]));
    assert_eq!(second["posts"][0]["continues_thread"], true);
    assert_eq!(second["posts"][0]["parent_id"], json!(a));
    // The 11 replies to Ann's answer left over from page 1, then Bob's thread.
    assert_eq!(second["posts"][10]["continues_thread"], true);
    assert_eq!(second["posts"][11]["id"], json!(b), "Bob's answer starts a thread of its own");
    assert_eq!(second["posts"][11]["continues_thread"], false);
    assert_eq!(second["posts"].as_array().unwrap().len(), 12);
    // A post's link opens the page holding it; a page past the end is the last.
    let (_, holding) = ann.get(&format!("{q}?post={}", order[101])).await;
    assert_eq!(holding["pages"]["number"], 3);
    assert_eq!(ann.get(&format!("{q}?page=99")).await.1["pages"]["number"], 3);
    assert_eq!(ann.get(&format!("{q}?page=0")).await.1["pages"]["number"], 1);
    assert_eq!(ann.get(&format!("{q}?page=two")).await.0, StatusCode::BAD_REQUEST);

    // Cat has not answered (post first): nothing to page, and a post's link shows no post.
    let (_, for_cat) = cat.get(&format!("{q}?post={}", order[101])).await;
    assert_eq!(for_cat["pages"], json!({"number": 1, "count": 1, "total_posts": 0}));
    assert_eq!(for_cat["posts"], json!([]));
    assert_eq!(for_cat["hidden_answers"], 2);

    // The same pages as HTML, without JavaScript: plain links between them.
    let browser = app.sign_in_participant(s.link(0)).await;
    let html = browser.get_ok(&format!("/q/{}?page=2", s.question)).await;
    assert!(html.contains("Page 2 of 3: posts 51–100 of 102."), "where this page lies");
    assert_eq!(texts(&html, "nav.pager a[rel=prev]"), vec!["Previous page"; 2]);
    assert_eq!(texts(&html, "nav.pager a[rel=next]"), vec!["Next page"; 2]);
    assert_eq!(texts(&html, "nav.pager [aria-current=page]"), vec!["2"; 2]);
    assert_eq!(html.matches("class=\"post ").count(), 50);
    // One link back to the post replied to, for the run of its replies that open the page.
    assert_eq!(hrefs(&html, "p.continues a"), vec![format!("/q/{}?post={a}#post-{a}", s.question)]);
    for link in texts(&html, "nav.pager a") {
        assert!(["Previous page", "Next page", "1", "3"].contains(&link.as_str()), "{link}");
    }
    let one_page = browser.question_page(&s.question).await;
    assert_eq!(hrefs(&one_page, "nav.pager a[rel=next]")[0], format!("/q/{}?page=2", s.question));
    // A reply posted through the form on the last page lands where it can be seen.
    let last_path = format!("/q/{}?page=3", s.question);
    let last = browser.get_ok(&last_path).await;
    let res = browser
        .submit(
            &last_path,
            &format!("/q/{}/posts", s.question),
            &[("body_md", "Ann replies to Bob"), ("parent_id", &b), ("form_token", &form_token_of(&last))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let landed = res.url().clone();
    // (The fragment, `#post-…`, stays with the browser.)
    let new_id = landed.query().unwrap().strip_prefix("post=").unwrap().to_string();
    assert!(!order.contains(&new_id));
    let page = res.text().await.unwrap();
    assert!(page.contains(&format!("id=\"post-{new_id}\"")), "the page the reply is on");
    assert!(page.contains("Page 3 of 3"));
    // The board's staff page the same way, and viewing as a participant keeps `as=`.
    let staff = app.signed_in("mod@example.org").await;
    let staff_page = staff.get_ok(&format!("/q/{}?post={}", s.question, order[101])).await;
    assert!(staff_page.contains(&format!("id=\"post-{}\"", order[101])));
    let pid = &s.participants[0].1;
    let as_ann = staff.get_ok(&format!("/q/{}?as={pid}&page=3", s.question)).await;
    assert_eq!(hrefs(&as_ann, "nav.pager a[rel=prev]")[0], format!("/q/{}?as={pid}&page=2", s.question));
}

fn form_token_of(html: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=form_token]").unwrap();
    doc.select(&sel).next().and_then(|e| e.value().attr("value")).unwrap().to_string()
}

fn hrefs(html: &str, selector: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse(selector).unwrap();
    doc.select(&sel).filter_map(|e| e.value().attr("href")).map(str::to_string).collect()
}

/// A question of 520 posts has its outline kept in memory between views (`service::outlines`);
/// every post written since, through this server or straight into the database as another
/// instance would, is on the next view, and edits show as always.
async fn a_large_questions_kept_outline_follows_every_new_post(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
    let (q, ann_id) = (s.question.clone(), s.participants[0].1.clone());
    let answer =
        ann.write_post(&s.question, json!({"body_md": "Ann's answer"})).await.1["id"].as_str().unwrap().to_string();
    let parent = answer.clone();
    app.with_db(move |conn, ctx| {
        let ann = Actor::Participant(focusboard::db::participants::find(conn, &ann_id)?.expect("Ann"));
        for i in 0..519 {
            let input =
                service::posting::PostInput { body_md: format!("reply {i}"), parent_id: Some(parent.clone().into()) };
            service::posting::create_post(conn, ctx, &ann, &q, &input)?;
        }
        Ok(())
    })
    .await;
    let last = |n: i64| format!("/api/v1/questions/{}?page={n}", s.question);
    let (_, page) = ann.get(&last(11)).await;
    assert_eq!(page["pages"], json!({"number": 11, "count": 11, "total_posts": 520}));
    assert_eq!(shown(&page).len(), 20);
    // The same again, now from the kept outline.
    let (_, again) = ann.get(&last(11)).await;
    assert_eq!(shown(&again), shown(&page));
    // A reply through the API is on the next view, for its author and for others.
    let (st, reply) = bob.write_post(&s.question, json!({"body_md": "Bob replies", "parent_id": answer})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, page) = ann.get(&last(11)).await;
    assert_eq!(page["pages"]["total_posts"], 521);
    assert!(shown(&page).contains(&reply["id"].as_str().unwrap().to_string()));
    // One written past this server's knowledge, as another instance would: on the next view.
    let (q, bob_id, parent) = (s.question.clone(), s.participants[1].1.clone(), answer.clone());
    let other = app
        .with_db(move |conn, ctx| {
            let bob = Actor::Participant(focusboard::db::participants::find(conn, &bob_id)?.expect("Bob"));
            let input =
                service::posting::PostInput { body_md: "From elsewhere".into(), parent_id: Some(parent.into()) };
            Ok(service::posting::create_post(conn, ctx, &bob, &q, &input)?.id.to_string())
        })
        .await;
    let (_, page) = bob.get(&last(11)).await;
    assert_eq!(page["pages"]["total_posts"], 522);
    assert!(shown(&page).contains(&other));
    // An edit changes the text, not the outline: shown at once.
    let (st, _) = bob.patch(&format!("/api/v1/posts/{other}"), json!({"body_md": "From elsewhere, edited"})).await;
    assert_eq!(st, StatusCode::OK);
    let (_, page) = ann.get(&last(11)).await;
    assert!(page.to_string().contains("From elsewhere, edited"));
}
