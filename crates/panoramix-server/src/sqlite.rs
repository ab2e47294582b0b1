//! The embedded default store: SQLite (bundled) in WAL mode. One writer connection
//! behind a mutex and a few reader connections. Every request's writes run in a
//! savepoint of its own inside an IMMEDIATE batch transaction that requests queued
//! at the same time share (group commit); a request returns only after the commit
//! that contains its changes.

pub use panoramix_controller::sqlite::SqliteTx;
use panoramix_controller::sqlite::store_err;
use panoramix_controller::store::{Store, StoreError, Tx};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};
use std::path::Path;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

fn open(path: &Path, read_only: bool) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let c = Connection::open_with_flags(path, flags).map_err(store_err)?;
    c.busy_timeout(Duration::from_secs(10)).map_err(store_err)?;
    if !read_only {
        c.pragma_update(None, "journal_mode", "WAL")
            .map_err(store_err)?;
        // WAL + NORMAL: a committed transaction survives a crash of the process (kill -9);
        // `--sync full` makes it survive a power loss too.
        c.pragma_update(None, "synchronous", "NORMAL")
            .map_err(store_err)?;
        // temp_store stays FILE (SQLite's default): a savepoint's undo log (the
        // statement journal) is held in memory up to 64 KiB, which is all a request
        // of a few rows needs, and only a larger one (a close or a take-over of
        // 100,000 messages rewrites hundreds of MB of pages) spills to a temporary
        // file instead of the heap. temp_store=MEMORY held all of it in memory:
        // 220 MB more for a 100,000-message close (docs/performance.md)
        // 16 MiB of page cache (default 2 MiB): the indexes' random leaves stay in memory
        c.pragma_update(None, "cache_size", -16_384)
            .map_err(store_err)?;
    }
    c.set_prepared_statement_cache_capacity(64);
    Ok(c)
}

/// Most requests one batch transaction takes before it is committed.
pub const MAX_BATCH: usize = 256;

/// Longest a batch stays open waiting for requests in flight to join it.
pub const MAX_BATCH_WAIT: Duration = Duration::from_millis(2);

/// How often the checkpointer looks for new commits to copy from the WAL.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(50);

/// WAL length (frames, 4 KiB pages) above which the checkpointer also restarts the
/// WAL, briefly holding writers off, so that it cannot grow without bound under a
/// sustained load; and the size the WAL file is then truncated to.
const WAL_RESTART_FRAMES: i64 = 16_384;
const WAL_SIZE_LIMIT: i64 = 64 << 20;

/// Background checkpointing. The writer's automatic checkpoint would copy the WAL
/// into the database file, and fsync both, inside a commit, while every other
/// writer waits; instead a thread with its own connection does it (PASSIVE: it never
/// blocks the writer) whenever there were commits. Durability is unchanged: a
/// commit is durable once it is in the WAL.
struct Checkpointer {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path, commits: Arc<AtomicU64>) -> Result<Checkpointer, StoreError> {
        let conn = open(path, false)?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)
            .map_err(store_err)?;
        let stop: Arc<(Mutex<bool>, Condvar)> = Arc::default();
        let stop2 = stop.clone();
        let thread = std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                let checkpoint = |mode: &str| {
                    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
                        r.get::<_, i64>(1)
                    })
                };
                let mut seen = commits.load(Ordering::Relaxed);
                loop {
                    let (m, cv) = &*stop2;
                    let g = lock(m);
                    let (g, _) = cv
                        .wait_timeout(g, CHECKPOINT_EVERY)
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    if *g {
                        return;
                    }
                    drop(g);
                    let now = commits.load(Ordering::Relaxed);
                    if now == seen {
                        continue;
                    }
                    seen = now;
                    match checkpoint("PASSIVE") {
                        Ok(frames) if frames >= WAL_RESTART_FRAMES => {
                            if let Err(e) = checkpoint("RESTART") {
                                tracing::warn!(error = %e, "WAL restart failed");
                            }
                        }
                        Ok(_) => {}
                        Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
                    }
                }
            })
            .map_err(|e| {
                StoreError::new(format!("cannot start the checkpoint thread: {e}")).with_source(e)
            })?;
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        let (m, cv) = &*self.stop;
        *lock(m) = true;
        cv.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The writer connection and the batch transaction open on it.
