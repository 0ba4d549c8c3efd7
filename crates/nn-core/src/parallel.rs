//! Keeping rayon's threads ready during a training loop.

use std::sync::atomic::{AtomicBool, Ordering};

/// Runs `f` while the other threads of the current rayon pool stay awake,
/// polling for work, instead of going to sleep.
///
/// A training step alternates short parallel regions (a matrix product split
/// across threads) with short serial ones (an activation, the loss). An idle
/// rayon thread goes to sleep after some 20–50 µs, and waking it costs tens of
/// microseconds (measured on a 2-vCPU VM: a `join` of two 40 µs halves took
/// 90 µs after a 50 µs serial gap, against 41.5 µs with this function), which
/// is as long as the work it was woken for. Inside `with_warm_workers`, each
/// other thread runs a task that executes pending rayon work as soon as it
/// appears (`rayon::yield_now`) and spins otherwise.
///
/// The price is that those threads use their cores fully while `f` runs: wrap
/// a training loop, not a whole program. With a one-thread pool it just calls
/// `f`. Results do not change: only who runs the work, and when.
///
/// ```
/// let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
/// let sum = pool.install(|| nn_core::with_warm_workers(|| {
///     let (a, b) = rayon::join(|| (0..1000).sum::<u64>(), || (1000..2000).sum::<u64>());
///     a + b
/// }));
/// assert_eq!(sum, 1_999_000);
/// ```
pub fn with_warm_workers<R: Send>(f: impl FnOnce() -> R + Send) -> R {
    let helpers = rayon::current_num_threads().saturating_sub(1);
    if helpers == 0 {
        return f();
    }
    let active = AtomicBool::new(true);
    rayon::scope(|s| {
        for _ in 0..helpers {
            s.spawn(|_| {
                while active.load(Ordering::Relaxed) {
                    if let Some(rayon::Yield::Idle) = rayon::yield_now() {
                        std::hint::spin_loop();
                    }
                }
            });
        }
        let result = f();
        active.store(false, Ordering::Relaxed);
        result
    })
}
