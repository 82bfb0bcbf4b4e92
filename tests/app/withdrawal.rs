//! Participants' rights: withdrawing under each of the board's policies, erasure that leaves
//! nothing of the person in any table, and the purge of archived boards past their retention
//! date, which never touches a board that is not archived.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::{json, Value};

crate::on_both_databases!(
    a_participant_withdraws_and_what_they_wrote_stays_under_their_pseudonym,
    a_recorded_withdrawal_removes_what_they_wrote_everywhere,
    erasure_leaves_no_trace_of_the_person_in_any_table,
    purge_erases_identities_on_archived_boards_only,
    only_those_who_see_identities_record_withdrawals_and_only_moderators_erase,
);

/// Every text value of every table, as (table, column, value): what an erasure is checked
/// against. Images' bytes are left out (binary).
async fn every_text(app: &TestApp, backend: Backend) -> Vec<(String, String, String)> {
    use diesel::prelude::*;
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        t: String,
    }
    app.with_db(move |conn, _| {
        let list = |conn: &mut focusboard::db::DbConn, sql: String| -> Vec<String> {
            diesel::sql_query(sql).load::<Row>(conn).expect("query").into_iter().map(|r| r.t).collect()
        };
        let tables = match backend {
            Backend::Sqlite => list(conn, "SELECT name AS t FROM sqlite_master WHERE type = 'table'".into()),
            Backend::Postgres => list(
                conn,
                "SELECT table_name::text AS t FROM information_schema.tables WHERE table_schema = 'public'".into(),
            ),
        };
        let mut found = Vec::new();
        for table in tables.iter().filter(|t| *t != "image_data" && !t.starts_with("sqlite_")) {
            let columns = match backend {
                Backend::Sqlite => list(conn, format!("SELECT name AS t FROM pragma_table_info('{table}')")),
                Backend::Postgres => list(
                    conn,
                    format!(
                        "SELECT column_name::text AS t FROM information_schema.columns WHERE table_name = '{table}' \
                         AND data_type <> 'bytea'"
                    ),
                ),
            };
            for column in columns {
                let sql =
                    format!("SELECT CAST(\"{column}\" AS TEXT) AS t FROM \"{table}\" WHERE \"{column}\" IS NOT NULL");
                for value in list(conn, sql) {
                    found.push((table.clone(), column.clone(), value));
                }
            }
        }
        Ok(found)
    })
    .await
}

async fn set_policy(app: &TestApp, board: &focusboard::domain::ids::BoardId, policy: &str) {
    // Set at set-up, before anyone agreed: written directly, as the seeded board's participants
    // have already consented.
    let (board, policy) = (board.clone(), policy.to_string());
    app.with_db(move |conn, _| {
        let mut b = focusboard::db::boards::find(conn, &board)?.unwrap();
        b.withdrawal_policy = focusboard::domain::roles::WithdrawalPolicy::parse(&policy).unwrap();
        focusboard::db::boards::update(conn, &b)?;
        Ok(())
    })
    .await;
}

async fn export_text(api: &Api, board: impl std::fmt::Display, format: &str) -> String {
    let (st, _, bytes) = api.download(&format!("/api/v1/boards/{board}/export?format={format}")).await;
    assert_eq!(st, StatusCode::OK, "{format} export");
    match format {
        "xlsx" | "docx" | "docx-participants" | "qdpx" => zip_text(&bytes),
        _ => String::from_utf8(bytes).unwrap(),
    }
}

