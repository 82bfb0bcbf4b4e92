//! Sending one message with lettre: over pooled SMTP connections, or as an .eml file in a
//! folder when no SMTP server is configured.

use crate::config::Settings;
use crate::db::models::OutboxMessage;
use crate::domain::email::EmailKind;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::path::{Path, PathBuf};

pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// A folder of .eml files, named so that a listing reads in order: time, kind, recipient.
    Files(PathBuf),
}

/// Writes a message as `<folder>/<UTC time>-<kind>-<recipient>-<random>.eml` (the random part
/// keeps two messages of one second to one recipient apart); returns the file's name.
async fn write_eml(dir: &Path, kind: &str, recipient: &str, email: &Message) -> std::io::Result<String> {
    let now = time::OffsetDateTime::now_utc();
    let safe = |s: &str| -> String {
        s.chars().map(|c| if c.is_ascii_alphanumeric() || "@._-".contains(c) { c } else { '_' }).collect()
    };
    let unique = uuid::Uuid::new_v4().simple().to_string();
    let name = format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}-{}-{}-{}.eml",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        safe(kind),
        safe(recipient),
        &unique[..8]
    );
    tokio::fs::write(dir.join(&name), email.formatted()).await?;
    Ok(name)
}

/// Why an attempt failed, and whether trying again could help.
#[derive(Debug)]
pub struct SendError {
    pub permanent: bool,
    pub message: String,
}

impl Mailer {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        if settings.smtp_url.trim().is_empty() {
            let dir = if settings.mail_dir.as_os_str().is_empty() {
                settings.data_dir.join("mail")
            } else {
                settings.mail_dir.clone()
            };
            std::fs::create_dir_all(&dir)?;
            tracing::info!(folder = %dir.display(), "no smtp_url set: emails are written as .eml files to this folder");
            return Ok(Mailer::Files(dir));
        }
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.trim())
            .map_err(|e| {
                anyhow::anyhow!(
                    "smtp_url is not usable ({e}). Write it as smtp://host:587?tls=required (STARTTLS), \
                     smtps://host:465 (TLS from the start) or smtp://host:25 (no encryption, for a relay \
                     on this machine), with user:password@ before the host if the server wants a sign-in \
                     (percent-encode @ and : in them); leave it empty to write emails as .eml files"
                )
            })?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .pool_config(lettre::transport::smtp::PoolConfig::new().max_size(settings.smtp_connections))
            .build();
        Ok(Mailer::Smtp(transport))
    }

    /// Sends one message; the result says whether a failure is worth retrying.
    pub async fn send(&self, from: &Mailbox, m: &OutboxMessage) -> Result<(), SendError> {
        let email = build(from, m).map_err(|message| SendError { permanent: true, message })?;
        match self {
            Mailer::Smtp(t) => t
                .send(email)
                .await
                .map(drop)
                .map_err(|e| SendError { permanent: e.is_permanent(), message: e.to_string() }),
            Mailer::Files(dir) => write_eml(dir, m.kind.as_str(), &m.recipient, &email)
                .await
                .map(drop)
                .map_err(|e| SendError { permanent: false, message: e.to_string() }),
        }
    }

    /// Checks the settings by sending a plain test message at once (not through the outbox).
    pub async fn send_test(&self, from: &Mailbox, to: &str, base_url: &str) -> Result<String, String> {
        let recipient = to.to_string();
        let to: Mailbox = to.parse().map_err(|e| format!("{to:?} is not an email address: {e}"))?;
        let email = Message::builder()
            .from(from.clone())
            .to(to)
            .subject("focusboard: test message")
            .header(ContentType::TEXT_PLAIN)
            .body(format!(
                "This is a test message from the focusboard at {base_url}.\nIf you can read it, email is set up.\n"
            ))
            .map_err(|e| e.to_string())?;
        match self {
            Mailer::Smtp(t) => {
                t.send(email).await.map(|r| format!("accepted: {}", r.code())).map_err(|e| e.to_string())
            }
            Mailer::Files(dir) => write_eml(dir, "test", &recipient, &email)
                .await
                .map(|name| format!("written to {}", dir.join(name).display()))
                .map_err(|e| e.to_string()),
        }
    }
}

fn build(from: &Mailbox, m: &OutboxMessage) -> Result<Message, String> {
    let to: Mailbox = m.recipient.parse().map_err(|e| format!("the address {:?} is not valid: {e}", m.recipient))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&m.subject)
        .message_id(Some(m.message_id.clone()))
        .date_now();
    if let Some(reply_to) = &m.reply_to {
        // Replies go to the address with this message's reply key, under the board's name.
        let address = reply_to.parse().map_err(|e| format!("the reply address {reply_to:?} is not valid: {e}"))?;
        builder = builder.reply_to(Mailbox::new(from.name.clone(), address));
    }
    // RFC 3834: out-of-office responders do not answer generated mail, and a note about a reply
    // by email says it answers one, so two programs never write to each other in a loop.
    let auto = if m.kind == EmailKind::ReplyByEmail { "auto-replied" } else { "auto-generated" };
    builder = builder.header(AutoSubmitted(auto.into()));
    if let Some(url) = &m.unsubscribe_url {
        // RFC 8058: one click in the mail program unsubscribes, by a POST to this address.
        builder = builder
            .header(ListUnsubscribe(format!("<{url}>")))
            .header(ListUnsubscribePost("List-Unsubscribe=One-Click".into()));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(m.body_text.clone(), m.body_html.clone()))
        .map_err(|e| e.to_string())
}

macro_rules! text_header {
    ($name:ident, $text:literal) => {
        #[derive(Debug, Clone)]
        struct $name(String);

        impl Header for $name {
            fn name() -> HeaderName {
                HeaderName::new_from_ascii_str($text)
            }
            fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(Self(s.to_string()))
            }
            fn display(&self) -> HeaderValue {
                HeaderValue::new(Self::name(), self.0.clone())
            }
        }
    };
}

text_header!(ListUnsubscribe, "List-Unsubscribe");
text_header!(ListUnsubscribePost, "List-Unsubscribe-Post");
text_header!(AutoSubmitted, "Auto-Submitted");

pub fn sender(settings: &Settings) -> anyhow::Result<Mailbox> {
    let address = settings.mail_from.parse().map_err(|e| anyhow::anyhow!("mail_from: {e}"))?;
    Ok(Mailbox::new(Some(settings.mail_from_name.clone()), address))
}
