//! Search across a board (staff): words in any form, kept current as posts are written,
//! edited and hidden, filtered by stage, question, attribute, group and code, the matched words
//! marked, permissions as everywhere; and auto-coding every hit as one action that is undone
//! as one.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    search_finds_words_in_any_form_and_follows_every_change,
    auto_coding_a_thousand_hits_is_one_undoable_action
);

async fn add_analyst(app: &TestApp, board: &focusboard::domain::ids::BoardId, email: &str) -> Api {
    let api = app.staff_api(email, false).await;
    let (board, email) = (board.clone(), email.to_string());
    app.with_db(move |conn, ctx| {
        let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
        let member = service::boards::MemberInput { email, role: "analyst".into() };
        service::boards::set_member(conn, ctx, &m, &board, &member)
    })
    .await;
    api
}

fn authors(results: &Value) -> Vec<String> {
    results["hits"].as_array().unwrap().iter().map(|h| h["author"].as_str().unwrap().to_string()).collect()
}

async fn search_finds_words_in_any_form_and_follows_every_change(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    let csv = "email,name,Role,group\nann.lee@example.org,Ann Lee,Nurse,North\nbob.ray@example.org,Bob Ray,GP,South\ncy@example.org,Cy,GP,North\n";
    m.post_csv(&format!("/api/v1/boards/{}/participants/import?commit=true", s.board), csv).await;
    let (_, people) = m.participants(&s.board).await;
    let (mut apis, mut links) = (Vec::new(), Vec::new());
    for (i, name) in ["Ann Lee", "Bob Ray", "Cy"].into_iter().enumerate() {
        let id =
            people.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["id"].as_str().unwrap().to_string();
        let link = m.post(&format!("/api/v1/boards/{}/participants/{id}/link", s.board), json!({})).await.1["url"]
            .as_str()
            .unwrap()
            .to_string();
        let api = app.participant_api(&link).await;
        links.push(link);
        api.post("/api/v1/me/consent", json!({"consent": "on", "screen_name": format!("Screen {i}")})).await;
        apis.push(api);
    }
    let (_, ann_post) =
        apis[0].write_post(&s.question, json!({"body_md": "We had weekly **calls** with the whole team."})).await;
    let (_, bob_post) =
        apis[1].write_post(&s.question, json!({"body_md": "Calling each other helped more than email."})).await;
    apis[2].write_post(&s.question, json!({"body_md": "Nothing of the sort for us."})).await;
    let (_, q2) = m.add_question(&s.stage, json!({"prompt_md": "Anything else?", "mode": "open"})).await;
    let q2 = q2["id"].as_str().unwrap().to_string();
    apis[2].write_post(&q2, json!({"body_md": "A call on Fridays would be good."})).await;
    let ana = add_analyst(&app, &s.board, "ana@example.org").await;
    let find = |query: String| {
        let (ana, board) = (&ana, s.board.clone());
        async move {
            let (st, r) = ana.get(&format!("/api/v1/boards/{board}/search?{query}")).await;
            assert_eq!(st, StatusCode::OK, "{r}");
            r
        }
    };

    // Any form of the word, with the words marked in context; analysts see pseudonyms only.
    let r = find("q=call".into()).await;
    assert_eq!(r["total"], 3, "{r}");
    let text = r.to_string();
    assert!(text.contains("<mark>calls</mark>") && text.contains("<mark>Calling</mark>"), "{text}");
    for secret in ["Ann Lee", "ann.lee@example.org", "Bob Ray"] {
        assert!(!text.contains(secret), "{secret} in {text}");
    }
    assert!(authors(&r).iter().any(|a| a.contains("P01")), "{r}");
    // Every word is needed; a word nobody wrote finds nothing.
    assert_eq!(find("q=weekly+calls".into()).await["total"], 1);
    assert_eq!(find("q=zeppelin".into()).await["total"], 0);
    // Words only: search syntax is not passed through.
    assert_eq!(find("q=%22calls%22+OR+NEAR(".into()).await["total"], 0);
    assert_eq!(find("q=%22calls%22".into()).await["total"], 3, "quotes are only punctuation");

    // Filters: question, stage, attribute, group, code.
    assert_eq!(find(format!("q=call&question={q2}")).await["total"], 1);
    assert_eq!(find(format!("q=call&stage={}", s.stage)).await["total"], 3);
    assert_eq!(find("q=call&attribute=Role&value=GP".into()).await["total"], 2);
    assert_eq!(find("q=call&group=North".into()).await["total"], 2);
    let (_, code) = ana.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Contact"})).await;
    let code = code["id"].as_str().unwrap().to_string();
    ana.code_post(ann_post["id"].as_str().unwrap(), json!({"code_ids": [code]})).await;
    let coded = find(format!("q=call&code={code}")).await;
    assert_eq!(coded["total"], 1);
    assert_eq!(coded["hits"][0]["codes"], json!(["Contact"]));

    // An edit changes what is found.
    let ann_id = ann_post["id"].as_str().unwrap();
    apis[0].patch(&format!("/api/v1/posts/{ann_id}"), json!({"body_md": "We met in the café every week."})).await;
    assert_eq!(find("q=call".into()).await["total"], 2);
    assert_eq!(find("q=caf%C3%A9".into()).await["total"], 1);

    // Hidden: staff still find it, marked; a participant cannot search at all.
    let bob_id = bob_post["id"].as_str().unwrap();
    m.hide_post(bob_id, json!({"reason": "off topic"})).await;
    let r = find("q=email".into()).await;
    assert_eq!((r["total"].as_u64(), r["hits"][0]["hidden"].as_bool()), (Some(1), Some(true)));
    let (st, _) = apis[0].get(&format!("/api/v1/boards/{}/search?q=email", s.board)).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let participant = app.sign_in_participant(&links[0]).await;
    let res = participant.get(&format!("/boards/{}/search?q=email", s.board)).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert!(!res.text().await.unwrap().contains("Calling each other"));
    // Another board's staff do not know the board.
    let other = app.staff_api("other@example.org", false).await;
    assert_eq!(other.get(&format!("/api/v1/boards/{}/search?q=call", s.board)).await.0, StatusCode::NOT_FOUND);

    // Summaries are searched too.
    let summary = m
        .client
        .put(format!("{}/api/v1/stages/{}/summary", m.base, s.stage))
        .bearer_auth(&m.token)
        .json(&json!({"body_md": "Most of you valued the calls."}))
        .send()
        .await
        .unwrap();
    assert_eq!(summary.status(), StatusCode::OK);
    let r = find("q=calls".into()).await;
    assert_eq!(r["summaries"][0]["stage"], "Stage 1", "{r}");

    // The page: the words marked, the filters, the results linked to their place.
    let page = app.signed_in("ana@example.org").await.get_ok(&format!("/boards/{}/search?q=call", s.board)).await;
    assert!(page.contains("<mark>call</mark>") && page.contains(&format!("/q/{q2}?post=")), "{page}");
    assert!(page.contains("Code all"), "analysts may auto-code");
}