async fn a_participant_withdraws_and_what_they_wrote_stays_under_their_pseudonym(backend: Backend) {
    let (app, smtp) = spawn_with_smtp(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    let m = app.api_of("mod@example.org").await;
    let ann_api = app.participant_api(s.link(0)).await;
    let bob_api = app.participant_api(s.link(1)).await;
    let (_, answer) = ann_api.write_post(&s.question, json!({"body_md": "Ann kept a diary of the shifts."})).await;
    bob_api.write_post(&s.question, json!({"body_md": "Bob's answer", "parent_id": answer["id"]})).await;

    // The consent page says what withdrawing does, before anyone agrees.
    let (_, board) = m.get(&format!("/api/v1/boards/{}", s.board)).await;
    assert_eq!(board["withdrawal_policy"], "keep");
    assert!(board["withdrawal_notice"].as_str().unwrap().contains("under a code name"), "{board}");

    // Ann withdraws from her preferences page, after a page that asks.
    let ann = app.sign_in_participant(s.link(0)).await;
    assert!(ann.board_home_page(&s.board).await.contains("href=\"/me\""));
    let prefs = ann.get_ok("/me").await;
    assert!(prefs.contains("href=\"/me/withdraw\"") && prefs.contains("under a code name"), "{prefs}");
    let ask = ann.get_ok("/me/withdraw").await;
    assert!(ask.contains("Withdraw from the study") && ask.contains("action=\"/me/withdraw\""), "{ask}");
    let res = ann.submit("/me/withdraw", "/me/withdraw", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("You have withdrawn") && page.contains("code name P01"), "{page}");

    // Her browser session, her API token and her link all stop at once.
    assert_eq!(ann.get(&format!("/b/{}", s.board)).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(ann_api.home(&s.board).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.browser().get(s.link(0)).await.status(), StatusCode::GONE);

    // Not another email: invitations sent again reach Bob only, and "email me my link" is silent.
    let before = smtp.to("ann@example.org").len();
    m.post(&format!("/api/v1/boards/{}/invitations", s.board), json!({})).await;
    let anon = app.browser();
    anon.submit("/sign-in-link", "/sign-in-link", &[("email", "ann@example.org")]).await;
    app.outbox.drain().await.unwrap();
    assert!(!smtp.to("bob@example.org").is_empty());
    assert_eq!(smtp.to("ann@example.org").len(), before, "nothing more to a withdrawn participant");

    // Her answer stays, under her pseudonym, for others and for staff; moderators still see who.
    let bob = app.sign_in_participant(s.link(1)).await;
    let page = bob.question_page(&s.question).await;
    assert!(page.contains("Ann kept a diary") && page.contains("P01 (withdrawn)"), "{page}");
    assert!(!page.contains("sn-ann"), "her screen name is no longer shown");
    let moderator = app.signed_in("mod@example.org").await;
    let staff_page = moderator.question_page(&s.question).await;
    assert!(staff_page.contains("(withdrawn)"), "{staff_page}");

    // Counted apart in the funnel and the grid, with when and how.
    let (_, overview) = m.overview(&s.board).await;
    assert_eq!(overview["funnel"]["withdrawn"], 1);
    assert_eq!(overview["funnel"]["invited"], 1);
    let (_, grid) = m.get(&format!("/api/v1/boards/{}/grid", s.board)).await;
    let row = grid["rows"].as_array().unwrap().iter().find(|r| r["pseudonym"] == "P01").unwrap().clone();
    assert_eq!(row["status"], "withdrawn");
    let (_, people) = m.participants(&s.board).await;
    let ann_row = people.as_array().unwrap().iter().find(|p| p["pseudonym"] == "P01").unwrap().clone();
    assert_eq!(ann_row["withdrawal_source"], "participant");
    assert!(ann_row["withdrawn_at"].is_object());
    let list = moderator.get_ok(&format!("/boards/{}/participants", s.board)).await;
    assert!(list.contains("Withdrew") && list.contains("On the board, by the participant"), "{list}");

    // The exports keep her words, and the JSON export her withdrawal.
    let json_export: Value = serde_json::from_str(&export_text(&m, &s.board, "json").await).unwrap();
    let p01 = json_export["participants"].as_array().unwrap().iter().find(|p| p["id"] == "P01").unwrap().clone();
    assert_eq!(p01["withdrawal"]["source"], "participant", "{p01}");
    for format in ["csv", "xlsx", "json", "docx", "docx-participants", "qdpx"] {
        let text = export_text(&m, &s.board, format).await;
        assert!(text.contains("Ann kept a diary") && text.contains("P01"), "{format} keeps her words under P01");
        assert!(!text.contains("ann@example.org"), "{format}");
    }
    // The moderator downloads her data, withdrawal included.
    let data = moderator.get(&format!("/boards/{}/participants/{}/data", s.board, s.participants[0].1)).await;
    let data: Value = data.json().await.unwrap();
    assert_eq!(data["withdrawal"]["source"], "participant", "{data}");

    // The audit log keeps the withdrawal.
    let (_, log) = m.get(&format!("/api/v1/boards/{}/audit", s.board)).await;
    assert!(log.to_string().contains("participant.withdraw"), "{log}");

    // A withdrawn participant cannot be answered for, nor withdraw twice.
    let (st, _) = m
        .answer_on_behalf(
            &s.question,
            json!({"participant_id": s.participants[0].1, "body_md": "More", "source": "email"}),
        )
        .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    let (st, _) = m
        .post(
            &format!("/api/v1/boards/{}/participants/{}/withdrawal", s.board, s.participants[0].1),
            json!({"source": "email"}),
        )
        .await;
    assert_eq!(st, StatusCode::CONFLICT);
}

async fn a_recorded_withdrawal_removes_what_they_wrote_everywhere(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    set_policy(&app, &s.board, "remove").await;
    let m = app.api_of("mod@example.org").await;
    // Once people agreed, the policy they agreed to holds.
    let (st, body) = m.edit_board(&s.board, json!({"withdrawal_policy": "keep"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let settings = format!("/boards/{}/settings", s.board);
    let moderator = app.signed_in("mod@example.org").await;
    let form = moderator.get_ok(&settings).await;
    assert!(form.contains("value=\"remove\" checked"), "the form shows the policy");
    let res = moderator.submit(&settings, &settings, &[("title", "Renamed"), ("withdrawal_policy", "keep")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("cannot change now") && again.contains("Renamed"), "{again}");
    let ann_api = app.participant_api(s.link(0)).await;
    let bob_api = app.participant_api(s.link(1)).await;
    let (_, ann_answer) = ann_api.write_post(&s.question, json!({"body_md": "Ann's removable answer"})).await;
    let (_, bob_answer) = bob_api.write_post(&s.question, json!({"body_md": "Bob's own answer"})).await;
    let (_, bob_reply) =
        bob_api.write_post(&s.question, json!({"body_md": "Bob replies to Ann", "parent_id": ann_answer["id"]})).await;
    ann_api.write_post(&s.question, json!({"body_md": "Ann's lone reply", "parent_id": bob_answer["id"]})).await;
    let (st, _) = ann_api.post(&format!("/api/v1/posts/{}/agree", bob_answer["id"].as_str().unwrap()), json!({})).await;
    assert_eq!(st, StatusCode::OK);
    let ana = app.staff_api("ana@example.org", false).await;
    app.with_db({
        let board = s.board.clone();
        move |conn, ctx| {
            let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
            let member = service::boards::MemberInput { email: "ana@example.org".into(), role: "analyst".into() };
            service::boards::set_member(conn, ctx, &m, &board, &member)
        }
    })
    .await;
    let (_, code) = ana.post(&format!("/api/v1/boards/{}/codes", s.board), json!({"name": "Diaries"})).await;
    let (st, _) = ana.code_post(ann_answer["id"].as_str().unwrap(), json!({"code_ids": [code["id"]]})).await;
    assert_eq!(st, StatusCode::CREATED);

    // Recorded by the moderator from an email: a day in the future is refused, on the form too.
    let ann_id = &s.participants[0].1;
    let path = format!("/api/v1/boards/{}/participants/{ann_id}/withdrawal", s.board);
    let (st, problem) = m.post(&path, json!({"source": "email", "asked_on": "2999-01-01"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "asked_on", "{problem}");
    let (st, problem) = m.post(&path, json!({"source": "pigeon"})).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let form_path = format!("/boards/{}/participants/{ann_id}/withdraw", s.board);
    let form = moderator.get_ok(&form_path).await;
    assert!(form.contains("Remove") || form.contains("removed"), "{form}");
    let res = moderator.submit(&form_path, &form_path, &[("source", ""), ("asked_on", "2020-01-02")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap();
    assert!(again.contains("Say how the participant asked") && again.contains("2020-01-02"), "{again}");
    let res = moderator.submit(&form_path, &form_path, &[("source", "email"), ("asked_on", "2020-01-02")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let list = res.text().await.unwrap();
    assert!(list.contains("withdrawal of P01 is recorded"), "{list}");
    assert!(list.contains("By email") && list.contains("2020-01-02"), "{list}");

    // The question page: her words are gone; Bob's reply to her stays, under a notice.
    let bob = app.sign_in_participant(s.link(1)).await;
    for page in [bob.question_page(&s.question).await, moderator.question_page(&s.question).await] {
        assert!(!page.contains("Ann's removable answer") && !page.contains("Ann's lone reply"), "{page}");
        assert!(page.contains("A withdrawn participant's post was removed."), "{page}");
        assert!(page.contains("Bob replies to Ann") && page.contains("Bob's own answer"));
    }
    // Her agreement is gone too.
    let (_, q) = bob_api.question(&s.question).await;
    assert!(!q.to_string().contains("Ann's"), "{q}");
    assert!(q.to_string().contains("\"agrees\":0"), "{q}");
    // Nobody can answer the empty place.
    let (st, _) = bob_api.write_post(&s.question, json!({"body_md": "Hello?", "parent_id": ann_answer["id"]})).await;
    assert_ne!(st, StatusCode::CREATED);

    // Every export: her words nowhere; Bob's reply says what it answered.
    for format in ["csv", "xlsx", "json", "docx", "docx-participants", "qdpx", "quotes"] {
        let text = export_text(&ana, &s.board, format).await;
        assert!(!text.contains("Ann's removable answer") && !text.contains("Ann's lone reply"), "{format}: {text}");
        if format != "quotes" {
            assert!(text.contains("Bob replies to Ann"), "{format}");
        }
    }
    let csv = export_text(&ana, &s.board, "csv").await;
    assert!(csv.contains("a withdrawn participant's post was removed"), "{csv}");
    let (_, grid) = m.get(&format!("/api/v1/boards/{}/grid", s.board)).await;
    let row = grid["rows"].as_array().unwrap().iter().find(|r| r["pseudonym"] == "P01").unwrap().clone();
    assert_eq!(row["cells"][0], "withdrawn", "{row}");
    // Not a word of hers left in any table: the reply notice to Bob that quoted her lost it too.
    let rows = every_text(&app, backend).await;
    for removed in ["Ann's removable answer", "Ann's lone reply"] {
        let found: Vec<_> = rows.iter().filter(|(_, _, v)| v.contains(removed)).collect();
        assert!(found.is_empty(), "{removed:?} is still in {found:?}");
    }
    assert!(rows
        .iter()
        .any(|(t, c, v)| t == "outbox" && c == "body_text" && v.contains("removed when its author withdrew")));
    assert_eq!(grid["funnel"]["withdrawn"], 1);
    let _ = bob_reply;
}

async fn erasure_leaves_no_trace_of_the_person_in_any_table(backend: Backend) {
    let (app, smtp) = spawn_with_smtp(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    set_policy(&app, &s.board, "remove").await;
    let m = app.api_of("mod@example.org").await;
    let csv = "email,name,Role\nquist.annabel@example.org,Annabel Quist,Nurse\nbob@example.org,Bob,GP\n";
    // With a retry key: the import's answer, naming her, is kept a day for retries.
    let res = m
        .client
        .post(format!("{}/api/v1/boards/{}/participants/import?commit=true", m.base, s.board))
        .bearer_auth(&m.token)
        .header("Idempotency-Key", "import-1")
        .header("Content-Type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    m.post(&format!("/api/v1/boards/{}/invitations", s.board), json!({})).await;
    app.outbox.drain().await.unwrap();
    let link = smtp.to("quist.annabel@example.org")[0].link(&format!("{}/p/", app.base));
    let bob_link = smtp.to("bob@example.org")[0].link(&format!("{}/p/", app.base));
    let annabel = app.sign_in_participant(&link).await;
    annabel
        .submit(
            &format!("/b/{}/welcome", s.board),
            &format!("/b/{}/welcome", s.board),
            &[("consent", "on"), ("screen_name", "Wardrobe Wanderer")],
        )
        .await;
    let ann_api = app.participant_api(&link).await;
    let (_, answer) = ann_api.write_post(&s.question, json!({"body_md": "Zebra-striped confidences"})).await;
    let bob_api = app.participant_api(&bob_link).await;
    let (st, _) = bob_api.post("/api/v1/me/consent", json!({"consent": "on", "screen_name": "Bobby"})).await;
    assert_eq!(st, StatusCode::NO_CONTENT);
    bob_api.write_post(&s.question, json!({"body_md": "Bob answers her", "parent_id": answer["id"]})).await;
    let (_, people) = m.participants(&s.board).await;
    let id = people.as_array().unwrap().iter().find(|p| p["name"] == "Annabel Quist").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // Moderators' actions that name her in the audit log.
    m.post(&format!("/api/v1/boards/{}/participants/{id}/link", s.board), json!({})).await;
    m.put(&format!("/api/v1/boards/{}/participants/{id}/group", s.board), json!({"group": "Night"})).await;
    app.outbox.drain().await.unwrap();

    // She takes part in another board too, where nothing is erased.
    let other = app.board_with_question("other@example.org", "open", &[]).await;
    let other_mod = app.api_of("other@example.org").await;
    other_mod
        .post_csv(
            &format!("/api/v1/boards/{}/participants/import?commit=true", other.board),
            "email,name\nquist.annabel@example.org,Annabel Quist\n",
        )
        .await;

    // Only moderators (and administrators) erase; a co-moderator may not.
    let co = app.staff_api("co@example.org", false).await;
    app.with_db({
        let board = s.board.clone();
        move |conn, ctx| {
            let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
            let member = service::boards::MemberInput { email: "co@example.org".into(), role: "co_moderator".into() };
            service::boards::set_member(conn, ctx, &m, &board, &member)
        }
    })
    .await;
    let erase_api = format!("/api/v1/boards/{}/participants/{id}/erasure", s.board);
    assert_eq!(co.post(&erase_api, json!({"source": "email"})).await.0, StatusCode::FORBIDDEN);

    // The moderator erases her from the participants page, after a page that says what goes.
    let moderator = app.signed_in("mod@example.org").await;
    let form_path = format!("/boards/{}/participants/{id}/erase", s.board);
    assert!(moderator.get_ok(&format!("/boards/{}/participants", s.board)).await.contains(&form_path));
    let form = moderator.get_ok(&form_path).await;
    assert!(form.contains("Erase Annabel Quist") && form.contains("cannot be undone"), "{form}");
    let res = moderator.submit(&form_path, &form_path, &[("source", "telephone"), ("asked_on", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("P01 is erased"));

    // Her other board keeps her, and its audit log; nothing else anywhere holds her.
    let (_, there) = other_mod.participants(&other.board).await;
    assert_eq!(there[0]["name"], "Annabel Quist");
    let (_, other_log) = other_mod.get(&format!("/api/v1/boards/{}/audit", other.board)).await;
    assert!(other_log.to_string().contains("quist.annabel@example.org"), "{other_log}");
    let other_board = other.board.to_string();
    let rows = every_text(&app, backend).await;
    for secret in ["Annabel Quist", "quist.annabel@example.org", "Wardrobe Wanderer", "Zebra-striped confidences"] {
        let found: Vec<_> = rows
            .iter()
            .filter(|(_, _, v)| v.contains(secret))
            .filter(|(t, _, _)| !(t == "participants" || t == "audit_log"))
            .collect();
        assert!(found.is_empty(), "{secret:?} is still in {found:?}");
    }
    // In the participants table and the audit log, only the other board's rows hold her.
    let left = app
        .with_db(move |conn, _| {
            use diesel::prelude::*;
            use focusboard::db::schema::{audit_log, participants};
            let people: Vec<String> = participants::table
                .filter(participants::name.eq("Annabel Quist"))
                .select(participants::board_id)
                .load(conn)?;
            let logs: Vec<Option<String>> = audit_log::table
                .filter(audit_log::after_json.like("%quist.annabel%").or(audit_log::subject.like("%quist.annabel%")))
                .select(audit_log::board_id)
                .load(conn)?;
            Ok((people, logs))
        })
        .await;
    assert_eq!(left.0, vec![other_board.clone()]);
    assert!(left.1.iter().all(|b| b.as_deref() == Some(other_board.as_str())) && !left.1.is_empty(), "{left:?}");
    // The audit log keeps that it happened, by whom, without what was erased.
    let erasures: Vec<_> =
        rows.iter().filter(|(t, c, v)| t == "audit_log" && c == "action" && v == "participant.erase").collect();
    assert_eq!(erasures.len(), 1);
    let (_, log) = m.get(&format!("/api/v1/boards/{}/audit", s.board)).await;
    let entry = log.as_array().unwrap().iter().find(|e| e["action"] == "participant.erase").unwrap().clone();
    assert_eq!(entry["actor_name"], "Mod");
    assert!(log.to_string().contains("participant.new_link"), "earlier entries stay, without her");
    // The scan reads real rows: Bob's reply stays, in the posts table.
    assert!(rows.iter().any(|(t, c, v)| t == "posts" && c == "body_md" && v.starts_with("Bob answers")), "{rows:?}");

    // The preferences link in her old emails names no one now.
    let prefs = smtp.to("quist.annabel@example.org")[0].link(&format!("{}/u/", app.base));
    assert_eq!(app.browser().get(&prefs).await.status(), StatusCode::NOT_FOUND);

    // Her pseudonym is never given again.
    m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", s.board),
        "email,name\nquist.annabel@example.org,Annabel Again\n",
    )
    .await;
    let (_, people) = m.participants(&s.board).await;
    let again = people.as_array().unwrap().iter().find(|p| p["name"] == "Annabel Again").unwrap().clone();
    assert_eq!(again["pseudonym"], "P03");
    let erased = people.as_array().unwrap().iter().find(|p| p["id"] == id.as_str()).unwrap().clone();
    assert_eq!(erased["erased"], true);
    assert_eq!(erased["name"], "P01");
    assert!(erased["email"].is_null());
    // Erasing twice is refused.
    assert_eq!(m.post(&erase_api, json!({"source": "email"})).await.0, StatusCode::CONFLICT);
}

async fn purge_erases_identities_on_archived_boards_only(backend: Backend) {
    let app = spawn(backend).await;
    let archived = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    let open = app.board_with_question("mod@example.org", "open", &["ann@example.org"]).await;
    for s in [&archived, &open] {
        let api = app.participant_api(s.link(0)).await;
        api.write_post(&s.question, json!({"body_md": "Words for analysis"})).await;
    }
    let m = app.api_of("mod@example.org").await;
    let yesterday = (app.clock_now().date() - time::Duration::days(2)).to_string();
    let (st, body) = m.edit_board(&archived.board, json!({"retain_until": yesterday, "state": "archived"})).await;
    assert_eq!(st, StatusCode::OK, "{body}");
    assert_eq!(body["retain_until"], yesterday.as_str());
    let (st, _) = m.edit_board(&open.board, json!({"retain_until": yesterday})).await;
    assert_eq!(st, StatusCode::OK);
    let (st, problem) = m.edit_board(&open.board, json!({"retain_until": "soon"})).await;
    assert_eq!((st, problem["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("retain_until")));

    // The scheduler purges only boards that ask for it, which needs a date.
    let reports = app.with_db(|conn, ctx| service::withdrawal::purge(conn, ctx, true)).await;
    assert!(reports.is_empty());
    let (st, problem) = m.edit_board(&open.board, json!({"purge_when_due": true, "retain_until": null})).await;
    assert_eq!((st, problem["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("retain_until")));
    m.edit_board(&open.board, json!({"purge_when_due": true})).await;
    m.edit_board(&archived.board, json!({"purge_when_due": true})).await;
    let reports = app.with_db(|conn, ctx| service::withdrawal::purge(conn, ctx, true)).await;
    assert_eq!(reports.len(), 1);
    assert_eq!((reports[0].board_id.clone(), reports[0].participants_erased), (archived.board.clone(), 1));
    // Again: nothing left to do, nothing written.
    assert!(app.with_db(|conn, ctx| service::withdrawal::purge(conn, ctx, false)).await.is_empty());

    let (_, purged) = m.participants(&archived.board).await;
    assert_eq!(purged[0]["name"], "P01");
    assert_eq!(purged[0]["erased"], true);
    assert_eq!(purged[0]["attributes"]["Role"], "Nurse", "attributes stay for analysis");
    let (_, kept) = m.participants(&open.board).await;
    assert_eq!(kept[0]["name"], "ann@example.org", "an open board is never purged");
    assert_eq!(kept[0]["erased"], false);
    // The pseudonymised words stay for the analysts.
    assert!(export_text(&m, &archived.board, "csv").await.contains("Words for analysis"));
    let (_, log) = m.get(&format!("/api/v1/boards/{}/audit", archived.board)).await;
    assert!(log.to_string().contains("board.purge"));
}

async fn only_those_who_see_identities_record_withdrawals_and_only_moderators_erase(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &["ann@example.org", "bob@example.org"]).await;
    app.board_with_question("other@example.org", "open", &[]).await;
    for (email, role) in
        [("obs@example.org", "observer"), ("ana@example.org", "analyst"), ("co@example.org", "co_moderator")]
    {
        app.create_user(email, false).await;
        let (board, e, r) = (s.board.clone(), email.to_string(), role.to_string());
        app.with_db(move |conn, ctx| {
            let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
            service::boards::set_member(conn, ctx, &m, &board, &service::boards::MemberInput { email: e, role: r })
        })
        .await;
    }
    let ann = &s.participants[0].1;
    let pages = |what: &str| format!("/boards/{}/participants/{ann}/{what}", s.board);
    let api = |what: &str| format!("/api/v1/boards/{}/participants/{ann}/{what}", s.board);
    // (who, withdraw form, erase form): what each may open.
    let cases = [
        ("obs@example.org", StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        ("ana@example.org", StatusCode::FORBIDDEN, StatusCode::FORBIDDEN),
        ("co@example.org", StatusCode::OK, StatusCode::FORBIDDEN),
        ("other@example.org", StatusCode::NOT_FOUND, StatusCode::NOT_FOUND),
        ("mod@example.org", StatusCode::OK, StatusCode::OK),
    ];
    for (who, withdraw, erase) in cases {
        let b = app.signed_in(who).await;
        let list = b.get(&format!("/boards/{}/participants", s.board)).await.text().await.unwrap();
        assert_eq!(b.get(&pages("withdraw")).await.status(), withdraw, "{who} opens the withdrawal form");
        assert_eq!(b.get(&pages("erase")).await.status(), erase, "{who} opens the erasure form");
        assert_eq!(
            list.contains(&pages("erase")),
            erase == StatusCode::OK,
            "{who}: the erase link shows only to those who may"
        );
        if withdraw != StatusCode::OK {
            let page = b.get_ok("/boards").await;
            let res = b
                .client
                .post(app.url(&pages("withdraw")))
                .form(&[("csrf_token", csrf_of(&page).as_str()), ("source", "email")])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), withdraw, "{who} records a withdrawal");
        }
        if erase != StatusCode::OK {
            let token = app.api_of(who).await;
            assert_eq!(token.post(&api("erasure"), json!({"source": "email"})).await.0, erase, "{who} erases by API");
            if withdraw != StatusCode::OK {
                assert_eq!(
                    token.post(&api("withdrawal"), json!({"source": "email"})).await.0,
                    withdraw,
                    "{who} by API"
                );
            }
        }
    }
    // Participants and strangers: neither pages nor API.
    let bob = app.sign_in_participant(s.link(1)).await;
    assert_eq!(bob.get(&pages("withdraw")).await.status(), StatusCode::FORBIDDEN);
    let bob_api = app.participant_api(s.link(1)).await;
    assert_eq!(bob_api.post(&api("erasure"), json!({"source": "email"})).await.0, StatusCode::FORBIDDEN);
    assert_eq!(bob_api.post(&api("withdrawal"), json!({"source": "email"})).await.0, StatusCode::FORBIDDEN);
    let stranger = app.browser();
    let res = stranger.get(&pages("erase")).await;
    assert!(res.url().path() == "/login" || res.status() == StatusCode::UNAUTHORIZED, "{}", res.url());
    assert!(!res.text().await.unwrap().contains("ann@example.org"));
    assert_eq!(app.api("fb_nothing").post(&api("erasure"), json!({})).await.0, StatusCode::UNAUTHORIZED);
    // Staff have no "withdraw me"; a co-moderator who records one gets it done.
    let staff = app.signed_in("co@example.org").await;
    assert_eq!(staff.get("/me/withdraw").await.status(), StatusCode::FORBIDDEN);
    let res = staff.submit(&pages("withdraw"), &pages("withdraw"), &[("source", "in_person"), ("asked_on", "")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, people) = app.api_of("mod@example.org").await.participants(&s.board).await;
    let ann_row = people.as_array().unwrap().iter().find(|p| p["id"] == ann.as_str()).unwrap().clone();
    assert_eq!(ann_row["withdrawal_source"], "in_person");
    // Nothing anyone did touched Bob.
    assert!(people.as_array().unwrap().iter().any(|p| p["name"] == "bob@example.org" && p["withdrawn_at"].is_null()));
}
