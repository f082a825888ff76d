//! Who blocks a migration: a watcher on a second session notes what `pg_blocking_pids` says of
//! the migration's session while it runs, so that each wait ([`crate::db::Waits`]: lock
//! timeouts and retries) can name the blocker.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::db::{self, Blocker, DatabaseUrl};

/// A second session that notes who blocks the migration's session while it runs.
pub(crate) struct Watcher {
    seen: Arc<Mutex<Vec<Blocker>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Watcher {
    /// Watches the session whose backend is `pid`, from a session of its own (none when it
    /// cannot connect: then waits are told without their blockers).
    pub(crate) fn start(url: &DatabaseUrl, pid: i32) -> Option<Watcher> {
        let mut client = db::connect(url).ok()?;
        let target = Arc::new(AtomicI32::new(pid));
        let seen: Arc<Mutex<Vec<Blocker>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (target, seen, stop) = (target.clone(), seen.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(now) = db::blockers(&mut client, target.load(Ordering::Relaxed))
                        && !now.is_empty()
                        && let Ok(mut s) = seen.lock()
                    {
                        *s = now;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
            })
        };
        Some(Watcher {
            seen,
            stop,
            thread: Some(thread),
        })
    }

    /// The blockers seen since the last call, forgetting them.
    pub(crate) fn take(&self) -> Vec<Blocker> {
        self.seen
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `blocked by pid 12 (psql, idle in transaction, `LOCK TABLE a`, since ...)`, or nothing
/// when none was seen.
pub(super) fn blocked_by(blockers: &[Blocker]) -> String {
    if blockers.is_empty() {
        return String::new();
    }
    let list: Vec<String> = blockers.iter().map(ToString::to_string).collect();
    format!("; blocked by {}", list.join(", "))
}
