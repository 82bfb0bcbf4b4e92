//! The outbox worker: claims due messages, sends them, and records each outcome. Temporary
//! failures are retried with a doubling wait until `max_attempts`; permanent ones (a 5xx from
//! the server) fail at once. A message left "sending" by an instance that died is taken up
//! again once its lease runs out, so nothing queued is lost.

use super::transport::{Mailer, SendError};
use crate::clock::SharedClock;
use crate::db::models::OutboxMessage;
use crate::db::{self, Db};
use crate::domain::email::{retry_delay, DeliveryStatus, EmailKind};
use crate::domain::ids::ParticipantId;
use crate::error::AppResult;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// Messages claimed at once. Each is marked sent as soon as the SMTP server accepts it, so a
/// crash re-sends at most the few messages in flight, not the batch.
const BATCH: i64 = 100;
/// How long marking a message sent is retried while the database is away, before the message
/// is left to its lease (and may then be sent again).
const MARK_RETRY_FOR: Duration = Duration::from_secs(120);

#[derive(Clone)]
pub struct OutboxWorker {
    db: Db,
    clock: SharedClock,
    mailer: Arc<Mailer>,
    from: Mailbox,
    /// Names this instance in claims: stable across restarts, so a restarted instance takes
    /// back its own claims at once instead of waiting for their lease.
    instance: String,
    /// How long a claim holds before another worker may take the message up.
    lease: time::Duration,
    /// Set on shutdown: no new claims; messages not yet handed to the SMTP server go back.
    stopping: Arc<std::sync::atomic::AtomicBool>,
    max_attempts: i32,
    retry_base: time::Duration,
    /// Messages sent at the same time, one per pooled SMTP connection.
    concurrency: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
    pub cancelled: usize,
}

enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
    Cancelled,
}

