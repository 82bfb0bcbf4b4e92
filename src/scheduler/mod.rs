//! The scheduler inside the server: at a fixed interval it releases the stages whose time has
//! come. Each release is a conditional update, so any number of instances may run it against
//! one PostgreSQL database and every stage is still released exactly once.

use crate::clock::SharedClock;
use crate::db::Db;
use crate::error::AppResult;
use crate::service;
use std::time::Duration;

#[derive(Clone)]
pub struct Scheduler {
    db: Db,
    clock: SharedClock,
}

impl Scheduler {
    pub fn new(db: Db, clock: SharedClock) -> Self {
        Self { db, clock }
    }

    /// One pass: releases due stages; returns how many this instance released.
    pub async fn tick(&self) -> AppResult<usize> {
        let now = self.clock.now();
        self.db.run(move |conn| service::stages::release_due(conn, now)).await
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
                Err(e) => tracing::warn!(error = %e, "scheduler tick failed; will retry"),
            }
        }
    }
}
