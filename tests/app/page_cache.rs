//! Question pages are kept as last rendered for each reader while nothing on their board has
//! changed (`web::page_cache`). Whatever changes, through this server or straight in the
//! database as another instance would, the next view shows it; a kept page never outlives the
//! session or link that opened it, and never shares one view's form token with another. The
//! staff's board page, grid and report are kept the same way, and show what only they show.

use crate::helpers::*;
use diesel::prelude::*;
use focusboard::db::schema::participants;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    a_kept_question_page_shows_every_change_at_the_next_view,
    a_kept_page_ends_with_its_session,
    kept_staff_pages_show_what_changed_for_them
);

fn form_tokens(html: &str) -> Vec<String> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("input[name=form_token]").unwrap();
    doc.select(&sel).filter_map(|e| e.value().attr("value")).map(str::to_string).collect()
}

fn authors(page: &Value) -> Vec<String> {
    page["posts"].as_array().unwrap().iter().map(|p| p["author"].as_str().unwrap().to_string()).collect()
}

async fn a_kept_question_page_shows_every_change_at_the_next_view(backend: Backend) {
    let app = spawn(backend).await;
    let s = app
        .board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org", "cat@example.org"])
        .await;
    let m = app.api_of("mod@example.org").await;
    let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
    let browser = app.sign_in_participant(s.link(0)).await;
    let path = format!("/q/{}", s.question);
    let (st, a) = ann.write_post(&s.question, json!({"body_md": "Ann's answer"})).await;
    assert_eq!(st, StatusCode::CREATED);

    // The same page twice: the same session's CSRF token, each view its own form token.
    let (first, second) = (browser.get_ok(&path).await, browser.get_ok(&path).await);
    assert_eq!(csrf_of(&first), csrf_of(&second));
    let (t1, t2) = (form_tokens(&first), form_tokens(&second));
    assert!(!t1.is_empty() && t1.iter().all(|t| t == &t1[0]), "one token a view: {t1:?}");
    assert_ne!(t1[0], t2[0], "two views never share a form token");
    assert_eq!(first.replace(&t1[0], ""), second.replace(&t2[0], ""), "otherwise the same page");
    // Each view's form posts once: two views, two replies.
    let a_id = a["id"].as_str().unwrap().to_string();
    for token in [&t1[0], &t2[0]] {
        let action = format!("/q/{}/posts", s.question);
        let fields = [("body_md", "Once from each view"), ("parent_id", &a_id), ("form_token", token.as_str())];
        assert_eq!(browser.submit(&path, &action, &fields).await.status(), StatusCode::OK);
    }
    assert_eq!(browser.get_ok(&path).await.matches("Once from each view").count(), 2);
    let (_, page) = ann.question(&s.question).await;
    assert_eq!(ann.question(&s.question).await.1, page, "the JSON, kept, is the same");

    // Another participant's answer, through this server.
    let (_, b) = bob.write_post(&s.question, json!({"body_md": "Bob answers"})).await;
    let b_id = b["id"].as_str().unwrap().to_string();
    assert!(browser.get_ok(&path).await.contains("Bob answers"));
    assert!(ann.question(&s.question).await.1.to_string().contains("Bob answers"));
    // An agreement.
    let agree = format!("/api/v1/posts/{}/agree", a["id"].as_str().unwrap());
    assert_eq!(bob.post(&agree, json!({})).await.0, StatusCode::OK);
    let (_, page) = ann.question(&s.question).await;
    assert_eq!(page["posts"][0]["agrees"], 1);
    // Hidden by the moderator.
    assert!(m.hide_post(&b_id, json!({"reason": "off topic"})).await.0.is_success());
    assert!(browser.get_ok(&path).await.contains("This post was hidden by the moderators."));
    let (_, page) = ann.question(&s.question).await;
    assert_eq!(page.to_string().matches("hidden by the moderators").count(), 1);
    // Written straight into the database, as another instance or a script would: a new
    // screen name and a post.
    let bob_id = s.participants[1].1.clone();
    let before = authors(&ann.question(&s.question).await.1);
    assert!(before.contains(&"sn-bob".to_string()), "{before:?}");
    let who = bob_id.clone();
    app.with_db(move |conn, _| {
        diesel::update(participants::table.find(&who)).set(participants::screen_name.eq("Roberta")).execute(conn)?;
        Ok(())
    })
    .await;
    assert!(authors(&ann.question(&s.question).await.1).contains(&"Roberta".to_string()));
    assert!(browser.get_ok(&path).await.contains("Roberta"));
    let (q, parent) = (s.question.clone(), a["id"].as_str().unwrap().to_string());
    app.with_db(move |conn, ctx| {
        let bob = focusboard::service::Actor::Participant(focusboard::db::participants::find(conn, &bob_id)?.unwrap());
        let input = focusboard::service::posting::PostInput {
            body_md: "Written elsewhere".into(),
            parent_id: Some(parent.into()),
        };
        focusboard::service::posting::create_post(conn, ctx, &bob, &q, &input)?;
        Ok(())
    })
    .await;
    assert!(ann.question(&s.question).await.1.to_string().contains("Written elsewhere"));
    assert!(browser.get_ok(&path).await.contains("Written elsewhere"));
    // Bookkeeping that shows nowhere on the page (a participant's last visit) keeps it.
    let version = || {
        let q = s.question.clone();
        app.with_db(move |conn, _| Ok(focusboard::service::pages::board_version(conn, &q)?.unwrap()))
    };
    let v = version().await;
    let who = s.participants[2].1.clone();
    let now = app.clock_now();
    app.with_db(move |conn, _| {
        diesel::update(participants::table.find(&who)).set(participants::last_seen_at.eq(Some(now))).execute(conn)?;
        Ok(())
    })
    .await;
    assert_eq!(version().await, v, "a last visit is not a change to any page");

    // A page kept while its stage is open changes by itself when the stage closes.
    let close = (app.clock_now() + time::Duration::hours(1))
        .format(&time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]"))
        .unwrap();
    let (st, _) = m.edit_stage(&s.stage, json!({"title": "Stage 1", "close_at": close})).await;
    assert_eq!(st, StatusCode::OK);
    let cat = app.sign_in_participant(s.link(2)).await;
    let open = cat.get_ok(&path).await;
    assert!(open.contains("name=\"body_md\""), "Cat may answer");
    let without_token = |html: String| html.replace(&form_tokens(&html)[0], "");
    assert_eq!(without_token(cat.get_ok(&path).await), without_token(open.clone()), "kept while open");
    let v = version().await;
    app.clock.advance(time::Duration::hours(2));
    let closed = cat.get_ok(&path).await;
    assert!(closed.contains("This stage is closed"), "closed by the clock alone");
    assert_eq!(version().await, v, "nothing was written");
}

