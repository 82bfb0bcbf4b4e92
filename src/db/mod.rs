//! The data layer: one set of diesel queries over SQLite (the embedded default) or PostgreSQL,
//! chosen at run time by the database URL.

pub mod analysis;
pub mod boards;
pub mod digests;
pub mod erasure;
pub mod idempotency;
pub mod images;
pub mod inbound;
pub mod json_text;
pub mod models;
pub mod moderation;
pub mod outbox;
pub mod participants;
pub mod posts;
pub mod schema;
pub mod search;
pub mod stages;
pub mod users;
pub mod votes;
pub mod writer;

use crate::error::{AppError, AppResult};
use diesel::connection::{
    AnsiTransactionManager, Instrumentation, InstrumentationEvent, SimpleConnection, TransactionManager,
};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs one query, written once, on the backend's own connection inside a `DbConn`: for the
/// statements every request runs. Through the MultiConnection, diesel writes a query's SQL text
/// afresh in each of its passes over it (whether it may be cached, binding its values) on every
/// run; on the backend's own connection a prepared statement is found by the query's type alone.
macro_rules! on_own_backend {
    ($conn:expr, |$c:ident| $query:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $query,
            $crate::db::DbConn::Postgresql($c) => $query,
        }
    };
}
pub(crate) use on_own_backend;

/// A connection to either backend. Queries written against it run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// The writer's groups go to the backend's own connection so that SQLite's begins with
/// `BEGIN IMMEDIATE` (the writer runs on SQLite only; PostgreSQL writes from the pool).
impl writer::GroupConnection for DbConn {
    fn begin_group(&mut self) -> diesel::QueryResult<()> {
        match self {
            DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
            DbConn::Postgresql(c) => AnsiTransactionManager::begin_transaction(c),
        }
    }
    fn commit_group(&mut self) -> diesel::QueryResult<()> {
        match self {
            DbConn::Sqlite(c) => AnsiTransactionManager::commit_transaction(c),
            DbConn::Postgresql(c) => AnsiTransactionManager::commit_transaction(c),
        }
    }
    fn rollback_group(&mut self) -> diesel::QueryResult<()> {
        match self {
            DbConn::Sqlite(c) => AnsiTransactionManager::rollback_transaction(c),
            DbConn::Postgresql(c) => AnsiTransactionManager::rollback_transaction(c),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Opens connections of the backend the URL names, never falling through to the other one
/// (a PostgreSQL server that is down must not turn into a new SQLite file).
#[derive(Debug)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
    queries: Arc<AtomicU64>,
    synchronous: Synchronous,
}

/// SQLite's `synchronous` setting: `Full` (the default) syncs the write-ahead log at every
/// commit, so an answer acknowledged to a participant survives a power loss; `Normal` is
/// faster and may lose the last commits on power loss (never on a crash of the process).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    #[default]
    Full,
    Normal,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Full => "PRAGMA synchronous = FULL;",
            Synchronous::Normal => "PRAGMA synchronous = NORMAL;",
        }
    }
}

impl ConnectionManager {
    pub fn new(url: &str, synchronous: Synchronous) -> Self {
        let backend = Backend::of_url(url);
        let url = match backend {
            Backend::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_string(),
            Backend::Postgres => url.to_string(),
        };
        Self { url, backend, queries: Arc::default(), synchronous }
    }
}

/// Counts the statements every pooled connection runs: what shows that a page costs a fixed
/// number of queries whatever the size of the board.
struct QueryCounter(Arc<AtomicU64>);

impl Instrumentation for QueryCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { .. } = event {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let mut conn = self.open()?;
        conn.set_instrumentation(QueryCounter(self.queries.clone()));
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    /// A PostgreSQL connection that lost its server (`lost_server`) or was left inside a
    /// transaction is not put back.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        match conn {
            DbConn::Postgresql(pg) => AnsiTransactionManager::is_broken_transaction_manager(pg),
            DbConn::Sqlite(_) => false,
        }
    }
}

/// How long a PostgreSQL connection may sit unused in the pool before it is checked with a
/// round trip as it is handed out. A server that restarted drops its connections; checking
/// every one handed out was the largest single cost of a kept page on PostgreSQL (a round trip
/// per request), while a connection in steady use shows a lost server by its next statement
/// failing, and is then not put back.
const CHECK_AFTER_IDLE: std::time::Duration = std::time::Duration::from_secs(2);

/// When a pooled connection last did a job without an error.
struct LastUsed(std::time::Instant);

type Pooled = r2d2::PooledConnection<ConnectionManager>;

