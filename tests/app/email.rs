//! Email through a real SMTP server on loopback: the messages as received (headers, both
//! parts, the links inside), retries, permanent failures shown to the moderator, reminders,
//! one-click unsubscribe, and delivery exactly once across restarts and instances.

use crate::helpers::*;
use focusboard::email::worker::Drained;
use reqwest::StatusCode;
use serde_json::json;
use time::macros::datetime;

crate::on_both_databases!(
    invitations_arrive_and_their_link_signs_in,
    temporary_failures_are_retried_then_given_up,
    permanent_failures_are_shown_and_can_be_resent,
    stage_notices_reminders_and_replies,
    one_click_unsubscribe_stops_that_kind,
    a_crash_before_sending_still_delivers_once,
    two_workers_send_each_message_once,
    closing_notice_goes_once_and_respects_late_opt_outs,
);

const CSV: &str = "email,name,Role\nann@example.org,Ann Lee,Nurse\nbob@example.org,Bob Ray,GP\n";

/// A board with one unreleased stage closing at `close`, participants from `csv`, and the
/// moderator's browser.
async fn board(app: &TestApp, csv: &str, close: &str) -> (Browser, String, String, String) {
    let m = app.moderator("mod@example.org").await;
    let api = app.api_of("mod@example.org").await;
    let (_, b) = api
        .post(
            "/api/v1/boards",
            json!({"title": "CoP consultation", "time_zone": "Europe/London", "closes_at": "2021-04-01T17:00"}),
        )
        .await;
    let board = b["id"].as_str().unwrap().to_string();
    let (_, st) = api.add_stage(&board, json!({"title": "Stage 1: hopes", "close_at": close})).await;
    let stage = st["id"].as_str().unwrap().to_string();
    let (_, q) = api.add_question(&stage, json!({"prompt_md": "What did you *hope* for?"})).await;
    let (s, _) =
        api.post_csv(&format!("/api/v1/boards/{board}/participants/import?commit=true"), csv.to_string()).await;
    assert_eq!(s, StatusCode::OK);
    (m, board, stage, q["id"].as_str().unwrap().to_string())
}

async fn invite(m: &Browser, board: &str) -> String {
    let res = m.submit(&format!("/boards/{board}/participants"), &format!("/boards/{board}/invitations"), &[]).await;
    res.text().await.unwrap()
}

fn sent(n: usize) -> Drained {
    Drained { sent: n, ..Default::default() }
}

async fn invitations_arrive_and_their_link_signs_in(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let (m, board, _, _) = board(&app, CSV, "").await;
    let page = invite(&m, &board).await;
    assert!(page.contains("2 invitations are on their way"), "{page}");
    assert_eq!(app.outbox.drain().await.unwrap(), sent(2));

    let mail = &sink.to("ann@example.org")[0];
    assert_eq!(mail.subject(), "You are invited: CoP consultation");
    assert!(mail.header("From").unwrap().contains("board@focusboard.test"));
    // From the board, by name: participants know the study, not the software.
    let from = mail.parsed().from().and_then(|f| f.first()).and_then(|a| a.name()).map(str::to_string);
    assert_eq!(from.as_deref(), Some("CoP consultation"));
    assert!(mail.header("Message-ID").unwrap().ends_with("@127.0.0.1>"));
    assert!(mail.parsed().date().is_some(), "a Date header");
    assert!(mail.header("Content-Type").unwrap().starts_with("multipart/alternative"));
    let unsubscribe = mail.header("List-Unsubscribe").unwrap();
    assert!(unsubscribe.starts_with(&format!("<{}/u/", app.base)), "{unsubscribe}");
    assert_eq!(mail.header("List-Unsubscribe-Post").unwrap(), "List-Unsubscribe=One-Click");
    assert!(
        mail.text().contains("Hello Ann Lee") && mail.text().contains("closes Thu 1 Apr 2021, 17:00 BST"),
        "times in the board's zone: {}",
        mail.text()
    );
    let link = mail.link(&format!("{}/p/", app.base));
    assert!(mail.html().contains(&format!("href=\"{link}\"")), "the same link in the HTML part");

    // Following the link signs Ann in.
    let ann = app.sign_in_participant(&link).await;
    assert!(ann.board_home_page(&board).await.contains("Before you start"));

    // Inviting again sends nothing to those who have their current link...
    assert!(invite(&m, &board).await.contains("Everyone already has an invitation"));
    assert_eq!(app.outbox.drain().await.unwrap(), Drained::default());
    // ...but a new link is mailed when the moderator issues one.
    let api = app.api_of("mod@example.org").await;
    let (_, people) = api.participants(&board).await;
    let ann_id = people[0]["id"].as_str().unwrap();
    assert_eq!(people[0]["email"], "ann@example.org");
    api.post(&format!("/api/v1/boards/{board}/participants/{ann_id}/link"), json!({})).await;
    assert!(invite(&m, &board).await.contains("1 invitation is on its way"));
    app.outbox.drain().await.unwrap();
    assert_ne!(sink.to("ann@example.org")[1].link(&format!("{}/p/", app.base)), link);

    let deliveries = m.get_ok(&format!("/boards/{board}/emails")).await;
    assert_eq!(texts(&deliveries, "tr.delivery.sent").len(), 3);
}