impl OutboxWorker {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        db: Db,
        clock: SharedClock,
        mailer: Arc<Mailer>,
        from: Mailbox,
        max_attempts: i32,
        retry_base: time::Duration,
        concurrency: usize,
        instance: String,
        lease: time::Duration,
    ) -> Self {
        Self {
            db,
            clock,
            mailer,
            from,
            instance,
            lease,
            stopping: Arc::default(),
            max_attempts,
            retry_base,
            concurrency: concurrency.max(1),
        }
    }

    /// Stops claiming; the current pass finishes the messages already being sent and puts
    /// back the rest of its batch.
    pub fn stop(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::SeqCst);
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Puts back in the queue the messages an earlier run of this instance claimed and did not
    /// finish (it was killed): they are sent now rather than after their lease.
    pub async fn recover(&self) -> AppResult<usize> {
        let prefix = format!("{}:", self.instance);
        let n = self.db.run(move |conn| Ok(db::outbox::release_claims_of(conn, &prefix)?)).await?;
        if n > 0 {
            tracing::info!(messages = n, "took back messages this instance had claimed before it stopped");
        }
        Ok(n)
    }

    /// Records one outcome, retrying while the database is unreachable: a message the SMTP
    /// server accepted must be marked sent, or it would be sent again after its lease.
    async fn record(&self, m: &OutboxMessage, claim: &str, outcome: &Outcome) -> AppResult<()> {
        let now = self.clock.now();
        let (status, error, next, sent_at) = match outcome {
            Outcome::Sent => (DeliveryStatus::Sent, None, m.next_attempt_at, Some(now)),
            Outcome::Retry(e) => {
                tracing::warn!(message = %m.id, to = %m.recipient, attempt = m.attempts, error = %e, "email failed; will retry");
                (DeliveryStatus::Queued, Some(e.clone()), now + retry_delay(self.retry_base, m.attempts), None)
            }
            Outcome::Failed(e) => {
                tracing::warn!(message = %m.id, to = %m.recipient, attempts = m.attempts, error = %e, "email failed for good");
                (DeliveryStatus::Failed, Some(e.clone()), m.next_attempt_at, None)
            }
            Outcome::Cancelled => (DeliveryStatus::Cancelled, None, m.next_attempt_at, None),
        };
        let started = std::time::Instant::now();
        let mut wait = Duration::from_millis(200);
        loop {
            let (id, claim, error) = (m.id.clone(), claim.to_string(), error.clone());
            let result = self
                .db
                .run(move |conn| Ok(db::outbox::finish(conn, &id, &claim, status, error.as_deref(), next, sent_at)?))
                .await;
            match result {
                Ok(()) => return Ok(()),
                Err(e) if started.elapsed() < MARK_RETRY_FOR => {
                    tracing::warn!(message = %m.id, error = %e.detail(), "could not record the outcome of an email; retrying");
                    tokio::time::sleep(wait).await;
                    wait = (wait * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends everything that is due now; returns what became of it.
    pub async fn drain(&self) -> AppResult<Drained> {
        let mut total = Drained::default();
        loop {
            if self.is_stopping() {
                return Ok(total);
            }
            let now = self.clock.now();
            let claim = format!("{}:{}", self.instance, db::new_id::<String>());
            let (c, lease) = (claim.clone(), self.lease);
            let (batch, opt_outs) = self
                .db
                .run(move |conn| {
                    let batch = db::outbox::claim(conn, &c, now, now + lease, BATCH)?;
                    let ids: Vec<ParticipantId> = batch.iter().filter_map(|m| m.participant_id.clone()).collect();
                    let opt_outs: HashMap<ParticipantId, Vec<EmailKind>> = db::outbox::opt_outs(conn, &ids)?
                        .into_iter()
                        .map(|(id, kinds)| (id, kinds.into_inner()))
                        .collect();
                    Ok((batch, opt_outs))
                })
                .await?;
            if batch.is_empty() {
                return Ok(total);
            }
            let t_send = std::time::Instant::now();
            let outcomes: Vec<AppResult<Option<Outcome>>> = futures_util::stream::iter(batch)
                .map(|m| {
                    let opted_out = m
                        .participant_id
                        .as_ref()
                        .and_then(|p| opt_outs.get(p))
                        .is_some_and(|kinds| kinds.contains(&m.kind));
                    let claim = &claim;
                    async move {
                        // Shutting down: what has not been handed to the server goes back.
                        if self.is_stopping() {
                            return Ok(None);
                        }
                        let outcome = if opted_out {
                            Outcome::Cancelled
                        } else {
                            match self.mailer.send(&self.from, &m).await {
                                Ok(()) => Outcome::Sent,
                                Err(SendError { permanent: true, message }) => Outcome::Failed(message),
                                Err(SendError { message, .. }) if m.attempts >= self.max_attempts => {
                                    Outcome::Failed(message)
                                }
                                Err(SendError { message, .. }) => Outcome::Retry(message),
                            }
                        };
                        // Marked at once, message by message.
                        self.record(&m, claim, &outcome).await?;
                        Ok(Some(outcome))
                    }
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            tracing::debug!(n = outcomes.len(), ms = t_send.elapsed().as_millis() as u64, "batch sent");
            for outcome in outcomes {
                match outcome? {
                    Some(Outcome::Sent) => total.sent += 1,
                    Some(Outcome::Retry(_)) => total.retrying += 1,
                    Some(Outcome::Failed(_)) => total.failed += 1,
                    Some(Outcome::Cancelled) => total.cancelled += 1,
                    None => {}
                }
            }
            if self.is_stopping() {
                let c = claim.clone();
                let n = self.db.run(move |conn| Ok(db::outbox::release_claims_of(conn, &c)?)).await?;
                tracing::info!(messages = n, "stopping: unsent messages put back in the queue");
                return Ok(total);
            }
        }
    }

    /// Drains every `every` until `stop` is called; errors are logged and retried. First takes
    /// back what this instance had claimed before a crash.
    pub async fn run(self, every: Duration) {
        if let Err(e) = self.recover().await {
            tracing::warn!(error = %e.detail(), "could not take back earlier claims; their lease will");
        }
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !self.is_stopping() {
            interval.tick().await;
            match self.drain().await {
                Ok(d) if d == Drained::default() => {}
                Ok(d) => tracing::info!(
                    sent = d.sent,
                    retrying = d.retrying,
                    failed = d.failed,
                    cancelled = d.cancelled,
                    "outbox drained"
                ),
                Err(e) => tracing::warn!(error = %e.detail(), "outbox worker pass failed; will retry"),
            }
        }
    }
}
