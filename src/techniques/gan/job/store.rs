//! Checkpoints: `config.json`, `generator.bpk`, `discriminator.bpk` and
//! `history.json` (epochs done and every step's losses) in a folder.

use std::path::Path;

use burn::module::Module;
use burn::tensor::Device;

use super::super::model::GanConfig;
use super::{GanJob, GanSettings, JobError, StepLoss, normal_latents};

#[derive(serde::Serialize, serde::Deserialize)]
struct Stored {
    config: GanConfig,
    settings: GanSettings,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct History {
    epochs_done: usize,
    losses: Vec<StepLoss>,
}

fn fail(path: &Path, what: impl std::fmt::Display) -> JobError {
    anyhow::anyhow!("{}: {what}", path.display()).into()
}

impl GanJob {
    pub(super) fn save(&self, dir: &Path) -> Result<(), JobError> {
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        let stored = Stored {
            config: self.config.clone(),
            settings: self.settings.clone(),
        };
        let history = History {
            epochs_done: self.epochs_done,
            losses: self.history.clone(),
        };
        let write = |name: &str, text: String| {
            std::fs::write(dir.join(name), text).map_err(|e| fail(dir, e))
        };
        write(
            "config.json",
            serde_json::to_string_pretty(&stored).map_err(|e| fail(dir, e))?,
        )?;
        write(
            "history.json",
            serde_json::to_string(&history).map_err(|e| fail(dir, e))?,
        )?;
        self.generator
            .clone()
            .save_file(dir.join("generator.bpk"))
            .map_err(|e| fail(dir, e))?;
        self.discriminator
            .clone()
            .save_file(dir.join("discriminator.bpk"))
            .map_err(|e| fail(dir, e))?;
        Ok(())
    }

    pub(super) fn load(dir: &Path, device: Device) -> Result<Self, JobError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map_err(|e| fail(&path, format!("not a GAN checkpoint ({e})")))
        };
        let stored: Stored = serde_json::from_str(&read("config.json")?)
            .map_err(|e| fail(dir, format!("config.json is damaged: {e}")))?;
        let history: History = serde_json::from_str(&read("history.json")?)
            .map_err(|e| fail(dir, format!("history.json is damaged: {e}")))?;
        let autodiff = device.clone().autodiff();
        let generator = stored
            .config
            .generator(&autodiff)
            .try_load_file(dir.join("generator.bpk"))
            .map_err(|e| fail(dir, format!("generator.bpk is damaged: {e}")))?;
        let discriminator = stored
            .config
            .discriminator(&autodiff)
            .try_load_file(dir.join("discriminator.bpk"))
            .map_err(|e| fail(dir, format!("discriminator.bpk is damaged: {e}")))?;
        let fixed = normal_latents(super::GRID * stored.config.latent_dim, stored.settings.seed);
        Ok(Self {
            config: stored.config,
            settings: stored.settings,
            device,
            generator,
            discriminator,
            fixed,
            epochs_done: history.epochs_done,
            history: history.losses,
        })
    }
}
