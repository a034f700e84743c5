//! A study on disk: `journal.jsonl` in its folder, one JSON line per event,
//! appended and synced as it happens, so a crash loses nothing told so far.
//! Reading skips a damaged line (a crash in the middle of a write leaves at
//! most the last one half-written) and says how many it skipped.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::hyperband::Slot;
use crate::oracle::OracleConfig;
use crate::space::{Params, Space};

pub const FILE: &str = "journal.jsonl";
pub const VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Study {
        version: u32,
        space: Space,
        oracle: OracleConfig,
        seed: u64,
        #[serde(default)]
        max_trials: Option<usize>,
        #[serde(default)]
        prune: bool,
    },
    Proposed {
        trial: usize,
        params: Params,
        /// The trial's own seed: its training draws follow from it.
        seed: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        epochs: Option<usize>,
        /// Continues this trial's checkpoint (a Hyperband promotion).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<usize>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        slot: Option<Slot>,
        /// The Bayesian oracle's fitted hyper-parameters (log scale): the
        /// next fit starts from them, also after the study is reopened.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        hyper: Option<Vec<f64>>,
        at: f64,
    },
    Intermediate {
        trial: usize,
        epoch: usize,
        value: f64,
    },
    Completed {
        trial: usize,
        value: f64,
        /// Each execution's value when there were several (`value` is their mean).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        executions: Vec<f64>,
        at: f64,
    },
    Pruned {
        trial: usize,
        epoch: usize,
        at: f64,
    },
    Failed {
        trial: usize,
        reason: String,
        at: f64,
    },
}

/// Seconds since the Unix epoch, for the journal's `at`.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    /// Opens (creating) the folder's journal for appending.
    pub fn open(dir: &Path) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let path = Self::path_in(dir);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        Ok(Self { path, file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and syncs it to the disk.
    pub fn append(&mut self, event: &Event) -> std::io::Result<()> {
        let mut line = serde_json::to_string(event).map_err(std::io::Error::other)?;
        line.push('\n');
        self.file.write_all(line.as_bytes())?;
        self.file.sync_data()
    }
}

/// Every readable event of a journal, and the number of lines skipped as damaged.
pub fn read(path: &Path) -> std::io::Result<(Vec<Event>, usize)> {
    let reader = BufReader::new(File::open(path)?);
    let mut events = Vec::new();
    let mut skipped = 0;
    for line in reader.split(b'\n') {
        let line = line?;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Event>(&line) {
            Ok(event) => events.push(event),
            Err(_) => skipped += 1,
        }
    }
    Ok((events, skipped))
}
