//! What must be undone if the process is interrupted: throwaway servers, containers, scratch
//! databases, child processes. Each owner registers an undo action and drops its guard when it
//! has cleaned up itself; on Ctrl-C or SIGTERM the registered actions run before exit.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, Once, RwLock};

type Action = Box<dyn FnOnce() + Send>;

static ACTIONS: Mutex<BTreeMap<u64, Action>> = Mutex::new(BTreeMap::new());
static NEXT: AtomicU64 = AtomicU64::new(0);
static INTERRUPTED: AtomicBool = AtomicBool::new(false);
/// Held (shared) while something is created and its undo registered, or undone by its owner;
/// the handler takes it (exclusive) before undoing, so nothing is created between the two and
/// left behind, and no owner's undo is cut short by the exit.
static CRITICAL: RwLock<()> = RwLock::new(());

/// Whether Ctrl-C (or SIGTERM, SIGHUP) arrived: work that failed since failed because of it.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Unregisters its action when dropped (the owner cleaned up normally).
#[must_use]
pub(crate) struct Guard(u64);

impl Drop for Guard {
    fn drop(&mut self) {
        ACTIONS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.0);
    }
}

pub(crate) fn register(action: impl FnOnce() + Send + 'static) -> Guard {
    let id = NEXT.fetch_add(1, Ordering::SeqCst);
    ACTIONS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id, Box::new(action));
    Guard(id)
}

/// Runs `work` (creating something and registering its undo, or an owner undoing it) so that
/// an interruption cannot fall in the middle: the handler waits for it to finish. None once
/// interrupted: nothing is done then (the handler undoes what is registered).
pub(crate) fn critical<T>(work: impl FnOnce() -> T) -> Option<T> {
    let _shared = CRITICAL.read().unwrap_or_else(|p| p.into_inner());
    if interrupted() {
        return None;
    }
    Some(work())
}

/// Runs every registered action, newest first.
pub(crate) fn run_all() {
    let actions = std::mem::take(&mut *ACTIONS.lock().unwrap_or_else(|p| p.into_inner()));
    for (_, action) in actions.into_iter().rev() {
        action();
    }
}

/// On SIGINT, SIGTERM or SIGHUP: clean up, then exit with 130. Installed once.
pub fn install_signal_handler() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            // First, so that work failing from the cleanup below is known to be interrupted.
            INTERRUPTED.store(true, Ordering::SeqCst);
            eprintln!("interrupted: cleaning up");
            let _exclusive = CRITICAL.write().unwrap_or_else(|p| p.into_inner());
            run_all();
            std::process::exit(130);
        });
    });
}
