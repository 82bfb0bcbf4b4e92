//! SQLite's single writer with group commit. SQLite lets one connection write at a time and a
//! durable commit waits for the disk, so one commit per request caps writes at the disk's
//! sync rate. Here the writes of participants' requests go to one thread with its own
//! connection: it runs every request waiting, each in a savepoint of one transaction, commits
//! them together with one sync, and only then answers each. A request that fails rolls back
//! its savepoint alone. PostgreSQL has no such limit and takes writes from the pool.

use crate::error::{AppError, AppResult};
use diesel::Connection;
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Requests committed together at most (a bound on the time the first waits for the rest).
const MAX_GROUP: usize = 128;

/// The connection a writer runs on: how a group's transaction begins and ends (on SQLite,
/// `BEGIN IMMEDIATE`, so the group never fails to upgrade a read to a write).
pub trait GroupConnection: Connection + 'static {
    fn begin_group(&mut self) -> diesel::QueryResult<()>;
    fn commit_group(&mut self) -> diesel::QueryResult<()>;
    fn rollback_group(&mut self) -> diesel::QueryResult<()>;
}

/// A write waiting for the writer.
trait Job<C>: Send {
    /// Runs the write in a savepoint; the answer is sent once the group's commit is known.
    fn run(self: Box<Self>, conn: &mut C) -> Box<dyn Answer>;
    /// Answers without running: the group's transaction could not begin.
    fn refuse(self: Box<Self>, why: &str);
}

trait Answer: Send {
    fn send(self: Box<Self>, committed: Result<(), &str>);
}

struct Pending<T, F> {
    f: F,
    reply: oneshot::Sender<AppResult<T>>,
}

struct Ran<T> {
    result: AppResult<T>,
    reply: oneshot::Sender<AppResult<T>>,
}

impl<C, T, F> Job<C> for Pending<T, F>
where
    C: GroupConnection,
    F: FnOnce(&mut C) -> AppResult<T> + Send,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut C) -> Box<dyn Answer> {
        let Pending { f, reply } = *self;
        // Inside the group's transaction, diesel's `transaction` is a savepoint.
        let result = conn.transaction(f);
        Box::new(Ran { result, reply })
    }

    fn refuse(self: Box<Self>, why: &str) {
        let _ = self.reply.send(Err(not_written(why)));
    }
}

impl<T: Send> Answer for Ran<T> {
    fn send(self: Box<Self>, committed: Result<(), &str>) {
        let answer = match committed {
            Ok(()) => self.result,
            Err(why) => Err(not_written(why)),
        };
        // The request may have gone (its client hung up); the write stands either way.
        let _ = self.reply.send(answer);
    }
}

fn not_written(why: &str) -> AppError {
    AppError::Internal(anyhow::anyhow!("the database did not take the write: {why}"))
}

/// The handle requests send their writes through.
pub struct Writer<C> {
    jobs: mpsc::Sender<Box<dyn Job<C>>>,
}

impl<C> Clone for Writer<C> {
    fn clone(&self) -> Self {
        Writer { jobs: self.jobs.clone() }
    }
}

impl<C: GroupConnection> Writer<C> {
    /// Starts the writer's thread on a connection `open` gives (again after an error); it
    /// stops when the last handle is dropped.
    pub fn start(open: impl Fn() -> anyhow::Result<C> + Send + 'static) -> anyhow::Result<Writer<C>> {
        let mut conn = open()?;
        let (jobs, waiting) = mpsc::channel::<Box<dyn Job<C>>>();
        std::thread::Builder::new().name("sqlite-writer".into()).spawn(move || {
            while let Ok(first) = waiting.recv() {
                let mut group = vec![first];
                while group.len() < MAX_GROUP {
                    match waiting.try_recv() {
                        Ok(job) => group.push(job),
                        Err(_) => break,
                    }
                }
                if let Err(why) = commit_group(&mut conn, group) {
                    tracing::warn!(error = %why, "group of writes failed; reopening the writer's connection");
                    match open() {
                        Ok(c) => conn = c,
                        Err(e) => tracing::warn!(error = %e, "could not reopen the writer's connection"),
                    }
                }
            }
        })?;
        Ok(Writer { jobs })
    }

    /// Runs `f` on the writer, committed with the writes waiting beside it; answers once its
    /// commit is durable.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        F: FnOnce(&mut C) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Pending { f, reply }))
            .map_err(|_| AppError::Internal(anyhow::anyhow!("the database writer has stopped")))?;
        answer.await.map_err(|_| AppError::Internal(anyhow::anyhow!("the database writer stopped during a write")))?
    }
}

