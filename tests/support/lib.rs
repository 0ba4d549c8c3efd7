//! Helpers shared by the workspace's cross-crate tests (`tests/`) and
//! benchmarks (`benches/`). Not published.

use std::path::PathBuf;

/// The data directory from `NN_DATA_DIR`, or `None` after printing why a test
/// that needs real data is skipping.
///
/// `what` names the files the caller needs, for the message.
pub fn data_dir_or_skip(what: &str) -> Option<PathBuf> {
    match std::env::var_os("NN_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => {
            eprintln!("skipping: NN_DATA_DIR is not set, so {what} cannot be found");
            None
        }
    }
}

/// The thread counts benchmarks compare side by side: 1 and 2 (this
/// project's reference machine has two cores).
pub const BENCH_THREADS: [usize; 2] = [1, 2];

/// A rayon pool of `threads` threads. Benchmarks run their timing loops
/// inside `pool.install`, as the trainer does: a `rayon::join` issued from a
/// thread outside the pool must hand its work over and sleep, which costs far
/// more than the join itself.
pub fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a rayon pool of 1 or 2 threads can always be built")
}

/// Runs `f` `iters` times inside `pool`, with its threads kept warm
/// ([`nn_core::with_warm_workers`], as the trainer does), and returns the time
/// taken: the body of a criterion `iter_custom`.
pub fn time_in_pool<F: FnMut() + Send>(
    pool: &rayon::ThreadPool,
    iters: u64,
    mut f: F,
) -> std::time::Duration {
    pool.install(|| {
        nn_core::with_warm_workers(|| {
            let start = std::time::Instant::now();
            for _ in 0..iters {
                f();
            }
            start.elapsed()
        })
    })
}

/// Like [`time_in_pool`], but each iteration first runs `setup` (untimed)
/// and passes its value to `routine` (timed); both get `ctx` (the layer under
/// test) in turn. For layers that consume tensors of several megabytes, whose
/// copy would otherwise be measured with them, or that need a forward pass
/// before each backward.
pub fn time_in_pool_with_setup<C, I, S, R>(
    pool: &rayon::ThreadPool,
    iters: u64,
    ctx: &mut C,
    mut setup: S,
    mut routine: R,
) -> std::time::Duration
where
    C: Send,
    S: FnMut(&mut C) -> I + Send,
    R: FnMut(&mut C, I) + Send,
{
    pool.install(|| {
        nn_core::with_warm_workers(|| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iters {
                let input = setup(ctx);
                let start = std::time::Instant::now();
                routine(ctx, input);
                total += start.elapsed();
            }
            total
        })
    })
}
