//! Who may see and do what, checked the same way in pages and in the JSON API: other boards,
//! post-first before and after answering, private questions, unreleased stages, observers and
//! analysts, links that expired or were replaced, and forms without a CSRF token.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(
    participants_never_reach_another_board,
    post_first_hides_others_until_one_answers,
    private_answers_reach_only_staff,
    unreleased_questions_do_not_exist_for_participants,
    observers_and_analysts_read_but_never_post,
    staff_of_one_board_cannot_touch_another,
    links_expire_and_are_replaced,
    forms_need_the_session_csrf_token,
    anonymous_visitors_are_turned_away,
);

async fn participants_never_reach_another_board(backend: Backend) {
    let app = spawn(backend).await;
    let a = app.board_with_question("moda@example.org", "open", &["a1@example.org"]).await;
    let b = app.board_with_question("modb@example.org", "open", &["b1@example.org"]).await;
    let b1 = app.sign_in_participant(b.link(0)).await;
    let b1_api = app.participant_api(b.link(0)).await;
    // A post on board A, which b1 must never read or answer.
    let a1_api = app.participant_api(a.link(0)).await;
    let (s, post) = a1_api.write_post(&a.question, json!({"body_md": "board A secret"})).await;
    assert_eq!(s, StatusCode::CREATED);

    for path in [
        format!("/b/{}", a.board),
        format!("/q/{}", a.question),
        format!("/posts/{}/history", post["id"].as_str().unwrap()),
        format!("/boards/{}/participants", a.board),
    ] {
        let res = b1.get(&path).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(status == StatusCode::NOT_FOUND, "{path}: {status}");
        assert!(!body.contains("board A secret"));
    }
    for path in [
        format!("/api/v1/boards/{}", a.board),
        format!("/api/v1/questions/{}", a.question),
        format!("/api/v1/boards/{}/home", a.board),
        format!("/api/v1/boards/{}/participants", a.board),
    ] {
        let (status, body) = b1_api.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(!body.to_string().contains("board A secret"));
    }
    let (status, _) = b1_api.write_post(&a.question, json!({"body_md": "intrusion"})).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let page = b1.question_page(&b.question).await;
    let res = b1
        .client
        .post(app.url(&format!("/q/{}/posts", a.question)))
        .form(&[("csrf_token", csrf_of(&page).as_str()), ("body_md", "intrusion")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Replying on one's own board to a post of another board is refused too.
    let (status, body) = b1_api.write_post(&b.question, json!({"body_md": "hi", "parent_id": post["id"]})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    // The board list holds only the participant's own board.
    let (_, boards) = b1_api.get("/api/v1/boards").await;
    assert_eq!(boards.as_array().unwrap().len(), 1);
    assert_eq!(boards[0]["id"], b.board.as_str());
}

/// A post-first board where a2 has answered the released question and a private one; a stage
/// not yet released holds a third question. a1 has not answered anything.
struct PostFirst {
    app: TestApp,
    s: Seeded,
    private_q: String,
    hidden_q: String,
    a1: Browser,
    a1_api: Api,
}

impl PostFirst {
    async fn new(backend: Backend) -> PostFirst {
        let app = spawn(backend).await;
        let s = app.board_with_question("mod@example.org", "post_first", &["a1@example.org", "a2@example.org"]).await;
        let m = app.api_of("mod@example.org").await;
        let id = |v: serde_json::Value| v["id"].as_str().unwrap().to_string();
        let private_q = id(m.add_question(&s.stage, json!({"prompt_md": "Private depth", "mode": "private"})).await.1);
        let later = id(m.add_stage(&s.board, json!({"title": "Later"})).await.1);
        let hidden_q = id(m.add_question(&later, json!({"prompt_md": "Not yet released"})).await.1);
        let a1 = app.sign_in_participant(s.link(0)).await;
        let a1_api = app.participant_api(s.link(0)).await;
        let a2_api = app.participant_api(s.link(1)).await;
        a2_api.write_post(&s.question, json!({"body_md": "a2 public answer"})).await;
        let (st, _) = a2_api.write_post(&private_q, json!({"body_md": "a2 private answer"})).await;
        assert_eq!(st, StatusCode::CREATED);
        PostFirst { app, s, private_q, hidden_q, a1, a1_api }
    }

    /// a2's answer to the released question.
    async fn a2_post(&self) -> String {
        let q = self.s.question.clone();
        self.app.with_db(move |conn, _| Ok(focusboard::db::posts::of_question(conn, &q)?[0].post.id.to_string())).await
    }
}

/// Post first in pages and JSON: nothing of others' answers (not even as new) before one's own,
/// no reply into them, one answer each; nobody edits another's post.
async fn post_first_hides_others_until_one_answers(backend: Backend) {
    let t = PostFirst::new(backend).await;
    let PostFirst { s, a1, a1_api, .. } = &t;
    // Before answering: neither page nor JSON shows a2's answer.
    let page = a1.question_page(&s.question).await;
    assert!(!page.contains("a2 public answer"));
    let (_, q) = a1_api.question(&s.question).await;
    assert_eq!(q["posts"].as_array().unwrap().len(), 0);
    assert_eq!(q["hidden_answers"], 1);
    let (_, home) = a1_api.home(&s.board).await;
    assert_eq!(home["new_posts"], 0, "hidden answers are not counted as new");
    // Replying into a2's thread before answering is refused like a missing post.
    let a2_post = t.a2_post().await;
    let (st, _) = a1_api.write_post(&s.question, json!({"body_md": "peek", "parent_id": a2_post})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);

    // After answering: both show it.
    a1_api.write_post(&s.question, json!({"body_md": "a1 answer"})).await;
    assert!(a1.question_page(&s.question).await.contains("a2 public answer"));
    let (_, q) = a1_api.question(&s.question).await;
    assert_eq!(q["posts"].as_array().unwrap().len(), 2);
    let (st, _) = a1_api.write_post(&s.question, json!({"body_md": "again"})).await;
    assert_eq!(st, StatusCode::CONFLICT, "one answer per question; edits and replies for more");
    // Nobody edits someone else's post.
    let (st, _) = a1_api.patch(&format!("/api/v1/posts/{a2_post}"), json!({"body_md": "rewritten"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

/// Private answers reach the moderator only, never another participant, with no counts.
async fn private_answers_reach_only_staff(backend: Backend) {
    let PostFirst { app, private_q, a1, a1_api, .. } = PostFirst::new(backend).await;
    // Private: a1 never sees a2's private answer, even after answering it too.
    a1_api.write_post(&private_q, json!({"body_md": "a1 private answer"})).await;
    let page = a1.question_page(&private_q).await;
    assert!(page.contains("a1 private answer") && !page.contains("a2 private answer"));
    let (_, q) = a1_api.question(&private_q).await;
    assert!(!q.to_string().contains("a2 private answer"));
    assert!(q["question"]["answered_count"].is_null(), "participants get no counts of private answers");
    // The moderator sees both.
    let moderator = app.signed_in("mod@example.org").await;
    let page = moderator.question_page(&private_q).await;
    assert!(page.contains("a1 private answer") && page.contains("a2 private answer"));
}

/// Unreleased questions do not exist for participants: page, JSON, posting, board home.
async fn unreleased_questions_do_not_exist_for_participants(backend: Backend) {
    let PostFirst { app, s, hidden_q, a1, a1_api, .. } = PostFirst::new(backend).await;
    let moderator = app.signed_in("mod@example.org").await;
    // Unreleased questions do not exist for participants.
    assert_eq!(a1.get(&format!("/q/{hidden_q}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(a1_api.question(&hidden_q).await.0, StatusCode::NOT_FOUND);
    let (st, _) = a1_api.write_post(&hidden_q, json!({"body_md": "early"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(!a1.board_home_page(&s.board).await.contains("Not yet released"));
    assert_eq!(moderator.get(&format!("/q/{hidden_q}")).await.status(), StatusCode::OK);
}

async fn observers_and_analysts_read_but_never_post(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "post_first", &["a1@example.org"]).await;
    let a1_api = app.participant_api(s.link(0)).await;
    let (_, post) = a1_api.write_post(&s.question, json!({"body_md": "a1 answer"})).await;
    for (email, role) in [("obs@example.org", "observer"), ("ana@example.org", "analyst")] {
        let api = app.staff_api(email, false).await;
        let board = s.board.clone();
        let (e, r) = (email.to_string(), role.to_string());
        app.with_db(move |conn, ctx| {
            let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
            service::boards::set_member(conn, ctx, &m, &board, &service::boards::MemberInput { email: e, role: r })
        })
        .await;
        let (st, q) = api.question(&s.question).await;
        assert_eq!(st, StatusCode::OK);
        assert_eq!(q["posts"][0]["body_md"], serde_json::Value::Null, "only authors get the source");
        assert!(q.to_string().contains("a1 answer"), "{role} reads every reply");
        let (st, _) = api.write_post(&s.question, json!({"body_md": "x", "parent_id": post["id"]})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{role} cannot post");
        let (st, _) = api.add_stage(&s.board, json!({"title": "x"})).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{role} cannot manage");
        let (st, people) = api.participants(&s.board).await;
        assert_eq!(st, StatusCode::OK);
        assert!(people[0]["sign_in_link"].is_null(), "{role} never sees sign-in links");
        // And in the pages.
        let b = app.signed_in(email).await;
        let page = b.question_page(&s.question).await;
        assert!(page.contains("a1 answer") && !page.contains("Post reply"));
        let res = b
            .client
            .post(app.url(&format!("/q/{}/posts", s.question)))
            .form(&[
                ("csrf_token", csrf_of(&page).as_str()),
                ("body_md", "x"),
                ("parent_id", post["id"].as_str().unwrap()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("do not post"));
    }
    // A moderator may reply in a thread but not answer as a participant.
    let m = app.signed_in("mod@example.org").await;
    let q = format!("/q/{}", s.question);
    let res = m
        .submit(
            &q,
            &format!("{q}/posts"),
            &[("body_md", "Can you say more?"), ("parent_id", post["id"].as_str().unwrap())],
        )
        .await;
    assert!(res.text().await.unwrap().contains("Can you say more?"));
}

async fn staff_of_one_board_cannot_touch_another(backend: Backend) {
    let app = spawn(backend).await;
    let a = app.board_with_question("moda@example.org", "open", &["a1@example.org"]).await;
    app.board_with_question("modb@example.org", "open", &[]).await;
    let modb = app.signed_in("modb@example.org").await;
    for path in [
        format!("/boards/{}", a.board),
        format!("/boards/{}/participants", a.board),
        format!("/stages/{}", a.stage),
        format!("/q/{}", a.question),
    ] {
        assert_eq!(modb.get(&path).await.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let page = modb.get_ok("/boards").await;
    assert!(!page.contains("Board of moda"));
    let res = modb
        .client
        .post(app.url(&format!("/stages/{}/release", a.stage)))
        .form(&[("csrf_token", csrf_of(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let api = app.staff_api("modc@example.org", false).await;
    let (st, _) = api.edit_board(&a.board, json!({"title": "taken over", "time_zone": "UTC"})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _) =
        api.post(&format!("/api/v1/boards/{}/participants/{}/link", a.board, a.participants[0].1), json!({})).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    // An administrator sees every board.
    let admin = app.staff_api("root@example.org", true).await;
    assert_eq!(admin.get(&format!("/api/v1/boards/{}", a.board)).await.0, StatusCode::OK);
}

async fn links_expire_and_are_replaced(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["a1@example.org"]).await;
    let old = s.link(0).to_string();
    // The link works more than once (it is the participant's way back all week).
    app.sign_in_participant(&old).await;
    let browser = app.sign_in_participant(&old).await;
    let old_api = app.participant_api(&old).await;
    assert_eq!(old_api.get("/api/v1/me").await.0, StatusCode::OK);
    // Reissued: the old link stops working at once, the new one works.
    let api = app.api_of("mod@example.org").await;
    let (st, link) =
        api.post(&format!("/api/v1/boards/{}/participants/{}/link", s.board, s.participants[0].1), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let new = link["url"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    let res = app.browser().get(&old).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("replaced by a newer one"));
    let token = old.rsplit('/').next().unwrap();
    let (st, body) = read(
        reqwest::Client::new()
            .post(app.url("/api/v1/auth/participant"))
            .json(&json!({"token": token}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::GONE, "{body}");
    // Sessions and tokens started with the replaced link end with it.
    let res = browser.get(&format!("/b/{}", s.board)).await;
    assert_eq!(res.url().path(), "/login", "the old link's session has ended");
    assert_eq!(old_api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let fresh = app.sign_in_participant(&new).await;
    assert!(fresh.board_home_page(&s.board).await.contains("What did you hope for?"));
    // Past its expiry the link is refused with a reason.
    app.clock.advance(time::Duration::days(22));
    let res = app.browser().get(&new).await;
    assert_eq!(res.status(), StatusCode::GONE);
    assert!(res.text().await.unwrap().contains("expired"));
    // A made-up link is refused the same way.
    assert_eq!(app.browser().get("/p/not-a-real-token").await.status(), StatusCode::GONE);
}

async fn forms_need_the_session_csrf_token(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["a1@example.org"]).await;
    let a1 = app.sign_in_participant(s.link(0)).await;
    let q = format!("/q/{}", s.question);
    a1.get_ok(&q).await;
    for fields in [vec![("body_md", "no token")], vec![("csrf_token", "forged"), ("body_md", "forged token")]] {
        let res = a1.client.post(app.url(&format!("{q}/posts"))).form(&fields).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN);
        assert!(res.text().await.unwrap().contains("did not come from this site"));
    }
    // A token from another session does not work either.
    let other = app.browser();
    let other_token = csrf_of(&other.get_ok("/login").await);
    let res = a1
        .client
        .post(app.url(&format!("{q}/posts")))
        .form(&[("csrf_token", other_token.as_str()), ("body_md", "cross")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!a1.get_ok(&q).await.contains("no token"), "nothing was posted");
}

async fn anonymous_visitors_are_turned_away(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["a1@example.org"]).await;
    let anon = app.browser();
    for path in ["/boards".to_string(), format!("/boards/{}", s.board)] {
        let res = anon.get(&path).await;
        assert_eq!(res.url().path(), "/login", "{path} sends strangers to sign in");
    }
    // Participants' addresses say how to sign in with the personal link, and show nothing else.
    for path in [format!("/q/{}", s.question), format!("/b/{}", s.board)] {
        let res = anon.get(&path).await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{path}");
        let html = res.text().await.unwrap();
        assert!(html.contains("personal link") && !html.contains("What did you hope for"), "{path}: {html}");
    }
    let (st, _) = app.api("fb_bogus").get("/api/v1/boards").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _) = read(reqwest::Client::new().get(app.url("/api/v1/boards")).send().await.unwrap()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    // Wrong passwords get a clear message, and are rate-limited.
    app.create_user("mod2@example.org", false).await;
    let b = app.browser();
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let res = b.submit("/login", "/login", &[("email", "mod2@example.org"), ("password", "wrong password")]).await;
        statuses.push(res.status());
    }
    assert_eq!(statuses[0], StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(*statuses.last().unwrap(), StatusCode::TOO_MANY_REQUESTS);
}
