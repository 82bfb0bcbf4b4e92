//! Trust with research data: partial updates that change only what they are sent, group and
//! visibility rules that hold for summaries, emails and writes, one answer per participant
//! under concurrency, nothing personal cached, exports that survive any character, staff
//! accounts that cannot be probed, durable SQLite, and an outbox that sends each email once.

use crate::helpers::*;
use focusboard::domain::ids::ParticipantId;
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    patching_a_board_changes_only_the_fields_sent,
    patching_a_stage_changes_only_the_fields_sent,
    patching_a_question_changes_only_the_fields_sent,
    summaries_of_group_stages_stay_in_the_group_and_wait_for_their_stage,
    writing_needs_the_right_to_read,
    concurrent_answers_store_one,
    personal_data_is_never_cached,
    exports_survive_characters_xml_forbids,
    staff_emails_cannot_be_probed_and_boards_need_permission,
    an_instance_takes_back_its_own_claims_and_stops_cleanly,
    writers_of_every_kind_together_never_fail,
    no_sign_in_reminder_for_answers_given_by_email,
    sessions_end_with_the_link_and_on_sign_out,
    sessions_end_after_their_idle_and_absolute_lifetimes,
    sign_out_everywhere_new_password_and_disabling_end_sessions,
    tokens_have_a_scope_and_an_end,
    guessing_one_account_never_locks_out_another,
    screen_names_cannot_imitate_others,
    image_bombs_are_refused_before_they_take_memory,
    bodies_that_never_end_get_408,
    a_retried_post_with_its_key_is_created_once,
    forms_and_answers_on_behalf_sent_twice_are_stored_once,
    a_second_instance_serves_the_first_ones_images,
    a_backup_of_a_running_server_restores_whole,
    healthz_says_503_quickly_when_the_database_is_gone,
    connections_the_database_server_dropped_are_not_used_again,
    stored_values_the_code_does_not_know_are_errors,
    posts_acknowledged_under_load_survive_kill_9,
    read_marks_are_written_within_seconds_and_at_shutdown,
);

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap_or_else(|| panic!("an id in {v}")).to_string()
}

/// Every field of `before` and `after` is the same but `except` (and the HTML rendered from
/// an excepted markdown field).
fn same_but(before: &Value, after: &Value, except: &[&str], what: &str) {
    for (k, v) in before.as_object().unwrap() {
        let derived =
            [k.strip_suffix("_html").map(|base| format!("{base}_md")), k.strip_suffix("_label").map(str::to_string)];
        if except.contains(&k.as_str()) || derived.iter().flatten().any(|d| except.contains(&d.as_str())) {
            continue;
        }
        assert_eq!(&after[k], v, "{what}: field {k} changed although it was not sent");
    }
}

/// A board with every setting given, by a moderator's API client.
async fn board_with_every_setting(backend: Backend) -> (TestApp, Api, String) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    let (st, b) = m
        .post(
            "/api/v1/boards",
            json!({"title": "Patched", "time_zone": "Europe/Berlin", "welcome_md": "Welcome", "consent_md": "Consent",
                   "opens_at": "2021-03-26T09:00", "closes_at": "2021-04-02T17:00", "anonymity": "real_names",
                   "closing_message_md": "Thanks", "remind_before_close_hours": 12, "remind_not_signed_in_hours": 36}),
        )
        .await;
    assert_eq!(st, StatusCode::CREATED, "{b}");
    let board = id(&b);
    (app, m, board)
}

/// PATCH on a board: each field alone changes that field and nothing else; null clears.
async fn patching_a_board_changes_only_the_fields_sent(backend: Backend) {
    let (_app, m, board) = board_with_every_setting(backend).await;
    // Each field alone changes that field and nothing else.
    let board_fields = [
        ("title", json!("Renamed")),
        ("welcome_md", json!("New welcome")),
        ("consent_md", json!("New consent")),
        ("time_zone", json!("Europe/London")),
        ("opens_at", json!("2021-03-25T09:00")),
        ("closes_at", json!("2021-04-03T17:00")),
        ("anonymity", json!("screen_names")),
        ("closing_message_md", json!("Goodbye")),
        ("remind_before_close_hours", json!(6)),
        ("remind_not_signed_in_hours", json!(null)),
        ("state", json!("draft")),
    ];
    for (field, value) in board_fields {
        let (_, before) = m.get(&format!("/api/v1/boards/{board}")).await;
        let (st, after) = m.edit_board(&board, json!({ field: value })).await;
        assert_eq!(st, StatusCode::OK, "PATCH board {field}: {after}");
        assert_ne!(after, before, "PATCH board {field} changed something");
        // A new zone keeps the stored instants; their local display follows the zone.
        let moved = if field == "time_zone" { vec![field, "opens_at", "closes_at"] } else { vec![field] };
        same_but(&before, &after, &moved, &format!("PATCH board {field}"));
    }
    // null clears what may be cleared.
    let (_, cleared) = m.edit_board(&board, json!({"closes_at": null})).await;
    assert!(cleared["closes_at"].is_null(), "{cleared}");
    assert!(!cleared["opens_at"].is_null(), "{cleared}");
}

/// PATCH on a stage: each field alone; a title and a close time keep the release time and the
/// introduction; null clears the release time.
async fn patching_a_stage_changes_only_the_fields_sent(backend: Backend) {
    let (_app, m, board) = board_with_every_setting(backend).await;
    let (_, s) = m
        .post(
            &format!("/api/v1/boards/{board}/stages"),
            json!({"title": "Stage", "intro_md": "Intro", "release_at": "2021-03-29T09:00", "close_at": "2021-03-31T17:00", "groups": "Nurses"}),
        )
        .await;
    let stage = id(&s);
    for (field, value) in [
        ("title", json!("Stage one")),
        ("intro_md", json!("Other intro")),
        ("release_at", json!("2021-03-29T10:00")),
        ("close_at", json!("2021-04-01T17:00")),
        ("groups", json!("GPs")),
    ] {
        let (_, before) = m.get(&format!("/api/v1/stages/{stage}")).await;
        let (st, after) = m.edit_stage(&stage, json!({ field: value })).await;
        assert_eq!(st, StatusCode::OK, "PATCH stage {field}: {after}");
        assert_ne!(after[field], before[field], "PATCH stage {field} changed it");
        same_but(&before, &after, &[field, "questions", "images"], &format!("PATCH stage {field}"));
    }
    // The reported case: a title and a close time keep the release time and the intro.
    let (_, after) = m.edit_stage(&stage, json!({"title": "Renamed", "close_at": "2021-04-02T17:00"})).await;
    assert!(!after["release_at"].is_null() && after["intro_md"] == "Other intro", "{after}");
    let (_, after) = m.edit_stage(&stage, json!({"release_at": null})).await;
    assert!(after["release_at"].is_null(), "null clears the release time: {after}");
}

