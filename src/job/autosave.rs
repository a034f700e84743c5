//! Autosave and recovery: a training job (VAE, GAN, text) writes its model,
//! optimiser state and progress into the user cache at each epoch end and
//! every few minutes, as one folder (see [`crate::checkpoint`]), beside a
//! `run.json` saying what it trains on and that it is still running. A run
//! that ends — finished, stopped or cancelled — says so; one whose process
//! was killed or crashed stays "running" with a dead process, and the next
//! start of the studio (or `--resume-last`) offers to resume it.
//!
//! Off until [`enable`] is called (the studio and the CLI do; tests choose).

use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The folder the autosaves live in, and the time between two saves inside an epoch.
#[derive(Clone, Debug)]
struct Policy {
    root: PathBuf,
    every: Duration,
}

static POLICY: RwLock<Option<Policy>> = RwLock::new(None);

/// The default time between two autosaves inside an epoch.
pub const DEFAULT_MINUTES: f32 = 5.0;

/// Turns autosave on, into `root` (one folder per technique), every `minutes`
/// within an epoch as well as at each epoch end (0 = after every step).
pub fn enable(root: PathBuf, minutes: f32) {
    let every = Duration::from_secs_f32(minutes.max(0.0) * 60.0);
    *POLICY
        .write()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Policy { root, every });
}

/// Changes the time between autosaves of the runs that start from now on.
pub fn set_minutes(minutes: f32) {
    if let Some(root) = root() {
        enable(root, minutes);
    }
}

/// The folder autosaves go to, when autosave is on.
pub fn root() -> Option<PathBuf> {
    policy().map(|p| p.root)
}

fn policy() -> Option<Policy> {
    POLICY
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}

/// The user's autosave folder: `<cache>/latent-studio/autosave`, or
/// `LATENT_STUDIO_AUTOSAVE` when set.
pub fn user_root() -> PathBuf {
    std::env::var_os("LATENT_STUDIO_AUTOSAVE").map_or_else(
        || {
            dirs::cache_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("latent-studio")
                .join("autosave")
        },
        PathBuf::from,
    )
}

/// What `run.json` says of a run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunRecord {
    /// The process that trains (or trained) it.
    pub pid: u32,
    /// False once the run ended in an orderly way.
    pub running: bool,
    pub epochs_done: usize,
    pub epochs: usize,
    /// The technique's data source, as its job reads it back.
    pub source: serde_json::Value,
    /// Seconds since 1970 of the last save.
    pub saved_at: u64,
}

/// A run whose process died while training, with its last autosave.
#[derive(Clone, Debug, PartialEq)]
pub struct Interrupted {
    /// "vae", "gan" or "text".
    pub technique: String,
    /// The saved model folder to resume.
    pub model: PathBuf,
    pub record: RunRecord,
}

impl Interrupted {
    /// "12 of 100 epochs, saved 14 min ago".
    pub fn summary(&self) -> String {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let minutes = now.saturating_sub(self.record.saved_at) / 60;
        let ago = match minutes {
            0 => "just now".to_owned(),
            m if m < 120 => format!("{m} min ago"),
            m => format!("{} h ago", m / 60),
        };
        format!(
            "{} of {} epochs, saved {ago}",
            self.record.epochs_done, self.record.epochs
        )
    }

    /// The data source the run trained on.
    pub fn source<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        serde_json::from_value(self.record.source.clone()).ok()
    }

    /// Marks it as ended, so it is not offered again.
    pub fn discard(&self) {
        let marker = self.model.with_file_name(RUN_FILE);
        let record = RunRecord {
            running: false,
            ..self.record.clone()
        };
        let _ = write_record(&marker, &record);
    }
}

const RUN_FILE: &str = "run.json";
const MODEL_DIR: &str = "model";