struct Writer {
    conn: Connection,
    /// A batch transaction is open.
    open: bool,
    /// Number of the open (or last) batch.
    batch: u64,
    /// When the open batch began.
    opened: Instant,
    /// Requests run in the open batch.
    requests: usize,
    /// Requests of the open batch whose changes were kept (released savepoints).
    kept: usize,
}

/// Outcomes of closed batches.
struct Closed {
    /// Every batch up to this number is closed (committed or rolled back).
    upto: u64,
    /// Recent batches whose commit failed, with the error.
    failed: VecDeque<(u64, StoreError)>,
}

/// The SQLite database: one writer, several readers.
///
/// Writes use group commit. Every request still runs in a transaction of its own
/// from the handler's point of view: a savepoint, released when the handler returns
/// `Ok` and rolled back when it returns `Err`. Requests that queue for the writer
/// while another one runs join the same batch transaction, and the last request of
/// a batch (the one that finds nobody waiting, or the [`MAX_BATCH`]th) commits it
/// for all. Nobody returns before the commit that contains its changes (so no 201
/// is sent for a change that a crash could lose); if that commit fails, every
/// request of the batch gets the store error and nothing of the batch is kept.
pub struct SqliteDb {
    writer: Mutex<Writer>,
    /// Requests waiting for the writer lock.
    waiting: AtomicUsize,
    /// Counted requests ([`SqliteDb::writing_handle`]) that have not run their
    /// savepoint yet.
    inflight: AtomicUsize,
    /// Write requests run, and batches committed, since the database was opened.
    stats: (AtomicU64, Arc<AtomicU64>),
    /// The background checkpointer, if it could start (stopped when dropped).
    _checkpointer: Option<Checkpointer>,
    closed: Mutex<Closed>,
    closed_cv: Condvar,
    readers: Mutex<Vec<Connection>>,
    path: std::path::PathBuf,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl SqliteDb {
    /// Open (creating if needed) the database at `path`.
    pub fn open(path: &Path, full_sync: bool) -> Result<SqliteDb, StoreError> {
        let w = open(path, false)?;
        if full_sync {
            w.pragma_update(None, "synchronous", "FULL")
                .map_err(store_err)?;
        }
        w.pragma_update(None, "journal_size_limit", WAL_SIZE_LIMIT)
            .map_err(store_err)?;
        let commits = Arc::new(AtomicU64::new(0));
        let checkpointer = match Checkpointer::start(path, commits.clone()) {
            Ok(c) => {
                w.pragma_update(None, "wal_autocheckpoint", 0)
                    .map_err(store_err)?;
                Some(c)
            }
            Err(e) => {
                tracing::warn!(error = %e, "no background checkpoints; the writer checkpoints");
                None
            }
        };
        Ok(SqliteDb {
            writer: Mutex::new(Writer {
                conn: w,
                open: false,
                batch: 0,
                opened: Instant::now(),
                requests: 0,
                kept: 0,
            }),
            waiting: AtomicUsize::new(0),
            inflight: AtomicUsize::new(0),
            stats: (AtomicU64::new(0), commits),
            _checkpointer: checkpointer,
            closed: Mutex::new(Closed {
                upto: 0,
                failed: VecDeque::new(),
            }),
            closed_cv: Condvar::new(),
            readers: Mutex::new(Vec::new()),
            path: path.to_owned(),
        })
    }

    /// A handle implementing [`Store`] for one request.
    pub fn handle(&self) -> DbHandle<'_> {
        DbHandle {
            db: self,
            counted: false,
        }
    }