async fn temporary_failures_are_retried_then_given_up(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let csv = "email,name\ntempfail-1-ann@example.org,Ann\ntempfail-9-bob@example.org,Bob\n";
    let (m, board, _, _) = board(&app, csv, "").await;
    invite(&m, &board).await;
    assert_eq!(app.outbox.drain().await.unwrap(), Drained { retrying: 2, ..Default::default() });
    let api = app.api_of("mod@example.org").await;
    let (_, list) = api.get(&format!("/api/v1/boards/{board}/emails?status=queued")).await;
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(list[0]["last_error"].as_str().unwrap().contains("451"), "{list}");
    assert_eq!(list[0]["attempts"], 1);
    // Not before the retry time.
    assert_eq!(app.outbox.drain().await.unwrap(), Drained::default());
    app.clock.advance(time::Duration::seconds(61));
    assert_eq!(app.outbox.drain().await.unwrap(), Drained { sent: 1, retrying: 1, ..Default::default() });
    assert_eq!(sink.to("tempfail-1-ann@example.org").len(), 1);
    // The wait doubles; after the third attempt Bob's message is given up.
    app.clock.advance(time::Duration::seconds(121));
    assert_eq!(app.outbox.drain().await.unwrap(), Drained { failed: 1, ..Default::default() });
    let (_, failed) = api.get(&format!("/api/v1/boards/{board}/emails?status=failed")).await;
    assert_eq!(
        (failed[0]["recipient"].as_str(), failed[0]["attempts"].as_i64()),
        (Some("tempfail-9-bob@example.org"), Some(3))
    );
    let (st, _) = api.get(&format!("/api/v1/boards/{board}/emails?status=lost")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn permanent_failures_are_shown_and_can_be_resent(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let csv = "email,name\nbounce@example.org,Bea Bounce\nann@example.org,Ann\n";
    let (m, board, _, _) = board(&app, csv, "").await;
    invite(&m, &board).await;
    assert_eq!(app.outbox.drain().await.unwrap(), Drained { sent: 1, failed: 1, ..Default::default() });
    assert!(sink.to("bounce@example.org").is_empty());
    let page = m.get_ok(&format!("/boards/{board}/emails?status=failed")).await;
    let rows = texts(&page, "tr.delivery");
    assert_eq!(rows.len(), 1, "filtered to failed: {rows:?}");
    assert!(rows[0].contains("bounce@example.org") && rows[0].contains("550"), "{rows:?}");
    let people = m.get_ok(&format!("/boards/{board}/participants")).await;
    assert_eq!(texts(&people, ".tag.failed"), vec!["email failed"]);
    // Sending again tries once more from the start.
    let res = m.submit(&format!("/boards/{board}/emails"), &format!("/boards/{board}/emails/resend-failed"), &[]).await;
    assert!(res.text().await.unwrap().contains("1 failed message is queued again"));
    assert_eq!(app.outbox.drain().await.unwrap(), Drained { failed: 1, ..Default::default() });
    // A participant of the board cannot see the delivery list, in the API or the pages.
    let ann_link = sink.to("ann@example.org")[0].link(&format!("{}/p/", app.base));
    let ann = app.participant_api(&ann_link).await;
    assert_eq!(ann.emails(&board).await.0, StatusCode::FORBIDDEN);
    assert_eq!(ann.invite(&board, json!({})).await.0, StatusCode::FORBIDDEN);
    let ann_page = app.sign_in_participant(&ann_link).await;
    assert_eq!(ann_page.get(&format!("/boards/{board}/emails")).await.status(), StatusCode::FORBIDDEN);
    // Another board's moderator cannot see or resend these.
    let other = app.staff_api("other@example.org", false).await;
    assert_eq!(other.emails(&board).await.0, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post(&format!("/api/v1/boards/{board}/emails/resend-failed"), json!({})).await.0,
        StatusCode::NOT_FOUND
    );
}

async fn stage_notices_reminders_and_replies(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    // Stage 1 closes Monday 29 March 09:00 BST (08:00 UTC); reminders 24 hours before.
    let (m, board, stage, q) = board(&app, CSV, "2021-03-29T09:00").await;
    invite(&m, &board).await;
    app.outbox.drain().await.unwrap();
    let res = m.submit(&format!("/stages/{stage}"), &format!("/stages/{stage}/release"), &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(app.outbox.drain().await.unwrap(), sent(2));
    let notice = &sink.to("bob@example.org")[1];
    assert_eq!(notice.subject(), "New questions are open: Stage 1: hopes");
    assert!(notice.text().contains(&format!("{}/q/{q}", app.base)), "{}", notice.text());
    assert!(notice.text().contains("What did you hope for?"), "markdown as plain text");

    // Ann answers; Bob does not.
    let ann_link = sink.to("ann@example.org")[0].link(&format!("{}/p/", app.base));
    let ann = app.participant_api(&ann_link).await;
    ann.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": "Annie"})).await;
    let (_, answer) = ann.write_post(&q, json!({"body_md": "Networking"})).await;

    // Bob signs in but does not answer.
    let bob_link = sink.to("bob@example.org")[0].link(&format!("{}/p/", app.base));
    let bob = app.participant_api(&bob_link).await;
    bob.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": "Bobby"})).await;

    // Before the reminder window nothing is queued; inside it, only Bob is reminded, once.
    app.clock.set(datetime!(2021-03-28 07:59 UTC));
    app.scheduler.tick().await.unwrap();
    assert_eq!(app.outbox.drain().await.unwrap(), Drained::default());
    app.clock.set(datetime!(2021-03-28 08:00 UTC));
    app.scheduler.tick().await.unwrap();
    app.scheduler.tick().await.unwrap();
    assert_eq!(app.outbox.drain().await.unwrap(), sent(1));
    let reminder = sink.to("bob@example.org").pop().unwrap();
    assert_eq!(reminder.subject(), "Reminder: Stage 1: hopes closes Mon 29 Mar 2021, 09:00 BST");
    assert!(reminder.text().contains("1 of its questions still wait"));
    assert_eq!(sink.to("ann@example.org").len(), 2, "Ann answered: no reminder");

    // Bob replies to Ann: Ann is told, with a link to the reply.
    bob.write_post(&q, json!({"body_md": "Me too"})).await;
    let (_, reply) = bob.write_post(&q, json!({"body_md": "Agreed, **Annie**", "parent_id": answer["id"]})).await;
    assert_eq!(app.outbox.drain().await.unwrap(), sent(1));
    let told = sink.to("ann@example.org").pop().unwrap();
    assert_eq!(told.subject(), "Bobby replied to your post");
    assert!(
        told.text().contains("Agreed, Annie")
            && told.text().contains(&format!("#post-{}", reply["id"].as_str().unwrap()))
    );
    assert!(!told.text().contains("Bob Ray"), "screen names only, as on the board");
    // A moderator's probe reads as their question, with a button to answer it.
    let m_api = app.api_of("mod@example.org").await;
    let (st, _) = m_api.probe(answer["id"].as_str().unwrap(), json!({"body_md": "Could you say more?"})).await;
    assert_eq!(st, StatusCode::CREATED);
    assert_eq!(app.outbox.drain().await.unwrap(), sent(1));
    let probe = sink.to("ann@example.org").pop().unwrap();
    assert!(probe.subject().ends_with(", the moderator, asks you a follow-up question"), "{}", probe.subject());
    assert!(!probe.subject().contains("(moderator)") && probe.html().contains("Answer the question"));

    // Never signed in: Cat, invited, reminded 48 hours later, once.
    app.api_of("mod@example.org")
        .await
        .post_csv(&format!("/api/v1/boards/{board}/participants/import?commit=true"), "email\ncat@example.org\n")
        .await;
    invite(&m, &board).await;
    app.outbox.drain().await.unwrap();
    app.clock.advance(time::Duration::hours(48));
    app.scheduler.tick().await.unwrap();
    app.scheduler.tick().await.unwrap();
    app.outbox.drain().await.unwrap();
    let cat = sink.to("cat@example.org");
    assert_eq!(cat.len(), 2, "invitation and one reminder");
    assert_eq!(cat[1].subject(), "Reminder: your invitation to CoP consultation");
}

async fn one_click_unsubscribe_stops_that_kind(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let (m, board, stage, _) = board(&app, CSV, "").await;
    invite(&m, &board).await;
    m.submit(&format!("/stages/{stage}"), &format!("/stages/{stage}/release"), &[]).await;
    app.outbox.drain().await.unwrap();
    let notice = sink.to("ann@example.org").into_iter().find(|m| m.subject().starts_with("New questions")).unwrap();
    let url = notice.header("List-Unsubscribe").unwrap().trim_matches(['<', '>']).to_string();
    // What a mail program does: a POST with no cookies and no CSRF token.
    let res = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("You will no longer receive: A new stage of questions is open"));
    // A second stage opens: Bob is told, Ann is not.
    let api = app.api_of("mod@example.org").await;
    let (_, s2) = api.add_stage(&board, json!({"title": "Stage 2"})).await;
    // A stage notice lists the stage's questions; a stage without any announces nothing.
    api.add_question(&s2["id"].as_str().unwrap(), json!({"prompt_md": "And now?"})).await;
    api.release_stage(&s2["id"].as_str().unwrap(), json!({})).await;
    assert_eq!(app.outbox.drain().await.unwrap(), sent(1));
    assert_eq!(sink.to("bob@example.org").len(), 3);
    assert_eq!(sink.to("ann@example.org").len(), 2);
    // The preferences page shows it off and can turn it back on.
    let b = app.browser();
    let page = b.get_ok(&url).await;
    assert!(!page.contains("name=\"receive_stage_open\" checked"));
    assert!(page.contains("name=\"receive_reminder\" checked"));
    let res = b
        .submit(&url, &format!("{url}/preferences"), &[("receive_stage_open", "on"), ("receive_reminder", "on")])
        .await;
    let page = res.text().await.unwrap();
    assert!(page.contains("name=\"receive_stage_open\" checked") && !page.contains("name=\"receive_reply\" checked"));
    // A forged token is refused.
    let forged = format!("{}x", url);
    assert_eq!(
        reqwest::Client::new().post(&forged).body("List-Unsubscribe=One-Click").send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

async fn a_crash_before_sending_still_delivers_once(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let (m, board, _, _) = board(&app, CSV, "").await;
    invite(&m, &board).await;
    // The instance that queued them dies before its worker runs; a new one starts on the same
    // database and sends them.
    let restarted = focusboard::startup::outbox_worker(
        &app.settings,
        focusboard::db::Db::connect(&app.database_url, 2).unwrap(),
        app.clock.clone(),
    )
    .unwrap();
    assert_eq!(restarted.drain().await.unwrap(), sent(2));
    assert_eq!(restarted.drain().await.unwrap(), Drained::default());
    assert_eq!(app.outbox.drain().await.unwrap(), Drained::default());
    assert_eq!(sink.messages().len(), 2);

    // A worker that claimed a message and died mid-send: the message waits for the lease to
    // run out, then is sent once.
    app.api_of("mod@example.org")
        .await
        .post_csv(&format!("/api/v1/boards/{board}/participants/import?commit=true"), "email\ncat@example.org\n")
        .await;
    invite(&m, &board).await;
    let now = app.clock_now();
    let claimed = app
        .with_db(move |conn, _| {
            Ok(focusboard::db::outbox::claim(conn, "dead-worker", now, now + time::Duration::minutes(5), 10)?.len())
        })
        .await;
    assert_eq!(claimed, 1);
    assert_eq!(app.outbox.drain().await.unwrap(), Drained::default(), "not while the lease holds");
    app.clock.advance(time::Duration::minutes(6));
    assert_eq!(restarted.drain().await.unwrap(), sent(1));
    assert_eq!(sink.to("cat@example.org").len(), 1);
}

async fn two_workers_send_each_message_once(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let mut csv = String::from("email\n");
    for i in 0..40 {
        csv.push_str(&format!("p{i:02}@example.org\n"));
    }
    let (m, board, _, _) = board(&app, &csv, "").await;
    invite(&m, &board).await;
    let other = focusboard::startup::outbox_worker(
        &app.settings,
        focusboard::db::Db::connect(&app.database_url, 4).unwrap(),
        app.clock.clone(),
    )
    .unwrap();
    let (a, b) = tokio::join!(app.outbox.drain(), other.drain());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.sent + b.sent, 40, "{a:?} {b:?}");
    let mut to: Vec<String> = sink.messages().iter().map(Received::envelope_to).collect();
    to.sort();
    to.dedup();
    assert_eq!((sink.messages().len(), to.len()), (40, 40), "each message once");
}

async fn closing_notice_goes_once_and_respects_late_opt_outs(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let (m, board, _, _) = board(&app, CSV, "").await;
    invite(&m, &board).await;
    app.outbox.drain().await.unwrap();
    let api = app.api_of("mod@example.org").await;
    let close = json!({"title": "CoP consultation", "time_zone": "Europe/London", "state": "closed"});
    assert_eq!(api.edit_board(&board, close.clone()).await.0, StatusCode::OK);
    // Bob turns closing notices off after they were queued, through the API: his is cancelled.
    let bob_link = sink.to("bob@example.org")[0].link(&format!("{}/p/", app.base));
    let bob = app.participant_api(&bob_link).await;
    let res = bob
        .client
        .put(app.url("/api/v1/me/email-preferences"))
        .bearer_auth(&bob.token)
        .json(&json!({"receive": ["reminder", "reply"]}))
        .send()
        .await
        .unwrap();
    let (st, prefs) = read(res).await;
    assert_eq!(st, StatusCode::OK);
    let closing = prefs["kinds"].as_array().unwrap().iter().find(|k| k["kind"] == "closing").unwrap();
    assert_eq!(closing["receiving"], false);
    assert_eq!(app.outbox.drain().await.unwrap(), Drained { sent: 1, cancelled: 1, ..Default::default() });
    let ann = sink.to("ann@example.org").pop().unwrap();
    assert_eq!(ann.subject(), "CoP consultation is now closed");
    assert_eq!(sink.to("bob@example.org").len(), 1, "only Bob's invitation");
    // Saving the closed board again sends nothing more.
    api.edit_board(&board, close).await;
    assert_eq!(app.outbox.drain().await.unwrap(), Drained::default());
    let (_, overview) = api.overview(&board).await;
    assert_eq!(overview["funnel"]["email_failed"], 0);
}
