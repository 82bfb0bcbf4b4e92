//! Stages scheduled by working days with a manual clock: across a weekend, a holiday and the end
//! of British Summer Time each release happens at 09:00 London time on the right day, and a
//! paused board releases nothing and reminds no one until it resumes, its schedule moved on.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use time::macros::datetime;

crate::on_both_databases!(
    releases_skip_weekends_holidays_and_keep_local_time_across_the_clock_change,
    a_paused_board_releases_nothing_and_resumes_with_its_schedule_moved_on,
);

/// A London board whose holidays include Monday 26 October 2026, with `n` stages (each with a
/// question) and one participant invited; returns (board id, stage ids).
async fn board(app: &TestApp, m: &Api, n: usize) -> (String, Vec<String>) {
    let (status, board) = m
        .post(
            "/api/v1/boards",
            json!({"title": "Working days", "time_zone": "Europe/London", "holidays": "2026-10-26"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let b = board["id"].as_str().unwrap().to_string();
    assert_eq!(board["holidays"], "2026-10-26");
    let mut stages = Vec::new();
    for i in 0..n {
        let (_, s) = m.add_stage(&b, json!({"title": format!("Stage {}", i + 1)})).await;
        let sid = s["id"].as_str().unwrap().to_string();
        m.add_question(&sid, json!({"prompt_md": format!("Question {}", i + 1), "mode": "open"})).await;
        stages.push(sid);
    }
    let (status, _) = m
        .post_csv(&format!("/api/v1/boards/{b}/participants/import?commit=true"), "email,name\nann@example.org,Ann\n")
        .await;
    assert!(status.is_success(), "{status}");
    let _ = app;
    (b, stages)
}

async fn stage(m: &Api, id: &str) -> Value {
    m.get(&format!("/api/v1/stages/{id}")).await.1
}

async fn releases_skip_weekends_holidays_and_keep_local_time_across_the_clock_change(backend: Backend) {
    let app = spawn(backend).await;
    app.clock.set(datetime!(2026-10-20 12:00 UTC));
    let m = app.staff_api("mod@example.org", false).await;
    let (b, stages) = board(&app, &m, 3).await;
    // A bad time is refused with the field named, and nothing is scheduled.
    let (status, problem) =
        m.post(&format!("/api/v1/boards/{b}/schedule"), json!({"from": "2026-10-22", "every": 1, "at": "9h"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "at");
    assert!(stage(&m, &stages[0]).await["release_at"].is_null());
    // On the board page, the form says what is wrong beside what was typed, which is kept.
    let browser = app.signed_in("mod@example.org").await;
    let res = browser
        .submit(
            &format!("/boards/{b}"),
            &format!("/boards/{b}/schedule"),
            &[("from", "2026-10-22"), ("every", "0"), ("at", "09:00"), ("close_after", "2")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Every must be a whole number from 1 to 30."), "the error is shown");
    assert!(
        html.contains(r#"value="2026-10-22""#)
            && html.contains(r#"name="close_after" type="number" min="1" max="60" inputmode="numeric" value="2""#),
        "what was typed is kept"
    );
    // Thursday 22 October 2026, every working day at 09:00, each open for two working days.
    let (status, body) = m
        .post(
            &format!("/api/v1/boards/{b}/schedule"),
            json!({"from": "2026-10-22", "every": 1, "at": "09:00", "close_after": 2}),
        )
        .await;
    assert_eq!((status, body["scheduled"].as_u64()), (StatusCode::OK, Some(3)), "{body}");
    // Thu 22 and Fri 23 are in summer time (09:00 BST is 08:00 UTC); the weekend (when the
    // clocks go back) and the holiday on Monday 26 are skipped: Tue 27 at 09:00 GMT is 09:00 UTC.
    let expected = [
        (datetime!(2026-10-22 08:00 UTC), datetime!(2026-10-26 09:00 UTC)),
        (datetime!(2026-10-23 08:00 UTC), datetime!(2026-10-28 09:00 UTC)),
        (datetime!(2026-10-27 09:00 UTC), datetime!(2026-10-29 09:00 UTC)),
    ];
    // (The first closes after two working days: Fri 23 and, past the weekend and the holiday,
    // Tue 27, at 09:00 GMT.)
    let expected = [(expected[0].0, datetime!(2026-10-27 09:00 UTC)), expected[1], expected[2]];
    for (sid, (release, close)) in stages.iter().zip(expected) {
        let s = stage(&m, sid).await;
        let at = |v: &Value| {
            time::OffsetDateTime::parse(v["at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                .unwrap()
        };
        assert_eq!(at(&s["release_at"]), release, "{s}");
        assert_eq!(at(&s["close_at"]), close, "{s}");
    }
    // The scheduler releases each at its instant, not a minute before.
    for (i, (release, _)) in expected.iter().enumerate() {
        app.clock.set(*release - time::Duration::minutes(1));
        assert_eq!(app.scheduler.tick().await.unwrap(), 0, "stage {} is not due yet", i + 1);
        app.clock.set(*release);
        assert_eq!(app.scheduler.tick().await.unwrap(), 1, "stage {} is released at its time", i + 1);
    }
    // Nothing is left to schedule now.
    let (status, _) =
        m.post(&format!("/api/v1/boards/{b}/schedule"), json!({"from": "2026-11-02", "every": 1, "at": "09:00"})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_paused_board_releases_nothing_and_resumes_with_its_schedule_moved_on(backend: Backend) {
    let app = spawn(backend).await;
    app.clock.set(datetime!(2026-10-19 12:00 UTC));
    let m = app.staff_api("mod@example.org", false).await;
    let (b, stages) = board(&app, &m, 2).await;
    m.post(&format!("/api/v1/boards/{b}/invitations"), json!({})).await;
    let (status, _) = m
        .post(
            &format!("/api/v1/boards/{b}/schedule"),
            json!({"from": "2026-10-20", "every": 2, "at": "09:00", "close_after": 3}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Stage 1 opens on Tue 20 and closes Fri 23; stage 2 is due Thu 22. Pause on Wed 21 at
    // 11:00, before Ann's reminder to sign in (48 hours after the invitation) and the reminder a
    // day before stage 1 closes are due.
    let reminders = |emails: &Value| emails.as_array().unwrap().iter().filter(|e| e["kind"] == "reminder").count();
    app.clock.set(datetime!(2026-10-20 08:00 UTC));
    assert_eq!(app.scheduler.tick().await.unwrap(), 1);
    app.clock.set(datetime!(2026-10-21 11:00 UTC));
    assert_eq!(m.post(&format!("/api/v1/boards/{b}/pause"), json!({})).await.0, StatusCode::NO_CONTENT);
    let (_, board) = m.get(&format!("/api/v1/boards/{b}")).await;
    assert!(board["paused_at"].is_object(), "{board}");
    // Thursday comes: nothing is released, and no reminder goes out.
    app.clock.set(datetime!(2026-10-22 10:00 UTC));
    assert_eq!(app.scheduler.tick().await.unwrap(), 0, "a paused board releases nothing");
    let (_, emails) = m.get(&format!("/api/v1/boards/{b}/emails")).await;
    assert_eq!(reminders(&emails), 0, "no reminders while paused: {emails}");
    // Participants still read and post in the open stage, and see that the board is paused.
    let participants = m.participants(&b).await.1;
    let link = participants[0]["sign_in_link"].as_str().unwrap().to_string();
    let board_id = focusboard::domain::ids::BoardId::from(b.as_str());
    app.with_db(move |conn, ctx| {
        let p = focusboard::db::participants::of_board(conn, &board_id)?.remove(0);
        focusboard::service::participants::give_consent(
            conn,
            ctx,
            &focusboard::service::Actor::Participant(p),
            &focusboard::service::participants::ConsentInput {
                consent: Some("on".into()),
                screen_name: Some("Ann".into()),
            },
        )
    })
    .await;
    let ann = app.sign_in_participant(&link).await;
    let home = ann.get_ok(&format!("/b/{b}")).await;
    assert!(home.contains("paused the board"), "the home page says so");
    // Resumed on Mon 26 (a holiday) with the schedule moved on: Wed 21, Thu 22 and Fri 23 were
    // paused working days, so stage 2 moves from Thu 22 by three working days (Fri 23, then
    // past the weekend and the holiday Tue 27 and Wed 28) to Wed 28, and stage 1's close from
    // Fri 23 to Thu 29, both at 09:00 London time, now GMT.
    app.clock.set(datetime!(2026-10-26 10:00 UTC));
    let (status, resumed) = m.post(&format!("/api/v1/boards/{b}/resume"), json!({"shift": true})).await;
    assert_eq!((status, resumed["shifted_working_days"].as_u64()), (StatusCode::OK, Some(3)), "{resumed}");
    let s2 = stage(&m, &stages[1]).await;
    assert_eq!(s2["release_at"]["local"], "2026-10-28T09:00", "{s2}");
    assert_eq!(stage(&m, &stages[0]).await["close_at"]["local"], "2026-10-29T09:00");
    assert_eq!(app.scheduler.tick().await.unwrap(), 0);
    // Running again, the board releases stage 2 and reminds Ann, who has not answered stage 1,
    // a day before it now closes.
    app.clock.set(datetime!(2026-10-28 09:00 UTC));
    assert_eq!(app.scheduler.tick().await.unwrap(), 1);
    let (_, emails) = m.get(&format!("/api/v1/boards/{b}/emails")).await;
    assert_eq!(reminders(&emails), 1, "{emails}");
    // Pausing twice, or resuming a board that runs, is refused.
    assert_eq!(m.post(&format!("/api/v1/boards/{b}/resume"), json!({"shift": false})).await.0, StatusCode::CONFLICT);
}
