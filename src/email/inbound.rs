//! The inbox worker: reads the replies to the board's emails from an IMAP mailbox over TLS (or,
//! with no mailbox set, from .eml files dropped into a folder), hands each to
//! `service::inbound::receive`, and moves it out of the way once the database has it. The
//! database, not the mailbox, decides whether a message was handled: several instances may read
//! one mailbox, and a message read twice (a crash between the commit and the move) is posted
//! once.

use crate::config::Settings;
use crate::db::Db;
use crate::domain::email::InboundOutcome;
use crate::domain::inbound;
use crate::error::{AppError, AppResult};
use crate::service::{self, Ctx};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_rustls::rustls;

/// Messages read in one pass; the rest wait for the next.
const BATCH: usize = 50;
/// A connection that stops answering is dropped after this long.
const IMAP_TIMEOUT: Duration = Duration::from_secs(60);

/// Where mail comes from.
#[derive(Clone)]
enum Source {
    Imap(Arc<Mailbox>),
    Folder(PathBuf),
}

/// An IMAP mailbox reached over TLS from the first byte (imaps://).
struct Mailbox {
    host: String,
    port: u16,
    user: String,
    password: String,
    folder: String,
    done_folder: String,
    tls: tokio_rustls::TlsConnector,
}

#[derive(Clone)]
pub struct InboxWorker {
    db: Db,
    ctx: Ctx,
    source: Source,
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Polled {
    /// Messages read.
    pub read: usize,
    pub posted: usize,
    /// Left for a moderator on the board's email page.
    pub unmatched: usize,
    /// Handled before, by this instance or another.
    pub seen_before: usize,
}

impl InboxWorker {
    pub fn from_settings(settings: &Settings, db: Db, ctx: Ctx) -> anyhow::Result<Self> {
        let url = settings.imap_url.trim();
        let source = if url.is_empty() {
            let dir = settings.inbox_folder();
            std::fs::create_dir_all(dir.join("done"))?;
            tracing::info!(folder = %dir.display(), "no imap_url set: replies by email are read from .eml files dropped into this folder");
            Source::Folder(dir)
        } else {
            Source::Imap(Arc::new(Mailbox::from_settings(settings)?))
        };
        Ok(Self { db, ctx, source })
    }

    /// Reads what is waiting, once.
    pub async fn poll(&self) -> AppResult<Polled> {
        match &self.source {
            Source::Folder(dir) => self.poll_folder(dir).await,
            Source::Imap(mailbox) => tokio::time::timeout(IMAP_TIMEOUT * 5, self.poll_imap(mailbox))
                .await
                .map_err(|_| AppError::Internal(anyhow::anyhow!("reading the mailbox took too long")))?,
        }
    }

    /// Hands one message to the service; counts what became of it. `size` is set when only the
    /// header of a message too large to read was fetched.
    async fn handle(&self, raw: Vec<u8>, size: Option<u64>, polled: &mut Polled) -> AppResult<()> {
        polled.read += 1;
        let parsed = match size {
            Some(size) => inbound::parse_too_large(&raw, size),
            None => inbound::parse(&raw),
        };
        let Some(mail) = parsed else {
            tracing::warn!(bytes = raw.len(), "a message in the inbox could not be read as email; moved aside");
            return Ok(());
        };
        let ctx = self.ctx.clone();
        let received = self.db.run(move |conn| service::inbound::receive(conn, &ctx, &mail)).await?;
        match received {
            None => polled.seen_before += 1,
            Some(r) if r.outcome == InboundOutcome::Posted => polled.posted += 1,
            Some(r) => {
                tracing::info!(
                    reason = r.reason.as_deref().unwrap_or_default(),
                    "a reply by email waits for a moderator"
                );
                polled.unmatched += 1;
            }
        }
        Ok(())
    }