/// PATCH on a question: each field alone; the wording alone keeps a private question private
/// and a rating's label alone keeps its scale; the OpenAPI document says what absent means.
async fn patching_a_question_changes_only_the_fields_sent(backend: Backend) {
    let (_app, m, board) = board_with_every_setting(backend).await;
    let (_, s) = m
        .post(
            &format!("/api/v1/boards/{board}/stages"),
            json!({"title": "Stage", "intro_md": "Intro", "release_at": "2021-03-29T09:00", "close_at": "2021-03-31T17:00", "groups": "Nurses"}),
        )
        .await;
    let stage = id(&s);
    let (_, q) = m
        .add_question(
            &stage,
            json!({"prompt_md": "Privately?", "mode": "private", "groups": "GPs", "allow_images": true}),
        )
        .await;
    let question = id(&q);
    let (_, rating) =
        m.add_question(&stage, json!({"prompt_md": "Rate it", "kind": "rating", "scale_max": 7, "scale_low": "Poor", "scale_high": "Great"})).await;
    for (field, value) in [
        ("prompt_md", json!("Privately, please?")),
        ("mode", json!("open")),
        ("groups", json!("Nurses")),
        ("allow_images", json!(false)),
    ] {
        let (_, before) = m.get(&format!("/api/v1/stages/{stage}")).await;
        let before =
            before["questions"].as_array().unwrap().iter().find(|x| x["id"] == question.as_str()).unwrap().clone();
        let (st, after) = m.patch(&format!("/api/v1/questions/{question}"), json!({ field: value })).await;
        assert_eq!(st, StatusCode::OK, "PATCH question {field}: {after}");
        same_but(&before, &after, &[field], &format!("PATCH question {field}"));
    }
    // The reported case: only the wording keeps a private question private.
    let (_, q2) = m.add_question(&stage, json!({"prompt_md": "Private depth", "mode": "private"})).await;
    let (_, after) =
        m.patch(&format!("/api/v1/questions/{}", id(&q2)), json!({"prompt_md": "Private depth, reworded"})).await;
    assert_eq!(after["mode"], "private", "{after}");
    // A rating's label alone keeps its scale.
    let (_, after) = m.patch(&format!("/api/v1/questions/{}", id(&rating)), json!({"scale_low": "Bad"})).await;
    assert_eq!(
        (
            after["poll"]["scale"]["max"].clone(),
            after["poll"]["scale"]["low"].clone(),
            after["poll"]["scale"]["high"].clone()
        ),
        (json!(7), json!("Bad"), json!("Great")),
        "{after}"
    );

    // The OpenAPI document says what an absent field means.
    let (_, doc) = m.get("/api/v1/openapi.json").await;
    let release = &doc["components"]["schemas"]["StageInput"]["properties"]["release_at"];
    assert!(release["description"].as_str().unwrap_or_default().contains("Absent: unchanged"), "{release}");
}

/// Who the board's outbox holds summary emails for, sorted.
fn summary_mails(mails: &Value) -> Vec<String> {
    let mut to: Vec<String> = mails
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "summary")
        .map(|e| e["recipient"].as_str().unwrap().to_string())
        .collect();
    to.sort();
    to
}

