//! Moderating a live board through the API and the pages: summaries fed back, probes public
//! and private, answers recorded on behalf, hiding with an audit trail, observers viewing as
//! a participant and leaving notes, the participation grid, and live authoring.

use crate::helpers::*;
use focusboard::domain::ids::{BoardId, ParticipantId, QuestionId, StageId};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    summaries_are_fed_back_and_tied_to_a_question,
    probes_reach_only_whom_they_should,
    answers_on_behalf_are_marked_and_counted,
    hiding_is_reasoned_and_audited,
    observers_view_as_a_participant_and_leave_notes,
    the_grid_shows_every_state_and_downloads_as_csv,
    the_grid_of_a_large_board_comes_in_pages_and_its_csv_has_everyone,
    questions_move_stages_reopen_and_the_board_closes_in_order,
);

struct Board {
    m: Api,
    board: BoardId,
    stage: StageId,
    question: QuestionId,
    a: Api,
    b: Api,
    a_id: ParticipantId,
    b_id: ParticipantId,
}

/// A board with one released post-first stage and two consented participants, Ann and Bob.
async fn setup(app: &TestApp) -> Board {
    let s = app.board_with_question("mod@example.org", "post_first", &["ann@example.org", "bob@example.org"]).await;
    Board {
        m: app.api_of("mod@example.org").await,
        a: app.participant_api(s.link(0)).await,
        b: app.participant_api(s.link(1)).await,
        a_id: s.participants[0].1.clone(),
        b_id: s.participants[1].1.clone(),
        board: s.board,
        stage: s.stage,
        question: s.question,
    }
}

fn texts_of(v: &Value) -> String {
    v.to_string()
}

