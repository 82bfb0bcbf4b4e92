//! The scheduler inside the server: at a fixed interval it releases the stages whose time has
//! come and queues the reminders and daily digests that are due. Each release is a conditional update and each
//! reminder has a unique key, so any number of instances may run it against one PostgreSQL
//! database and every stage is still released, and every reminder queued, exactly once.

use crate::db::Db;
use crate::error::AppResult;
use crate::service::{self, Ctx};
use std::time::Duration;

#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    ctx: Ctx,
}

impl Scheduler {
    pub fn new(db: Db, ctx: Ctx) -> Self {
        Self { db, ctx }
    }

    /// One pass: releases due stages; returns how many this instance released.
    pub async fn tick(&self) -> AppResult<usize> {
        let ctx = self.ctx.clone();
        let now = ctx.now();
        self.db
            .run(move |conn| {
                let released = service::stages::release_due(conn, &ctx, now)?;
                let reminders = service::notifications::queue_reminders(conn, &ctx, now)?;
                if reminders > 0 {
                    tracing::info!(reminders, "reminders queued");
                }
                let digests = service::digests::queue_digests(conn, &ctx, now)?;
                if digests > 0 {
                    tracing::info!(digests, "daily digests queued");
                }
                service::idempotency::prune(conn, now)?;
                // Boards that asked for it lose their participants' identities once archived
                // and past their retention date.
                for purged in service::withdrawal::purge(conn, &ctx, true)? {
                    tracing::info!(board = %purged.board_id, erased = purged.participants_erased, "board purged");
                }
                Ok(released)
            })
            .await
    }

    /// Runs `tick` every `every` until the task is dropped. Errors are logged and retried at
    /// the next tick: a database that is briefly away must not stop releases for good.
    pub async fn run(self, every: Duration) {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match self.tick().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(released = n, "scheduler released stages"),
                Err(e) => tracing::warn!(error = %e.detail(), "scheduler tick failed; will retry"),
            }
        }
    }
}