/// The summaries ("feedback") a participant's board home shows, as HTML.
fn feedback(home: &Value) -> Vec<String> {
    home["stages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["feedback"].as_array().unwrap().iter().map(|f| f["body_html"].as_str().unwrap().to_string()))
        .collect()
}

async fn summaries_of_group_stages_stay_in_the_group_and_wait_for_their_stage(backend: Backend) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    let (_, b) = m.post("/api/v1/boards", json!({"title": "Groups", "time_zone": "Europe/London"})).await;
    let board = id(&b);
    let (_, s1) = m.add_stage(&board, json!({"title": "Nurses' stage", "groups": "Nurses"})).await;
    let (_, s2) = m.add_stage(&board, json!({"title": "Everyone's stage"})).await;
    let (s1, s2) = (id(&s1), id(&s2));
    m.add_question(&s1, json!({"prompt_md": "Nurses?", "mode": "open"})).await;
    m.add_question(&s2, json!({"prompt_md": "All?", "mode": "open"})).await;
    m.post_csv(
        &format!("/api/v1/boards/{board}/participants/import?commit=true"),
        "email,name,Group\nann@example.org,Ann,Nurses\nbob@example.org,Bob,GPs\n",
    )
    .await;
    m.invite(&board, json!({})).await;
    m.release_stage(&s1, json!({})).await;
    let (_, people) = m.participants(&board).await;
    let link = |email: &str| {
        people.as_array().unwrap().iter().find(|p| p["email"] == email).unwrap()["sign_in_link"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ann = app.participant_api(&link("ann@example.org")).await;
    let bob = app.participant_api(&link("bob@example.org")).await;
    for (api, name) in [(&ann, "Ann"), (&bob, "Bob")] {
        api.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": name})).await;
    }
    // The summary of the nurses' stage, shown in stage 2, published while stage 2 waits.
    let (st, _) =
        m.put(&format!("/api/v1/stages/{s1}/summary"), json!({"body_md": "Nurses said this", "publish": true})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, img) = m.upload(&format!("/api/v1/stages/{s1}/images?alt=Diagram&for=summary"), png(16, 16)).await;
    assert_eq!(st, StatusCode::CREATED, "{img}");
    let image = id(&img);
    assert!(
        summary_mails(&m.emails(&board).await.1).is_empty(),
        "nothing is announced before the stage it is shown in is released"
    );
    assert_eq!(ann.get(&format!("/api/v1/images/{image}")).await.0, StatusCode::NOT_FOUND, "nor shown");
    m.release_stage(&s2, json!({})).await;
    assert_eq!(
        summary_mails(&m.emails(&board).await.1),
        vec!["ann@example.org"],
        "announced on release, to the nurses only"
    );
    assert_eq!(feedback(&ann.home(&board).await.1).len(), 1);
    assert!(feedback(&bob.home(&board).await.1).is_empty(), "a GP never sees the nurses' summary");
    let res = ann.client.get(app.url(&format!("/api/v1/images/{image}"))).bearer_auth(&ann.token).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(bob.get(&format!("/api/v1/images/{image}")).await.0, StatusCode::NOT_FOUND);
    let bob_page = app.sign_in_participant(&link("bob@example.org")).await;
    assert!(!bob_page.board_home_page(&board).await.contains("Nurses said this"));
    // Publishing again, or releasing again, sends nothing more.
    m.put(&format!("/api/v1/stages/{s1}/summary"), json!({"body_md": "Nurses said this, edited", "publish": true}))
        .await;
    assert_eq!(summary_mails(&m.emails(&board).await.1), vec!["ann@example.org"]);
}

async fn writing_needs_the_right_to_read(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let ann = app.participant_api(s.link(0)).await;
    let bob = app.participant_api(s.link(1)).await;
    let q = &s.question;
    let (_, a) = ann.write_post(&q, json!({"body_md": "Ann's answer"})).await;
    let (_, b) = bob.write_post(&q, json!({"body_md": "Bob's answer"})).await;
    let (a, b) = (id(&a), id(&b));
    // A private probe to Ann: Bob cannot write into it, even knowing its id.
    let (_, probe) = m.probe(&a, json!({"body_md": "Privately: which team?", "private": true})).await;
    let probe = id(&probe);
    let (st, body) = bob.write_post(&q, json!({"body_md": "Let me in", "parent_id": probe})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        ann.write_post(&q, json!({"body_md": "The east team", "parent_id": probe})).await.0,
        StatusCode::CREATED
    );
    // A hidden post takes no replies, from others or from its author, and no edits or images.
    m.hide_post(&b, json!({"reason": "Names a patient"})).await;
    let (st, body) = ann.write_post(&q, json!({"body_md": "Under a hidden post", "parent_id": b})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(
        bob.write_post(&q, json!({"body_md": "Still me", "parent_id": b})).await.0,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        bob.patch(&format!("/api/v1/posts/{b}"), json!({"body_md": "Edited while hidden"})).await.0,
        StatusCode::FORBIDDEN
    );
    // Nothing was written.
    let (_, page) = m.question(&q).await;
    let text = page.to_string();
    assert!(
        !text.contains("Let me in")
            && !text.contains("Under a hidden post")
            && !text.contains("Still me")
            && !text.contains("Edited while hidden")
    );
}

async fn concurrent_answers_store_one(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "post_first", &["ann@example.org"]).await;
    let ann = app.participant_api(s.link(0)).await;
    let path = format!("/api/v1/questions/{}/posts", s.question);
    let tries = (0..8).map(|i| ann.post(&path, json!({"body_md": format!("Answer {i}")})));
    let results = futures_util::future::join_all(tries).await;
    let created = results.iter().filter(|(st, _)| *st == StatusCode::CREATED).count();
    let conflicts = results.iter().filter(|(st, _)| *st == StatusCode::CONFLICT).count();
    assert_eq!((created, conflicts), (1, 7), "{results:?}");
    assert!(results
        .iter()
        .any(|(st, b)| *st == StatusCode::CONFLICT && b["detail"].as_str().unwrap().contains("already answered")));
    assert!(
        results.iter().filter(|(st, _)| *st == StatusCode::CONFLICT).all(|(_, b)| b["code"] == "already_answered"),
        "a code programs can match on"
    );
    let m = app.api_of("mod@example.org").await;
    let (_, page) = m.question(&s.question).await;
    assert_eq!(page["posts"].as_array().unwrap().len(), 1);
    // Recording an answer on her behalf is the same one answer.
    let (st, _) =
        m.answer_on_behalf(&s.question, json!({"participant_id": s.participants[0].1, "body_md": "By email"})).await;
    assert_eq!(st, StatusCode::CONFLICT);
}

async fn personal_data_is_never_cached(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let moderator = app.signed_in("mod@example.org").await;
    let ann = app.participant_api(s.link(0)).await;
    let (_, post) = ann.write_post(&s.question, json!({"body_md": "Mine"})).await;
    let (st, img) = m.upload(&format!("/api/v1/questions/{}/images?alt=Map", s.question), png(16, 16)).await;
    assert_eq!(st, StatusCode::CREATED);
    let image = id(&img);
    let get = |path: String| {
        let client = m.client.clone();
        let token = m.token.clone();
        let url = app.url(&path);
        async move { client.get(url).bearer_auth(token).send().await.unwrap() }
    };
    for path in [
        format!("/api/v1/boards/{}/participants", s.board),
        format!("/api/v1/questions/{}", s.question),
        format!("/api/v1/posts/{}/history", id(&post)),
        format!("/api/v1/boards/{}/grid?format=csv", s.board),
        format!("/api/v1/boards/{}/export?format=csv", s.board),
        format!("/api/v1/images/{image}"),
        format!("/api/v1/images/{image}/thumb"),
    ] {
        let res = get(path.clone()).await;
        assert!(res.status().is_success(), "{path}: {}", res.status());
        assert_eq!(res.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
    for path in [format!("/boards/{}/participants", s.board), format!("/q/{}", s.question), format!("/images/{image}")]
    {
        let res = moderator.get(&path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{path}");
    }
    // The stylesheet is public and may be cached.
    let css = app.browser().get("/assets/style.css").await;
    assert_ne!(css.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"));
}

async fn exports_survive_characters_xml_forbids(backend: Backend) {
    let app = spawn(backend).await;
    let m = app.staff_api("mod@example.org", false).await;
    let (_, b) = m.post("/api/v1/boards", json!({"title": "Odd characters", "time_zone": "Europe/London"})).await;
    let board = id(&b);
    let (_, st) = m.add_stage(&board, json!({"title": "Stage"})).await;
    let (_, q) = m.add_question(&id(&st), json!({"prompt_md": "Anything?", "mode": "open"})).await;
    m.post_csv(
        &format!("/api/v1/boards/{board}/participants/import?commit=true"),
        "email,name,=HYPERLINK(\"x\")\nann@example.org,Ann,Nurse\n",
    )
    .await;
    m.release_stage(&id(&st), json!({})).await;
    let (_, people) = m.participants(&board).await;
    let ann = app.participant_api(people[0]["sign_in_link"].as_str().unwrap()).await;
    ann.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": "Ann"})).await;
    let (st, _) = ann.write_post(&id(&q), json!({"body_md": "Odd \u{FFFE} and \u{FFFF} and \u{1} here"})).await;
    assert_eq!(st, StatusCode::CREATED);
    for format in ["docx", "qdpx"] {
        let (st, _, bytes) = m.download(&format!("/api/v1/boards/{board}/export?format={format}")).await;
        assert_eq!(st, StatusCode::OK, "{format}");
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut found = false;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).unwrap();
            let name = entry.name().unwrap().to_string();
            let xml = name.ends_with(".xml") || name.ends_with(".qde");
            if !(xml || name.ends_with(".txt")) {
                continue;
            }
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            if xml {
                roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{format} {name}: {e}"));
            }
            found |= text.contains("Odd \u{FFFD} and \u{FFFD} and \u{FFFD} here");
        }
        assert!(found, "{format}: the reply is there, the forbidden characters replaced one for one");
    }
    let (_, _, csv) = m.download(&format!("/api/v1/boards/{board}/export?format=csv")).await;
    let header = String::from_utf8(csv).unwrap().lines().next().unwrap().to_string();
    assert!(header.contains("\"'=HYPERLINK(\"\"x\"\")\""), "the header is guarded like the cells: {header}");
}

async fn staff_emails_cannot_be_probed_and_boards_need_permission(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    app.create_user("known@example.org", false).await;
    let m = app.api_of("mod@example.org").await;
    let add = |email: &str| {
        m.client
            .put(app.url(&format!("/api/v1/boards/{}/members", s.board)))
            .bearer_auth(&m.token)
            .json(&json!({"email": email, "role": "observer"}))
            .send()
    };
    let (st_known, known) = read(add("known@example.org").await.unwrap()).await;
    let (st_unknown, unknown) = read(add("nobody@example.org").await.unwrap()).await;
    assert_eq!((st_known, st_unknown), (StatusCode::OK, StatusCode::OK));
    let shape = |v: &Value| -> Vec<String> {
        v.as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}:{}", if k == "email" { "…".into() } else { v.to_string() }))
            .collect()
    };
    assert_eq!(shape(&known), shape(&unknown), "the same answer for an account and for none");
    // The board page lists both the same way for its moderator; the administrator sees which.
    let page = app.signed_in("mod@example.org").await.get_ok(&format!("/boards/{}", s.board)).await;
    assert!(page.contains("known@example.org · Observer") && page.contains("nobody@example.org · Observer"), "{page}");
    assert!(!page.contains("no account yet"));
    // The role waits for the account, which then has it.
    let nobody = app.create_user("nobody@example.org", false).await;
    let api = app.api_of("nobody@example.org").await;
    assert_eq!(api.get(&format!("/api/v1/boards/{}", s.board)).await.0, StatusCode::OK, "{}", nobody.email);
    // Creating boards is a permission.
    let staff = app
        .with_db(|conn, ctx| {
            focusboard::service::accounts::create_user_with(
                conn,
                ctx,
                "analyst@example.org",
                "Analyst",
                PASSWORD,
                false,
                false,
            )
        })
        .await;
    let analyst = app.api_of(&staff.email).await;
    let (st, body) = analyst.post("/api/v1/boards", json!({"title": "Mine"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    let admin = app.staff_api("admin@example.org", true).await;
    assert_eq!(admin.post("/api/v1/boards", json!({"title": "Admin's"})).await.0, StatusCode::CREATED);
}

async fn an_instance_takes_back_its_own_claims_and_stops_cleanly(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    let s = app
        .board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org", "cat@example.org"])
        .await;
    let m = app.api_of("mod@example.org").await;
    m.invite(&s.board, json!({})).await;
    // This instance claimed the invitations and was killed before sending them.
    let now = app.clock_now();
    let claim = format!("{}:dead-run", app.settings.instance_name());
    let claimed = app
        .with_db(move |conn, _| {
            Ok(focusboard::db::outbox::claim(conn, &claim, now, now + time::Duration::minutes(5), 10)?.len())
        })
        .await;
    assert_eq!(claimed, 3);
    assert_eq!(app.outbox.drain().await.unwrap().sent, 0, "the lease holds against others");
    // Restarted under the same name, it takes them back at once and sends them.
    assert_eq!(app.outbox.recover().await.unwrap(), 3);
    assert_eq!(app.outbox.drain().await.unwrap().sent, 3);
    assert_eq!(sink.messages().len(), 3);
    // A worker told to stop claims nothing more.
    m.post(&format!("/api/v1/boards/{}/participants/{}/link", s.board, s.participants[0].1), json!({})).await;
    m.invite(&s.board, json!({})).await;
    app.outbox.stop();
    assert_eq!(app.outbox.drain().await.unwrap().sent, 0);
    let queued = app
        .with_db(|conn, _| {
            Ok(focusboard::db::outbox::count_by_status(conn, focusboard::domain::email::DeliveryStatus::Queued)?)
        })
        .await;
    assert_eq!(queued, 1, "left queued for the next instance");
    // SQLite keeps every acknowledged write through a power loss.
    if backend == Backend::Sqlite {
        let sync: i32 = app
            .with_db(|conn, _| {
                use diesel::prelude::*;
                #[derive(QueryableByName)]
                struct Sync {
                    #[diesel(sql_type = diesel::sql_types::Integer)]
                    synchronous: i32,
                }
                let row: Sync = diesel::sql_query("PRAGMA synchronous").get_result(conn)?;
                Ok(row.synchronous)
            })
            .await;
        assert_eq!(sync, 2, "synchronous = FULL");
    }
}

async fn writers_of_every_kind_together_never_fail(backend: Backend) {
    let app = spawn(backend).await;
    let people: Vec<String> = (0..6).map(|i| format!("p{i}@example.org")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let s = app.board_with_question("mod@example.org", "open", &refs).await;
    let m = app.api_of("mod@example.org").await;
    let mut apis = Vec::new();
    for i in 0..people.len() {
        apis.push(app.participant_api(s.link(i)).await);
    }
    type Job<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = (String, StatusCode)> + 'a>>;
    let mut jobs: Vec<Job> = Vec::new();
    for (i, api) in apis.iter().enumerate() {
        let path = format!("/api/v1/questions/{}/posts", s.question);
        jobs.push(Box::pin(async move {
            ("post".to_string(), api.post(&path, json!({"body_md": format!("Answer {i}")})).await.0)
        }));
    }
    for i in 0..6 {
        let (m, board, stage) = (&m, s.board.clone(), s.stage.clone());
        jobs.push(Box::pin(async move { ("invitations".to_string(), m.invite(&board, json!({})).await.0) }));
        jobs.push(Box::pin(async move {
            ("stage".to_string(), m.edit_stage(&stage, json!({"intro_md": format!("Intro {i}")})).await.0)
        }));
    }
    let outbox = app.outbox.clone();
    let drained = tokio::spawn(async move { outbox.drain().await.map(|_| ()) });
    let results = futures_util::future::join_all(jobs).await;
    drained.await.unwrap().unwrap();
    for (what, st) in &results {
        assert!(st.is_success(), "{what}: {st} ({results:?})");
    }
}

async fn no_sign_in_reminder_for_answers_given_by_email(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", s.board),
        "email,name\nann@example.org,Ann\nbob@example.org,Bob\n",
    )
    .await;
    m.invite(&s.board, json!({})).await;
    let (_, people) = m.participants(&s.board).await;
    let bob = people.as_array().unwrap().iter().find(|p| p["email"] == "bob@example.org").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (st, _) = m.answer_on_behalf(&s.question, json!({"participant_id": bob, "body_md": "Sent by email"})).await;
    assert_eq!(st, StatusCode::CREATED);
    app.clock.advance(time::Duration::hours(49));
    app.scheduler.tick().await.unwrap();
    let (_, mails) = m.emails(&s.board).await;
    let reminded: Vec<&str> = mails
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reminder")
        .map(|e| e["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(reminded, vec!["ann@example.org"], "Bob answered by email: no 'you never signed in'");
}

/// Whether the cookie still opens the account page.
async fn works(app: &TestApp, cookie: &str, path: &str) -> bool {
    raw().get(app.url(path)).header("cookie", cookie).send().await.unwrap().status() == StatusCode::OK
}

/// A participant's session and token end with their link; a copy of a cookie taken before
/// signing out is worth nothing after it.
async fn sessions_end_with_the_link_and_on_sign_out(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    // A participant's session and token end with their link.
    let ann = app.sign_in_participant(s.link(0)).await;
    let ann_api = app.participant_api(s.link(0)).await;
    assert_eq!(ann.get(&format!("/b/{}", s.board)).await.status(), StatusCode::OK);
    assert_eq!(ann_api.get("/api/v1/me").await.0, StatusCode::OK);
    app.clock.advance(time::Duration::days(22));
    assert_ne!(
        ann.get(&format!("/b/{}", s.board)).await.url().path(),
        format!("/b/{}", s.board),
        "the link expired, and the session with it"
    );
    assert_eq!(ann_api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // A copy of the cookie taken before signing out is worth nothing after it.
    let cookie = raw_login(&app, "mod@example.org").await;
    let copy = cookie.clone();
    assert!(works(&app, &copy, "/account").await);
    // The page's CSRF token lives in the (re-issued) cookie.
    let res = raw().get(app.url("/account")).header("cookie", &cookie).send().await.unwrap();
    let cookie = session_cookie(&res).unwrap_or(cookie);
    let page = res.text().await.unwrap();
    let res = raw()
        .post(app.url("/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf_token", csrf_of(&page))])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection());
    assert!(!works(&app, &copy, "/account").await, "the copied cookie no longer signs anyone in");
}

/// A session ends after a week unused, and a month after signing in however it is used.
async fn sessions_end_after_their_idle_and_absolute_lifetimes(backend: Backend) {
    let app = spawn(backend).await;
    app.create_user("mod@example.org", false).await;
    // Idle and absolute lifetimes.
    let cookie = raw_login(&app, "mod@example.org").await;
    app.clock.advance(time::Duration::days(6));
    assert!(works(&app, &cookie, "/account").await, "used within the idle time");
    app.clock.advance(time::Duration::days(8));
    assert!(!works(&app, &cookie, "/account").await, "idle for 8 days: ended");
    let cookie = raw_login(&app, "mod@example.org").await;
    for _ in 0..5 {
        app.clock.advance(time::Duration::days(5));
        assert!(works(&app, &cookie, "/account").await);
    }
    app.clock.advance(time::Duration::days(4));
    assert!(works(&app, &cookie, "/account").await, "29 days");
    app.clock.advance(time::Duration::days(2));
    assert!(!works(&app, &cookie, "/account").await, "31 days after signing in: ended however used");
}

/// Signing out everywhere and a new password end the account's other sessions and its tokens
/// (keeping the browser that changed the password); disabling an account stops it at once.
async fn sign_out_everywhere_new_password_and_disabling_end_sessions(backend: Backend) {
    let app = spawn(backend).await;
    app.create_user("mod@example.org", false).await;
    // Sign out everywhere ends other browsers and tokens.
    let other = raw_login(&app, "mod@example.org").await;
    let api = app.api_of("mod@example.org").await;
    let browser = app.signed_in("mod@example.org").await;
    let res = browser.submit("/account", "/account/sign-out-everywhere", &[]).await;
    assert_eq!(res.url().path(), "/login");
    assert!(!works(&app, &other, "/account").await);
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // A new password does the same, and keeps the browser that changed it.
    let other = raw_login(&app, "mod@example.org").await;
    let api = app.api_of("mod@example.org").await;
    let browser = app.signed_in("mod@example.org").await;
    let res = browser
        .submit(
            "/account",
            "/account/password",
            &[("current_password", PASSWORD), ("password", "an entirely new passphrase")],
        )
        .await;
    assert!(res.text().await.unwrap().contains("Password changed"));
    assert!(browser.get("/account").await.url().path() == "/account");
    assert!(!works(&app, &other, "/account").await);
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    // A disabled account: its sessions and tokens stop at once, and it cannot sign in.
    app.create_user("obs@example.org", false).await;
    let cookie = raw_login(&app, "obs@example.org").await;
    let api = app.api_of("obs@example.org").await;
    app.with_db(|conn, ctx| focusboard::service::accounts::set_disabled(conn, ctx, "obs@example.org", true)).await;
    assert!(!works(&app, &cookie, "/account").await);
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED);
    let page = app.browser().get_ok("/login").await;
    let res = app
        .browser()
        .client
        .post(app.url("/login"))
        .form(&[("csrf_token", csrf_of(&page).as_str()), ("email", "obs@example.org"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_ne!(res.url().path(), "/boards");
}

async fn tokens_have_a_scope_and_an_end(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let browser = app.signed_in("mod@example.org").await;
    let make = |fields: Vec<(&'static str, &'static str)>| {
        let browser = &browser;
        async move {
            let page = browser.submit("/account", "/account/tokens", &fields).await.text().await.unwrap();
            let doc = scraper::Html::parse_document(&page);
            let token = doc
                .select(&scraper::Selector::parse("input.link-copy").unwrap())
                .next()
                .expect("the new token is shown")
                .value()
                .attr("value")
                .unwrap()
                .to_string();
            (token, page)
        }
    };
    let (reader, page) = make(vec![("name", "reader"), ("read_only", "on")]).await;
    assert!(page.contains("read only"));
    let reader = app.api(&reader);
    assert_eq!(reader.get(&format!("/api/v1/boards/{}", s.board)).await.0, StatusCode::OK);
    let (st, body) = reader.edit_board(&s.board, json!({"title": "Changed by a reader"})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(reader.post("/api/v1/boards", json!({"title": "New"})).await.0, StatusCode::FORBIDDEN);
    // Neither kind of token makes tokens.
    assert_eq!(reader.post("/api/v1/tokens", json!({"name": "more"})).await.0, StatusCode::FORBIDDEN);
    let (short, _) = make(vec![("name", "short"), ("days", "1")]).await;
    let short = app.api(&short);
    assert_eq!(short.post("/api/v1/tokens", json!({"name": "more"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(short.get("/api/v1/me").await.0, StatusCode::OK);
    app.clock.advance(time::Duration::hours(25));
    assert_eq!(short.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "past its end");
    // The account page shows each token's last use.
    let page = browser.get_ok("/account").await;
    assert!(page.contains("last used 2021-03-26"), "{page}");
    // A bad number of days is refused.
    let res = browser.submit("/account", "/account/tokens", &[("name", "x"), ("days", "1000")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn guessing_one_account_never_locks_out_another(backend: Backend) {
    let app = spawn(backend).await;
    app.create_user("target@example.org", false).await;
    app.create_user("colleague@example.org", false).await;
    let attempt = |email: &'static str, password: &'static str| {
        let b = app.browser();
        async move { b.submit("/login", "/login", &[("email", email), ("password", password)]).await }
    };
    for i in 0..5 {
        assert_eq!(
            attempt("target@example.org", "wrong password").await.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "failure {i}"
        );
    }
    // The sixth failure makes the account wait; while it waits even the right password waits.
    assert_eq!(attempt("target@example.org", "wrong password").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = attempt("target@example.org", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let page = res.text().await.unwrap();
    assert!(page.contains("wait") && page.contains("target@example.org"), "says why and keeps the email typed");
    // A colleague behind the same address signs in at once.
    assert_eq!(attempt("colleague@example.org", PASSWORD).await.url().path(), "/boards");
    // Once the wait is over, the right password works and the count starts again.
    app.clock.advance(time::Duration::seconds(5));
    assert_eq!(attempt("target@example.org", PASSWORD).await.url().path(), "/boards");
    assert_eq!(attempt("target@example.org", "wrong password").await.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn screen_names_cannot_imitate_others(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", s.board),
        "email,name\nann@example.org,Ann\nbob@example.org,Bob\n",
    )
    .await;
    let (_, people) = m.participants(&s.board).await;
    let link = |email: &str| {
        people.as_array().unwrap().iter().find(|p| p["email"] == email).unwrap()["sign_in_link"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let ann = app.participant_api(&link("ann@example.org")).await;
    let bob = app.participant_api(&link("bob@example.org")).await;
    async fn consent(api: &Api, name: &str) -> (StatusCode, Value) {
        api.post("/api/v1/me/consent", json!({"consent": "true", "screen_name": name})).await
    }
    let (st, body) = consent(&ann, "Ann Lee (moderator)").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (st, _) = consent(&ann, "  Ann\u{200B} Lee\u{202E} ").await;
    assert!(st.is_success(), "{st}");
    let (_, me) = ann.get("/api/v1/me").await;
    assert_eq!(me["screen_name"], "Ann Lee", "stored without invisible characters");
    for imitation in ["ann lee", "Аnn Lee", "Ann\u{200D}Lee", "ANN\nLEE", "Ann\u{0}Lee"] {
        let (st, body) = consent(&bob, imitation).await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{imitation:?}: {body}");
    }
    assert!(consent(&bob, "Bob").await.0.is_success());
}

async fn image_bombs_are_refused_before_they_take_memory(backend: Backend) {
    let app = spawn_with(backend, |s| s.max_body_bytes = 8 * 1024 * 1024).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    // 4,500 × 4,500 pixels of 16-bit RGB: a small file that would take 121 MB once decoded.
    let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_pixel(4500, 4500, image::Rgb([7, 7, 7]));
    let mut buf = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb16(img).write_to(&mut buf, image::ImageFormat::Png).unwrap();
    let bomb = buf.into_inner();
    assert!(bomb.len() < 2 * 1024 * 1024, "{}", bomb.len());
    let upload = |bytes: Vec<u8>| {
        m.client
            .post(app.url(&format!("/api/v1/questions/{}/images?alt=Bomb", s.question)))
            .bearer_auth(&m.token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
    };
    let (st, body) = read(upload(bomb.clone()).await.unwrap()).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("MB of memory"), "{body}");
    // Many at once: each is refused or queued, none breaks the server.
    let results = futures_util::future::join_all((0..12).map(|_| upload(bomb.clone()))).await;
    for r in results {
        let st = r.unwrap().status();
        assert!(st == StatusCode::UNPROCESSABLE_ENTITY || st == StatusCode::SERVICE_UNAVAILABLE, "{st}");
    }
    assert_eq!(app.browser().get("/healthz").await.status(), StatusCode::OK);
    // A participant who may not upload here never gets as far as decoding.
    let (st, _) = read(
        app.api("fb_nobody")
            .client
            .post(app.url(&format!("/api/v1/questions/{}/images?alt=x", s.question)))
            .bearer_auth("fb_nobody")
            .body(bomb)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

/// Sends `head` and `body` over a raw socket, then waits; returns the status line answered.
async fn raw_request(app: &TestApp, head: String, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(body).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), socket.read(&mut answer))
        .await
        .expect("an answer, not silence")
        .unwrap();
    String::from_utf8_lossy(&answer[..n]).lines().next().unwrap_or_default().to_string()
}

async fn bodies_that_never_end_get_408(backend: Backend) {
    let app = spawn_with(backend, |s| {
        s.body_idle_secs = 1;
        s.body_total_secs = 3;
    })
    .await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let host = app.base.trim_start_matches("http://").to_string();
    // A JSON body shorter than its Content-Length.
    let head =
        format!("PATCH /api/v1/boards/{} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", s.board, m.token);
    let status = raw_request(&app, head, b"{\"title\": ").await;
    assert!(status.contains(" 408 "), "{status}");
    // A stranger's endless upload is refused at once, without its body being read.
    let head = format!("POST /q/{}/images HTTP/1.1\r\nHost: {host}\r\nContent-Type: multipart/form-data; boundary=XYZ\r\nContent-Length: 5000000\r\n\r\n", s.question);
    let started = std::time::Instant::now();
    let status = raw_request(
        &app,
        head,
        b"--XYZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n\r\nPNG...",
    )
    .await;
    assert!(status.contains(" 303 ") || status.contains(" 401 "), "{status}");
    assert!(started.elapsed() < std::time::Duration::from_secs(1), "not after waiting for the body");
    // A participant's answer that stops half-way: 408, and nothing is stored.
    let ann = app.participant_api(s.link(0)).await;
    let head = format!(
        "POST /api/v1/questions/{}/posts HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n",
        s.question, ann.token
    );
    let status = raw_request(&app, head, b"{\"body_md\": \"half").await;
    assert!(status.contains(" 408 "), "{status}");
    let (_, page) = m.question(&s.question).await;
    assert!(page["posts"].as_array().unwrap().is_empty());
    assert_eq!(app.browser().get("/healthz").await.status(), StatusCode::OK);
}

/// The same request retried with its `Idempotency-Key`, in turn or at once, is done once; a key
/// reused for something else is refused; another person's same key is theirs alone.
async fn a_retried_post_with_its_key_is_created_once(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let ann = app.participant_api(s.link(0)).await;
    let path = format!("/api/v1/questions/{}/posts", s.question);
    let first = ann.post_with_key(&path, "k-1", json!({"body_md": "My answer"})).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    let first: Value = first.json().await.unwrap();
    // The answer was lost on the way; the client retries with the same key.
    let again = ann.post_with_key(&path, "k-1", json!({"body_md": "My answer"})).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["id"], first["id"]);
    // Concurrent retries of a reply with one key make one reply.
    let reply = json!({"body_md": "And more", "parent_id": first["id"]});
    let tries = (0..5).map(|_| ann.post_with_key(&path, "k-2", reply.clone()));
    for res in futures_util::future::join_all(tries).await {
        assert_eq!(res.status(), StatusCode::CREATED);
    }
    let (_, page) = m.question(&s.question).await;
    assert_eq!(page["posts"][0]["replies"].as_array().unwrap().len(), 1, "{page}");
    // A key reused for something else is refused.
    let vote = ann.post_with_key(&format!("/api/v1/questions/{}/vote", s.question), "k-1", json!({})).await;
    assert_eq!(vote.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another person's same key is theirs alone.
    let bob = app.participant_api(s.link(1)).await;
    let res = bob.post_with_key(&path, "k-1", json!({"body_md": "Bob's"})).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    assert!(res.headers().get("idempotent-replayed").is_none());
}

/// In the page, the same form sent twice posts once; an answer on someone's behalf retried
/// through the API is refused both times when they have answered, storing nothing.
async fn forms_and_answers_on_behalf_sent_twice_are_stored_once(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let (_, first) =
        app.participant_api(s.link(0)).await.write_post(&s.question, json!({"body_md": "My answer"})).await;
    let parent = first["id"].as_str().unwrap().to_string();
    app.participant_api(s.link(1)).await.write_post(&s.question, json!({"body_md": "Bob's"})).await;
    let path = format!("/q/{}/posts", s.question);
    // In the page, the same form sent twice posts once.
    let bob_page = app.sign_in_participant(s.link(1)).await;
    let html = bob_page.question_page(&s.question).await;
    let doc = scraper::Html::parse_document(&html);
    let token = doc
        .select(&scraper::Selector::parse("input[name=form_token]").unwrap())
        .next()
        .unwrap()
        .value()
        .attr("value")
        .unwrap()
        .to_string();
    let form = [
        ("csrf_token", csrf_of(&html)),
        ("form_token", token),
        ("body_md", "Reply once".to_string()),
        ("parent_id", parent.clone()),
    ];
    for _ in 0..2 {
        let res = bob_page.client.post(app.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let text = res.text().await.unwrap();
        assert!(text.contains("Your reply is posted"), "{}", texts(&text, "main").join(" "));
    }
    let (_, page) = m.question(&s.question).await;
    let replies = page["posts"].as_array().unwrap().iter().find(|p| p["id"] == parent.as_str()).unwrap()["replies"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(replies.iter().filter(|r| r.to_string().contains("Reply once")).count(), 1, "{replies:?}");
    // Recording on someone's behalf through the API, retried.
    let on_behalf = |key: &'static str| {
        m.client
            .post(app.url(&format!("/api/v1/questions/{}/on-behalf", s.question)))
            .bearer_auth(&m.token)
            .header("Idempotency-Key", key)
            .json(&json!({"participant_id": s.participants[1].1, "body_md": "By phone"}))
            .send()
    };
    let one = on_behalf("ob").await.unwrap().status();
    let two = on_behalf("ob").await.unwrap().status();
    assert_eq!(
        (one, two),
        (StatusCode::CONFLICT, StatusCode::CONFLICT),
        "Bob already answered: refused both times, nothing stored"
    );
}

async fn a_second_instance_serves_the_first_ones_images(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let (st, img) = m.upload(&format!("/api/v1/questions/{}/images?alt=Map", s.question), png(16, 16)).await;
    assert_eq!(st, StatusCode::CREATED);
    let image = id(&img);
    let first = m.download(&format!("/api/v1/images/{image}")).await;
    // Another instance on another machine: the same database, nothing of the first's folder.
    let other = spawn_on(app.database_url.clone(), tempfile::tempdir().unwrap(), |_| {}).await;
    let there = other.api(&m.token);
    let second = there.download(&format!("/api/v1/images/{image}")).await;
    assert_eq!(second.0, StatusCode::OK);
    assert_eq!(second.2, first.2, "the same bytes");
    // With the same permission checks: a participant of the board may see the question's image,
    // a stranger may not.
    let ann = other.participant_api(s.link(0)).await;
    assert_eq!(ann.download(&format!("/api/v1/images/{image}/thumb")).await.0, StatusCode::OK);
    assert_eq!(other.api("fb_nobody").get(&format!("/api/v1/images/{image}")).await.0, StatusCode::UNAUTHORIZED);
}

fn focusboard_cli(database_url: &str, data_dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .args(args)
        .env("FOCUSBOARD_DATABASE_URL", database_url)
        .env("FOCUSBOARD_DATA_DIR", data_dir)
        .env("FOCUSBOARD_LOG", "warn")
        .output()
        .expect("run focusboard");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// A newcomer's mistakes in the settings stop the server with a message naming them, and leave
/// nothing behind: no SQLite file named after a database URL of another kind.
#[test]
fn settings_that_cannot_be_right_stop_the_server_with_their_name() {
    let dir = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_focusboard"));
        command.arg("serve").current_dir(dir.path()).env("FOCUSBOARD_DATA_DIR", dir.path());
        // Never a fixed port, which another server may hold.
        command.env("FOCUSBOARD_BIND", "127.0.0.1:0");
        for (k, v) in env {
            command.env(k, v);
        }
        let out = command.output().expect("run focusboard");
        (out.status.success(), String::from_utf8_lossy(&out.stderr).to_string())
    };
    let (ok, err) = run(&[("FOCUSBOARD_DATABSE_URL", "x.db")]);
    assert!(!ok && err.contains("FOCUSBOARD_DATABSE_URL"), "{err}");
    let (ok, err) = run(&[("FOCUSBOARD_DATABASE_URL", "mysql://user@localhost/study")]);
    assert!(!ok && err.contains("mysql:// is not supported"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "nothing created");
    // An SMTP URL that cannot be used says how to write one.
    let db = dir.path().join("x.db");
    let (ok, err) =
        run(&[("FOCUSBOARD_DATABASE_URL", db.to_str().unwrap()), ("FOCUSBOARD_SMTP_URL", "mail.example.org")]);
    assert!(!ok && err.contains("smtp_url is not usable") && err.contains("smtps://host:465"), "{err}");
}

async fn a_backup_of_a_running_server_restores_whole(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let out_dir = tempfile::tempdir().unwrap();
    let file = out_dir.path().join("backup.zip");
    let file_arg = file.to_str().unwrap().to_string();
    if backend == Backend::Postgres {
        let (ok, out) = focusboard_cli(&app.database_url, app._dir.path(), &["backup", "--output", &file_arg]);
        assert!(!ok && out.contains("pg_dump"), "{out}");
        return;
    }
    let m = app.api_of("mod@example.org").await;
    let ann = app.participant_api(s.link(0)).await;
    ann.write_post(&s.question, json!({"body_md": "Written before the backup"})).await;
    let (_, img) = m.upload(&format!("/api/v1/questions/{}/images?alt=Map", s.question), png(16, 16)).await;
    let image = id(&img);
    // The backup is taken while the server keeps writing.
    let writer = {
        let bob = app.participant_api(s.link(1)).await;
        let question = s.question.clone();
        tokio::spawn(async move {
            let (_, a) = bob.write_post(&question, json!({"body_md": "Bob"})).await;
            for i in 0..30 {
                bob.write_post(&question, json!({"body_md": format!("Reply {i}"), "parent_id": a["id"]})).await;
            }
        })
    };
    let (db_url, data_dir) = (app.database_url.clone(), app._dir.path().to_path_buf());
    let (ok, out) =
        tokio::task::spawn_blocking(move || focusboard_cli(&db_url, &data_dir, &["backup", "--output", &file_arg]))
            .await
            .unwrap();
    assert!(ok, "{out}");
    writer.await.unwrap();
    // Restored into an empty data folder, and served by a new instance.
    let restored = tempfile::tempdir().unwrap();
    let restored_db = restored.path().join("focusboard.db").to_str().unwrap().to_string();
    let (ok, out) = focusboard_cli(&restored_db, restored.path(), &["restore", "--input", file.to_str().unwrap()]);
    assert!(ok && out.contains("Restored"), "{out}");
    let (ok, out) = focusboard_cli(&restored_db, restored.path(), &["restore", "--input", file.to_str().unwrap()]);
    assert!(!ok && out.contains("already holds"), "never over a database with data: {out}");
    let other = spawn_on(restored_db, restored, |_| {}).await;
    let there = other.api(&m.token);
    let (st, page) = there.question(&s.question).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.to_string().contains("Written before the backup"));
    assert_eq!(there.download(&format!("/api/v1/images/{image}")).await.0, StatusCode::OK, "images are in the backup");
    // A broken file is refused with a reason.
    let junk = out_dir.path().join("junk.zip");
    std::fs::write(&junk, b"not a zip").unwrap();
    let empty = tempfile::tempdir().unwrap();
    let (ok, out) = focusboard_cli(
        empty.path().join("x.db").to_str().unwrap(),
        empty.path(),
        &["restore", "--input", junk.to_str().unwrap()],
    );
    assert!(!ok && out.contains("not a focusboard backup"), "{out}");
}

async fn healthz_says_503_quickly_when_the_database_is_gone(backend: Backend) {
    if backend == Backend::Sqlite {
        // An embedded file cannot go away the way a database server can.
        return;
    }
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let app = spawn(backend).await;
    assert_eq!(app.browser().get("/healthz").await.status(), StatusCode::OK);
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let admin_url = std::env::var("FOCUSBOARD_TEST_PG_URL").unwrap();
    let set = |allow: bool| {
        let mut admin = diesel::PgConnection::establish(&admin_url).unwrap();
        admin.batch_execute(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS {allow}")).unwrap();
        if !allow {
            admin
                .batch_execute(&format!(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
                ))
                .unwrap();
        }
    };
    set(false);
    let started = std::time::Instant::now();
    let res = app.browser().get("/healthz").await;
    let took = started.elapsed();
    set(true);
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(took < std::time::Duration::from_secs(4), "answered in {took:?}, in time for a load balancer");
    // Back again once the database is.
    let started = std::time::Instant::now();
    while app.browser().get("/healthz").await.status() != StatusCode::OK {
        assert!(started.elapsed() < std::time::Duration::from_secs(15), "healthy again");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A PostgreSQL server that drops the server's connections (a restart, a failover, an
/// administrator) costs at most one failed request per pooled connection in steady use, and
/// none once they have been idle a moment: the pool checks those before handing them out,
/// and a connection whose server is gone is not put back.
async fn connections_the_database_server_dropped_are_not_used_again(backend: Backend) {
    if backend == Backend::Sqlite {
        // An embedded file cannot drop its connections.
        return;
    }
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let ann = app.participant_api(s.link(0)).await;
    let name = app.database_url.rsplit('/').next().unwrap().to_string();
    let drop_all = || {
        let mut admin = diesel::PgConnection::establish(&std::env::var("FOCUSBOARD_TEST_PG_URL").unwrap()).unwrap();
        admin
            .batch_execute(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' AND pid <> pg_backend_pid()"
            ))
            .unwrap();
    };
    // Every pooled connection in use, then all dropped by the server at once.
    let warm = futures_util::future::join_all((0..16).map(|_| ann.home(&s.board))).await;
    assert!(warm.iter().all(|(st, _)| *st == StatusCode::OK));
    drop_all();
    let mut failed = 0;
    for _ in 0..40 {
        if ann.home(&s.board).await.0 != StatusCode::OK {
            failed += 1;
        }
    }
    assert!(failed <= 16, "{failed} of 40 requests failed: a dropped connection was handed out again");
    for _ in 0..5 {
        assert_eq!(ann.home(&s.board).await.0, StatusCode::OK, "working again");
    }
    // Dropped while idle: checked before use, so no request fails.
    drop_all();
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    for _ in 0..10 {
        assert_eq!(ann.home(&s.board).await.0, StatusCode::OK, "an idle connection is checked before it is used");
    }
}

async fn stored_values_the_code_does_not_know_are_errors(backend: Backend) {
    use diesel::connection::SimpleConnection;
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "private", &["ann@example.org"]).await;
    let ann = app.participant_api(s.link(0)).await;
    assert_eq!(ann.home(&s.board).await.0, StatusCode::OK);
    // A stage's groups that do not parse must not read as "everyone".
    let stage = s.stage.clone();
    app.with_db(move |conn, _| {
        Ok(conn.batch_execute(&format!("UPDATE stages SET groups = 'Nurses' WHERE id = '{stage}'"))?)
    })
    .await;
    let (st, _) = ann.home(&s.board).await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR, "an error, not the stage shown to everyone");
    assert_eq!(ann.question(&s.question).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    let stage = s.stage.clone();
    app.with_db(move |conn, _| {
        Ok(conn.batch_execute(&format!("UPDATE stages SET groups = '[]' WHERE id = '{stage}'"))?)
    })
    .await;
    // A response mode the code does not know must not read as "post first" (or anything else).
    let question = s.question.clone();
    app.with_db(move |conn, _| {
        Ok(conn.batch_execute(&format!("UPDATE questions SET mode = 'secret' WHERE id = '{question}'"))?)
    })
    .await;
    assert_eq!(ann.question(&s.question).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    let (st, _) = ann.write_post(&s.question, json!({"body_md": "x"})).await;
    assert_eq!(st, StatusCode::INTERNAL_SERVER_ERROR);
    let set = |sql: String| async { app.with_db(move |conn, _| Ok(conn.batch_execute(&sql)?)).await };
    set(format!("UPDATE questions SET mode = 'private' WHERE id = '{}'", s.question)).await;
    assert_eq!(ann.question(&s.question).await.0, StatusCode::OK, "readable again once the value is known");
    // A poll configuration that does not parse must not read as "no options".
    set(format!("UPDATE questions SET config = '{{\"options\": 3}}' WHERE id = '{}'", s.question)).await;
    assert_eq!(ann.question(&s.question).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    set(format!("UPDATE questions SET config = '{{}}' WHERE id = '{}'", s.question)).await;
    // A board state the code does not know must not read as open (or anything else).
    set(format!("UPDATE boards SET state = 'paused' WHERE id = '{}'", s.board)).await;
    assert_eq!(ann.home(&s.board).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    set(format!("UPDATE boards SET state = 'open' WHERE id = '{}'", s.board)).await;
    assert_eq!(ann.home(&s.board).await.0, StatusCode::OK);
    // Attributes that are not a map (they decide groups) and opt-outs naming a kind of email the
    // code does not know stop the participant's requests instead of being read as empty.
    set(format!("UPDATE participants SET attributes = '[\"Nurses\"]' WHERE board_id = '{}'", s.board)).await;
    assert_eq!(ann.home(&s.board).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    set(format!(
        "UPDATE participants SET attributes = '{{}}', email_opt_out = '[\"newsletter\"]' WHERE board_id = '{}'",
        s.board
    ))
    .await;
    assert_eq!(ann.home(&s.board).await.0, StatusCode::INTERNAL_SERVER_ERROR);
    set(format!("UPDATE participants SET email_opt_out = '[\"reminder\"]' WHERE board_id = '{}'", s.board)).await;
    assert_eq!(ann.home(&s.board).await.0, StatusCode::OK);
}

/// Participants posting at once, then the server killed with SIGKILL mid-load: every post it
/// acknowledged is in the database afterwards (on SQLite the single writer answers only after
/// the commit its group shares), and what it did not acknowledge is either there whole or not.
async fn posts_acknowledged_under_load_survive_kill_9(backend: Backend) {
    let app = spawn(backend).await;
    let people: Vec<String> = (0..8).map(|i| format!("k{i}@example.org")).collect();
    let refs: Vec<&str> = people.iter().map(String::as_str).collect();
    let s = app.board_with_question("mod@example.org", "open", &refs).await;
    // A second process on the same database, the one to be killed.
    let (mut child, base) = second_instance(&app, &[]).await;
    let mut tokens = Vec::new();
    for i in 0..people.len() {
        tokens.push(token_at(&base, s.link(i)).await);
    }
    let path = format!("/api/v1/questions/{}/posts", s.question);
    let writers: Vec<_> = tokens
        .into_iter()
        .enumerate()
        .map(|(i, token)| {
            let api = Api { base: base.clone(), token, client: reqwest::Client::new() };
            let path = path.clone();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                let (st, answer) = api.post(&path, json!({"body_md": format!("Answer {i}")})).await;
                assert_eq!(st, StatusCode::CREATED, "{answer}");
                acknowledged.push(id(&answer));
                let parent = id(&answer);
                loop {
                    let body = json!({"body_md": format!("Reply {} of {i}", acknowledged.len()), "parent_id": parent});
                    // Once the server is gone a request fails: the writer stops there.
                    let Ok(res) =
                        api.client.post(format!("{}{path}", api.base)).bearer_auth(&api.token).json(&body).send().await
                    else {
                        return acknowledged;
                    };
                    let st = res.status();
                    let Ok(answer) = res.json::<Value>().await else { return acknowledged };
                    assert_eq!(st, StatusCode::CREATED, "{answer}");
                    acknowledged.push(id(&answer));
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert!(std::process::Command::new("kill").args(["-KILL", &child.0.id().to_string()]).status().unwrap().success());
    child.0.wait().unwrap();
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(acknowledged.len() > 8, "the load ran: {} posts acknowledged", acknowledged.len());
    let question = s.question.clone();
    let stored: std::collections::HashSet<String> = app
        .with_db(move |conn, _| {
            Ok(focusboard::db::posts::outline_of_question(conn, &question)?
                .into_iter()
                .map(|p| p.id.to_string())
                .collect())
        })
        .await;
    let lost: Vec<_> = acknowledged.iter().filter(|p| !stored.contains(*p)).collect();
    assert!(lost.is_empty(), "{} of {} acknowledged posts lost: {lost:?}", lost.len(), acknowledged.len());
}

/// `focusboard serve` in a process of its own on the app's database, with `env` added: the
/// process and its base URL. It runs on the real clock, years after the app's, so the app's
/// participants' links are first made to last until then.
async fn second_instance(app: &TestApp, env: &[(&str, &str)]) -> (KillOnDrop, String) {
    app.with_db(|conn, _| {
        use diesel::prelude::*;
        use focusboard::db::schema::participants;
        diesel::update(participants::table)
            .set(participants::token_expires_at.eq(time::macros::datetime!(2100-01-01 00:00)))
            .execute(conn)?;
        Ok(())
    })
    .await;
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .arg("serve")
        .env("FOCUSBOARD_DATABASE_URL", &app.database_url)
        .env("FOCUSBOARD_DATA_DIR", &app.settings.data_dir)
        .env("FOCUSBOARD_BIND", "127.0.0.1:0")
        .env("FOCUSBOARD_LOG", "error")
        .env("FOCUSBOARD_SHUTDOWN_DRAIN_SECS", "0")
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start focusboard serve");
    let mut child = KillOnDrop(child);
    let base = format!("http://127.0.0.1:{}", listening_port(child.0.stdout.take().expect("stdout")));
    (child, base)
}

/// A participant's API token from the instance at `base` (its clock decides the token's end).
async fn token_at(base: &str, link: &str) -> String {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/auth/participant"))
        .json(&json!({"token": link.rsplit('/').next().unwrap_or_default()}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string()
}

/// Views note "read up to here" in memory: the marks reach the database within the flush
/// interval, and an instance that is stopped writes the ones still waiting before it exits.
async fn read_marks_are_written_within_seconds_and_at_shutdown(backend: Backend) {
    let app = spawn_with(backend, |s| s.read_marks_flush_ms = 200).await;
    let s = app.board_with_question("mod@example.org", "open", &["a@example.org", "b@example.org"]).await;
    let (a, b) = (app.participant_api(s.link(0)).await, app.participant_api(s.link(1)).await);
    assert_eq!(b.write_post(&s.question, json!({"body_md": "B's answer"})).await.0, StatusCode::CREATED);
    assert_eq!(a.write_post(&s.question, json!({"body_md": "A's answer"})).await.0, StatusCode::CREATED);
    let mark_of = |reader: ParticipantId| {
        let question = s.question.clone();
        let app = &app;
        async move {
            app.with_db(move |conn, _| Ok(focusboard::db::posts::read_mark(conn, &question, reader.as_str())?)).await
        }
    };
    let reader = s.participants[0].1.clone();
    assert_eq!(a.question(&s.question).await.0, StatusCode::OK);
    let started = std::time::Instant::now();
    while mark_of(reader.clone()).await.is_none() {
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "the mark is written within seconds");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // A second instance that writes marks only at its stop: B's view is not in the database
    // until the instance is told to stop, and is there once it has exited.
    let (mut child, base) = second_instance(&app, &[("FOCUSBOARD_READ_MARKS_FLUSH_MS", "0")]).await;
    let b_there = Api { base: base.clone(), token: token_at(&base, s.link(1)).await, client: reqwest::Client::new() };
    let reader = s.participants[1].1.clone();
    // B's last visit, as if two hours ago by the second instance's (real) clock: a visit now
    // is noted, and written the same way as the marks.
    let two_hours_ago = {
        // Whole seconds, which both databases store exactly.
        let t = time::OffsetDateTime::now_utc() - time::Duration::hours(2);
        time::PrimitiveDateTime::new(t.date(), t.time().replace_nanosecond(0).unwrap())
    };
    let seen = |who: ParticipantId| {
        let app = &app;
        async move {
            app.with_db(move |conn, _| {
                use diesel::prelude::*;
                use focusboard::db::schema::participants;
                Ok(participants::table
                    .find(&who)
                    .select(participants::last_seen_at)
                    .first::<Option<time::PrimitiveDateTime>>(conn)?)
            })
            .await
        }
    };
    let who = reader.clone();
    app.with_db(move |conn, _| {
        use diesel::prelude::*;
        use focusboard::db::schema::participants;
        diesel::update(participants::table.find(&who))
            .set(participants::last_seen_at.eq(Some(two_hours_ago)))
            .execute(conn)?;
        Ok(())
    })
    .await;
    // The board home first: it writes the reader's waiting marks before counting what is new.
    assert_eq!(b_there.home(&s.board).await.0, StatusCode::OK);
    let (st, page) = b_there.question(&s.question).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mark_of(reader.clone()).await, None, "noted in memory only");
    assert_eq!(seen(reader.clone()).await, Some(two_hours_ago), "the visit noted in memory only");
    assert!(std::process::Command::new("kill").args(["-TERM", &child.0.id().to_string()]).status().unwrap().success());
    let status = child.0.wait().unwrap();
    assert!(status.success(), "stopped cleanly: {status}");
    assert!(mark_of(reader.clone()).await.is_some(), "written before the process exited");
    assert!(seen(reader).await.is_some_and(|t| t > two_hours_ago), "the visit written before the process exited");
}

/// A server process that a failing test must not leave running.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
