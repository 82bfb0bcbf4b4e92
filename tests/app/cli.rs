//! The `focusboard` binary: help for every subcommand, creating accounts, and the demo board.

use crate::helpers::listening_port;
use std::process::Command;

fn focusboard(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .args(args)
        .env("FOCUSBOARD_DATABASE_URL", dir.join("cli.db"))
        .env("FOCUSBOARD_DATA_DIR", dir)
        .env("FOCUSBOARD_BASE_URL", "http://127.0.0.1:9999")
        .env("FOCUSBOARD_LOG", "warn")
        .output()
        .expect("run focusboard");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn every_subcommand_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["demo", "--help"],
        vec!["user", "create", "--help"],
        vec!["email", "test", "--help"],
        vec!["export", "--help"],
        vec!["backup", "--help"],
        vec!["restore", "--help"],
        vec!["user", "disable", "--help"],
        vec!["user", "reset-password", "--help"],
        vec!["token", "create", "--help"],
        vec!["purge", "--help"],
    ] {
        let (ok, out) = focusboard(dir.path(), &args);
        assert!(ok && out.contains("Usage: focusboard"), "{args:?}: {out}");
    }
}

#[test]
fn user_create_migrate_and_demo() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) =
        focusboard(dir.path(), &["user", "create", "--admin", "--email", "Admin@Example.org", "--name", "Admin"]);
    assert!(ok, "{out}");
    assert!(out.contains("Created administrator Admin <admin@example.org>") && out.contains("Password: "));
    let (ok, out) = focusboard(dir.path(), &["user", "create", "--email", "admin@example.org", "--name", "Again"]);
    assert!(!ok && out.contains("already exists"), "{out}");
    // Board creation is a permission an administrator gives and takes back.
    let (ok, out) = focusboard(
        dir.path(),
        &["user", "create", "--no-board-creation", "--email", "obs@example.org", "--name", "Obs"],
    );
    assert!(ok && out.contains("staff member"), "{out}");
    let (ok, out) = focusboard(dir.path(), &["user", "board-creation", "--email", "obs@example.org", "--allow"]);
    assert!(ok && out.contains("may now create boards"), "{out}");
    let (ok, out) = focusboard(dir.path(), &["user", "board-creation", "--email", "obs@example.org"]);
    assert!(!ok, "--allow or --deny is required: {out}");
    let (ok, out) = focusboard(dir.path(), &["migrate"]);
    assert!(ok && out.contains("0 migration(s) applied"), "{out}");
    let (ok, out) = focusboard(dir.path(), &["demo"]);
    assert!(ok, "{out}");
    assert!(out.contains("moderator@example.org") && out.contains("password: "));
    assert_eq!(out.matches("http://127.0.0.1:9999/p/").count(), 2, "two participant links: {out}");
    // Running it again does not duplicate the board.
    let (ok, again) = focusboard(dir.path(), &["demo"]);
    assert!(ok && again.contains("as printed when it was made") && again.contains("--new-password"), "{again}");
    assert_eq!(again.matches("/p/").count(), 2, "the same board: {again}");
    // A forgotten password: a new one is made and printed.
    let password =
        |out: &str| out.split("password: ").nth(1).map(|p| p.split_whitespace().next().unwrap_or("").to_string());
    let (ok, renewed) = focusboard(dir.path(), &["demo", "--new-password"]);
    assert!(ok, "{renewed}");
    let (first, second) = (password(&out).unwrap(), password(&renewed).unwrap());
    assert!(second.len() >= 10 && second != first, "{renewed}");
    // Without SMTP, messages are .eml files named so that a listing reads: time, kind, recipient.
    let (ok, sent) = focusboard(dir.path(), &["email", "test", "--to", "Ann.Lee+test@example.org"]);
    assert!(ok, "{sent}");
    let names: Vec<String> = std::fs::read_dir(dir.path().join("mail"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    let name = &names[0];
    assert!(name.contains("-test-Ann.Lee_test@example.org-") && name.ends_with(".eml"), "{name}");
    assert!(
        name[..8].chars().all(|c| c.is_ascii_digit()) && name.as_bytes()[8] == b'-',
        "starts with the date: {name}"
    );
    assert!(sent.contains(name.as_str()), "the command says where: {sent}");
    let bad = Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .arg("migrate")
        .env("FOCUSBOARD_CONFIG", dir.path().join("missing.toml"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a readable file"));
}

#[test]
fn email_test_sends_through_the_configured_server() {
    let sink = crate::helpers::SmtpSink::start();
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .args(["email", "test", "--to", "admin@example.org"])
        .env("FOCUSBOARD_DATABASE_URL", dir.path().join("cli.db"))
        .env("FOCUSBOARD_DATA_DIR", dir.path())
        .env("FOCUSBOARD_SMTP_URL", sink.url())
        .env("FOCUSBOARD_MAIL_FROM", "board@focusboard.test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("accepted: 250"));
    let received = sink.to("admin@example.org");
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].subject(), "focusboard: test message");
    // A refusing server is reported, with a failing exit code.
    let out = Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .args(["email", "test", "--to", "bounce@example.org"])
        .env("FOCUSBOARD_DATABASE_URL", dir.path().join("cli.db"))
        .env("FOCUSBOARD_DATA_DIR", dir.path())
        .env("FOCUSBOARD_SMTP_URL", sink.url())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("550"));
}

/// SIGTERM: the instance reports itself unhealthy and keeps answering for the drain time,
/// closing each connection after its answer, then stops; no request gets a dropped connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_without_dropping_requests() {
    let dir = tempfile::tempdir().unwrap();
    // Port 0: the system picks a free port, and the server prints the one it bound.
    let mut child = Command::new(env!("CARGO_BIN_EXE_focusboard"))
        .arg("serve")
        .env("FOCUSBOARD_DATABASE_URL", dir.path().join("serve.db"))
        .env("FOCUSBOARD_DATA_DIR", dir.path())
        .env("FOCUSBOARD_BIND", "127.0.0.1:0")
        .env("FOCUSBOARD_SHUTDOWN_DRAIN_SECS", "2")
        .env("FOCUSBOARD_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start focusboard serve");
    let port = listening_port(child.stdout.take().expect("stdout"));
    let url = format!("http://127.0.0.1:{port}/healthz");
    let started = std::time::Instant::now();
    while reqwest::get(&url).await.map(|r| r.status().as_u16()).unwrap_or(0) != 200 {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "the server did not start");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Sixteen clients, each on its own kept-alive connection, ask until they are told 503,
    // as a load balancer's health checks and the traffic behind them would.
    let clients = (0..16).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let client = reqwest::Client::new();
            let (mut answered, mut dropped) = (0, 0);
            loop {
                match client.get(&url).send().await {
                    Ok(r) if r.status() == 503 => return (answered + 1, dropped, true),
                    Ok(_) => answered += 1,
                    Err(_) => {
                        dropped += 1;
                        return (answered, dropped, false);
                    }
                }
            }
        })
    });
    let clients: Vec<_> = clients.collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success());
    for c in clients {
        let (answered, dropped, told) = c.await.unwrap();
        assert!(answered > 0 && dropped == 0 && told, "answered {answered}, dropped {dropped}, told to go {told}");
    }
    let waited = std::time::Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "exits cleanly: {status}");
            break;
        }
        assert!(waited.elapsed() < std::time::Duration::from_secs(30), "stops after draining");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// `token create` prints a token scripts can use; `user reset-password` prints a new password