async fn a_kept_page_ends_with_its_session(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let ann = app.sign_in_participant(s.link(0)).await;
    let ann_api = app.participant_api(s.link(0)).await;
    let path = format!("/q/{}", s.question);
    ann.get_ok(&path).await;
    assert_eq!(ann.get(&path).await.url().path(), path, "kept, and shown");
    assert_eq!(ann_api.question(&s.question).await.0, StatusCode::OK);
    assert_eq!(ann_api.question(&s.question).await.0, StatusCode::OK);
    // The moderator issues a new link: the old session and token end, kept page or not.
    let m = app.api_of("mod@example.org").await;
    let (st, _) =
        m.post(&format!("/api/v1/boards/{}/participants/{}/link", s.board, s.participants[0].1), json!({})).await;
    assert!(st.is_success(), "{st}");
    let res = ann.get(&path).await;
    assert_ne!(res.url().path(), path, "sent to sign in, not shown the kept page");
    assert!(!res.text().await.unwrap().contains("What did you hope for?"));
    assert_eq!(ann_api.question(&s.question).await.0, StatusCode::UNAUTHORIZED);
    // A staff account disabled straight in the database (as another instance or a script
    // would, its sessions left alone): the person kept with the page is not trusted.
    let cookie = raw_login(&app, "mod@example.org").await;
    let open = |cookie: String| {
        let url = app.url(&path);
        async move { raw().get(url).header("cookie", cookie).send().await.unwrap() }
    };
    assert_eq!(open(cookie.clone()).await.status(), StatusCode::OK);
    assert_eq!(open(cookie.clone()).await.status(), StatusCode::OK, "kept");
    let now = app.clock_now();
    app.with_db(move |conn, _| {
        use focusboard::db::schema::users;
        diesel::update(users::table.filter(users::email.eq("mod@example.org")))
            .set(users::disabled_at.eq(Some(now)))
            .execute(conn)?;
        Ok(())
    })
    .await;
    assert_ne!(open(cookie).await.status(), StatusCode::OK, "a disabled account opens nothing");
    app.with_db(move |conn, _| {
        use focusboard::db::schema::users;
        let none: Option<time::PrimitiveDateTime> = None;
        diesel::update(users::table.filter(users::email.eq("mod@example.org")))
            .set(users::disabled_at.eq(none))
            .execute(conn)?;
        Ok(())
    })
    .await;
    // A staff member who signs out: a copy of their cookie opens no kept page.
    let cookie = raw_login(&app, "mod@example.org").await;
    assert_eq!(open(cookie.clone()).await.status(), StatusCode::OK);
    let res = open(cookie.clone()).await;
    assert_eq!(res.status(), StatusCode::OK, "kept, and shown to its session");
    let fresh = session_cookie(&res).unwrap_or(cookie.clone());
    let csrf = csrf_of(&res.text().await.unwrap());
    let res =
        raw().post(app.url("/logout")).header("cookie", &fresh).form(&[("csrf_token", csrf)]).send().await.unwrap();
    assert!(res.status().is_redirection());
    let res = open(cookie).await;
    assert_ne!(res.status(), StatusCode::OK, "the copied cookie opens nothing");
    assert!(!res.text().await.unwrap().contains("What did you hope for?"));
}

