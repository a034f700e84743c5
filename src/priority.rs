//! Keeps the window smooth while compute runs: job threads and burn-flex's
//! worker pool run at the lowest normal priority (nice 19), so the UI thread and
//! the renderer get a core whenever they want one, and compute takes the rest.
//! On a 2-core machine with a software renderer this roughly halves the frame
//! interval while a job streams previews (see README, "Measured").

/// Lowers the calling thread's priority; failures are ignored (priority is a
/// courtesy, never a reason to fail a job).
pub fn lower_current_thread() {
    let _ = thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min);
}

/// Builds rayon's global pool (used by burn-flex and gemm) with low-priority
/// workers. Call once, before any compute; later calls do nothing.
pub fn init_compute_pool() {
    let _ = rayon::ThreadPoolBuilder::new()
        .thread_name(|i| format!("compute-{i}"))
        .start_handler(|_| lower_current_thread())
        .build_global();
}

/// Runs `work` in a one-worker rayon pool (low priority), so burn-flex does
/// not split small operations across cores. The char LSTM's many small steps
/// train faster this way on 2 cores (114 vs 132 ms per batch, measured);
/// larger layers (VAE, Transformer, convnets) are faster on the shared pool.
pub fn on_one_core<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .thread_name(|_| "compute-single".to_owned())
        .start_handler(|_| lower_current_thread())
        .build()
    {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}
