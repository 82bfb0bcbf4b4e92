//! Questions that are voted on: choices, ratings and rankings, results hidden before voting in
//! post-first mode, votes changed and every change kept, and votes counting as answers.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(
    a_poll_hides_results_until_voted_and_keeps_changes,
    ratings_rankings_and_votes_as_answers,
    voting_in_the_page_results_by_group_and_closed_stages
);

/// A board with a choice poll (post first), a rating and a ranking (open), and three
/// participants; returns the app, the board, the moderator, Ann, Bob and the three questions.
async fn three_polls(backend: Backend) -> (TestApp, Seeded, Api, Api, Api, [String; 3]) {
    let app = spawn(backend).await;
    let s = app
        .board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org", "cat@example.org"])
        .await;
    let m = app.api_of("mod@example.org").await;
    let (st, poll) = m
        .post(
            &format!("/api/v1/stages/{}/questions", s.stage),
            json!({"prompt_md": "Which pillar matters most?", "kind": "single_choice", "options": ["Momentum", "Progress", "Rhythm"]}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{poll}");
    let (st, _) =
        m.add_question(&s.stage, json!({"prompt_md": "Bad", "kind": "single_choice", "options": ["Only one"]})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, rating) = m
        .post(
            &format!("/api/v1/stages/{}/questions", s.stage),
            json!({"prompt_md": "How useful?", "kind": "rating", "scale_max": 5, "scale_low": "Not at all", "scale_high": "Very", "mode": "open"}),
        )
        .await;
    let (_, ranking) = m
        .add_question(
            &s.stage,
            json!({"prompt_md": "Rank these", "kind": "ranking", "options": "Cake\nBiscuits\nParking", "mode": "open"}),
        )
        .await;
    let (poll, rating, ranking) = (
        poll["id"].as_str().unwrap().to_string(),
        rating["id"].as_str().unwrap().to_string(),
        ranking["id"].as_str().unwrap().to_string(),
    );
    let (ann, bob) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
    (app, s, m, ann, bob, [poll, rating, ranking])
}

/// A choice poll: no results before voting, a vote must be an option and comes before a
/// comment; a changed vote is counted once and the earlier one kept for staff.
async fn a_poll_hides_results_until_voted_and_keeps_changes(backend: Backend) {
    let (_, _, m, ann, bob, [poll, ..]) = three_polls(backend).await;
    // Post first (the default): no results before voting.
    let (_, before) = ann.question(&poll).await;
    assert!(before["results"].is_null());
    let (st, _) = ann.vote(&poll, json!({"answer": {"choice": 7}})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "not an option");
    let (st, _) = ann.write_post(&poll, json!({"body_md": "A comment without a vote"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "vote first");
    let (st, after) = ann.vote(&poll, json!({"answer": {"choice": 0}, "comment_md": "Momentum keeps us going"})).await;
    assert_eq!(st, StatusCode::OK, "{after}");
    assert_eq!(after["results"]["rows"][0]["count"], 1);
    assert_eq!(after["posts"][0]["body_md"], "Momentum keeps us going");
    bob.vote(&poll, json!({"answer": {"choice": 1}})).await;
    // Ann changes her mind; the earlier vote is kept for analysts.
    let (_, changed) = ann.vote(&poll, json!({"answer": {"choice": 1}})).await;
    let counts: Vec<i64> =
        changed["results"]["rows"].as_array().unwrap().iter().map(|r| r["count"].as_i64().unwrap()).collect();
    assert_eq!(counts, vec![0, 2, 0]);
    assert_eq!(changed["results"]["rows"][1]["percent"], 100);
    let (_, history) = m.get(&format!("/api/v1/questions/{poll}/votes")).await;
    assert_eq!(history.as_array().unwrap().len(), 3);
    assert!(history[0]["superseded"].is_object() && history[2]["superseded"].is_null());
    assert_eq!(ann.get(&format!("/api/v1/questions/{poll}/votes")).await.0, StatusCode::FORBIDDEN);
}

/// Ratings average, rankings order, and votes count as answers in "N of M", the funnel and the
/// participant's home.
async fn ratings_rankings_and_votes_as_answers(backend: Backend) {
    let (_, s, m, ann, bob, [poll, rating, ranking]) = three_polls(backend).await;
    ann.vote(&poll, json!({"answer": {"choice": 1}})).await;
    bob.vote(&poll, json!({"answer": {"choice": 1}})).await;
    // Rating and ranking.
    ann.vote(&rating, json!({"answer": {"rating": 4}})).await;
    let (_, r) = bob.vote(&rating, json!({"answer": {"rating": 5}})).await;
    assert_eq!(r["results"]["average"], 4.5);
    assert_eq!(bob.vote(&rating, json!({"answer": {"rating": 6}})).await.0, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, k) = ann.vote(&ranking, json!({"answer": {"ranking": [2, 0, 1]}})).await;
    assert_eq!(k["results"]["rows"][0]["label"], "Parking");
    // Votes count as answers: "N of M", the funnel and the participant's home.
    let (_, overview) = m.overview(&s.board).await;
    let poll_row =
        overview["stages"][0]["questions"].as_array().unwrap().iter().find(|q| q["id"] == poll.as_str()).unwrap();
    assert_eq!(poll_row["answered_count"], 2);
    assert_eq!(overview["funnel"]["posted"], 2);
    let (_, home) = ann.home(&s.board).await;
    let answered: Vec<bool> = home["stages"][0]["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["answered_by_you"].as_bool().unwrap())
        .collect();
    assert_eq!(answered, vec![false, true, true, true]);
}

/// Voting through the page form with the chart, results by group for staff only, and no votes
/// once the stage has closed.
async fn voting_in_the_page_results_by_group_and_closed_stages(backend: Backend) {
    let (app, s, m, ann, bob, [poll, rating, _]) = three_polls(backend).await;
    ann.vote(&rating, json!({"answer": {"rating": 4}})).await;
    bob.vote(&rating, json!({"answer": {"rating": 5}})).await;
    // Through the page: Cat votes on the rating with the form, and sees the chart.
    let cat = app.sign_in_participant(s.link(2)).await;
    let page = cat.question_page(&rating).await;
    assert!(page.contains("1 = Not at all, 5 = Very"));
    assert_eq!(texts(&page, "#results-h"), vec!["Results: 2 votes, average 4.5"], "open mode: results before voting");
    let res = cat
        .client
        .post(app.url(&format!("/q/{rating}/vote")))
        .form(&[("csrf_token", csrf_of(&page).as_str()), ("rating", "3")])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(page.contains("Results: 3 votes, average 4"), "{}", texts(&page, "h2").join(" | "));
    assert!(page.contains("Change your vote"));
    // Results by group, for staff.
    m.client
        .put(app.url(&format!("/api/v1/boards/{}/participants/{}/group", s.board, s.participants[1].1)))
        .bearer_auth(&m.token)
        .json(&json!({"group": "GPs"}))
        .send()
        .await
        .unwrap();
    let (st, gps) = m.get(&format!("/api/v1/questions/{rating}/results?group=GPs")).await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!((gps["voters"].as_i64(), gps["average"].as_f64()), (Some(1), Some(5.0)), "only Bob is a GP");
    assert_eq!(ann.get(&format!("/api/v1/questions/{rating}/results?group=GPs")).await.0, StatusCode::FORBIDDEN);
    let staff = app.signed_in("mod@example.org").await;
    assert_eq!(
        texts(&staff.get_ok(&format!("/q/{rating}?group=GPs")).await, "#results-h"),
        vec!["Results of GPs: 1 vote, average 5.0"]
    );
    // A closed stage takes no votes.
    m.edit_stage(&s.stage, json!({"title": "Stage 1", "close_at": "2021-03-26T08:30"})).await;
    app.clock.advance(time::Duration::hours(1));
    assert_eq!(bob.vote(&poll, json!({"answer": {"choice": 2}})).await.0, StatusCode::FORBIDDEN);
}