async fn auto_coding_a_thousand_hits_is_one_undoable_action(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let ann = app.participant_api(s.link(0)).await;
    let (_, answer) = ann.write_post(&s.question, json!({"body_md": "First lantern thoughts."})).await;
    let answer = answer["id"].as_str().unwrap().to_string();
    // A thousand replies under it, written straight to the database.
    let (board, question, who) = (s.board.clone(), s.question.clone(), s.participants[0].1.clone());
    app.with_db(move |conn, ctx| {
        for i in 0..999 {
            let id: focusboard::domain::ids::PostId = focusboard::db::new_id();
            let body = format!("Reply {i}: the lantern room was warm.");
            focusboard::db::posts::insert(
                conn,
                &focusboard::db::models::Post {
                    id,
                    board_id: board.clone(),
                    question_id: question.clone(),
                    parent_id: Some(answer.clone().into()),
                    thread_id: answer.clone().into(),
                    participant_id: Some(who.clone()),
                    author_user_id: None,
                    body_html: format!("<p>{body}</p>"),
                    body_md: body,
                    created_at: ctx.now(),
                    edited_at: None,
                    hidden_at: None,
                    hidden_reason: None,
                    is_probe: false,
                    private_to: None,
                    source: focusboard::domain::roles::PostSource::Web,
                    recorded_by: None,
                    removed_at: None,
                },
            )?;
        }
        Ok(())
    })
    .await;
    let ana = add_analyst(&app, &s.board, "ana@example.org").await;
    let (_, code) = ana.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Light"})).await;
    let code = code["id"].as_str().unwrap().to_string();
    let (_, r) = ana.get(&format!("/api/v1/boards/{}/search?q=lanterns", s.board)).await;
    assert_eq!(
        (r["total"].as_u64(), r["pages"].as_u64(), r["hits"].as_array().unwrap().len()),
        (Some(1000), Some(50), 20)
    );

    let (st, done) = ana
        .post(
            &format!("/api/v1/boards/{}/search/code", s.board),
            json!({"q": "lanterns", "code_id": code, "scope": "words"}),
        )
        .await;
    assert_eq!(st, StatusCode::OK, "{done}");
    assert_eq!((done["codings_added"].as_u64(), done["excerpts_added"].as_u64()), (Some(1000), Some(1000)));
    let coded_path = format!("/api/v1/boards/{}/search?q=lantern&code={code}", s.board);
    let coded = || ana.get(&coded_path);
    assert_eq!(coded().await.1["total"].as_u64(), Some(1000));
    // Each excerpt is the matched word.
    let (_, page) = ana.get(&format!("/api/v1/questions/{}/coding", s.question)).await;
    assert!(page.to_string().contains("\"text\":\"lantern\""), "the excerpt is the word itself");
    // Doing it again adds nothing.
    let (_, again) = ana
        .post(
            &format!("/api/v1/boards/{}/search/code", s.board),
            json!({"q": "lanterns", "code_id": code, "scope": "words"}),
        )
        .await;
    assert_eq!(again["codings_added"], 0);
    // Undone as one action: every coding and the excerpts they made.
    let batch = done["batch_id"].as_str().unwrap();
    assert_eq!(ana.delete(&format!("/api/v1/boards/{}/autocodings/{batch}", s.board)).await, StatusCode::NO_CONTENT);
    assert_eq!(coded().await.1["total"].as_u64(), Some(0));
    let (_, page) = ana.get(&format!("/api/v1/questions/{}/coding", s.question)).await;
    assert!(!page.to_string().contains("\"text\":\"lantern\""));
    assert_eq!(ana.delete(&format!("/api/v1/boards/{}/autocodings/{batch}", s.board)).await, StatusCode::NOT_FOUND);
    // From the page: code every whole reply, then undo from the notice's form.
    let b = app.signed_in("ana@example.org").await;
    let page = format!("/boards/{}/search?q=lantern", s.board);
    let res = b
        .submit(
            &page,
            &format!("/boards/{}/search/code", s.board),
            &[("q", "lantern"), ("code_id", &code), ("scope", "reply")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let shown = res.text().await.unwrap();
    assert!(shown.contains("Coded 1000 replies with “Light”") && shown.contains("Undo the auto-coding"), "{shown}");
    assert_eq!(coded().await.1["total"].as_u64(), Some(1000));
    let undo = scraper::Html::parse_document(&shown)
        .select(&scraper::Selector::parse("form[action*=autocodings]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("action")
        .unwrap()
        .to_string();
    let res = b.submit(&page, &undo, &[]).await;
    assert!(res.text().await.unwrap().contains("The auto-coding is undone: 1000 codings removed."));
    assert_eq!(coded().await.1["total"].as_u64(), Some(0));
    // A participant may not auto-code; a code of another board is refused.
    let (st, _) =
        ann.post(&format!("/api/v1/boards/{}/search/code", s.board), json!({"q": "lantern", "code_id": code})).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, problem) =
        ana.post(&format!("/api/v1/boards/{}/search/code", s.board), json!({"q": "lantern", "code_id": "nope"})).await;
    assert_eq!((st, problem["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("code_id")));
}
