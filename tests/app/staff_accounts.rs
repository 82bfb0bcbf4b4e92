//! Staff accounts from the browser: an administrator invites a colleague, who sets a password
//! from the emailed link (single-use); "forgot password" answers the same for any address,
//! sends one link per account in ten minutes, and the link expires; disabling an account stops
//! its session and API token at once; only administrators reach any of it.

use crate::helpers::*;
use reqwest::StatusCode;

crate::on_both_databases!(
    staff_are_invited_reset_and_disabled_from_the_browser,
    roles_on_a_board_change_and_end_from_its_page
);

const NEW_PASSWORD: &str = "tulip harbour lantern";

/// The text of a page's `main`, with `email` taken out.
fn answer_without(html: &str, email: &str) -> String {
    texts(html, "main").join(" ").replace(email, "ADDRESS")
}

async fn staff_are_invited_reset_and_disabled_from_the_browser(backend: Backend) {
    let (app, sink) = spawn_with_smtp(backend).await;
    app.create_user("root@example.org", true).await;
    app.create_user("mod@example.org", false).await;
    let admin = app.signed_in("root@example.org").await;
    assert!(admin.get_ok("/boards").await.contains("href=\"/admin/staff\""));
    let moderator = app.signed_in("mod@example.org").await;
    assert_eq!(moderator.get("/admin/staff").await.status(), StatusCode::FORBIDDEN, "administrators only");
    assert!(!app.browser().get("/admin/staff").await.text().await.unwrap().contains("Staff accounts"));

    // An invitation with a malformed address comes back on the form.
    let res =
        admin.submit("/admin/staff", "/admin/staff/invite", &[("name", "Ana Lyst"), ("email", "ana at example")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("value=\"Ana Lyst\""));
    let res = admin
        .submit("/admin/staff", "/admin/staff/invite", &[("name", "Ana Lyst"), ("email", "ana@example.org")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.unwrap();
    assert!(page.contains("Ana Lyst is invited") && page.contains("Invited"), "{page}");
    let res = admin
        .submit("/admin/staff", "/admin/staff/invite", &[("name", "Ana Again"), ("email", "ana@example.org")])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT, "one account per address");

    // The invitation arrives; its link sets the password, once.
    app.outbox.drain().await.unwrap();
    let mail = &sink.to("ana@example.org")[0];
    assert_eq!(mail.subject(), "Your focusboard account: set your password");
    let link = mail.link(&format!("{}/password/", app.base));
    let path = link.trim_start_matches(&app.base).to_string();
    let ana = app.browser();
    assert!(ana.get_ok(&path).await.contains("Welcome, Ana Lyst"));
    let res = ana.submit(&path, &path, &[("password", NEW_PASSWORD), ("password_again", "something else")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.unwrap().contains("The two passwords are not the same."));
    let res = ana.submit(&path, &path, &[("password", NEW_PASSWORD), ("password_again", NEW_PASSWORD)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.text().await.unwrap().contains("Your password is set"));
    assert_eq!(ana.get(&path).await.status(), StatusCode::NOT_FOUND, "the link works once");
    ana.login("ana@example.org", NEW_PASSWORD).await;
    assert!(!admin.get_ok("/admin/staff").await.contains("todo\">Invited"), "no longer waiting");

    // Forgot password: the same answer for any address; a link for the real one.
    let visitor = app.browser();
    let unknown = ask(&visitor, "nobody@example.org").await;
    assert_eq!(unknown.status(), StatusCode::OK);
    let unknown = answer_without(&unknown.text().await.unwrap(), "nobody@example.org");
    let known = answer_without(&ask(&visitor, "ana@example.org").await.text().await.unwrap(), "ana@example.org");
    assert_eq!(known, unknown, "nothing says whether the account exists");
    ask(&visitor, "ana@example.org").await;
    app.outbox.drain().await.unwrap();
    let resets: Vec<_> =
        sink.to("ana@example.org").into_iter().filter(|m| m.subject() == "Set a new focusboard password").collect();
    assert_eq!(resets.len(), 1, "one reset email in ten minutes");
    assert!(sink.to("nobody@example.org").is_empty());
    let reset = resets[0].link(&format!("{}/password/", app.base)).trim_start_matches(&app.base).to_string();

    // An hour later the link has expired; a new one works and ends the old session.
    let api = app.api_of("ana@example.org").await;
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
    app.clock.advance(time::Duration::minutes(61));
    assert_eq!(visitor.get(&reset).await.status(), StatusCode::NOT_FOUND, "expired");
    ask(&visitor, "ana@example.org").await;
    app.outbox.drain().await.unwrap();
    let fresh = sink
        .to("ana@example.org")
        .into_iter()
        .filter(|m| m.subject() == "Set a new focusboard password")
        .map(|m| m.link(&format!("{}/password/", app.base)).trim_start_matches(&app.base).to_string())
        .find(|l| *l != reset)
        .expect("a second reset link");
    let res = visitor
        .submit(&fresh, &fresh, &[("password", "quiet river stones"), ("password_again", "quiet river stones")])
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "a new password ends the old token");
    assert!(ana.get("/boards").await.url().path().starts_with("/login"), "and the old session");
    let ana = app.browser();
    ana.login("ana@example.org", "quiet river stones").await;

    // Disabled: the session and the token stop at once; enabled, she signs in afresh.
    let api = app.api_of("ana@example.org").await;
    let staff = admin.get_ok("/admin/staff").await;
    let ana_user = app
        .with_db(|conn, _| Ok(focusboard::db::users::find_by_email(conn, "ana@example.org")?.expect("ana").id))
        .await;
    let ana_id = format!("/admin/staff/{ana_user}/disable");
    assert!(staff.contains(&format!("action=\"{ana_id}\"")), "{staff}");
    let res = admin.submit("/admin/staff", &ana_id, &[]).await;
    assert!(res.text().await.unwrap().contains("ana@example.org is disabled"));
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::UNAUTHORIZED, "the token stopped");
    assert!(ana.get("/boards").await.url().path().starts_with("/login"), "the session stopped");
    ask(&visitor, "ana@example.org").await;
    app.clock.advance(time::Duration::minutes(11));
    ask(&visitor, "ana@example.org").await;
    let before = sink.to("ana@example.org").len();
    app.outbox.drain().await.unwrap();
    assert_eq!(sink.to("ana@example.org").len(), before, "no reset link for a disabled account");
    let res = admin.submit("/admin/staff", &ana_id.replace("/disable", "/enable"), &[]).await;
    assert!(res.text().await.unwrap().contains("ana@example.org can sign in again"));
    app.browser().login("ana@example.org", "quiet river stones").await;

    // Staff rename themselves; an empty name comes back on the form.
    let res = moderator.submit("/account", "/account/name", &[("name", " ")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = moderator.submit("/account", "/account/name", &[("name", "Mo Derator")]).await;
    assert!(res.text().await.unwrap().contains("Mo Derator &lt;mod@example.org&gt;"));
    assert!(admin.get_ok("/admin/staff").await.contains("Mo Derator"));

    // An administrator cannot disable themselves; a moderator cannot disable anyone.
    let staff = admin.get_ok("/admin/staff").await;
    assert!(!staff.contains("Disable Root"), "no button for oneself");
    let res = moderator.submit("/boards", &ana_id, &[]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

async fn ask(visitor: &Browser, email: &str) -> reqwest::Response {
    visitor.submit("/password/forgot", "/password/forgot", &[("email", email)]).await
}

/// The board page changes a staff member's role and takes it away; access follows at once; the
/// board always keeps a moderator.
async fn roles_on_a_board_change_and_end_from_its_page(backend: Backend) {
    let app = spawn(backend).await;
    let s = app.board_with_question("mod@example.org", "open", &[]).await;
    app.create_user("ana@example.org", false).await;
    let moderator = app.signed_in("mod@example.org").await;
    let board = format!("/boards/{}", s.board);
    let members = format!("{board}/members");
    let res = moderator.submit(&board, &members, &[("email", "ana@example.org"), ("role", "analyst")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let ana = app.signed_in("ana@example.org").await;
    assert_eq!(ana.get(&format!("{board}/analysis")).await.status(), StatusCode::OK, "an analyst analyses");

    // Changed to observer from her line on the board page: no more analysis.
    let page = moderator.get_ok(&board).await;
    assert!(page.contains("Remove ana@example.org"), "{page}");
    let role = format!("{members}/role");
    let res = moderator.submit(&board, &role, &[("email", "ana@example.org"), ("role", "observer")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(ana.get(&format!("{board}/analysis")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(ana.get(&board).await.status(), StatusCode::OK, "an observer reads");

    // Removed: the board is gone for her, with her next request.
    let res = moderator.submit(&board, &format!("{members}/remove"), &[("email", "ana@example.org")]).await;
    assert!(res.text().await.unwrap().contains("ana@example.org no longer has a role on this board"));
    assert_eq!(ana.get(&board).await.status(), StatusCode::NOT_FOUND);

    // The last moderator stays: neither removed nor demoted.
    let res = moderator.submit(&board, &format!("{members}/remove"), &[("email", "mod@example.org")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert!(res.text().await.unwrap().contains("A board needs a moderator"));
    let res = moderator.submit(&board, &role, &[("email", "mod@example.org"), ("role", "observer")]).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(moderator.get(&format!("{board}/settings")).await.status(), StatusCode::OK, "still the moderator");
    // The API takes a role away the same way, and keeps the last moderator too.
    let m = app.api_of("mod@example.org").await;
    m.put(&format!("/api/v1{members}"), serde_json::json!({"email": "ana@example.org", "role": "analyst"})).await;
    assert_eq!(m.delete(&format!("/api/v1{members}/ana@example.org")).await, StatusCode::NO_CONTENT);
    assert_eq!(m.delete(&format!("/api/v1{members}/ana@example.org")).await, StatusCode::NOT_FOUND);
    assert_eq!(m.delete(&format!("/api/v1{members}/mod@example.org")).await, StatusCode::CONFLICT);
    // Only the board's moderators change roles.
    let res = ana.submit("/boards", &members, &[("email", "ana@example.org"), ("role", "moderator")]).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
