//! Who sees participants' names and emails. By default moderators and co-moderators do;
//! observers and analysts see the pseudonyms the exports use, on every page, JSON response,
//! grid CSV and export they can reach, and the pages that exist to name people (audit log,
//! email delivery) are closed to them. The board's setting moves roles either way.

use crate::helpers::*;
use focusboard::service::{self, Actor};
use reqwest::StatusCode;
use serde_json::json;

crate::on_both_databases!(observers_and_analysts_see_pseudonyms_unless_the_board_says_otherwise);

const SECRETS: [&str; 4] = ["Ann Lee", "ann.lee@example.org", "Bob Ray", "bob.ray@example.org"];

fn assert_no_identity(what: &str, body: &str) {
    for secret in SECRETS {
        assert!(!body.contains(secret), "{what} shows {secret:?}: {body}");
    }
}

async fn observers_and_analysts_see_pseudonyms_unless_the_board_says_otherwise(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    let m = app.api_of("mod@example.org").await;
    // Bob first: his pseudonym comes first, his name second.
    let csv = "email,name,Role\nbob.ray@example.org,Bob Ray,GP\nann.lee@example.org,Ann Lee,Nurse\n";
    m.post_csv(&format!("/api/v1/boards/{}/participants/import?commit=true", s.board), csv).await;
    let (_, people) = m.participants(&s.board).await;
    let id_of = |name: &str| {
        people.as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["id"].as_str().unwrap().to_string()
    };
    let ann_id = id_of("Ann Lee");
    // A later import numbers after every pseudonym given out.
    m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", s.board),
        "email,name\ncy@example.org,Cy\n",
    )
    .await;
    let (_, people) = m.participants(&s.board).await;
    let cy = people.as_array().unwrap().iter().find(|p| p["name"] == "Cy").unwrap();
    assert_eq!(cy["pseudonym"], "P03");
    // A settings save that read the board before an import writes back an older count; the
    // next import still numbers after every pseudonym in use.
    let board = s.board.clone();
    app.with_db(move |conn, _| {
        let mut stale = focusboard::db::boards::find(conn, &board)?.unwrap();
        stale.pseudonyms_issued = 1;
        Ok(focusboard::db::boards::update(conn, &stale)?)
    })
    .await;
    m.post_csv(
        &format!("/api/v1/boards/{}/participants/import?commit=true", s.board),
        "email,name\ndee@example.org,Dee\n",
    )
    .await;
    let (_, people) = m.participants(&s.board).await;
    let dee = people.as_array().unwrap().iter().find(|p| p["name"] == "Dee").unwrap();
    assert_eq!(dee["pseudonym"], "P04", "{people}");
    assert_eq!((people[0]["name"].as_str(), people[0]["pseudonym"].as_str()), (Some("Ann Lee"), Some("P02")));
    let (_, links) = m.post(&format!("/api/v1/boards/{}/participants/{ann_id}/link", s.board), json!({})).await;
    let ann = app.participant_api(links["url"].as_str().unwrap()).await;
    ann.post("/api/v1/me/consent", json!({"consent": "on", "screen_name": "Wren"})).await;
    let (st, post) = ann.write_post(&s.question, json!({"body_md": "The ward felt like home."})).await;
    assert_eq!(st, StatusCode::CREATED, "{post}");
    m.probe(post["id"].as_str().unwrap(), json!({"body_md": "What made it feel so?"})).await;

    let board = s.board.clone();
    app.with_db(move |conn, ctx| {
        let m = Actor::User(focusboard::db::users::find_by_email(conn, "mod@example.org")?.unwrap());
        for (email, role) in
            [("obs@example.org", "observer"), ("ana@example.org", "analyst"), ("co@example.org", "co_moderator")]
        {
            let member = service::boards::MemberInput { email: email.into(), role: role.into() };
            service::boards::set_member(conn, ctx, &m, &board, &member)?;
        }
        Ok(())
    })
    .await;
    for email in ["obs@example.org", "ana@example.org", "co@example.org"] {
        app.create_user(email, false).await;
    }

    let (b, q) = (s.board.to_string(), s.question.to_string());
    let pages = [
        format!("/boards/{b}"),
        format!("/boards/{b}/participants"),
        format!("/boards/{b}/grid"),
        format!("/boards/{b}/grid.csv"),
        format!("/q/{q}"),
        format!("/stages/{}", s.stage),
        format!("/b/{b}?as={ann_id}"),
        format!("/q/{q}?as={ann_id}"),
    ];
    let analysis_pages = [format!("/boards/{b}/analysis"), format!("/boards/{b}/report"), format!("/q/{q}/coding")];
    let api = [
        format!("/api/v1/boards/{b}"),
        format!("/api/v1/boards/{b}/participants"),
        format!("/api/v1/boards/{b}/grid"),
        format!("/api/v1/boards/{b}/overview"),
        format!("/api/v1/questions/{q}"),
        format!("/api/v1/boards/{b}/participants/{ann_id}/home"),
        format!("/api/v1/questions/{q}/as/{ann_id}"),
        format!("/api/v1/boards/{b}/probes"),
    ];
    for (email, analyst) in [("obs@example.org", false), ("ana@example.org", true)] {
        let browser = app.signed_in(email).await;
        let token = app.api_of(email).await;
        for path in pages.iter().chain(analysis_pages.iter().filter(|_| analyst)) {
            let res = browser.get(path).await;
            assert_eq!(res.status(), StatusCode::OK, "{email} {path}");
            assert_no_identity(&format!("{email} {path}"), &res.text().await.unwrap());
        }
        let list = browser.get_ok(&format!("/boards/{b}/participants")).await;
        assert!(list.contains("P01") && list.contains("P02"), "pseudonyms where the names were: {list}");
        let grid = browser.get_ok(&format!("/q/{q}")).await;
        assert!(grid.contains("Wren (P02)"), "the screen name stays, beside the pseudonym: {grid}");
        let (_, listed) = token.get(&format!("/api/v1/boards/{b}/participants")).await;
        let names: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["P01", "P02", "P03", "P04"], "in pseudonym order, which says nothing of the names");
        assert!(listed[0]["email"].is_null(), "{listed}");
        for path in &api {
            let (st, body) = token.get(path).await;
            assert!(st == StatusCode::OK || st == StatusCode::NOT_FOUND, "{email} {path}: {st}");
            assert_no_identity(&format!("{email} {path}"), &body.to_string());
        }
        if analyst {
            for format in ["csv", "json", "quotes", "docx", "xlsx", "qdpx"] {
                let (st, _, bytes) = token.download(&format!("/api/v1/boards/{b}/export?format={format}")).await;
                assert_eq!(st, StatusCode::OK, "{format}");
                let text = match format {
                    "docx" | "xlsx" | "qdpx" => zip_text(&bytes),
                    _ => String::from_utf8_lossy(&bytes).into_owned(),
                };
                assert_no_identity(&format!("{email} export {format}"), &text);
            }
        }
        // The pages that exist to name people are not theirs.
        for path in [format!("/boards/{b}/audit"), format!("/boards/{b}/emails")] {
            assert_eq!(browser.get(&path).await.status(), StatusCode::FORBIDDEN, "{email} {path}");
        }
    }

    // Co-moderators see names by default; moderators always.
    let co = app.signed_in("co@example.org").await;
    let list = co.get_ok(&format!("/boards/{b}/participants")).await;
    assert!(list.contains("Ann Lee") && list.contains("ann.lee@example.org"), "{list}");
    assert!(app.signed_in("mod@example.org").await.get_ok(&format!("/q/{q}")).await.contains("Wren (Ann Lee)"));

    // The board moves roles: analysts in, co-moderators out. A moderator cannot be taken out.
    let (st, view) =
        m.patch(&format!("/api/v1/boards/{b}"), json!({"identities_seen_by": ["analyst", "moderator"]})).await;
    assert_eq!(st, StatusCode::OK, "{view}");
    assert_eq!(view["identities_seen_by"], json!(["analyst"]));
    let ana = app.signed_in("ana@example.org").await;
    assert!(ana.get_ok(&format!("/boards/{b}/participants")).await.contains("ann.lee@example.org"));
    let list = co.get_ok(&format!("/boards/{b}/participants")).await;
    assert_no_identity("a co-moderator the board took out", &list);
    assert!(!list.contains("/p/"), "nor the sign-in links, which open the participants' own pages: {list}");
    let co_api = app.api_of("co@example.org").await;
    let (st, _) = co_api.post(&format!("/api/v1/boards/{b}/participants/{ann_id}/link"), json!({})).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "nor a new link");
    assert_eq!(co.get(&format!("/boards/{b}/audit")).await.status(), StatusCode::FORBIDDEN);
    let observer = app.signed_in("obs@example.org").await;
    assert_no_identity("the observer", &observer.get_ok(&format!("/boards/{b}/grid")).await);
    let (st, problem) = m.patch(&format!("/api/v1/boards/{b}"), json!({"identities_seen_by": ["visitor"]})).await;
    assert_eq!((st, problem["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("identities_seen_by")));

    // The settings form carries the choice, ticked as stored.
    let moderator = app.signed_in("mod@example.org").await;
    let settings = format!("/boards/{b}/settings");
    let form = moderator.get_ok(&settings).await;
    assert!(form.contains("name=\"identities_analyst\" checked"), "{form}");
    let res = moderator
        .submit(
            &settings,
            &settings,
            &[
                ("title", "Ward study"),
                ("time_zone", "Europe/London"),
                ("identities_shown", "yes"),
                ("identities_observer", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let (_, view) = m.get(&format!("/api/v1/boards/{b}")).await;
    assert_eq!(view["identities_seen_by"], json!(["observer"]));
    assert!(observer.get_ok(&format!("/boards/{b}/grid")).await.contains("Bob Ray"));
}
