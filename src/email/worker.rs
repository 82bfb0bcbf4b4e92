//! The outbox worker: claims due messages, sends them, and records each outcome. Temporary
//! failures are retried with a doubling wait until `max_attempts`; permanent ones (a 5xx from
//! the server) fail at once. A message left "sending" by an instance that died is taken up
//! again once its lease runs out, so nothing queued is lost.

use super::transport::{Mailer, SendError};
use crate::clock::SharedClock;
use crate::db::models::OutboxMessage;
use crate::db::{self, Db};
use crate::domain::email::{retry_delay, DeliveryStatus};
use crate::error::AppResult;
use futures_util::StreamExt;
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

/// How long a claim holds before another worker may take the message up.
const LEASE: time::Duration = time::Duration::minutes(5);
/// Messages claimed at once.
const BATCH: i64 = 100;

#[derive(Clone)]
pub struct OutboxWorker {
    db: Db,
    clock: SharedClock,
    mailer: Arc<Mailer>,
    from: Mailbox,
    /// Names this worker in claims.
    instance: String,
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
    pub fn new(db: Db, clock: SharedClock, mailer: Arc<Mailer>, from: Mailbox, max_attempts: i32, retry_base: time::Duration, concurrency: usize) -> Self {
        Self { db, clock, mailer, from, instance: db::new_id(), max_attempts, retry_base, concurrency: concurrency.max(1) }
    }

    /// Sends everything that is due now; returns what became of it.
    pub async fn drain(&self) -> AppResult<Drained> {
        let mut total = Drained::default();
        loop {
            let now = self.clock.now();
            let claim = format!("{}:{}", self.instance, db::new_id());
            let c = claim.clone();
            let (batch, opt_outs) = self
                .db
                .run(move |conn| {
                    let batch = db::outbox::claim(conn, &c, now, now + LEASE, BATCH)?;
                    let ids: Vec<String> = batch.iter().filter_map(|m| m.participant_id.clone()).collect();
                    let opt_outs: HashMap<String, Vec<String>> = db::outbox::opt_outs(conn, &ids)?
                        .into_iter()
                        .map(|(id, json)| (id, serde_json::from_str(&json).unwrap_or_default()))
                        .collect();
                    Ok((batch, opt_outs))
                })
                .await?;
            if batch.is_empty() {
                return Ok(total);
            }
            let t_send = std::time::Instant::now();
            let outcomes: Vec<(OutboxMessage, Outcome)> = futures_util::stream::iter(batch)
                .map(|m| {
                    let opted_out = m
                        .participant_id
                        .as_ref()
                        .and_then(|p| opt_outs.get(p))
                        .is_some_and(|kinds| kinds.iter().any(|k| *k == m.kind));
                    async move {
                        if opted_out {
                            return (m, Outcome::Cancelled);
                        }
                        let outcome = match self.mailer.send(&self.from, &m).await {
                            Ok(()) => Outcome::Sent,
                            Err(SendError { permanent: true, message }) => Outcome::Failed(message),
                            Err(SendError { message, .. }) if m.attempts >= self.max_attempts => Outcome::Failed(message),
                            Err(SendError { message, .. }) => Outcome::Retry(message),
                        };
                        (m, outcome)
                    }
                })
                .buffer_unordered(self.concurrency)
                .collect()
                .await;
            tracing::debug!(n = outcomes.len(), ms = t_send.elapsed().as_millis() as u64, "batch sent");
            let t_fin = std::time::Instant::now();
            let now = self.clock.now();
            let base = self.retry_base;
            let counts = self
                .db
                .run(move |conn| {
                    let mut d = Drained::default();
                    for (m, outcome) in &outcomes {
                        let (status, error, next, sent_at) = match outcome {
                            Outcome::Sent => {
                                d.sent += 1;
                                (DeliveryStatus::Sent, None, m.next_attempt_at, Some(now))
                            }
                            Outcome::Retry(e) => {
                                d.retrying += 1;
                                tracing::warn!(message = %m.id, to = %m.recipient, attempt = m.attempts, error = %e, "email failed; will retry");
                                (DeliveryStatus::Queued, Some(e.as_str()), now + retry_delay(base, m.attempts), None)
                            }
                            Outcome::Failed(e) => {
                                d.failed += 1;
                                tracing::warn!(message = %m.id, to = %m.recipient, attempts = m.attempts, error = %e, "email failed for good");
                                (DeliveryStatus::Failed, Some(e.as_str()), m.next_attempt_at, None)
                            }
                            Outcome::Cancelled => {
                                d.cancelled += 1;
                                (DeliveryStatus::Cancelled, None, m.next_attempt_at, None)
                            }
                        };
                        db::outbox::finish(conn, &m.id, &claim, status.as_str(), error, next, sent_at)?;
                    }
                    Ok(d)
                })
                .await?;
            tracing::debug!(ms = t_fin.elapsed().as_millis() as u64, "batch recorded");
            total.sent += counts.sent;
            total.retrying += counts.retrying;
            total.failed += counts.failed;
            total.cancelled += counts.cancelled;
        }
    }

    /// Drains every `every` until the task is dropped; errors are logged and retried.
    pub async fn run(self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match self.drain().await {
                Ok(d) if d == Drained::default() => {}
                Ok(d) => tracing::info!(sent = d.sent, retrying = d.retrying, failed = d.failed, cancelled = d.cancelled, "outbox drained"),
                Err(e) => tracing::warn!(error = %e, "outbox worker pass failed; will retry"),
            }
        }
    }
}
