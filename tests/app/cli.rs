//! The `focusboard` binary: help for every subcommand, creating accounts, and the demo board.

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
    for args in [vec!["--help"], vec!["serve", "--help"], vec!["migrate", "--help"], vec!["demo", "--help"], vec!["user", "create", "--help"], vec!["email", "test", "--help"], vec!["export", "--help"], vec!["backup", "--help"], vec!["restore", "--help"], vec!["user", "disable", "--help"]] {
        let (ok, out) = focusboard(dir.path(), &args);
        assert!(ok && out.contains("Usage: focusboard"), "{args:?}: {out}");
    }
}

#[test]
fn user_create_migrate_and_demo() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = focusboard(dir.path(), &["user", "create", "--admin", "--email", "Admin@Example.org", "--name", "Admin"]);
    assert!(ok, "{out}");
    assert!(out.contains("Created administrator Admin <admin@example.org>") && out.contains("Password: "));
    let (ok, out) = focusboard(dir.path(), &["user", "create", "--email", "admin@example.org", "--name", "Again"]);
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = focusboard(dir.path(), &["migrate"]);
    assert!(ok && out.contains("0 migration(s) applied"), "{out}");
    let (ok, out) = focusboard(dir.path(), &["demo"]);
    assert!(ok, "{out}");
    assert!(out.contains("moderator@example.org") && out.contains("password: "));
    assert_eq!(out.matches("http://127.0.0.1:9999/p/").count(), 2, "two participant links: {out}");
    // Running it again does not duplicate the board.
    let (ok, again) = focusboard(dir.path(), &["demo"]);
    assert!(ok && again.contains("as printed when the demo was first created"));
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
