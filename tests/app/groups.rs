//! Groups: stages and questions for chosen groups only, in pages, JSON, counts, the grid and
//! email; a participant's group comes from the CSV or is set by the moderator.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    questions_for_one_group_never_reach_another,
    counts_notices_and_grid_follow_the_groups,
    moving_into_a_group_opens_its_stage
);

/// A board with a stage for everyone (one question for Nurses only) and a stage for GPs; Ann is
/// a Nurse, Bob a GP, Cat in no group; all invited, consented and both stages released.
struct Grouped {
    app: TestApp,
    m: Api,
    board: String,
    q1: String,
    q2: String,
    q3: String,
    people: Value,
    ann: Api,
    bob: Api,
    cat: Api,
}

impl Grouped {
    async fn new(backend: Backend) -> Grouped {
        let app = spawn(backend).await;
        let m = app.staff_api("mod@example.org", false).await;
        let (_, b) = m.post("/api/v1/boards", json!({"title": "Groups", "time_zone": "Europe/London"})).await;
        let board = b["id"].as_str().unwrap().to_string();
        let (_, s1) = m.add_stage(&board, json!({"title": "Everyone"})).await;
        let s1 = s1["id"].as_str().unwrap().to_string();
        let (_, q1) = m.add_question(&s1, json!({"prompt_md": "For all?", "mode": "open"})).await;
        let (_, q3) =
            m.add_question(&s1, json!({"prompt_md": "Nurses only?", "mode": "open", "groups": "Nurses"})).await;
        let (_, s2) = m.add_stage(&board, json!({"title": "GP stage", "groups": "GPs"})).await;
        let s2 = s2["id"].as_str().unwrap().to_string();
        assert_eq!(json!(["GPs"]), s2_groups(&m, &s2).await);
        let (_, q2) = m.add_question(&s2, json!({"prompt_md": "GPs only?", "mode": "open"})).await;
        let (q1, q2, q3) = (q1["id"].as_str().unwrap(), q2["id"].as_str().unwrap(), q3["id"].as_str().unwrap());
        m.post_csv(
            &format!("/api/v1/boards/{board}/participants/import?commit=true"),
            "email,name,Group\nann@example.org,Ann,Nurses\nbob@example.org,Bob,GPs\ncat@example.org,Cat,\n",
        )
        .await;
        m.invite(&board, json!({})).await;
        m.release_stage(&s1, json!({})).await;
        m.release_stage(&s2, json!({})).await;
        let (q1, q2, q3) = (q1.to_string(), q2.to_string(), q3.to_string());
        let (_, people) = m.participants(&board).await;
        // Each consents with a screen name through their own token.
        let mut apis = Vec::new();
        for (email, screen) in [("ann@example.org", "Ann"), ("bob@example.org", "Bob"), ("cat@example.org", "Cat")] {
            let api = app.participant_api(&person(&people, email, "sign_in_link")).await;
            api.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": screen})).await;
            apis.push(api);
        }
        let (cat, bob, ann) = (apis.pop().unwrap(), apis.pop().unwrap(), apis.pop().unwrap());
        Grouped { app, m, board, q1, q2, q3, people, ann, bob, cat }
    }

    fn link(&self, email: &str) -> String {
        person(&self.people, email, "sign_in_link")
    }

    fn id(&self, email: &str) -> String {
        person(&self.people, email, "id")
    }
}

/// One field of a participant in the board's participant list, found by email.
fn person(people: &Value, email: &str, field: &str) -> String {
    people.as_array().unwrap().iter().find(|p| p["email"] == email).unwrap()[field].as_str().unwrap().to_string()
}

