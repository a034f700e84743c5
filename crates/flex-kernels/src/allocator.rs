//! The allocator's two knobs the application needs at run time: whether it
//! hands freed memory back to the OS at all, and "hand it back now".
//!
//! latent-studio's binary allocates through mimalloc (v3). Freed memory goes
//! back to the OS only when `MIMALLOC_PURGE_DELAY` is not negative (the
//! binary chooses per command, see its `main.rs`), and then only after the
//! delay, on some later allocation. [`collect`] forces it for the calling
//! thread's free pages and every arena. Processes that allocate through
//! another allocator (the test harnesses) call it harmlessly: mimalloc then
//! holds nothing.

use std::ffi::{c_int, c_long};

// Links mimalloc's C library here too (the test harnesses do not use it as
// their allocator, so nothing else would pull it in).
use libmimalloc_sys as _;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (libmimalloc-sys
/// exports no constant for it).
const OPTION_PURGE_DELAY: c_int = 15;

#[allow(unsafe_code)]
// SAFETY: all three are plain C functions of the linked mimalloc with these
// signatures (mimalloc.h: `void mi_collect(bool force)`,
// `long mi_option_get(mi_option_t option)`, `void mi_option_set(mi_option_t
// option, long value)`); none takes pointers.
unsafe extern "C" {
    safe fn mi_collect(force: bool);
    safe fn mi_option_get(option: c_int) -> c_long;
    safe fn mi_option_set(option: c_int, value: c_long);
}

#[allow(unsafe_code)]
// SAFETY: mimalloc.h: `void mi_process_info(size_t* elapsed_msecs, size_t*
// user_msecs, size_t* system_msecs, size_t* current_rss, size_t* peak_rss,
// size_t* current_commit, size_t* peak_commit, size_t* page_faults)`; every
// pointer may be null or points to a `size_t` it writes.
unsafe extern "C" {
    fn mi_process_info(
        elapsed_msecs: *mut usize,
        user_msecs: *mut usize,
        system_msecs: *mut usize,
        current_rss: *mut usize,
        peak_rss: *mut usize,
        current_commit: *mut usize,
        peak_commit: *mut usize,
        page_faults: *mut usize,
    );
}

/// The bytes mimalloc has committed from the OS now (its pages in use and
/// the free ones it has not handed back yet), whatever is resident.
pub fn committed() -> usize {
    let mut commit = 0usize;
    let null = std::ptr::null_mut();
    #[allow(unsafe_code)]
    // SAFETY: one valid `usize` out-pointer, the others null (see above).
    unsafe {
        mi_process_info(null, null, null, null, null, &raw mut commit, null, null);
    }
    commit
}

/// The purge delay in milliseconds; negative when freed memory is never
/// handed back (the setting for benchmarks and headless training).
#[allow(
    clippy::useless_conversion,
    reason = "c_long is 32 bits on some platforms"
)]
pub fn purge_delay() -> i64 {
    i64::from(mi_option_get(OPTION_PURGE_DELAY))
}

/// Hands the calling thread's free pages and every arena's free memory back
/// to the OS now (when purging is allowed at all).
pub fn collect() {
    mi_collect(true);
}

/// Hands every free page back now even in a process that never purges
/// (`bench`, between two measurements of peak memory): purging is allowed
/// for the moment of the collection, then the setting is put back.
/// `collect_workers` runs [`collect`] on every compute worker meanwhile.
pub fn release_all(collect_workers: impl FnOnce()) {
    let delay = mi_option_get(OPTION_PURGE_DELAY);
    mi_option_set(OPTION_PURGE_DELAY, 0);
    collect_workers();
    collect();
    mi_option_set(OPTION_PURGE_DELAY, delay);
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_the_one_the_environment_sets() {
        // mimalloc v3's default is 1000 ms; the variable overrides it.
        let expected = std::env::var("MIMALLOC_PURGE_DELAY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1000);
        assert_eq!(super::purge_delay(), expected);
        super::collect();
    }
}
