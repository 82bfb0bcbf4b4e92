use clap::Parser;
use focusboard::cli::{Cli, Command, EmailCommand, ServeArgs, TokenCommand, UserCommand};
use focusboard::config::Settings;
use focusboard::{db, demo, service, startup, telemetry};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("focusboard: {e:#}");
        std::process::exit(1);
    }
}

async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    telemetry::init(&settings.log, &settings.log_format);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, args).await,
        Command::Migrate => {
            let db = db::Db::connect(&settings.database_url, 1)?;
            let applied = db.migrate()?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::Backup(args) => {
            println!("{}", focusboard::backup::backup(&settings, &args.output)?);
            Ok(())
        }
        Command::Restore(args) => {
            println!("{}", focusboard::backup::restore(&settings, &args.input)?);
            Ok(())
        }
        Command::Purge => {
            let (db, ctx) = startup::prepare(&settings, startup::system_clock())?;
            let reports = db.run(move |conn| service::withdrawal::purge(conn, &ctx, false)).await?;
            if reports.is_empty() {
                println!("Nothing to purge: no archived board is past its retention date with identities left.");
            }
            for r in reports {
                println!("{} ({}): {} participants erased", r.title, r.board_id, r.participants_erased);
            }
            Ok(())
        }
        Command::Demo(args) => {
            let (db, ctx) = startup::prepare(&settings, startup::system_clock())?;
            print!("{}", demo::seed(&db, &ctx, args.new_password).await?);
            Ok(())
        }
        Command::Export(args) => {
            use focusboard::export::{self, ExportOptions, Format};
            let (db, _) = startup::prepare(&settings, startup::system_clock())?;
            let options = ExportOptions {
                include_hidden: args.include_hidden,
                include_private: args.include_private,
                include_moderators: args.include_moderators,
                redact: args.redact.clone(),
            };
            let format = Format::parse(&args.format).map_err(|e| anyhow::anyhow!("{e}"))?;
            let (board, output) = (args.board.clone(), args.output.clone());
            db.run(move |conn| {
                let acc = export::command_line_access(conn, &board.as_str().into())?;
                match &output {
                    Some(path) => {
                        let file = std::fs::File::create(path).map_err(export::io_error)?;
                        export::write(conn, &acc, format, &options, file)?;
                        eprintln!("Wrote the {} export to {}", format.name(), path.display());
                    }
                    // Standard output cannot seek, which the ZIP formats need: go through a temporary file.
                    None => {
                        let mut file = export::to_temp_file(conn, &acc, format, &options)?;
                        std::io::copy(&mut file, &mut std::io::stdout().lock()).map_err(export::io_error)?;
                    }
                }
                Ok(())
            })
            .await?;
            Ok(())
        }
        Command::Email(EmailCommand::Test { to }) => {
            let mailer = focusboard::email::transport::Mailer::from_settings(&settings)?;
            let from = focusboard::email::transport::sender(&settings)?;
            match mailer.send_test(&from, &to, settings.base()).await {
                Ok(what) => {
                    println!("Test message to {to}: {what}");
                    Ok(())
                }
                Err(e) => anyhow::bail!("the test message to {to} could not be sent: {e}"),
            }
        }
        Command::User(UserCommand::Disable(args)) => set_disabled(&settings, args.email, true).await,
        Command::User(UserCommand::Enable(args)) => set_disabled(&settings, args.email, false).await,
        Command::User(UserCommand::ResetPassword(args)) => {
            let (db, ctx) = startup::prepare(&settings, startup::system_clock())?;
            let generated = args.password.is_none();
            let password = args.password.unwrap_or_else(demo::generate_password);
            let (email, pw) = (args.email, password.clone());
            let user = db
                .run(move |conn| {
                    let user = db::users::find_by_email(conn, &email.trim().to_lowercase())?.ok_or_else(|| {
                        focusboard::error::AppError::NotFound(format!("There is no account for {email}."))
                    })?;
                    service::accounts::set_password(conn, &ctx, &user, &pw)?;
                    Ok(user)
                })
                .await?;
            println!("New password set for {} <{}>; their sessions and API tokens have ended.", user.name, user.email);
            if generated {
                println!("Password: {password}");
            }
            Ok(())
        }
        Command::Token(TokenCommand::Create(args)) => {
            let (db, ctx) = startup::prepare(&settings, startup::system_clock())?;
            let email = args.email;
            let input = service::accounts::TokenInput {
                name: args.name,
                days: args.days.map(serde_json::Value::from),
                read_only: args.read_only.then_some(serde_json::Value::Bool(true)),
            };
            let token = db
                .run(move |conn| {
                    let user = db::users::find_by_email(conn, &email.trim().to_lowercase())?
                        .filter(|u| u.disabled_at.is_none())
                        .ok_or_else(|| {
                            focusboard::error::AppError::NotFound(format!("There is no enabled account for {email}."))
                        })?;
                    service::accounts::create_token(conn, &ctx, &user, &input)
                })
                .await?;
            println!("{}", token.token);
            Ok(())
        }
        Command::User(UserCommand::BoardCreation(args)) => {
            let (db, ctx) = startup::prepare(&settings, startup::system_clock())?;
            let (email, allow) = (args.email, args.allow);
            let user = db.run(move |conn| service::accounts::set_board_creation(conn, &ctx, &email, allow)).await?;
            println!(
                "{} <{}> {} create boards.",
                user.name,
                user.email,
                if allow { "may now" } else { "may no longer" }
            );
            Ok(())
        }
        Command::User(UserCommand::Create(args)) => {
            let (db, ctx) = startup::prepare(&settings, startup::system_clock())?;
            let generated = args.password.is_none();
            let password = args.password.unwrap_or_else(demo::generate_password);
            let (email, name, admin, creates) = (args.email, args.name, args.admin, !args.no_board_creation);
            let pw = password.clone();
            let role = args.board.zip(args.role);
            let (user, given) = db
                .run(move |conn| {
                    focusboard::db::transaction(conn, |conn| {
                        let user = service::accounts::create_user_with(conn, &ctx, &email, &name, &pw, admin, creates)?;
                        // The role comes with the account, or neither is made.
                        let given = match role {
                            Some((board, role)) => {
                                let input = service::boards::MemberInput { email: user.email.clone(), role };
                                let m = service::boards::set_member(
                                    conn,
                                    &ctx,
                                    &service::Actor::System,
                                    &board.into(),
                                    &input,
                                )?;
                                Some(m.role)
                            }
                            None => None,
                        };
                        Ok((user, given))
                    })
                })
                .await?;
            let kind = match (user.is_admin, user.can_create_boards) {
                (true, _) => "administrator",
                (false, true) => "moderator",
                (false, false) => "staff member (added to boards by their moderators)",
            };
            println!("Created {kind} {} <{}>.", user.name, user.email);
            if let Some(role) = given {
                println!("On the board they are {}.", role.label());
            }
            if generated {
                println!("Password: {password}");
            }
            println!("Sign in at {}/login", settings.base());
            Ok(())
        }
    }
}

async fn set_disabled(settings: &Settings, email: String, disable: bool) -> anyhow::Result<()> {
    let (db, ctx) = startup::prepare(settings, startup::system_clock())?;
    let user = db.run(move |conn| service::accounts::set_disabled(conn, &ctx, &email, disable)).await?;
    println!("{} {} <{}>.", if disable { "Disabled" } else { "Enabled" }, user.name, user.email);
    Ok(())
}

async fn serve(settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    let app = startup::Application::build(settings.clone(), startup::system_clock(), !args.web_only)?;
    let demo = match args.demo {
        true => Some(demo::seed(&app.db, &app.ctx, args.new_demo_password).await?),
        false => None,
    };
    let users = app.db.run(|conn| Ok(db::users::count(conn)?)).await?;
    if users == 0 {
        println!("No accounts yet. Create an administrator with:\n  focusboard user create --admin --email you@example.org --name \"Your Name\"");
    }
    // Printed with the port actually bound, so that a `bind` at port 0 can be found.
    println!("focusboard is listening on {} (open {})", app.address(), settings.base());
    // The demo's block comes last, where a newcomer looks: where to go and how to sign in.
    if let Some(block) = demo {
        print!("{block}");
    }
    app.run_until_stopped().await
}