/// The interrupted runs under `root` (the user's, or a test's), one per
/// technique at most.
pub fn interrupted_in(root: &Path) -> Vec<Interrupted> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut found: Vec<Interrupted> = entries
        .flatten()
        .filter_map(|entry| {
            let dir = entry.path();
            let text = std::fs::read_to_string(dir.join(RUN_FILE)).ok()?;
            let record: RunRecord = serde_json::from_str(&text).ok()?;
            let dead = record.pid != std::process::id() && !alive(record.pid);
            (record.running && dead && dir.join(MODEL_DIR).is_dir()).then(|| Interrupted {
                technique: entry.file_name().to_string_lossy().into_owned(),
                model: dir.join(MODEL_DIR),
                record,
            })
        })
        .collect();
    found.sort_by(|a, b| a.technique.cmp(&b.technique));
    found
}

/// The interrupted run of `technique` in the user's folder, if any.
pub fn last_interrupted(technique: &str) -> Option<Interrupted> {
    interrupted_in(&user_root())
        .into_iter()
        .find(|run| run.technique == technique)
}

/// The interrupted run `--resume-last` continues, with its data source, or
/// why there is none.
pub fn resume_last<T: serde::de::DeserializeOwned>(
    technique: &str,
) -> anyhow::Result<(Interrupted, T)> {
    let run = last_interrupted(technique).ok_or_else(|| {
        anyhow::anyhow!(
            "no interrupted {technique} run to resume (autosaves are kept in {})",
            user_root().display()
        )
    })?;
    let source = run.source().ok_or_else(|| {
        anyhow::anyhow!(
            "{}: the interrupted run's data source cannot be read",
            run.model.display()
        )
    })?;
    println!(
        "resuming the interrupted {technique} run: {}",
        run.summary()
    );
    Ok((run, source))
}

/// Whether a process is alive (on Linux; elsewhere every other process counts as gone).
fn alive(pid: u32) -> bool {
    Path::new("/proc").join(pid.to_string()).exists()
}

/// A training run's autosaver: [`Autosaver::due`] says when, [`Autosaver::save`]
/// writes, and dropping it (the run ended: finished, stopped or cancelled)
/// marks the run ended — unless the thread is panicking, which is a crash.
pub struct Autosaver {
    dir: PathBuf,
    every: Duration,
    last: Instant,
    record: Option<RunRecord>,
    source: serde_json::Value,
}

/// A training job's data source, as an autosave writes it down.
pub trait Source: serde::Serialize {
    /// A folder of its own the run is saved into at each epoch end (a tuner
    /// trial's), instead of the user's autosave folder.
    fn own_folder(&self) -> Option<&Path> {
        None
    }
}

impl Autosaver {
    /// An autosaver for `technique`: into the source's own folder when it
    /// has one (at each epoch end only, never offered for recovery), else
    /// into the user's autosave folder, or none when autosave is off or the
    /// data source cannot be written down (images in memory).
    pub fn start(technique: &str, source: &impl Source) -> Option<Self> {
        if let Some(dir) = source.own_folder() {
            return Some(Self {
                dir: dir.to_owned(),
                every: Duration::MAX,
                last: Instant::now(),
                record: None,
                source: serde_json::Value::Null,
            });
        }
        let policy = policy()?;
        let source = serde_json::to_value(source).ok()?;
        Some(Self {
            dir: policy.root.join(technique),
            every: policy.every,
            last: Instant::now(),
            record: None,
            source,
        })
    }

    /// Whether the time since the last save has come round.
    pub fn due(&self) -> bool {
        self.last.elapsed() >= self.every
    }

    /// The model folder it writes.
    pub fn model_dir(&self) -> PathBuf {
        self.dir.join(MODEL_DIR)
    }