    /// A handle for a request that may write, counted from now on (before its
    /// signature is checked) until it has run its savepoint or is dropped, so that
    /// a batch waits for it rather than committing without it.
    pub fn writing_handle(&self) -> DbHandle<'_> {
        self.inflight.fetch_add(1, Ordering::SeqCst);
        DbHandle {
            db: self,
            counted: true,
        }
    }

    /// Close the open batch, if any (a counted request left without writing and
    /// nobody else is coming).
    fn flush(&self) {
        let mut w = lock(&self.writer);
        if w.open {
            let _ = self.close_batch(&mut w, false);
        }
    }

    /// Write requests run and batch transactions committed so far.
    pub fn write_stats(&self) -> (u64, u64) {
        (
            self.stats.0.load(Ordering::Relaxed),
            self.stats.1.load(Ordering::Relaxed),
        )
    }

    /// Commit (or, if it kept nothing or is `broken`, roll back) the open batch and
    /// tell its waiting requests how it ended.
    fn close_batch(&self, w: &mut Writer, broken: bool) -> Result<(), StoreError> {
        let outcome = if broken {
            Err(StoreError::new("the batch transaction was aborted"))
        } else if w.kept == 0 {
            w.conn.execute_batch("ROLLBACK").map_err(store_err)
        } else {
            self.stats.1.fetch_add(1, Ordering::Relaxed);
            w.conn.execute_batch("COMMIT").map_err(store_err)
        };
        if !w.conn.is_autocommit() {
            // a failed COMMIT may leave the transaction open: end it
            let _ = w.conn.execute_batch("ROLLBACK");
        }
        w.open = false;
        let mut c = lock(&self.closed);
        c.upto = w.batch;
        if let Err(e) = &outcome {
            c.failed.push_back((w.batch, e.clone()));
            while c.failed.len() > 1024 {
                c.failed.pop_front();
            }
        }
        drop(c);
        self.closed_cv.notify_all();
        outcome
    }

    /// Wait until batch `batch` is closed; its outcome.
    fn wait_closed(&self, batch: u64) -> Result<(), StoreError> {
        let mut c = lock(&self.closed);
        while c.upto < batch {
            let (g, t) = self
                .closed_cv
                .wait_timeout(c, MAX_BATCH_WAIT)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            c = g;
            if t.timed_out() && c.upto < batch {
                // nobody closed it in time: close it ourselves
                drop(c);
                let mut w = lock(&self.writer);
                if w.open && w.batch == batch {
                    let _ = self.close_batch(&mut w, false);
                }
                drop(w);
                c = lock(&self.closed);
            }
        }
        match c.failed.iter().find(|(b, _)| *b == batch) {
            Some((_, e)) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

/// A panic caught in a handler, to resume once the batch is taken care of.
type Panic = Box<dyn std::any::Any + Send + 'static>;

/// Run one request in a savepoint of the open batch: released on `Ok`, rolled back
/// on `Err` or panic. The flag says the batch transaction is no longer usable.
fn in_savepoint<T, E: From<StoreError>>(
    conn: &Connection,
    f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
) -> (Result<Result<T, E>, Panic>, bool) {
    let run = |sql: &str| conn.prepare_cached(sql).and_then(|mut st| st.execute([]));
    if let Err(e) = run("SAVEPOINT request") {
        return (Ok(Err(store_err(e).into())), true);
    }
    let undo = || match conn.execute_batch("ROLLBACK TO request; RELEASE request") {
        Ok(()) => false,
        Err(e) => {
            // the batch transaction is lost: say why (the requests get a store error)
            tracing::error!(error = %e, "cannot roll a request back; the batch is aborted");
            true
        }
    };
    match catch_unwind(AssertUnwindSafe(|| f(&mut SqliteTx(conn)))) {
        Ok(Ok(v)) => match run("RELEASE request") {
            Ok(_) => (Ok(Ok(v)), false),
            Err(e) => {
                let broken = undo();
                (Ok(Err(store_err(e).into())), broken)
            }
        },
        Ok(Err(e)) => {
            let broken = undo();
            (Ok(Err(e)), broken)
        }
        Err(panic) => {
            let broken = undo();
            (Err(panic), broken)
        }
    }
}

/// [`Store`] over a shared [`SqliteDb`]: the writer lock is taken only around the
/// request's own statements, so signature checks of concurrent requests run in
/// parallel and queued requests share one commit (see [`SqliteDb`]).
pub struct DbHandle<'a> {
    db: &'a SqliteDb,
    /// Still counted in `inflight`.
    counted: bool,
}

impl DbHandle<'_> {
    /// This request will not come to the writer (any more): stop counting it.
    /// True if nobody else is in flight.
    fn uncount(&mut self) -> bool {
        if !std::mem::take(&mut self.counted) {
            return self.db.inflight.load(Ordering::SeqCst) == 0;
        }
        self.db.inflight.fetch_sub(1, Ordering::SeqCst) == 1
    }
}

