//! `latent-studio bench …`: what each technique's steps cost at fixed sizes.
//! Every benchmark prints its lines and returns its figures as
//! [`Measurement`]s; `bench all --json FILE` writes them all with the machine
//! they ran on, and `bench compare OLD NEW` (scripts/bench-compare.sh) sets two
//! such files side by side, workload by workload.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};

/// The version of the JSON file `bench all --json` writes.
const FORMAT: u32 = 1;

/// Which way a figure improves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    Lower,
    Higher,
}

/// One figure of one workload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What was measured, e.g. "dream step 200×300 (steady)".
    pub workload: String,
    pub value: f64,
    /// "ms", "s", "MiB", "tokens/s", …
    pub unit: String,
    pub better: Better,
}

impl Measurement {
    /// A time or a size: lower is better.
    pub fn cost(workload: impl Into<String>, value: f64, unit: &str) -> Self {
        Self {
            workload: workload.into(),
            value,
            unit: unit.to_owned(),
            better: Better::Lower,
        }
    }

    /// A rate: higher is better.
    pub fn rate(workload: impl Into<String>, value: f64, unit: &str) -> Self {
        Self {
            better: Better::Higher,
            ..Self::cost(workload, value, unit)
        }
    }
}

/// What `bench all --json` writes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub format: u32,
    /// The CPU's model, its widest vector unit and its core count.
    pub cpu: String,
    /// Seconds since 1970 when the run ended.
    pub unix_time: u64,
    pub measurements: Vec<Measurement>,
}

impl Report {
    pub fn new(measurements: Vec<Measurement>) -> Self {
        Self {
            format: FORMAT,
            cpu: cpu_description(),
            unix_time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            measurements,
        }
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n")
            .map_err(|e| anyhow::anyhow!("could not write {}: {e}", path.display()))
    }

    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("could not read {}: {e}", path.display()))?;
        let report: Self = serde_json::from_str(&text).map_err(|e| {
            anyhow::anyhow!("{} is not a `bench all --json` file: {e}", path.display())
        })?;
        if report.format != FORMAT {
            anyhow::bail!(
                "{} is a bench file of format {}; this studio reads format {FORMAT}",
                path.display(),
                report.format
            );
        }
        Ok(report)
    }
}

/// "Intel Xeon … · avx512f · 2 cores" from /proc/cpuinfo, or what is known.
pub fn cpu_description() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU", |(_, m)| m.trim());
    let flags: Vec<&str> = info
        .lines()
        .find_map(|l| l.strip_prefix("flags"))
        .map(|l| l.split_whitespace().collect())
        .unwrap_or_default();
    let vector = ["avx512f", "avx2"]
        .into_iter()
        .find(|f| flags.contains(f))
        .unwrap_or("no avx2");
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    format!("{model} · {vector} · {cores} cores")
}

/// One workload's change from one file to the other.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub workload: String,
    pub unit: String,
    pub old: f64,
    pub new: f64,
    /// How many times better the new figure is (2.0 = twice as fast; 0.5 = half).
    pub gain: f64,
}

/// Workloads in both reports, in the new one's order; the rest by name.
pub fn compare(old: &Report, new: &Report) -> (Vec<Change>, Vec<String>, Vec<String>) {
    let mut changes = Vec::new();
    let mut added = Vec::new();
    for m in &new.measurements {
        match old.measurements.iter().find(|o| o.workload == m.workload) {
            Some(o) if o.value > 0.0 && m.value > 0.0 => changes.push(Change {
                workload: m.workload.clone(),
                unit: m.unit.clone(),
                old: o.value,
                new: m.value,
                gain: match m.better {
                    Better::Lower => o.value / m.value,
                    Better::Higher => m.value / o.value,
                },
            }),
            Some(_) => {}
            None => added.push(m.workload.clone()),
        }
    }
    let gone = old
        .measurements
        .iter()
        .filter(|o| !new.measurements.iter().any(|m| m.workload == o.workload))
        .map(|o| o.workload.clone())
        .collect();
    (changes, added, gone)
}

