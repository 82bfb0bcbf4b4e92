//! The command line: `focusboard [serve|migrate|demo|user|email|token|export|backup|restore|purge]`.

use clap::{Args, Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(name = "focusboard", version, about = "Asynchronous online focus groups run as a staged bulletin board")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the pages, the API and the scheduler (the default).
    Serve(ServeArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Add a demo board shaped like a real three-stage consultation, and print sign-in links.
    Demo(DemoArgs),
    /// Manage staff accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Check the email settings.
    #[command(subcommand)]
    Email(EmailCommand),
    /// API tokens for scripts.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Export a board for analysis, with pseudonymous participant ids.
    Export(ExportArgs),
    /// Write a consistent backup of the SQLite database (images included) and the session key,
    /// safe while the server runs.
    Backup(BackupArgs),
    /// Restore a backup into an empty data folder.
    Restore(RestoreArgs),
    /// Erase every participant's name, email, screen name and sign-in link on archived boards
    /// past their retention date, keeping the pseudonymised posts, votes, attributes and
    /// codings; prints what it did. Boards that are not archived are never touched.
    Purge,
}

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The backup file to write (a ZIP).
    #[arg(long)]
    pub output: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file written by `focusboard backup`.
    #[arg(long)]
    pub input: std::path::PathBuf,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The board's id (shown in its address: /boards/<id>).
    #[arg(long)]
    pub board: String,
    /// csv or xlsx (one row per reply), json (the whole board), docx (transcript by question),
    /// docx-participants (transcript by participant), quotes (CSV), qdc (the codebook) or qdpx
    /// (a REFI-QDA project for NVivo, ATLAS.ti and MAXQDA).
    #[arg(long, default_value = "csv")]
    pub format: String,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub output: Option<std::path::PathBuf>,
    #[arg(long)]
    pub include_hidden: bool,
    #[arg(long)]
    pub include_private: bool,
    #[arg(long)]
    pub include_moderators: bool,
    /// Names to redact from texts, comma separated.
    #[arg(long)]
    pub redact: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum EmailCommand {
    /// Send a test message at once with the configured SMTP server (or .eml folder).
    Test {
        /// Where to send it.
        #[arg(long)]
        to: String,
    },
}

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Add the demo board first if the database has none, and print its sign-in links.
    #[arg(long)]
    pub demo: bool,
    /// With --demo: give the demo moderator a new password and print it (it is printed only
    /// when made).
    #[arg(long, requires = "demo")]
    pub new_demo_password: bool,
    /// Serve pages and the API only: no release scheduler and no outbox worker in this
    /// instance (others sharing the database run them).
    #[arg(long)]
    pub web_only: bool,
}

#[derive(Args, Debug)]
pub struct DemoArgs {
    /// Give the demo moderator a new password and print it (it is printed only when made).
    #[arg(long)]
    pub new_password: bool,
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create an administrator or moderator account.
    Create(CreateUser),
    /// Disable an account: it cannot sign in, and its sessions and API tokens end at once.
    Disable(UserEmail),
    /// Enable a disabled account again (it signs in afresh; old sessions and tokens stay ended).
    Enable(UserEmail),
    /// Give an account a new password (printed, or read from FOCUSBOARD_NEW_PASSWORD); its
    /// sessions and API tokens end.
    ResetPassword(ResetPasswordArgs),
    /// Let a staff account create boards of its own, or stop it (administrators always can).
    BoardCreation(BoardCreationArgs),
}

#[derive(Args, Debug)]
pub struct BoardCreationArgs {
    #[arg(long)]
    pub email: String,
    /// Allow it.
    #[arg(long, required_unless_present = "deny", conflicts_with = "deny")]
    pub allow: bool,
    /// Stop it.
    #[arg(long)]
    pub deny: bool,
}

#[derive(Args, Debug)]
pub struct ResetPasswordArgs {
    #[arg(long)]
    pub email: String,
    #[arg(long, env = "FOCUSBOARD_NEW_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Create an API token for a staff account and print it (it is shown only here).
    Create(CreateToken),
}

#[derive(Args, Debug)]
pub struct CreateToken {
    /// The account the token acts as.
    #[arg(long)]
    pub email: String,
    /// What the token is for, as the account page lists it.
    #[arg(long)]
    pub name: String,
    /// Days it lasts (default 90).
    #[arg(long)]
    pub days: Option<u32>,
    /// It may read but not change anything.
    #[arg(long)]
    pub read_only: bool,
}

#[derive(Args, Debug)]
pub struct UserEmail {
    #[arg(long)]
    pub email: String,
}

#[derive(Args, Debug)]
pub struct CreateUser {
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub name: String,
    /// An administrator manages every board and the instance; without it, a moderator.
    #[arg(long)]
    pub admin: bool,
    /// A staff account that is added to boards (as observer, analyst or co-moderator) but does
    /// not create boards of its own.
    #[arg(long, conflicts_with = "admin")]
    pub no_board_creation: bool,
    /// The password; read from FOCUSBOARD_NEW_PASSWORD if set, otherwise one is generated and printed.
    #[arg(long, env = "FOCUSBOARD_NEW_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// A board to give the new account a role on (its id, from the board's address).
    #[arg(long, requires = "role")]
    pub board: Option<String>,
    /// The role on that board: moderator, co_moderator, observer or analyst.
    #[arg(long, requires = "board")]
    pub role: Option<String>,
}
