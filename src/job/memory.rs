//! The memory guard: before a large run starts, its peak memory is estimated
//! from the shapes it will hold, and a run that would not fit in what the
//! host has free is refused with the estimate and a hint — instead of an
//! allocation failing half-way and aborting the whole process.

/// Bytes in a gibibyte, for messages.
const GIB: f64 = 1_073_741_824.0;

/// The share of the free memory a run may plan to use: the rest is for the
/// studio, the allocator's slack and everything else on the machine.
const USABLE: f64 = 0.8;

/// What the host has free now (Linux: `MemAvailable`); `None` when unknown,
/// and then nothing is refused.
pub fn available() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_available(&text)
}

/// "3.2 GB" (binary gigabytes, as the system monitor shows them).
#[expect(clippy::cast_precision_loss, reason = "a figure for people")]
pub fn gigabytes(bytes: u64) -> String {
    let gib = bytes as f64 / GIB;
    if gib < 0.1 {
        format!("{:.0} MB", gib * 1024.0)
    } else {
        format!("{gib:.1} GB")
    }
}

/// Refuses `what` when its estimated peak does not fit in the free memory.
pub fn check(what: &str, estimate: u64, hint: &str) -> anyhow::Result<()> {
    check_against(what, estimate, available(), hint)
}

/// [`check`] against a given amount free.
pub fn check_against(
    what: &str,
    estimate: u64,
    available: Option<u64>,
    hint: &str,
) -> anyhow::Result<()> {
    let Some(free) = available else {
        return Ok(());
    };
    #[expect(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a budget in bytes"
    )]
    let budget = (free as f64 * USABLE) as u64;
    if estimate <= budget {
        return Ok(());
    }
    anyhow::bail!(
        "{what} needs about {} of memory and {} is free, so it was not started. {hint}",
        gigabytes(estimate),
        gigabytes(free)
    )
}

/// Hands the memory a finished run freed back to the OS now: every compute
/// worker's free pages and the allocator's arenas. Does nothing in processes
/// that never purge (`bench` and the headless training commands keep freed
/// memory for the next step; see `main.rs`). Called when a job ends and when
/// a serving job falls idle.
pub fn give_back() {
    if flex_kernels::allocator::purge_delay() < 0 {
        return;
    }
    // The pool is built with its low priority if this is its first use.
    crate::priority::init_compute_pool();
    rayon::broadcast(|_| flex_kernels::allocator::collect());
    flex_kernels::allocator::collect();
}

/// Starts a measurement of peak memory: every free page goes back first,
/// even in a process that never purges (`bench`, whose earlier workloads
/// would otherwise count in the next one's peak), then [`peak`] starts
/// again from the resident memory left.
pub fn start_peak() -> bool {
    crate::priority::init_compute_pool();
    flex_kernels::allocator::release_all(|| {
        rayon::broadcast(|_| flex_kernels::allocator::collect());
    });
    reset_peak()
}

/// This process's resident memory now (Linux: `VmRSS`); `None` elsewhere.
pub fn resident() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&text, "VmRSS:")
}

/// This process's peak resident memory since it started or since the last
/// [`reset_peak`] (Linux: `VmHWM`); `None` elsewhere.
pub fn peak() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_kib_field(&text, "VmHWM:")
}

/// Where the resident memory is, for a soak's lines: "anon 120 MiB, file
/// 18 MiB, allocator 131 MiB committed, 9 threads" (Linux; empty elsewhere).
pub fn breakdown() -> String {
    let Ok(text) = std::fs::read_to_string("/proc/self/status") else {
        return String::new();
    };
    let mib = |field| parse_kib_field(&text, field).map_or(0, |b| b >> 20);
    let threads = text
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .map_or("?", str::trim);
    format!(
        "anon {} MiB, file {} MiB, allocator {} MiB committed, {threads} threads",
        mib("RssAnon:"),
        mib("RssFile:"),
        flex_kernels::allocator::committed() >> 20
    )
}

/// Starts [`peak`] again from the resident memory now (Linux: writing 5 to
/// `/proc/self/clear_refs`); false where it cannot.
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn parse_available(meminfo: &str) -> Option<u64> {
    parse_kib_field(meminfo, "MemAvailable:")
}

/// A `Name:   123 kB` line of a /proc file, in bytes.
fn parse_kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

/// Bytes of `floats` 32-bit numbers.
pub fn f32_bytes(floats: usize) -> u64 {
    u64::try_from(floats).unwrap_or(u64::MAX).saturating_mul(4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_does_not_fit_is_refused_with_its_estimate() {
        let free = Some(10 << 30);
        assert!(check_against("a small run", 4 << 30, free, "").is_ok());
        let err = check_against("A 40 000 px panorama", 300 << 30, free, "Lower the height.")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "A 40 000 px panorama needs about 300.0 GB of memory and 10.0 GB is free, so it was \
             not started. Lower the height."
        );
        // Over the usable share, under the total: still refused.
        assert!(check_against("x", 9 << 30, free, "").is_err());
        assert!(check_against("unknown host", u64::MAX, None, "").is_ok());
    }

    #[test]
    fn the_free_memory_is_read_from_meminfo() {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:   100 kB\nMemAvailable:   2048 kB\n";
        assert_eq!(parse_available(meminfo), Some(2048 * 1024));
        assert_eq!(parse_available("MemTotal: 1 kB\n"), None);
        assert_eq!(gigabytes(3 << 29), "1.5 GB");
        assert_eq!(gigabytes(5 << 20), "5 MB");
        #[cfg(target_os = "linux")]
        assert!(available().is_some_and(|b| b > 0));
        #[cfg(target_os = "linux")]
        assert!(resident().is_some_and(|b| b > 1 << 20));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_peak_counts_from_its_reset() {
        assert!(reset_peak());
        let start = resident().unwrap();
        let held = vec![1u8; 64 << 20];
        std::hint::black_box(&held);
        let peak = peak().unwrap();
        drop(held);
        assert!(peak >= start + (48 << 20), "{peak} vs {start}");
    }
}
