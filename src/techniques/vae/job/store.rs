//! Saving and loading a VAE job's model as one folder (see
//! [`crate::checkpoint`]): `config.json`, `weights.bpk`, the Adam state
//! `adam.bpk` and `progress.json` (epochs done), so training can resume.

use anyhow::Context;
use burn::module::Module;
use burn::tensor::Device;

use super::super::data::Digits;
use super::super::model::VaeSettings;
use super::{VaeJob, adam};
use crate::checkpoint::{self, Kind};
use crate::job::JobError;

/// A saved VAE folder.
pub const KIND: Kind = Kind {
    id: "vae-model",
    version: 1,
    name: "saved VAE",
};

#[derive(serde::Serialize, serde::Deserialize)]
struct Progress {
    epochs_done: usize,
}

impl VaeJob {
    pub(super) fn load(dir: &std::path::Path, device: Device) -> Result<Self, JobError> {
        use burn::config::Config;
        let dir = checkpoint::open_folder(dir, KIND).map_err(anyhow::Error::from)?;
        let damaged = |name: &str, e: &dyn std::fmt::Display| -> JobError {
            anyhow::anyhow!("{}: {name} is damaged: {e}", dir.display()).into()
        };
        let config =
            VaeSettings::load(dir.join("config.json")).map_err(|e| damaged("config.json", &e))?;
        let model = config
            .init(&device.clone().autodiff())
            .try_load_file(dir.join("weights.bpk"))
            .map_err(|e| damaged("weights.bpk", &e))?;
        let optimizer = adam()
            .load(dir.join("adam.bpk"))
            .map_err(|e| damaged("adam.bpk", &e))?;
        let progress: Progress = std::fs::read_to_string(dir.join("progress.json"))
            .map_err(anyhow::Error::from)
            .and_then(|text| Ok(serde_json::from_str(&text)?))
            .map_err(|e| damaged("progress.json", &e))?;
        let learning_rate = config.learning_rate;
        let latent_dim = config.latent_dim;
        Ok(Self {
            config,
            device,
            model,
            optimizer,
            epochs_done: progress.epochs_done,
            shown: Digits::default(),
            learning_rate,
            grid_range: 1.0,
            slice: super::LatentSlice::new(latent_dim),
            validate: false,
        })
    }

    pub(super) fn save(&self, dir: &std::path::Path) -> Result<(), JobError> {
        use burn::config::Config;
        let progress = Progress {
            epochs_done: self.epochs_done,
        };
        checkpoint::write_folder(dir, KIND, |tmp| {
            self.config
                .save(tmp.join("config.json"))
                .context("config.json")?;
            self.model
                .clone()
                .save_file(tmp.join("weights.bpk"))
                .context("weights.bpk")?;
            self.optimizer
                .save(tmp.join("adam.bpk"))
                .context("adam.bpk")?;
            std::fs::write(tmp.join("progress.json"), serde_json::to_string(&progress)?)?;
            Ok(())
        })
        .map_err(|e| anyhow::Error::from(e).into())
    }
}