/// The text of the first `dd` after a `dt` reading `label`.
fn figure(html: &str, label: &str) -> String {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("dl div").unwrap();
    let dt = scraper::Selector::parse("dt").unwrap();
    let dd = scraper::Selector::parse("dd").unwrap();
    doc.select(&sel)
        .find(|d| d.select(&dt).next().is_some_and(|t| t.text().collect::<String>().trim() == label))
        .and_then(|d| d.select(&dd).next())
        .map(|d| d.text().collect::<String>().trim().to_string())
        .unwrap_or_else(|| panic!("no {label} in the page"))
}

async fn kept_staff_pages_show_what_changed_for_them(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let moderator = app.signed_in("mod@example.org").await;
    let (board, grid, report) =
        (format!("/boards/{}", s.board), format!("/boards/{}/grid", s.board), format!("/boards/{}/report", s.board));
    let version = || {
        let b = s.board.clone();
        app.with_db(move |conn, _| Ok(focusboard::service::boards::board_version(conn, &b)?.unwrap()))
    };
    // Each page twice, the second kept: the same but for the form token.
    for path in [&board, &grid, &report] {
        let (a, b) = (moderator.get_ok(path).await, moderator.get_ok(path).await);
        let (ta, tb) = (form_tokens(&a), form_tokens(&b));
        assert_eq!(ta.len(), tb.len());
        let strip = |html: &str, tokens: &[String]| tokens.iter().fold(html.to_string(), |h, t| h.replace(t, ""));
        assert_eq!(strip(&a, &ta), strip(&b, &tb), "{path}: kept");
    }
    let page = moderator.get_ok(&board).await;
    assert_eq!(figure(&page, "Signed in"), "0");
    assert!(page.contains("0 of 2"), "nobody answered yet");

    // A first sign-in, and an answer.
    let ann = app.participant_api(s.link(0)).await;
    let page = moderator.get_ok(&board).await;
    assert_eq!(figure(&page, "Signed in"), "1", "a first sign-in shows");
    let (st, a) = ann.write_post(&s.question, json!({"body_md": "Ann's answer"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let page = moderator.get_ok(&board).await;
    assert!(page.contains("1 of 2") && page.contains("1 new"), "an answer shows, new to the moderator");
    assert_eq!(figure(&page, "Posted"), "1");
    assert!(moderator.get_ok(&grid).await.contains("cell answered"), "the answer shows in the grid");
    assert!(moderator.get_ok(&report).await.contains("1 out of 2"));

    // What is new for the moderator is theirs: reading the question clears it, moving no version.
    let v = version().await;
    moderator.get_ok(&format!("/q/{}", s.question)).await;
    let page = moderator.get_ok(&board).await;
    assert!(!page.contains("1 new"), "read by the moderator");
    assert_eq!(version().await, v, "reading is not a change to the board");

    // A coding, through the API: the report counts it.
    let before = moderator.get_ok(&report).await;
    let (st, code) = m.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Hope"})).await;
    assert!(st.is_success(), "{st} {code}");
    let (st, _) = m.code_post(a["id"].as_str().unwrap(), json!({"code_ids": [code["id"]]})).await;
    assert!(st.is_success(), "{st}");
    let after = moderator.get_ok(&report).await;
    assert!(!before.contains("Hope") && after.contains("Hope"), "the new code and its coding show");

    // An email that failed, marked straight in the database as the sending instance would.
    assert!(m.invite(&s.board, json!({})).await.0.is_success());
    let ann_id = s.participants[0].1.clone();
    let b = s.board.clone();
    let failed = app
        .with_db(move |conn, _| {
            use focusboard::db::schema::outbox;
            Ok(diesel::update(outbox::table.filter(outbox::board_id.eq(&b)).filter(outbox::participant_id.eq(&ann_id)))
                .set(outbox::status.eq("failed"))
                .execute(conn)?)
        })
        .await;
    assert!(failed > 0, "Ann was invited");
    assert!(moderator.get_ok(&board).await.contains("Email to 1 participant failed"));
    assert!(moderator.get_ok(&grid).await.contains("email failed"));
    // Straight in the database too: a new post; and the moderator's role taken away.
    let (q, who) = (s.question.clone(), s.participants[1].1.clone());
    app.with_db(move |conn, ctx| {
        let bob = focusboard::service::Actor::Participant(focusboard::db::participants::find(conn, &who)?.unwrap());
        let input = focusboard::service::posting::PostInput { body_md: "Bob, elsewhere".into(), parent_id: None };
        focusboard::service::posting::create_post(conn, ctx, &bob, &q, &input)?;
        Ok(())
    })
    .await;
    assert!(moderator.get_ok(&board).await.contains("2 of 2"));
    assert!(moderator.get_ok(&report).await.contains("2 out of 2"));
    let b = s.board.clone();
    app.with_db(move |conn, _| {
        use focusboard::db::schema::board_members;
        Ok(diesel::delete(board_members::table.filter(board_members::board_id.eq(&b))).execute(conn)?)
    })
    .await;
    for path in [&board, &grid, &report] {
        let res = moderator.get(path).await;
        assert_ne!(res.status(), StatusCode::OK, "{path}: no longer theirs to see");
    }
}