    async fn poll_folder(&self, dir: &std::path::Path) -> AppResult<Polled> {
        let mut polled = Polled::default();
        // Made again if someone removed it.
        std::fs::create_dir_all(dir.join("done"))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("making {}: {e}", dir.display())))?;
        let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("reading {}: {e}", dir.display())))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("eml")) && p.is_file())
            .collect();
        names.sort();
        for path in names.into_iter().take(BATCH) {
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let raw = match read_message(&path, size).await {
                Ok(raw) => raw,
                // Another instance moved it meanwhile.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(AppError::Internal(anyhow::anyhow!("reading {}: {e}", path.display()))),
            };
            self.handle(raw, (size > inbound::MAX_MESSAGE_BYTES).then_some(size), &mut polled).await?;
            // Only once the database has it; a file already moved by another instance is fine.
            if let Some(name) = path.file_name() {
                match tokio::fs::rename(&path, dir.join("done").join(name)).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(AppError::Internal(anyhow::anyhow!("moving {}: {e}", path.display()))),
                }
            }
        }
        Ok(polled)
    }

    async fn poll_imap(&self, mailbox: &Mailbox) -> AppResult<Polled> {
        let imap_err = |what: &str, e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("IMAP {what}: {e}"));
        let tcp = tokio::net::TcpStream::connect((mailbox.host.as_str(), mailbox.port))
            .await
            .map_err(|e| imap_err("connect", &e))?;
        let name =
            rustls::pki_types::ServerName::try_from(mailbox.host.clone()).map_err(|e| imap_err("host name", &e))?;
        let tls = mailbox.tls.connect(name, tcp).await.map_err(|e| imap_err("TLS", &e))?;
        let mut client = async_imap::Client::new(tls);
        client.read_response().await.map_err(|e| imap_err("greeting", &e))?;
        let mut session =
            client.login(&mailbox.user, &mailbox.password).await.map_err(|(e, _)| imap_err("login", &e))?;
        // The folder for what was read; it exists after the first pass.
        let _ = session.create(&mailbox.done_folder).await;
        session.select(&mailbox.folder).await.map_err(|e| imap_err("select", &e))?;
        let mut uids: Vec<u32> =
            session.uid_search("ALL").await.map_err(|e| imap_err("search", &e))?.into_iter().collect();
        uids.sort_unstable();
        let mut polled = Polled::default();
        for uid in uids.into_iter().take(BATCH) {
            use futures_util::TryStreamExt;
            // The size first: a message too large to be a reply is read by its header only.
            let sizes = session.uid_fetch(uid.to_string(), "RFC822.SIZE").await.map_err(|e| imap_err("fetch", &e))?;
            let sizes: Vec<async_imap::types::Fetch> = sizes.try_collect().await.map_err(|e| imap_err("fetch", &e))?;
            // Gone meanwhile: another instance moved it.
            let Some(size) = sizes.iter().find_map(|f| f.size).map(u64::from) else { continue };
            let too_large = size > inbound::MAX_MESSAGE_BYTES;
            let query = if too_large { "BODY.PEEK[HEADER]" } else { "BODY.PEEK[]" };
            let fetches = session.uid_fetch(uid.to_string(), query).await.map_err(|e| imap_err("fetch", &e))?;
            let fetches: Vec<async_imap::types::Fetch> =
                fetches.try_collect().await.map_err(|e| imap_err("fetch", &e))?;
            let raw = fetches.iter().find_map(|f| if too_large { f.header() } else { f.body() }).map(<[u8]>::to_vec);
            let Some(raw) = raw else { continue };
            self.handle(raw, too_large.then_some(size), &mut polled).await?;
            // Moved only once the database has it. If another instance moved it first, the move
            // finds nothing, which is fine.
            if let Err(e) = session.uid_mv(uid.to_string(), &mailbox.done_folder).await {
                tracing::debug!(uid, error = %e, "could not move a read message; it will be recognised next time");
            }
        }
        let _ = session.logout().await;
        Ok(polled)
    }

    /// Polls every `every` until the task is dropped; errors are logged and retried. A pass that
    /// found a full batch is followed by another at once, so a burst of replies is not spread
    /// over many intervals.
    pub async fn run(self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            loop {
                match self.poll().await {
                    Ok(p) if p == Polled::default() => break,
                    Ok(p) => {
                        tracing::info!(
                            read = p.read,
                            posted = p.posted,
                            unmatched = p.unmatched,
                            seen_before = p.seen_before,
                            "inbox read"
                        );
                        // Nothing new in a full batch (messages that could not be moved away):
                        // the next interval tries again rather than spinning.
                        if p.read < BATCH || p.seen_before == p.read {
                            break;
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e.detail(), "reading the inbox failed; will retry");
                        break;
                    }
                }
            }
        }
    }
}

/// A file of the drop folder: whole, or only its header when it is too large to be a reply.
async fn read_message(path: &std::path::Path, size: u64) -> std::io::Result<Vec<u8>> {
    if size <= inbound::MAX_MESSAGE_BYTES {
        return tokio::fs::read(path).await;
    }
    use tokio::io::AsyncReadExt;
    let mut head = vec![0; 256 * 1024];
    let mut file = tokio::fs::File::open(path).await?;
    let n = file.read(&mut head).await?;
    head.truncate(n);
    let end = head.windows(4).position(|w| w == b"\r\n\r\n").map_or(head.len(), |i| i + 4);
    head.truncate(end);
    Ok(head)
}

impl Mailbox {
    fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let explain = "Write imap_url as imaps://user:password@host:993 (percent-encode @ and : in them)";
        let url = url::Url::parse(settings.imap_url.trim()).map_err(|e| anyhow::anyhow!("imap_url: {e}. {explain}"))?;
        if url.scheme() != "imaps" {
            anyhow::bail!("imap_url must start with imaps:// (TLS from the first byte). {explain}");
        }
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow::anyhow!("imap_url has no host. {explain}"))?;
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().to_string();
        let user = decode(url.username());
        let password = url.password().map(decode).unwrap_or_default();
        if user.is_empty() {
            anyhow::bail!("imap_url has no user name. {explain}");
        }
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if !settings.imap_ca_file.as_os_str().is_empty() {
            use rustls::pki_types::pem::PemObject;
            let certs = rustls::pki_types::CertificateDer::pem_file_iter(&settings.imap_ca_file)
                .map_err(|e| anyhow::anyhow!("imap_ca_file {}: {e}", settings.imap_ca_file.display()))?;
            for cert in certs {
                let cert =
                    cert.map_err(|e| anyhow::anyhow!("imap_ca_file {}: {e}", settings.imap_ca_file.display()))?;
                roots.add(cert)?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Mailbox {
            host: host.trim_matches(|c| c == '[' || c == ']').to_string(),
            port: url.port().unwrap_or(993),
            user,
            password,
            folder: settings.imap_folder.clone(),
            done_folder: settings.imap_done_folder.clone(),
            tls: tokio_rustls::TlsConnector::from(Arc::new(config)),
        })
    }
}
