//! A trial's training on disk, written after every epoch as one unit (the
//! model, the optimiser's state, the shuffler and the history), so a study
//! stopped or killed in the middle of a trial loses at most the epoch under
//! way, and a Hyperband promotion continues its parent's checkpoint.

use std::path::{Path, PathBuf};

use anyhow::Context;
use burn::module::Module;
use burn::tensor::Device;

use super::model::Classifier;
use super::train::{EpochFigures, Run, TrialSpec};
use crate::checkpoint::{self, Kind};
use crate::job::JobError;
use crate::rng::Rng;

pub const KIND: Kind = Kind {
    id: "tuner-trial",
    version: 1,
    name: "tuner trial checkpoint",
};

#[derive(serde::Serialize, serde::Deserialize)]
struct Progress {
    spec: TrialSpec,
    history: Vec<EpochFigures>,
    best_val: f64,
    since_best: usize,
    shuffler: u64,
    finished: bool,
}

/// Where execution `execution` of trial `trial` of the study in `study` keeps its checkpoint.
pub fn trial_dir(study: &Path, trial: usize, execution: usize) -> PathBuf {
    study.join("trials").join(format!("{trial}-{execution}"))
}

impl Run {
    pub fn save(&self, dir: &Path) -> Result<(), JobError> {
        let progress = Progress {
            spec: self.spec,
            history: self.history.clone(),
            best_val: self.best_val,
            since_best: self.since_best,
            shuffler: self.shuffler.0,
            finished: self.finished,
        };
        checkpoint::write_folder(dir, KIND, |tmp| {
            std::fs::write(tmp.join("progress.json"), serde_json::to_string(&progress)?)?;
            self.model
                .clone()
                .save_file(tmp.join("model.bpk"))
                .context("model.bpk")?;
            self.optimizer
                .save(tmp.join("optimizer.bpk"))
                .context("optimizer.bpk")?;
            Ok(())
        })
        .map_err(|e| anyhow::Error::from(e).into())
    }

    /// The run saved in `dir`, on `device`'s autodiff device.
    pub fn load(dir: &Path, device: &Device) -> Result<Self, JobError> {
        let dir = checkpoint::open_folder(dir, KIND).map_err(anyhow::Error::from)?;
        let damaged = |name: &str, e: &dyn std::fmt::Display| -> JobError {
            anyhow::anyhow!("{}: {name} is damaged: {e}", dir.display()).into()
        };
        let text = std::fs::read_to_string(dir.join("progress.json"))
            .map_err(|e| damaged("progress.json", &e))?;
        let progress: Progress =
            serde_json::from_str(&text).map_err(|e| damaged("progress.json", &e))?;
        let model = Classifier::new(progress.spec.units, &device.clone().autodiff())
            .try_load_file(dir.join("model.bpk"))
            .map_err(|e| damaged("model.bpk", &e))?;
        let optimizer = progress
            .spec
            .optimizer
            .build()
            .load(dir.join("optimizer.bpk"))
            .map_err(|e| damaged("optimizer.bpk", &e))?;
        Ok(Self {
            spec: progress.spec,
            model,
            optimizer,
            shuffler: Rng(progress.shuffler),
            history: progress.history,
            best_val: progress.best_val,
            since_best: progress.since_best,
            finished: progress.finished,
            checkpoint: None,
        })
    }
}