impl Drop for DbHandle<'_> {
    fn drop(&mut self) {
        if self.counted && self.uncount() {
            self.db.flush();
        }
    }
}

impl Store for DbHandle<'_> {
    fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let db = self.db;
        db.waiting.fetch_add(1, Ordering::SeqCst);
        let mut w = lock(&db.writer);
        db.waiting.fetch_sub(1, Ordering::SeqCst);
        if !w.open {
            if let Err(e) = w.conn.execute_batch("BEGIN IMMEDIATE") {
                if !w.conn.is_autocommit() {
                    let _ = w.conn.execute_batch("ROLLBACK");
                }
                return Err(store_err(e).into());
            }
            w.open = true;
            w.opened = Instant::now();
            w.batch += 1;
            w.requests = 0;
            w.kept = 0;
        }
        let batch = w.batch;
        let (out, broken) = in_savepoint(&w.conn, f);
        let alone = self.uncount();
        w.requests += 1;
        db.stats.0.fetch_add(1, Ordering::Relaxed);
        if matches!(out, Ok(Ok(_))) {
            w.kept += 1;
        }
        // the last request in commits for the batch; the others wait for it
        let close = broken
            || w.requests >= MAX_BATCH
            || (alone && db.waiting.load(Ordering::SeqCst) == 0)
            || w.opened.elapsed() >= MAX_BATCH_WAIT;
        let outcome = if close {
            let r = db.close_batch(&mut w, broken);
            drop(w);
            r
        } else {
            drop(w);
            match &out {
                Ok(_) => db.wait_closed(batch),
                Err(_) => Ok(()),
            }
        };
        let out = match out {
            Ok(out) => out,
            Err(panic) => resume_unwind(panic),
        };
        outcome?;
        out
    }

    fn read<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut dyn Tx) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = self
            .db
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let mut conn = match conn {
            Some(c) => c,
            None => open(&self.db.path, true)?,
        };
        let out = {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Deferred)
                .map_err(store_err)?;
            let out = f(&mut SqliteTx(&tx));
            tx.rollback().map_err(store_err)?;
            out
        };
        let mut pool = self
            .db
            .readers
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if pool.len() < 8 {
            pool.push(conn);
        }
        out
    }
}

/// Dump every table as text (for tests that assert a rejected request changed nothing).
pub fn dump(path: &Path) -> Result<String, StoreError> {
    let c = open(path, true)?;
    let mut out = String::new();
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
            .map_err(store_err)?;
        let names = st
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(store_err)?;
        names.collect::<Result<_, _>>().map_err(store_err)?
    };
    for t in tables {
        out.push_str(&format!("## {t}\n"));
        let rows = SqliteTx(&c).query(&format!("SELECT * FROM {t} ORDER BY 1, 2"), &[])?;
        for r in rows {
            out.push_str(&format!("{r:?}\n"));
        }
    }
    Ok(out)
}