/// One transaction for the whole group; each job in its savepoint. Err when the connection
/// should be reopened.
fn commit_group<C: GroupConnection>(conn: &mut C, group: Vec<Box<dyn Job<C>>>) -> Result<(), String> {
    if let Err(e) = conn.begin_group() {
        let why = e.to_string();
        for job in group {
            job.refuse(&why);
        }
        return Err(why);
    }
    let mut answers = Vec::with_capacity(group.len());
    let mut panicked = false;
    for job in group {
        // A job that panics leaves its savepoint in an unknown state: the group is rolled back.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| job.run(conn))) {
            Ok(answer) => answers.push(answer),
            Err(_) => panicked = true,
        }
    }
    let committed = if panicked {
        let _ = conn.rollback_group();
        Err("a write in the same group failed unexpectedly; nothing of the group was kept".to_string())
    } else {
        conn.commit_group().map_err(|e| e.to_string())
    };
    if committed.is_err() && !panicked {
        let _ = conn.rollback_group();
    }
    for answer in answers {
        answer.send(committed.as_ref().map(|_| ()).map_err(String::as_str));
    }
    committed
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
    use diesel::{RunQueryDsl, SqliteConnection};
    use std::time::Duration;

    impl GroupConnection for SqliteConnection {
        fn begin_group(&mut self) -> diesel::QueryResult<()> {
            AnsiTransactionManager::begin_transaction_sql(self, "BEGIN IMMEDIATE")
        }
        fn commit_group(&mut self) -> diesel::QueryResult<()> {
            AnsiTransactionManager::commit_transaction(self)
        }
        fn rollback_group(&mut self) -> diesel::QueryResult<()> {
            AnsiTransactionManager::rollback_transaction(self)
        }
    }

    fn writer_on(dir: &std::path::Path) -> Writer<SqliteConnection> {
        let path = dir.join("w.db").to_string_lossy().into_owned();
        let mut setup = diesel::SqliteConnection::establish(&path).unwrap();
        setup.batch_execute("PRAGMA journal_mode = WAL; CREATE TABLE t (x INTEGER NOT NULL)").unwrap();
        Writer::start(move || Ok(SqliteConnection::establish(&path)?)).unwrap()
    }

    fn insert(x: i32) -> impl FnOnce(&mut SqliteConnection) -> AppResult<i32> {
        move |conn| {
            diesel::sql_query(format!("INSERT INTO t VALUES ({x})")).execute(conn)?;
            Ok(x)
        }
    }

    fn stored(w: &Writer<SqliteConnection>) -> impl std::future::Future<Output = Vec<i32>> + '_ {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            x: i32,
        }
        async move {
            w.write(|conn| Ok(diesel::sql_query("SELECT x FROM t ORDER BY x").load::<Row>(conn)?))
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.x)
                .collect()
        }
    }

    #[tokio::test]
    async fn a_failed_write_rolls_back_alone_and_a_panic_takes_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let w = writer_on(dir.path());
        // The first write holds the writer while the next three queue: they form one group.
        let hold = w.write(|conn| {
            std::thread::sleep(Duration::from_millis(300));
            insert(1)(conn)
        });
        let later = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let failing = w.write(|conn| {
                insert(2)(conn)?;
                Err::<i32, _>(AppError::invalid("refused after writing"))
            });
            tokio::join!(w.write(insert(3)), failing, w.write(insert(4)))
        };
        let (first, (three, two, four)) = tokio::join!(hold, later);
        assert_eq!((first.unwrap(), three.unwrap(), four.unwrap()), (1, 3, 4));
        assert!(two.is_err());
        assert_eq!(stored(&w).await, vec![1, 3, 4], "the failed write left nothing; the others were committed");

        let hold = w.write(|_| {
            std::thread::sleep(Duration::from_millis(300));
            Ok(0)
        });
        let later = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let panics = w.write(|conn| -> AppResult<i32> {
                insert(6)(conn)?;
                panic!("a bug in a write")
            });
            tokio::join!(w.write(insert(5)), panics)
        };
        let (_, (five, six)) = tokio::join!(hold, later);
        assert!(five.is_err() && six.is_err(), "the whole group is refused");
        assert_eq!(stored(&w).await, vec![1, 3, 4], "and none of it kept");
        assert_eq!(w.write(insert(7)).await.unwrap(), 7, "the writer goes on");
    }
}
