//! Saving and loading a VAE job's model: `config.json` and `weights.bpk` in a folder.

use burn::module::Module;
use burn::tensor::Device;

use super::super::data::Digits;
use super::super::model::VaeSettings;
use super::VaeJob;
use crate::job::JobError;

impl VaeJob {
    pub(super) fn load(dir: &std::path::Path, device: Device) -> Result<Self, JobError> {
        use burn::config::Config;
        let config = VaeSettings::load(dir.join("config.json"))
            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.join("config.json").display()))?;
        let model = config
            .init(&device.clone().autodiff())
            .try_load_file(dir.join("weights.bpk"))
            .map_err(|e| anyhow::anyhow!("{}: not a saved VAE: {e}", dir.display()))?;
        let learning_rate = config.learning_rate;
        let latent_dim = config.latent_dim;
        Ok(Self {
            config,
            device,
            model,
            shown: Digits::default(),
            learning_rate,
            grid_range: 1.0,
            slice: super::LatentSlice::new(latent_dim),
        })
    }

    pub(super) fn save(&self, dir: &std::path::Path) -> Result<(), JobError> {
        use burn::config::Config;
        std::fs::create_dir_all(dir).map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
        self.config
            .save(dir.join("config.json"))
            .map_err(|e| anyhow::anyhow!("saving the config: {e}"))?;
        self.model
            .clone()
            .save_file(dir.join("weights.bpk"))
            .map_err(|e| anyhow::anyhow!("saving the weights: {e}"))?;
        Ok(())
    }
}
