//! What every request shares: the database, the context, the settings and the sign-in
//! throttles.

use crate::config::Settings;
use crate::db::{Db, DbConn};
use crate::error::AppResult;
use crate::service::{Actor, Ctx, Identity};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;

/// Shared by every request.
pub struct AppState {
    pub db: Db,
    pub ctx: Ctx,
    pub settings: Settings,
    /// Sign-in attempts per client address: a ceiling high enough for everyone behind one
    /// proxy, which only stops floods.
    pub login_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// "Email me my link" requests per client address: enough for a household, too few to
    /// make the server mail a list of addresses.
    pub link_limiter: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    /// Failed sign-ins per account, and until when it must wait: slows guessing one account
    /// from many addresses, and never touches another account.
    pub account_failures: Arc<std::sync::Mutex<std::collections::HashMap<String, (u32, time::PrimitiveDateTime)>>>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
    /// Set on SIGTERM: `/healthz` answers 503 so the load balancer stops sending, and each
    /// response closes its connection, while requests still arriving are answered.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// Question pages as last rendered for each reader, kept while their board is unchanged.
    pub pages: Arc<super::page_cache::PageCache>,
}

/// Accounts with recent failures kept in memory at most; past it, those whose wait is over are
/// forgotten first.
const MAX_TRACKED_ACCOUNTS: usize = 100_000;

impl AppState {
    pub fn new(db: Db, ctx: Ctx, settings: Settings) -> anyhow::Result<Self> {
        let quota = Quota::per_minute(NonZeroU32::new(60).expect("non-zero"));
        let trusted =
            crate::domain::throttle::parse_trusted(&settings.trusted_proxies).map_err(|e| anyhow::anyhow!(e))?;
        Ok(Self {
            db,
            ctx,
            login_limiter: Arc::new(RateLimiter::keyed(quota)),
            link_limiter: Arc::new(RateLimiter::keyed(
                Quota::per_hour(NonZeroU32::new(20).expect("non-zero"))
                    .allow_burst(NonZeroU32::new(10).expect("non-zero")),
            )),
            account_failures: Arc::default(),
            trusted_proxies: Arc::new(trusted),
            draining: Arc::default(),
            pages: Arc::new(super::page_cache::PageCache::new(settings.page_cache_mb * 1024 * 1024)),
            settings,
        })
    }

    /// The address a request comes from, through trusted proxies.
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> IpAddr {
        let peer = req.peer_addr().map(|a| a.ip()).unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
        let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
        crate::domain::throttle::client_address(peer, forwarded, &self.trusted_proxies)
    }

    /// Seconds `email` must still wait before its password is checked again.
    pub fn account_wait(&self, email: &str) -> i64 {
        let now = self.ctx.now();
        let map = self.account_failures.lock().unwrap_or_else(|e| e.into_inner());
        map.get(email).map_or(0, |(_, until)| (*until - now).whole_seconds().max(0))
    }

    /// Records a sign-in's outcome for `email`.
    pub fn account_attempt(&self, email: &str, ok: bool) {
        let now = self.ctx.now();
        let mut map = self.account_failures.lock().unwrap_or_else(|e| e.into_inner());
        if ok {
            map.remove(email);
            return;
        }
        if map.len() >= MAX_TRACKED_ACCOUNTS {
            map.retain(|_, (_, until)| *until > now);
        }
        let entry = map.entry(email.to_string()).or_insert((0, now));
        entry.0 += 1;
        entry.1 = now + time::Duration::seconds(crate::domain::throttle::wait_after(entry.0));
    }

    /// Loads the person behind `identity` and runs `f` with them on a pooled connection.
    pub async fn as_actor<T, F>(&self, identity: Identity, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(acting(identity, self.ctx.clone(), f)).await
    }

    /// As `as_actor`, through the database's writer (`Db::write`): for the writes many
    /// participants make at once.
    pub async fn writing_as_actor<T, F>(&self, identity: Identity, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db.write(acting(identity, self.ctx.clone(), f)).await
    }
}

/// `f` as a database job: the person behind `identity` is loaded on its connection first.
fn acting<T, F>(identity: Identity, ctx: Ctx, f: F) -> impl FnOnce(&mut DbConn) -> AppResult<T>
where
    F: FnOnce(&mut DbConn, &Ctx, &Actor) -> AppResult<T>,
{
    move |conn| {
        let actor = identity.load(conn, &ctx)?;
        f(conn, &ctx, &actor)
    }
}
