//! Work spread over services: a pool of `jobs` threads that hands results back in input order,
//! and the callback through which each service reports what it is doing.

use rayon::prelude::*;

/// Receives progress lines: (service, message).
pub type Progress<'a> = &'a (dyn Fn(&str, &str) + Sync);

/// `work` applied to every item on `jobs` threads (at least one); results in the order of
/// `items`.
pub(crate) fn map<T, R>(jobs: usize, items: Vec<T>, work: impl Fn(T) -> R + Sync + Send) -> Vec<R>
where
    T: Send,
    R: Send,
{
    rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .expect("thread pool")
        .install(|| items.into_par_iter().map(work).collect())
}