/// A connection from the pool (within `wait`, if given): on PostgreSQL, one idle for longer
/// than `CHECK_AFTER_IDLE` (or never used) is checked first and, failing, discarded for the
/// next.
fn checkout(
    pool: &Pool,
    backend: Backend,
    wait: Option<std::time::Duration>,
    queries: &AtomicU64,
) -> AppResult<Pooled> {
    for _ in 0..=pool.max_size() {
        let mut conn = match wait {
            Some(wait) => pool.get_timeout(wait)?,
            None => pool.get()?,
        };
        let recent = r2d2::PooledConnection::extensions(&conn)
            .get::<LastUsed>()
            .is_some_and(|used| used.0.elapsed() < CHECK_AFTER_IDLE);
        if backend == Backend::Sqlite || recent {
            return Ok(conn);
        }
        let alive = conn.batch_execute("SELECT 1").is_ok();
        // The pool's check is not one of the statements of whatever asked for the connection
        // (`queries_run` counts what pages cost).
        queries.fetch_sub(1, Ordering::Relaxed);
        if alive {
            return Ok(conn);
        }
        lost_server(&mut conn);
    }
    Err(AppError::Internal(anyhow::anyhow!("no working database connection")))
}

/// Marks a connection whose server is gone, so that the pool drops it when it comes back
/// (`has_broken`) instead of handing it out again.
fn lost_server(conn: &mut DbConn) {
    if let DbConn::Postgresql(pg) = conn {
        AnsiTransactionManager::transaction_manager_status_mut(pg).set_in_error();
    }
}

/// Runs `f` on a connection from `checkout`, then notes how the connection came out of it:
/// working (its use is noted), or without its server (not put back). A job that failed for
/// another reason leaves the note as it was, so a connection that keeps failing in a way not
/// recognised here is still checked once it has not worked for `CHECK_AFTER_IDLE`.
fn on_checked<T>(mut conn: Pooled, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
    let out = f(&mut conn);
    match &out {
        Ok(_) => {
            r2d2::PooledConnection::extensions_mut(&mut conn).insert(LastUsed(std::time::Instant::now()));
        }
        Err(AppError::Internal(e))
            if matches!(
                e.downcast_ref::<diesel::result::Error>(),
                Some(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::ClosedConnection, _))
            ) =>
        {
            lost_server(&mut conn)
        }
        Err(_) => {}
    }
    out
}

impl ConnectionManager {
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match self.backend {
            Backend::Postgres => {
                diesel::PgConnection::establish(&self.url).map(DbConn::Postgresql).map_err(r2d2::Error::ConnectionError)
            }
            Backend::Sqlite => {
                let mut conn = diesel::SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers work while one writer writes; the busy timeout makes a
                // writer wait for the lock instead of failing at once.
                conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON;")
                    .map_err(r2d2::Error::QueryError)?;
                conn.batch_execute(self.synchronous.pragma()).map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

pub type Pool = r2d2::Pool<ConnectionManager>;

/// A pool of connections plus the one way handlers use it: `db.run(|conn| ...)` on a blocking
/// thread, so diesel's synchronous calls never stall the async workers.
#[derive(Clone)]
pub struct Db {
    pool: Pool,
    pub backend: Backend,
    queries: Arc<AtomicU64>,
    /// SQLite: the one writer that commits waiting writes together (see `write`).
    writer: Option<writer::Writer<DbConn>>,
}

impl Db {
    /// A pool with the durable default (`synchronous = FULL` on SQLite).
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        Self::connect_with(url, pool_size, Synchronous::Full, true)
    }

    /// `group_commit`: on SQLite, participants' writes go through the single writer (see
    /// `write`); off, each commits on its own from the pool (kept to compare the two).
    pub fn connect_with(url: &str, pool_size: u32, synchronous: Synchronous, group_commit: bool) -> anyhow::Result<Db> {
        let backend = Backend::of_url(url);
        if backend == Backend::Sqlite {
            let path = url.strip_prefix("sqlite://").unwrap_or(url);
            if let Some(parent) = std::path::Path::new(path).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent)?;
                }
            }
        }
        let manager = ConnectionManager::new(url, synchronous);
        if backend == Backend::Sqlite {
            // Switch the file to WAL on one connection first: switching needs the file to itself,
            // and the pool opens its connections all at once (they would fail and be retried).
            drop(manager.open()?);
        }
        let queries = manager.queries.clone();
        let writer = match backend {
            Backend::Sqlite if group_commit => {
                let (own, counter) = (ConnectionManager::new(url, synchronous), queries.clone());
                Some(writer::Writer::start(move || {
                    let mut conn = own.open()?;
                    conn.set_instrumentation(QueryCounter(counter.clone()));
                    Ok(conn)
                })?)
            }
            Backend::Sqlite | Backend::Postgres => None,
        };
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            // A SQLite file does not drop its connections; a PostgreSQL server can, so there a
            // connection idle for a while is checked before it is handed out (`checkout`).
            .test_on_check_out(false)
            .connection_timeout(std::time::Duration::from_secs(10))
            .build(manager)?;
        Ok(Db { pool, backend, queries, writer })
    }

    /// Statements run through this pool since it was opened (not the pool's checks of idle
    /// connections).
    pub fn queries_run(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }

    pub fn get(&self) -> AppResult<r2d2::PooledConnection<ConnectionManager>> {
        Ok(self.pool.get()?)
    }

    pub async fn run<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, backend, queries) = (self.pool.clone(), self.backend, self.queries.clone());
        actix_web::web::block(move || on_checked(checkout(&pool, backend, None, &queries)?, f))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// As `run`, for the writes participants make many of at once (posts, edits, agreements):
    /// on SQLite they go to the single writer, which commits every write waiting in one
    /// durable commit, so the rate of writes is not the rate of disk syncs. `f` must not wait on anything but the
    /// database: every write behind it waits too.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match &self.writer {
            Some(writer) => writer.write(f).await,
            None => self.run(f).await,
        }
    }

    /// Runs `f` on the calling thread, at once, when the database is SQLite and a pooled
    /// connection is free; otherwise as `run`. Only for a few indexed reads that write nothing:
    /// SQLite answers them inside this process in microseconds, without waiting for its writer
    /// (WAL), so handing them to the blocking pool and back costs more than the reads.
    /// PostgreSQL's round trips always go to the pool.
    pub async fn run_reads<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        if self.backend == Backend::Sqlite {
            if let Some(mut conn) = self.pool.try_get() {
                // Each statement in a read of its own: what a later one reads is at least as new
                // as an earlier one (the board's version first). The first look is one or two
                // statements, for which an explicit transaction's BEGIN and COMMIT cost more
                // than the shared-memory lock each statement takes (measured both ways).
                return f(&mut conn);
            }
        }
        self.run(f).await
    }

    /// As `run`, but waits at most `wait` for a connection from the pool (the health check).
    pub async fn run_within<T, F>(&self, wait: std::time::Duration, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, backend, queries) = (self.pool.clone(), self.backend, self.queries.clone());
        actix_web::web::block(move || on_checked(checkout(&pool, backend, Some(wait), &queries)?, f))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// Applies pending migrations of the right tree for the backend. On PostgreSQL an advisory
    /// lock keeps two instances starting together from migrating at once.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.pool.get()?;
        run_migrations(&mut conn)
    }
}

pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    match conn {
        DbConn::Sqlite(c) => Ok(c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("migrating SQLite: {e}"))?
            .into_iter()
            .map(|v| v.to_string())
            .collect()),
        DbConn::Postgresql(c) => {
            c.batch_execute("SELECT pg_advisory_lock(4747001)")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|applied| applied.into_iter().map(|v| v.to_string()).collect());
            c.batch_execute("SELECT pg_advisory_unlock(4747001)")?;
            result.map_err(|e| anyhow::anyhow!("migrating PostgreSQL: {e}"))
        }
    }
}

/// Runs `f` in a transaction that rolls back on error. On SQLite it begins `IMMEDIATE`: it takes
/// the write lock at once, waiting for it under the busy timeout. A plain `BEGIN` reads first
/// and then fails with "database is locked", without waiting, when another connection commits
/// before its first write. Inside a transaction already, `f` runs in a savepoint.
pub fn transaction<T, E>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let outermost = match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()?.is_none(),
        DbConn::Postgresql(_) => false,
    };
    if !outermost {
        return conn.transaction(f);
    }
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    match f(conn) {
        Ok(value) => {
            if let DbConn::Sqlite(c) = conn {
                AnsiTransactionManager::commit_transaction(c)?;
            }
            Ok(value)
        }
        Err(e) => {
            if let DbConn::Sqlite(c) = conn {
                // The caller's error is the one to report; a failed rollback marks the
                // connection broken and the pool drops it.
                let _ = AnsiTransactionManager::rollback_transaction(c);
            }
            Err(e)
        }
    }
}

/// Writes a consistent copy of a SQLite database, taken while it is in use, to `path` (which
/// must not exist): `VACUUM INTO` reads one snapshot and writes a compact file.
pub fn sqlite_snapshot_into(conn: &mut DbConn, path: &std::path::Path) -> AppResult<()> {
    let DbConn::Sqlite(c) = conn else {
        return Err(AppError::invalid("Backups of PostgreSQL are made with pg_dump; see the README."));
    };
    let target = path.to_str().ok_or_else(|| AppError::invalid("The backup path must be valid UTF-8."))?;
    diesel::sql_query("VACUUM INTO ?").bind::<diesel::sql_types::Text, _>(target).execute(c)?;
    Ok(())
}

/// SQLite's own check of a database file: "ok", or what is wrong.
pub fn sqlite_integrity(conn: &mut DbConn) -> AppResult<String> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    let rows: Vec<Row> = diesel::sql_query("PRAGMA integrity_check").load(conn)?;
    Ok(rows.into_iter().map(|r| r.integrity_check).collect::<Vec<_>>().join("; "))
}

/// Whether a database has any board or account: restoring over it would lose them.
pub fn has_data(conn: &mut DbConn) -> AppResult<bool> {
    let boards: i64 = schema::boards::table.count().get_result(conn)?;
    let users: i64 = schema::users::table.count().get_result(conn)?;
    Ok(boards + users > 0)
}

/// Whether the database answers; for `/healthz`.
pub fn ping(conn: &mut DbConn) -> AppResult<()> {
    conn.batch_execute("SELECT 1").map_err(|e| AppError::Internal(e.into()))
}

/// A new time-ordered id.
pub fn new_id<T: From<String>>() -> T {
    T::from(uuid::Uuid::now_v7().to_string())
}