    /// Writes the model through `save` (into [`Self::model_dir`]), then the
    /// run's record. The reason is returned when it fails; training goes on.
    pub fn save(
        &mut self,
        epochs_done: usize,
        epochs: usize,
        save: impl FnOnce(&Path) -> Result<(), super::JobError>,
    ) -> Result<(), String> {
        self.last = Instant::now();
        std::fs::create_dir_all(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        match save(&self.model_dir()) {
            Ok(()) => {}
            Err(super::JobError::Failed(err)) => return Err(format!("{err:#}")),
            Err(super::JobError::Cancelled) => return Ok(()),
        }
        let record = RunRecord {
            pid: std::process::id(),
            running: true,
            epochs_done,
            epochs,
            source: self.source.clone(),
            saved_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        };
        write_record(&self.dir.join(RUN_FILE), &record)?;
        self.record = Some(record);
        Ok(())
    }
}

/// Writes an autosave through `save`; a failure becomes the job's
/// `failed(path, reason)` event and training goes on.
pub fn save_reported<E, C>(
    ctx: &super::JobContext<E, C>,
    saver: &mut Autosaver,
    (epochs_done, epochs): (usize, usize),
    save: impl FnOnce(&Path) -> Result<(), super::JobError>,
    failed: fn(PathBuf, String) -> E,
) -> Result<(), super::JobError> {
    match saver.save(epochs_done, epochs, save) {
        Ok(()) => Ok(()),
        Err(reason) => ctx.send(failed(saver.model_dir(), reason)),
    }
}

impl Drop for Autosaver {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        if let Some(record) = self.record.take() {
            let ended = RunRecord {
                running: false,
                ..record
            };
            let _ = write_record(&self.dir.join(RUN_FILE), &ended);
        }
    }
}

/// What `run.json` in `dir` (an autosave's or a trial's own folder) says.
pub fn read_record(dir: &Path) -> Option<RunRecord> {
    let text = std::fs::read_to_string(dir.join(RUN_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The model folder inside an autosave's or a trial's own folder.
pub fn model_dir_in(dir: &Path) -> PathBuf {
    dir.join(MODEL_DIR)
}

/// Writes `run.json` by a rename, so it is always whole.
fn write_record(path: &Path, record: &RunRecord) -> Result<(), String> {
    let text = serde_json::to_string_pretty(record).expect("a plain record");
    let scratch = path.with_extension(format!("json.{}", std::process::id()));
    std::fs::write(&scratch, text)
        .and_then(|()| std::fs::rename(&scratch, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_whose_process_died_is_offered_and_an_ended_one_is_not() {
        let root = std::env::temp_dir().join(format!("ls-autosave-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let policy = Policy {
            root: root.clone(),
            every: Duration::ZERO,
        };
        let mut saver = Autosaver {
            dir: policy.root.join("gan"),
            every: policy.every,
            last: Instant::now(),
            record: None,
            source: serde_json::json!({"Folder": "/faces"}),
        };
        assert!(saver.due());
        saver
            .save(3, 10, |dir| {
                std::fs::create_dir_all(dir).map_err(anyhow::Error::from)?;
                Ok(())
            })
            .unwrap();
        // This process is alive: nothing is offered while it trains.
        assert!(interrupted_in(&root).is_empty());
        // The record of a process that is gone.
        let marker = root.join("gan").join(RUN_FILE);
        let mut record: RunRecord =
            serde_json::from_str(&std::fs::read_to_string(&marker).unwrap()).unwrap();
        record.pid = u32::MAX;
        write_record(&marker, &record).unwrap();
        let found = interrupted_in(&root);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].technique, "gan");
        assert!(found[0].summary().starts_with("3 of 10 epochs"));
        let source: Option<std::collections::HashMap<String, String>> = found[0].source();
        assert_eq!(source.unwrap()["Folder"], "/faces");
        found[0].discard();
        assert!(interrupted_in(&root).is_empty());
        // An orderly end marks the run ended.
        saver.save(4, 10, |_| Ok(())).unwrap();
        drop(saver);
        let ended: RunRecord =
            serde_json::from_str(&std::fs::read_to_string(&marker).unwrap()).unwrap();
        assert!(!ended.running);
        assert_eq!(ended.epochs_done, 4);
        std::fs::remove_dir_all(root).unwrap();
    }
}