/// `bench compare OLD NEW`: a table of changes; fails when any workload got
/// worse by more than `threshold` percent.
pub fn print_comparison(old_path: &Path, new_path: &Path, threshold: f64) -> ExitCode {
    let (old, new) = match (Report::read(old_path), Report::read(new_path)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(err), _) | (_, Err(err)) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    println!("old: {} ({})", old_path.display(), old.cpu);
    println!("new: {} ({})", new_path.display(), new.cpu);
    if old.cpu != new.cpu {
        println!("note: different machines — times differ by up to 2× between them");
    }
    let (changes, added, gone) = compare(&old, &new);
    println!(
        "{:<52} {:>12} {:>12} {:>9}  verdict",
        "workload", "old", "new", "change"
    );
    let mut worse = 0;
    for c in &changes {
        let verdict = verdict(c.gain, threshold);
        if verdict == "WORSE" {
            worse += 1;
        }
        println!(
            "{:<52} {:>12} {:>12} {:>8.2}×  {verdict}",
            c.workload,
            format!("{:.1} {}", c.old, c.unit),
            format!("{:.1} {}", c.new, c.unit),
            c.gain
        );
    }
    for name in added {
        println!("{name:<52} (new)");
    }
    for name in gone {
        println!("{name:<52} (not in the new file)");
    }
    if worse > 0 {
        println!("{worse} workload(s) worse by more than {threshold} %");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// "better", "WORSE" or "same" for a gain, with `threshold` percent of noise.
fn verdict(gain: f64, threshold: f64) -> &'static str {
    let band = threshold / 100.0;
    if gain > 1.0 + band {
        "better"
    } else if gain < 1.0 / (1.0 + band) {
        "WORSE"
    } else {
        "same"
    }
}

/// `bench all`: every benchmark in turn, at its default length.
pub fn all(device: &burn::tensor::Device, json: Option<&PathBuf>) -> anyhow::Result<()> {
    use crate::techniques::{dream, gan, style, text, vae};
    let mut measurements = Vec::new();
    measurements.extend(style::cli::bench(device, None)?);
    measurements.extend(dream::cli::bench(device, None)?);
    measurements.extend(vae::cli::bench(device.clone(), None)?);
    measurements.extend(gan::cli::bench(device.clone(), None)?);
    measurements.extend(text::cli::bench(device, None)?);
    measurements.extend(kernels(5));
    measurements.extend(crate::techniques::tuner::bench::run(None));
    let report = Report::new(measurements);
    println!("{} figures on {}", report.measurements.len(), report.cpu);
    if let Some(path) = json {
        report.write(path)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Each CPU kernel against its composed form, forward and backward on
/// burn-flex, as a table.
pub fn kernels(reps: usize) -> Vec<Measurement> {
    crate::priority::init_compute_pool();
    println!(
        "{:<26} {:<46} {:>10} {:>12} {:>8}",
        "kernel", "size", "fused ms", "composed ms", "speedup"
    );
    let timings = flex_kernels::bench::run_all(reps, |t| {
        println!(
            "{:<26} {:<46} {:>10.2} {:>12.2} {:>7.1}×",
            t.name,
            t.size,
            t.fused_ms,
            t.composed_ms,
            t.speedup()
        );
    });
    timings
        .iter()
        .map(|t| Measurement::cost(format!("kernel {}", t.name), t.fused_ms, "ms"))
        .collect()
}

/// Mebibytes, for the peak-memory figures.
#[expect(clippy::cast_precision_loss, reason = "a figure for people")]
pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1u32 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(pairs: &[(&str, f64, Better)]) -> Report {
        Report {
            format: FORMAT,
            cpu: "test".into(),
            unix_time: 0,
            measurements: pairs
                .iter()
                .map(|&(w, value, better)| Measurement {
                    workload: w.into(),
                    value,
                    unit: "ms".into(),
                    better,
                })
                .collect(),
        }
    }

    #[test]
    fn a_comparison_says_which_way_each_workload_moved() {
        let old = report(&[
            ("dream", 400.0, Better::Lower),
            ("tokens", 50.0, Better::Higher),
            ("gone", 1.0, Better::Lower),
        ]);
        let new = report(&[
            ("dream", 100.0, Better::Lower),
            ("tokens", 25.0, Better::Higher),
            ("added", 1.0, Better::Lower),
        ]);
        let (changes, added, gone) = compare(&old, &new);
        assert_eq!(changes.len(), 2);
        assert!((changes[0].gain - 4.0).abs() < 1e-9, "4× faster");
        assert!((changes[1].gain - 0.5).abs() < 1e-9, "half the rate");
        assert_eq!(added, ["added"]);
        assert_eq!(gone, ["gone"]);
        assert_eq!(verdict(changes[0].gain, 10.0), "better");
        assert_eq!(verdict(changes[1].gain, 10.0), "WORSE");
        assert_eq!(verdict(1.05, 10.0), "same");
        assert_eq!(verdict(1.0 / 1.05, 10.0), "same");
    }

    #[test]
    fn a_report_round_trips_and_another_format_is_refused() {
        let dir = std::env::temp_dir().join(format!("bench-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.json");
        let written = Report::new(vec![Measurement::rate("tokens", 12.5, "tokens/s")]);
        written.write(&path).unwrap();
        assert_eq!(Report::read(&path).unwrap(), written);
        let other = Report {
            format: FORMAT + 1,
            ..written
        };
        other.write(&path).unwrap();
        let err = Report::read(&path).unwrap_err().to_string();
        assert!(err.contains("format 2"), "{err}");
        std::fs::write(&path, "{}").unwrap();
        assert!(Report::read(&path).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
