//! Checkpoints, written as a unit (see [`crate::checkpoint`]): `config.json`,
//! `generator.bpk`, `discriminator.bpk`, both Adam states (`d_adam.bpk`,
//! `g_adam.bpk`) and `history.json` (epochs done and every step's losses), so
//! a resumed run continues exactly where the saved one was.

use std::path::Path;

use anyhow::Context;
use burn::module::Module;
use burn::tensor::Device;

use super::super::model::GanConfig;
use super::super::step::{Players, adam};
use super::{GanJob, GanSettings, JobError, StepLoss, normal_latents};
use crate::checkpoint::{self, Kind};

/// A GAN checkpoint folder.
pub const KIND: Kind = Kind {
    id: "gan-checkpoint",
    version: 1,
    name: "GAN checkpoint",
};

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

impl GanJob {
    pub(super) fn save(&self, dir: &Path) -> Result<(), JobError> {
        let stored = Stored {
            config: self.config.clone(),
            settings: self.settings.clone(),
        };
        let history = History {
            epochs_done: self.epochs_done,
            losses: self.history.clone(),
        };
        checkpoint::write_folder(dir, KIND, |tmp| {
            std::fs::write(
                tmp.join("config.json"),
                serde_json::to_string_pretty(&stored)?,
            )?;
            std::fs::write(tmp.join("history.json"), serde_json::to_string(&history)?)?;
            self.players
                .generator
                .clone()
                .save_file(tmp.join("generator.bpk"))
                .context("generator.bpk")?;
            self.players
                .discriminator
                .clone()
                .save_file(tmp.join("discriminator.bpk"))
                .context("discriminator.bpk")?;
            if let Some(average) = &self.average {
                average
                    .clone()
                    .save_file(tmp.join("generator_average.bpk"))
                    .context("generator_average.bpk")?;
            }
            self.players
                .g_optimizer
                .save(tmp.join("g_adam.bpk"))
                .context("g_adam.bpk")?;
            self.players
                .d_optimizer
                .save(tmp.join("d_adam.bpk"))
                .context("d_adam.bpk")?;
            Ok(())
        })
        .map_err(|e| anyhow::Error::from(e).into())
    }

    pub(super) fn load(dir: &Path, device: Device) -> Result<Self, JobError> {
        let dir = checkpoint::open_folder(dir, KIND).map_err(anyhow::Error::from)?;
        let damaged = |name: &str, e: &dyn std::fmt::Display| -> JobError {
            anyhow::anyhow!("{}: {name} is damaged: {e}", dir.display()).into()
        };
        let read =
            |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| damaged(name, &e));
        let stored: Stored =
            serde_json::from_str(&read("config.json")?).map_err(|e| damaged("config.json", &e))?;
        let history: History = serde_json::from_str(&read("history.json")?)
            .map_err(|e| damaged("history.json", &e))?;
        let autodiff = device.clone().autodiff();
        let generator = stored
            .config
            .generator(&autodiff)
            .try_load_file(dir.join("generator.bpk"))
            .map_err(|e| damaged("generator.bpk", &e))?;
        let discriminator = stored
            .config
            .discriminator(&autodiff)
            .try_load_file(dir.join("discriminator.bpk"))
            .map_err(|e| damaged("discriminator.bpk", &e))?;
        let average = if stored.settings.ema > 0.0 {
            let file = dir.join("generator_average.bpk");
            let average = stored.config.generator(&device);
            Some(if file.is_file() {
                average
                    .try_load_file(file)
                    .map_err(|e| damaged("generator_average.bpk", &e))?
            } else {
                generator.valid()
            })
        } else {
            None
        };
        let beta_1 = stored.settings.beta_1;
        let g_optimizer = adam(beta_1)
            .load(dir.join("g_adam.bpk"))
            .map_err(|e| damaged("g_adam.bpk", &e))?;
        let d_optimizer = adam(beta_1)
            .load(dir.join("d_adam.bpk"))
            .map_err(|e| damaged("d_adam.bpk", &e))?;
        let fixed = normal_latents(super::GRID * stored.config.latent_dim, stored.settings.seed);
        Ok(Self {
            config: stored.config,
            settings: stored.settings,
            device,
            players: Players {
                generator,
                discriminator,
                d_optimizer,
                g_optimizer,
            },
            average,
            fixed,
            epochs_done: history.epochs_done,
            history: history.losses,
        })
    }
}