/// that signs in, and ends the account's tokens.
#[tokio::test]
async fn tokens_and_password_resets_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = focusboard(dir.path(), &["user", "create", "--email", "ops@example.org", "--name", "Ops"]);
    assert!(ok, "{out}");
    let (ok, token) =
        focusboard(dir.path(), &["token", "create", "--email", "ops@example.org", "--name", "nightly export"]);
    assert!(ok, "{token}");
    let (ok, out) = focusboard(dir.path(), &["token", "create", "--email", "nobody@example.org", "--name", "x"]);
    assert!(!ok && out.contains("There is no enabled account for nobody@example.org"), "{out}");
    let url = dir.path().join("cli.db").to_string_lossy().into_owned();
    let app = crate::helpers::spawn_on(url, dir, |_| {}).await;
    let api = app.api(token.trim());
    assert_eq!(api.get("/api/v1/me").await.0, reqwest::StatusCode::OK, "the printed token works");
    let (ok, out) = focusboard(app._dir.path(), &["user", "reset-password", "--email", "OPS@example.org"]);
    assert!(ok && out.contains("New password set for Ops <ops@example.org>"), "{out}");
    let password = out.lines().find_map(|l| l.strip_prefix("Password: ")).expect("the new password").to_string();
    assert_eq!(api.get("/api/v1/me").await.0, reqwest::StatusCode::UNAUTHORIZED, "its tokens ended");
    app.browser().login("ops@example.org", &password).await;

    // An account can be made with its role on a board; a board that does not exist makes no
    // account either.
    let (ok, out) = focusboard(
        app._dir.path(),
        &["user", "create", "--email", "ana@example.org", "--name", "Ana", "--board", "nosuch", "--role", "analyst"],
    );
    assert!(!ok, "{out}");
    let (ok, out) = focusboard(
        app._dir.path(),
        &["user", "create", "--email", "ana@example.org", "--name", "Ana", "--role", "analyst"],
    );
    assert!(!ok && out.contains("--board"), "a role needs its board: {out}");
    let s = app.board_with_question("ops@example.org", "open", &[]).await;
    let board = s.board.to_string();
    let (ok, out) = focusboard(
        app._dir.path(),
        &["user", "create", "--email", "ana@example.org", "--name", "Ana", "--board", &board, "--role", "analyst"],
    );
    assert!(ok && out.contains("On the board they are Analyst."), "{out}");
    let (_, view) = app.api_of("ana@example.org").await.get(&format!("/api/v1/boards/{board}")).await;
    assert_eq!(view["your_role"], "analyst", "{view}");
}