/// The questions a participant's board home lists, in order.
fn seen(home: &Value) -> Vec<String> {
    home["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["questions"].as_array().unwrap().iter().map(|q| q["prompt_md"].as_str().unwrap().to_string()))
        .collect()
}

/// Each group sees its own questions; another group's question does not exist in the JSON,
/// for posting, on the page, or in a staff "view as".
async fn questions_for_one_group_never_reach_another(backend: Backend) {
    let t = Grouped::new(backend).await;
    let Grouped { app, m, board, q2, q3, ann, bob, cat, .. } = &t;
    let (link, id) = (|e: &str| t.link(e), |e: &str| t.id(e));
    assert_eq!(seen(&ann.home(&board).await.1), vec!["For all?", "Nurses only?"]);
    assert_eq!(seen(&bob.home(&board).await.1), vec!["For all?", "GPs only?"]);
    assert_eq!(seen(&cat.home(&board).await.1), vec!["For all?"]);
    // Another group's question does not exist: JSON, posting, the page, and a staff "view as".
    assert_eq!(ann.question(&q2).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ann.write_post(&q2, json!({"body_md": "x"})).await.0, StatusCode::NOT_FOUND);
    assert_eq!(bob.question(&q3).await.0, StatusCode::NOT_FOUND);
    let ann_page = app.sign_in_participant(&link("ann@example.org")).await;
    assert_eq!(ann_page.get(&format!("/q/{q2}")).await.status(), StatusCode::NOT_FOUND);
    assert!(!ann_page.board_home_page(&board).await.contains("GP stage"));
    assert_eq!(m.get(&format!("/api/v1/questions/{q2}/as/{}", id("ann@example.org"))).await.0, StatusCode::NOT_FOUND);
}

/// "N of M" counts those a question is for; stage notices and the grid follow the groups.
async fn counts_notices_and_grid_follow_the_groups(backend: Backend) {
    let Grouped { m, board, .. } = Grouped::new(backend).await;
    // "N of M": M counts those the question is for.
    let (_, overview) = m.overview(&board).await;
    let m_of = |prompt: &str| -> i64 {
        overview["stages"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| s["questions"].as_array().unwrap().iter())
            .find(|q| q["prompt_md"] == prompt)
            .unwrap()["participant_count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!((m_of("For all?"), m_of("Nurses only?"), m_of("GPs only?")), (3, 1, 1));
    // Stage notices went only to those the stage is for.
    let (_, mails) = m.emails(&board).await;
    let notices: Vec<&str> = mails
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "stage_open" && e["subject"].as_str().unwrap().contains("GP stage"))
        .map(|e| e["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(notices, vec!["bob@example.org"]);
    // The grid marks questions for other groups; filtering by group works like any attribute.
    let (_, grid) = m.get(&format!("/api/v1/boards/{board}/grid")).await;
    let ann_row = grid["rows"].as_array().unwrap().iter().find(|r| r["email"] == "ann@example.org").unwrap();
    assert_eq!(ann_row["cells"], json!(["not_answered", "not_answered", "not_for_group"]));
    let (_, gps) = m.get(&format!("/api/v1/boards/{board}/grid?attribute=Group&value=GPs")).await;
    assert_eq!(gps["rows"].as_array().unwrap().len(), 1);
}

/// A participant moved into a group sees its stage and may answer there.
async fn moving_into_a_group_opens_its_stage(backend: Backend) {
    let t = Grouped::new(backend).await;
    let Grouped { app, m, board, q1, q2, cat, .. } = &t;
    let id = |e: &str| t.id(e);
    // The moderator moves Cat into the GPs: she now sees their stage.
    let res = m
        .client
        .put(app.url(&format!("/api/v1/boards/{board}/participants/{}/group", id("cat@example.org"))))
        .bearer_auth(&m.token)
        .json(&json!({"group": "GPs"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(seen(&cat.home(&board).await.1), vec!["For all?", "GPs only?"]);
    assert_eq!(cat.write_post(&q2, json!({"body_md": "Now I can"})).await.0, StatusCode::CREATED);
    assert_eq!(cat.question(&q1).await.0, StatusCode::OK);
}

async fn s2_groups(m: &Api, stage: &str) -> Value {
    m.get(&format!("/api/v1/stages/{stage}")).await.1["groups"].clone()
}
