//! The outbox worker: claims due messages, sends them, and records each outcome. Temporary
//! failures are retried with a doubling wait until `max_attempts`; permanent ones (a 5xx from
//! the server) fail at once. A message left "sending" by an instance that died is taken up
//! again once its lease runs out, so nothing queued is lost.

use super::transport::{Mailer, SendError};
use crate::clock::SharedClock;
use crate::db::models::OutboxMessage;
use crate::db::{self, Db};
use crate::domain::email::{retry_delay, DeliveryStatus, EmailKind};
use crate::domain::ids::{BoardId, ParticipantId};
use crate::error::{AppError, AppResult};
use futures_util::StreamExt;
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Messages claimed at once. Each is marked sent as soon as the SMTP server accepts it (with
/// those accepted meanwhile), so a crash re-sends at most the few messages in flight, not the
/// batch.
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

/// How one message's outcome is written to its row.
#[derive(Clone)]
struct Mark {
    id: String,
    claim: String,
    status: DeliveryStatus,
    error: Option<String>,
    next: time::PrimitiveDateTime,
    sent_at: Option<time::PrimitiveDateTime>,
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

    /// The row update that records `outcome` of message `m`.
    fn mark(&self, m: &OutboxMessage, claim: &str, outcome: &Outcome) -> Mark {
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
        Mark { id: m.id.to_string(), claim: claim.to_string(), status, error, next, sent_at }
    }

    /// Records outcomes as they come, all those waiting in one transaction (group commit):
    /// each is durable before its sender goes on, as with one commit per message, but a
    /// commit serves every connection that finished meanwhile. Retries while the database is
    /// unreachable: a message the SMTP server accepted must be marked sent, or it would be
    /// sent again after its lease.
    async fn record_marks(&self, mut waiting: mpsc::UnboundedReceiver<(Mark, oneshot::Sender<Result<(), String>>)>) {
        while let Some(first) = waiting.recv().await {
            let mut group = vec![first];
            while let Ok(next) = waiting.try_recv() {
                group.push(next);
            }
            let marks: Arc<Vec<Mark>> = Arc::new(group.iter().map(|(m, _)| m.clone()).collect());
            let started = std::time::Instant::now();
            let mut wait = Duration::from_millis(200);
            let result = loop {
                let these = marks.clone();
                let result = self
                    .db
                    .run(move |conn| {
                        db::transaction(conn, |conn| {
                            for m in these.iter() {
                                db::outbox::finish(
                                    conn,
                                    &m.id,
                                    &m.claim,
                                    m.status,
                                    m.error.as_deref(),
                                    m.next,
                                    m.sent_at,
                                )?;
                            }
                            Ok(())
                        })
                    })
                    .await;
                match result {
                    Ok(()) => break Ok(()),
                    Err(e) if started.elapsed() < MARK_RETRY_FOR => {
                        tracing::warn!(messages = marks.len(), error = %e.detail(), "could not record the outcome of emails; retrying");
                        tokio::time::sleep(wait).await;
                        wait = (wait * 2).min(Duration::from_secs(5));
                    }
                    Err(e) => break Err(e.detail()),
                }
            };
            for (_, done) in group {
                // The sender is gone only if the pass was dropped; nothing waits then.
                let _ = done.send(result.clone());
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
            let (batch, opt_outs, titles) = self
                .db
                .run(move |conn| {
                    let batch = db::outbox::claim(conn, &c, now, now + lease, BATCH)?;
                    let ids: Vec<ParticipantId> = batch.iter().filter_map(|m| m.participant_id.clone()).collect();
                    let opt_outs: HashMap<ParticipantId, Vec<EmailKind>> = db::outbox::opt_outs(conn, &ids)?
                        .into_iter()
                        .map(|(id, kinds)| (id, kinds.into_inner()))
                        .collect();
                    let mut boards: Vec<BoardId> = batch.iter().filter_map(|m| m.board_id.clone()).collect();
                    boards.sort();
                    boards.dedup();
                    let titles: HashMap<BoardId, String> = db::boards::titles(conn, &boards)?.into_iter().collect();
                    Ok((batch, opt_outs, titles))
                })
                .await?;
            if batch.is_empty() {
                return Ok(total);
            }
            let t_send = std::time::Instant::now();
            let (to_record, waiting) = mpsc::unbounded_channel();
            let recorder = self.record_marks(waiting);
            let (opt_outs, claim_ref, titles) = (&opt_outs, &claim, &titles);
            let sends = futures_util::stream::iter(batch)
                .map(move |m| {
                    let opted_out = m
                        .participant_id
                        .as_ref()
                        .and_then(|p| opt_outs.get(p))
                        .is_some_and(|kinds| kinds.contains(&m.kind));
                    let (claim, to_record) = (claim_ref, to_record.clone());
                    async move {
                        // Shutting down: what has not been handed to the server goes back.
                        if self.is_stopping() {
                            return Ok(None);
                        }
                        let outcome = if opted_out {
                            Outcome::Cancelled
                        } else {
                            // A board's emails come from the board, by name, at the configured
                            // address: participants know the study, not the software.
                            let from = match m.board_id.as_ref().and_then(|b| titles.get(b)) {
                                Some(title) => Mailbox::new(Some(title.clone()), self.from.email.clone()),
                                None => self.from.clone(),
                            };
                            match self.mailer.send(&from, &m).await {
                                Ok(()) => Outcome::Sent,
                                Err(SendError { permanent: true, message }) => Outcome::Failed(message),
                                Err(SendError { message, .. }) if m.attempts >= self.max_attempts => {
                                    Outcome::Failed(message)
                                }
                                Err(SendError { message, .. }) => Outcome::Retry(message),
                            }
                        };
                        // Recorded before this connection takes the next message.
                        let (done, recorded) = oneshot::channel();
                        let recording = to_record.send((self.mark(&m, claim, &outcome), done));
                        match (recording, recorded.await) {
                            (Ok(()), Ok(Ok(()))) => Ok(Some(outcome)),
                            (_, Ok(Err(e))) => {
                                Err(AppError::Internal(anyhow::anyhow!("recording an email's outcome: {e}")))
                            }
                            _ => Err(AppError::Internal(anyhow::anyhow!("the outbox recorder stopped"))),
                        }
                    }
                })
                .buffer_unordered(self.concurrency)
                .collect::<Vec<AppResult<Option<Outcome>>>>();
            // The recorder ends once every sender has dropped its handle: the last one goes
            // with the stream, which `join!` drops as soon as it completes.
            let (outcomes, ()) = tokio::join!(sends, recorder);
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