/// `focusboard purge` leaves a board that is not archived alone, even past its retention date,
/// and erases the identities of an archived one, saying what it did.
#[test]
fn purge_touches_only_archived_boards_past_their_date() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = focusboard(dir.path(), &["demo"]);
    assert!(ok, "{out}");
    let url = dir.path().join("cli.db").to_string_lossy().to_string();
    let names = |url: &str| -> Vec<String> {
        let db = focusboard::db::Db::connect(url, 1).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(db.run(|conn| {
            let board = focusboard::db::boards::all(conn)?.remove(0);
            Ok(focusboard::db::participants::of_board(conn, &board.id)?.into_iter().map(|p| p.name).collect())
        }))
        .unwrap()
    };
    let set = |url: &str, state: &str| {
        let db = focusboard::db::Db::connect(url, 1).unwrap();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let state = focusboard::domain::roles::BoardState::parse(state).unwrap();
        rt.block_on(db.run(move |conn| {
            let mut board = focusboard::db::boards::all(conn)?.remove(0);
            board.state = state;
            board.retain_until = Some(time::macros::date!(2020 - 01 - 31));
            focusboard::db::boards::update(conn, &board)?;
            Ok(())
        }))
        .unwrap()
    };
    set(&url, "closed");
    let (ok, out) = focusboard(dir.path(), &["purge"]);
    assert!(ok && out.contains("Nothing to purge"), "{out}");
    assert!(names(&url).iter().any(|n| n == "Ann Lee"), "a closed board keeps its participants' names");

    set(&url, "archived");
    let (ok, out) = focusboard(dir.path(), &["purge"]);
    assert!(ok && out.contains("8 participants erased"), "{out}");
    assert!(names(&url).iter().all(String::is_empty), "{:?}", names(&url));
    let (ok, out) = focusboard(dir.path(), &["purge"]);
    assert!(ok && out.contains("Nothing to purge"), "a second run finds nothing: {out}");
}