async fn summaries_are_fed_back_and_tied_to_a_question(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    t.a.write_post(&t.question, json!({"body_md": "Networking"})).await;
    let (_, s2) = t.m.add_stage(&t.board, json!({"title": "Stage 2"})).await;
    let s2 = s2["id"].as_str().unwrap().to_string();
    // A draft is for staff only.
    let put = |body: Value| {
        let (m, stage) = (&t.m, t.stage.clone());
        async move {
            read(
                m.client
                    .put(format!("{}/api/v1/stages/{stage}/summary", m.base))
                    .bearer_auth(&m.token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (st, draft) = put(json!({"body_md": "The system is *confusing*.", "contributors_only": true})).await;
    assert_eq!(st, StatusCode::OK, "{draft}");
    assert!(draft["published"].is_null());
    assert_eq!(draft["shown_in_stage_id"], s2.as_str(), "the next stage by default");
    let summary_id = draft["id"].as_str().unwrap().to_string();
    let (_, q2) =
        t.m.add_question(
            &s2,
            json!({"prompt_md": "Do you agree with the views summarised here?", "summary_id": summary_id}),
        )
        .await;
    t.m.release_stage(&s2, json!({})).await;
    let (_, home) = t.a.home(&t.board).await;
    assert!(!texts_of(&home).contains("confusing"), "drafts are not shown");
    // Published, to contributors only: Ann sees it at the top of stage 2 and beside the
    // reflection question; Bob, who did not answer stage 1, does not.
    let (st, published) =
        put(json!({"body_md": "The system is *confusing*.", "contributors_only": true, "publish": true})).await;
    assert_eq!(st, StatusCode::OK);
    assert!(published["published"]["at"].is_string());
    let (_, home) = t.a.home(&t.board).await;
    let stage2 = home["stages"].as_array().unwrap().iter().find(|s| s["id"] == s2.as_str()).unwrap();
    assert_eq!(stage2["feedback"][0]["body_html"], "<p>The system is <em>confusing</em>.</p>\n");
    assert!(stage2["feedback"][0]["body_md"].is_null(), "participants get the text, not the source");
    let q2id = q2["id"].as_str().unwrap();
    let (_, page) = t.a.question(&q2id).await;
    assert!(page["summary"]["body_html"].as_str().unwrap().contains("confusing"));
    let (_, bob_home) = t.b.home(&t.board).await;
    assert!(!texts_of(&bob_home).contains("confusing"));
    let (_, bob_page) = t.b.question(&q2id).await;
    assert!(bob_page["summary"].is_null());
    // Ann answers the reflection question; the announcement was queued for her alone.
    let (st, _) = t.a.write_post(&q2id, json!({"body_md": "I agree"})).await;
    assert_eq!(st, StatusCode::CREATED);
    let (_, mails) = t.m.emails(&t.board).await;
    let summary_mails: Vec<&Value> = mails.as_array().unwrap().iter().filter(|m| m["kind"] == "summary").collect();
    assert_eq!(summary_mails.len(), 0, "nobody was invited by email in this board");
    // The page shows it to Ann too.
    let ann = app
        .sign_in_participant(
            &app.with_db({
                let id = t.a_id.clone();
                move |conn, ctx| Ok(ctx.link_url(&focusboard::db::participants::find(conn, &id)?.unwrap()).unwrap())
            })
            .await,
        )
        .await;
    let html = ann.board_home_page(&t.board).await;
    assert!(html.contains("The system is <em>confusing</em>"));
}

async fn probes_reach_only_whom_they_should(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    let (_, answer) = t.a.write_post(&t.question, json!({"body_md": "Networking"})).await;
    t.b.write_post(&t.question, json!({"body_md": "Learning"})).await;
    let aid = answer["id"].as_str().unwrap();
    let (st, private) = t.m.probe(&aid, json!({"body_md": "Which networks, privately?", "private": true})).await;
    assert_eq!(st, StatusCode::CREATED);
    assert!(private["is_probe"].as_bool().unwrap() && private["private"].as_bool().unwrap());
    t.m.probe(&aid, json!({"body_md": "Anyone else use networks?"})).await;
    // Ann sees both and has two open probes; Bob sees only the public one.
    let (_, for_ann) = t.a.question(&t.question).await;
    assert!(texts_of(&for_ann).contains("Which networks, privately?") && texts_of(&for_ann).contains("Anyone else"));
    let (_, home) = t.a.home(&t.board).await;
    assert_eq!(home["open_probes"].as_array().unwrap().len(), 2);
    let (_, for_bob) = t.b.question(&t.question).await;
    assert!(!texts_of(&for_bob).contains("privately") && texts_of(&for_bob).contains("Anyone else"));
    let (_, bob_home) = t.b.home(&t.board).await;
    assert_eq!(bob_home["open_probes"].as_array().unwrap().len(), 0);
    // Ann answers the private probe: the answer stays private; one probe still waits.
    let (_, reply) =
        t.a.write_post(&t.question, json!({"body_md": "The carers' network", "parent_id": private["id"]})).await;
    assert_eq!(reply["private"], true);
    let (_, for_bob) = t.b.question(&t.question).await;
    assert!(!texts_of(&for_bob).contains("carers"));
    let (_, waiting) = t.m.get(&format!("/api/v1/boards/{}/probes", t.board)).await;
    assert_eq!(waiting.as_array().unwrap().len(), 1);
    assert_eq!(waiting[0]["participant_id"], t.a_id.as_str());
    let m = app.signed_in("mod@example.org").await;
    let overview = m.get_ok(&format!("/boards/{}", t.board)).await;
    assert_eq!(
        texts(&overview, "ul.probes li strong"),
        vec!["sn-ann (ann@example.org)"],
        "the moderators' list of probes awaiting an answer"
    );
    // Bob's page never shows the private exchange either, and his new-post count ignores it.
    let bob = app
        .sign_in_participant(
            &app.with_db({
                let id = t.b_id.clone();
                move |conn, ctx| Ok(ctx.link_url(&focusboard::db::participants::find(conn, &id)?.unwrap()).unwrap())
            })
            .await,
        )
        .await;
    let page = bob.question_page(&t.question).await;
    assert!(!page.contains("privately") && !page.contains("carers"));
    // Participants cannot probe.
    assert_eq!(t.b.probe(&aid, json!({"body_md": "x"})).await.0, StatusCode::NOT_FOUND);
}

async fn answers_on_behalf_are_marked_and_counted(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    let (st, post) =
        t.m.post(
            &format!("/api/v1/questions/{}/on-behalf", t.question),
            json!({"participant_id": t.b_id, "body_md": "Sent by email: more joined-up care", "source": "email", "given_at": "2021-03-26T07:30"}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{post}");
    assert_eq!(post["source"], "email");
    assert_eq!(post["created"]["text"], "Fri 26 Mar 2021, 07:30 GMT");
    assert!(post["recorded_note"].as_str().unwrap().contains("recorded by Mod"), "{post}");
    let (_, overview) = t.m.overview(&t.board).await;
    assert_eq!(overview["stages"][0]["questions"][0]["answered_count"], 1);
    assert_eq!(overview["funnel"]["posted"], 1);
    // Bob sees it as his own answer, marked; a second one is refused.
    let (_, for_bob) = t.b.question(&t.question).await;
    assert_eq!(for_bob["posts"][0]["is_yours"], true);
    assert_eq!(for_bob["posts"][0]["recorded_note"], "Answer given by email, recorded by the moderators");
    let (st, _) = t.m.answer_on_behalf(&t.question, json!({"participant_id": t.b_id, "body_md": "again"})).await;
    assert_eq!(st, StatusCode::CONFLICT);
    let other = app.board_with_question("other@example.org", "open", &["zed@example.org"]).await;
    let (st, _) =
        t.m.answer_on_behalf(&t.question, json!({"participant_id": other.participants[0].1, "body_md": "x"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a participant of another board");
    let (st, _) = t.a.answer_on_behalf(&t.question, json!({"participant_id": t.b_id, "body_md": "x"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "participants cannot record for others");
    // Ann, after answering, sees Bob's answer marked the same way in the page.
    t.a.write_post(&t.question, json!({"body_md": "Mine"})).await;
    let m = app.signed_in("mod@example.org").await;
    let page = m.question_page(&t.question).await;
    assert!(page.contains("Answer given by email, recorded by Mod"));
}

async fn hiding_is_reasoned_and_audited(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    let (_, post) = t.a.write_post(&t.question, json!({"body_md": "Names a colleague rudely"})).await;
    t.b.write_post(&t.question, json!({"body_md": "Fine"})).await;
    let pid = post["id"].as_str().unwrap();
    let (st, _) = t.m.hide_post(&pid, json!({"reason": ""})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    assert_eq!(t.b.hide_post(&pid, json!({"reason": "x"})).await.0, StatusCode::NOT_FOUND);
    let (st, hidden) = t.m.hide_post(&pid, json!({"reason": "Names a third party"})).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(
        (hidden["hidden"].as_bool(), hidden["hidden_reason"].as_str()),
        (Some(true), Some("Names a third party"))
    );
    let (_, for_bob) = t.b.question(&t.question).await;
    assert!(!texts_of(&for_bob).contains("rudely") && texts_of(&for_bob).contains("hidden by the moderators"));
    assert!(!texts_of(&for_bob).contains("third party"), "the reason is for staff");
    let (_, for_mod) = t.m.question(&t.question).await;
    assert!(texts_of(&for_mod).contains("rudely"));
    t.m.post(&format!("/api/v1/posts/{pid}/restore"), json!({})).await;
    let (_, for_bob) = t.b.question(&t.question).await;
    assert!(texts_of(&for_bob).contains("rudely"));
    // The audit log: who, what, when, before and after; co-moderators read it, observers do not.
    let co = app.staff_api("co@example.org", false).await;
    let obs = app.staff_api("obs@example.org", false).await;
    t.m.client
        .put(format!("{}/api/v1/boards/{}/members", app.base, t.board))
        .bearer_auth(&t.m.token)
        .json(&json!({"email": "co@example.org", "role": "co_moderator"}))
        .send()
        .await
        .unwrap();
    t.m.client
        .put(format!("{}/api/v1/boards/{}/members", app.base, t.board))
        .bearer_auth(&t.m.token)
        .json(&json!({"email": "obs@example.org", "role": "observer"}))
        .send()
        .await
        .unwrap();
    let (st, log) = co.get(&format!("/api/v1/boards/{}/audit", t.board)).await;
    assert_eq!(st, StatusCode::OK);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for a in [
        "post.hide",
        "post.restore",
        "member.set",
        "stage.release_now",
        "question.create",
        "participants.import",
        "board.create",
    ] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let hide = log.as_array().unwrap().iter().find(|e| e["action"] == "post.hide").unwrap();
    assert_eq!(hide["actor_name"], "Mod");
    assert_eq!(
        (hide["before"]["hidden"].as_bool(), hide["after"]["reason"].as_str()),
        (Some(false), Some("Names a third party"))
    );
    assert_eq!(obs.get(&format!("/api/v1/boards/{}/audit", t.board)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(t.a.get(&format!("/api/v1/boards/{}/audit", t.board)).await.0, StatusCode::FORBIDDEN);
}

async fn observers_view_as_a_participant_and_leave_notes(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    t.a.write_post(&t.question, json!({"body_md": "Networking"})).await;
    let obs = app.staff_api("obs@example.org", false).await;
    t.m.client
        .put(format!("{}/api/v1/boards/{}/members", app.base, t.board))
        .bearer_auth(&t.m.token)
        .json(&json!({"email": "obs@example.org", "role": "observer"}))
        .send()
        .await
        .unwrap();
    // As Bob, before he answered: post first hides Ann's answer, exactly as for Bob.
    let (st, as_bob) = obs.get(&format!("/api/v1/questions/{}/as/{}", t.question, t.b_id)).await;
    assert_eq!(st, StatusCode::OK, "{as_bob}");
    assert_eq!(as_bob["posts"].as_array().unwrap().len(), 0);
    assert_eq!(as_bob["hidden_answers"], 1);
    assert_eq!((as_bob["can_answer"].as_bool(), as_bob["viewing_as"].is_string()), (Some(false), true));
    let (_, as_ann) = obs.get(&format!("/api/v1/questions/{}/as/{}", t.question, t.a_id)).await;
    assert_eq!(as_ann["posts"].as_array().unwrap().len(), 1);
    // Viewing as Ann does not mark anything read for Ann.
    t.b.write_post(&t.question, json!({"body_md": "Learning"})).await;
    obs.get(&format!("/api/v1/questions/{}/as/{}", t.question, t.a_id)).await;
    let (_, home) = t.a.home(&t.board).await;
    assert_eq!(home["new_posts"], 1, "Bob's answer is still new for Ann");
    let (st, _) = obs.get(&format!("/api/v1/boards/{}/participants/{}/home", t.board, t.a_id)).await;
    assert_eq!(st, StatusCode::OK);
    // Participants cannot view as each other.
    assert_eq!(t.a.get(&format!("/api/v1/questions/{}/as/{}", t.question, t.b_id)).await.0, StatusCode::NOT_FOUND);
    // Notes reach staff only.
    let (st, note) = obs
        .post(
            &format!("/api/v1/boards/{}/notes", t.board),
            json!({"body_md": "Ann seems unsure; probe?", "question_id": t.question}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{note}");
    let (_, notes) = t.m.get(&format!("/api/v1/boards/{}/notes", t.board)).await;
    assert_eq!(notes[0]["author"], "Test User");
    let (_, for_mod) = t.m.question(&t.question).await;
    assert_eq!(for_mod["notes"].as_array().unwrap().len(), 1);
    let (_, for_ann) = t.a.question(&t.question).await;
    assert!(!texts_of(&for_ann).contains("unsure"));
    assert_eq!(t.a.get(&format!("/api/v1/boards/{}/notes", t.board)).await.0, StatusCode::FORBIDDEN);
    assert_eq!(
        t.a.post(&format!("/api/v1/boards/{}/notes", t.board), json!({"body_md": "x"})).await.0,
        StatusCode::FORBIDDEN
    );
    // An observer still never posts.
    assert_eq!(obs.write_post(&t.question, json!({"body_md": "x"})).await.0, StatusCode::FORBIDDEN);
}

async fn the_grid_shows_every_state_and_downloads_as_csv(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    let (_, answer) = t.a.write_post(&t.question, json!({"body_md": "Networking"})).await;
    t.m.probe(&answer["id"].as_str().unwrap(), json!({"body_md": "More?"})).await;
    let (_, q2) = t.m.add_question(&t.stage, json!({"prompt_md": "Second?"})).await;
    t.m.answer_on_behalf(
        &q2["id"].as_str().unwrap(),
        json!({"participant_id": t.a_id, "body_md": "by phone", "source": "telephone"}),
    )
    .await;
    t.m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", t.board),
        "email,name,Role\ncat@example.org,Cat,GP\n",
    )
    .await;
    let (st, grid) = t.m.get(&format!("/api/v1/boards/{}/grid", t.board)).await;
    assert_eq!(st, StatusCode::OK);
    let cells = |email: &str| -> Vec<String> {
        let row = grid["rows"].as_array().unwrap().iter().find(|r| r["email"] == email).unwrap();
        row["cells"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(cells("ann@example.org"), vec!["probe_waiting", "on_behalf"]);
    assert_eq!(cells("bob@example.org"), vec!["not_answered", "not_answered"]);
    assert_eq!(cells("cat@example.org"), vec!["not_signed_in", "not_signed_in"]);
    assert_eq!(grid["funnel"], json!({"invited": 3, "signed_in": 2, "posted": 1, "email_failed": 0, "withdrawn": 0}));
    let (_, by_role) = t.m.get(&format!("/api/v1/boards/{}/grid?attribute=Role&value=GP", t.board)).await;
    assert_eq!(by_role["rows"].as_array().unwrap().len(), 1);
    // The CSV parses back with the same cells.
    let res =
        t.m.client
            .get(format!("{}/api/v1/boards/{}/grid?format=csv", app.base, t.board))
            .bearer_auth(&t.m.token)
            .send()
            .await
            .unwrap();
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let body = res.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(body.as_ref());
    let header = reader.headers().unwrap().clone();
    let header: Vec<&str> = header.iter().collect();
    assert_eq!(&header[header.len() - 2..], &["S1 Q1", "S1 Q2"]);
    let ann: Vec<String> = reader
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[1] == "ann@example.org")
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(&ann[ann.len() - 2..], &["probe_waiting".to_string(), "on_behalf".to_string()]);
    assert_eq!(t.a.get(&format!("/api/v1/boards/{}/grid", t.board)).await.0, StatusCode::FORBIDDEN);
    // The page, and its CSV download.
    let m = app.signed_in("mod@example.org").await;
    let page = m.get_ok(&format!("/boards/{}/grid", t.board)).await;
    assert!(page.contains("probe waiting") && page.contains("on behalf"));
    let res = m.get(&format!("/boards/{}/grid.csv?attribute=Role&value=GP", t.board)).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap().lines().count(), 2, "header and Cat");
}

async fn the_grid_of_a_large_board_comes_in_pages_and_its_csv_has_everyone(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    t.a.write_post(&t.question, json!({"body_md": "Networking"})).await;
    // 120 more participants, every third a GP: 122 in all, 40 GPs and 82 nurses with Ann and Bob.
    let csv: String = (0..120)
        .map(|i| format!("p{i:03}@example.org,P {i:03},{}\n", if i % 3 == 0 { "GP" } else { "Nurse" }))
        .collect();
    let (st, _) =
        t.m.post_csv(
            &format!("/api/v1/boards/{}/participants/import?commit=true", t.board),
            format!("email,name,Role\n{csv}"),
        )
        .await;
    assert_eq!(st, StatusCode::OK);
    let m = app.signed_in("mod@example.org").await;
    let rows = |page: &str| page.matches("<th scope=\"row\">").count();
    // Links as a browser reads them (the templates escape `=` and `&` in attributes).
    let unescaped = |page: String| page.replace("&#x3D;", "=").replace("&amp;", "&");
    let first = unescaped(m.get_ok(&format!("/boards/{}/grid", t.board)).await);
    assert_eq!(rows(&first), 50);
    assert!(first.contains("participants 1–50 of 122"), "{first}");
    assert!(!first.contains("rel=\"prev\""));
    assert!(first.contains(&format!("href=\"/boards/{}/grid?page=2\" rel=\"next\"", t.board)));
    // The last page has the rest, and links back; a page past the end shows the last.
    let last = unescaped(m.get_ok(&format!("/boards/{}/grid?page=3", t.board)).await);
    assert_eq!(rows(&last), 22);
    assert!(
        last.contains("participants 101–122 of 122") && last.contains("rel=\"prev\"") && !last.contains("rel=\"next\"")
    );
    assert_eq!(rows(&m.get_ok(&format!("/boards/{}/grid?page=99", t.board)).await), 22);
    // Ann answered: her row says so on the page she is on, with the funnel counting her.
    let mut seen = 0;
    for n in 1..=3 {
        let page = unescaped(m.get_ok(&format!("/boards/{}/grid?page={n}", t.board)).await);
        if page.contains(&format!("?as={}\"", t.a_id)) {
            seen += 1;
            assert!(page.contains("class=\"cell answered\""), "page {n}");
        }
        assert!(page.contains("<dt>Posted</dt><dd>1</dd>"), "page {n}");
    }
    assert_eq!(seen, 1, "Ann is on one page");
    // The filter carries into the page links; the pages count what it keeps.
    let gps = m.get_ok(&format!("/boards/{}/grid?attribute=Role&value=GP", t.board)).await;
    assert_eq!(rows(&gps), 40);
    assert!(!gps.contains("rel=\"next\""), "40 GPs fit on one page");
    let nurses = unescaped(m.get_ok(&format!("/boards/{}/grid?attribute=Role&value=Nurse", t.board)).await);
    assert!(nurses.contains("participants 1–50 of 82"), "{nurses}");
    assert!(nurses.contains(&format!("href=\"/boards/{}/grid?attribute=Role&value=Nurse&page=2\"", t.board)));
    // The CSV linked from the page has every participant the filter keeps, not one page.
    let res = m.get(&format!("/boards/{}/grid.csv?attribute=Role&value=Nurse&page=2", t.board)).await;
    assert_eq!(res.text().await.unwrap().lines().count(), 83, "header and 82 nurses");
    assert_eq!(m.get(&format!("/boards/{}/grid.csv", t.board)).await.text().await.unwrap().lines().count(), 123);
    // The API gives everyone unless a page is asked for.
    let (_, all) = t.m.get(&format!("/api/v1/boards/{}/grid", t.board)).await;
    assert_eq!(all["rows"].as_array().unwrap().len(), 122);
    assert!(all["page"].is_null());
    let (_, two) = t.m.get(&format!("/api/v1/boards/{}/grid?page=2", t.board)).await;
    assert_eq!(two["rows"].as_array().unwrap().len(), 50);
    assert_eq!(two["page"], json!({"number": 2, "pages": 3, "participants": 122, "first": 51, "last": 100}));
    // The board page counts Ann's answer among the 122 it is for.
    let (_, overview) = t.m.get(&format!("/api/v1/boards/{}/overview", t.board)).await;
    let q = &overview["stages"][0]["questions"][0];
    assert_eq!((q["answered_count"].as_i64(), q["participant_count"].as_i64()), (Some(1), Some(122)), "{overview}");
    assert_eq!(overview["funnel"]["posted"], 1);
}

async fn questions_move_stages_reopen_and_the_board_closes_in_order(backend: Backend) {
    let app = spawn(backend).await;
    let t = setup(&app).await;
    let (_, s2) = t.m.add_stage(&t.board, json!({"title": "Two"})).await;
    let (_, s3) = t.m.add_stage(&t.board, json!({"title": "Three"})).await;
    let (_, q) = t.m.add_question(&s2["id"].as_str().unwrap(), json!({"prompt_md": "Moving?"})).await;
    let qid = q["id"].as_str().unwrap();
    let (st, _) = t.m.post(&format!("/api/v1/questions/{qid}/stage"), json!({"stage_id": s3["id"]})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    let (_, three) = t.m.get(&format!("/api/v1/stages/{}", s3["id"].as_str().unwrap())).await;
    assert_eq!(three["questions"][0]["prompt_md"], "Moving?");
    let (st, _) = t.m.post(&format!("/api/v1/questions/{}/stage", t.question), json!({"stage_id": s3["id"]})).await;
    assert_eq!(st, StatusCode::CONFLICT, "released questions stay");
    // Close stage 1, then reopen it: answers are possible again.
    t.m.edit_stage(&t.stage, json!({"title": "Stage 1", "close_at": "2021-03-26T08:30"})).await;
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(t.a.write_post(&t.question, json!({"body_md": "late"})).await.0, StatusCode::FORBIDDEN);
    let (st, reopened) = t.m.post(&format!("/api/v1/stages/{}/reopen", t.stage), json!({})).await;
    assert_eq!((st, reopened["phase"].as_str()), (StatusCode::OK, Some("open")));
    assert_eq!(t.a.write_post(&t.question, json!({"body_md": "late"})).await.0, StatusCode::CREATED);
    // Closing the board: read-only, with the closing message, and nothing deleted.
    let (st, _) =
        t.m.edit_board(&t.board, json!({"title": "Board", "time_zone": "Europe/London", "state": "closed", "closing_message_md": "Thank you **all**."}))
            .await;
    assert_eq!(st, StatusCode::OK);
    let (_, home) = t.b.home(&t.board).await;
    assert_eq!(home["closing_message_html"], "<p>Thank you <strong>all</strong>.</p>\n");
    assert_eq!(t.b.write_post(&t.question, json!({"body_md": "x"})).await.0, StatusCode::FORBIDDEN);
    let (_, page) = t.m.question(&t.question).await;
    assert_eq!(page["posts"].as_array().unwrap().len(), 1, "Ann's answer is kept");
}
