//! Saving and loading a text model as one folder (see [`crate::checkpoint`]):
//! `config.json`, `vocabulary.json`, `weights.bpk`, the RMSprop state
//! `rmsprop.bpk` and `progress.json` (epochs done), so training can resume.

use std::path::Path;

use anyhow::Context;
use burn::module::Module;
use burn::tensor::Device;

use crate::checkpoint::{self, Kind};

use super::super::model::{LstmConfig, TransformerConfig};
use super::super::vectorize::{CharVocab, WordVocab};
use super::{JobError, ModelKind, Net, TextJob, TextSettings, rmsprop};

/// A saved text model folder.
pub const KIND: Kind = Kind {
    id: "text-model",
    version: 1,
    name: "saved text model",
};

#[derive(serde::Serialize, serde::Deserialize)]
struct Progress {
    epochs_done: usize,
}

/// What `vocabulary.json` holds.
#[derive(serde::Serialize, serde::Deserialize)]
enum StoredVocab {
    Words(Vec<String>),
    Chars(Vec<char>),
}

fn fail(path: &Path, what: impl std::fmt::Display) -> JobError {
    anyhow::anyhow!("{}: {what}", path.display()).into()
}

impl TextJob {
    pub(super) fn save(&self, dir: &Path) -> Result<(), JobError> {
        let vocab = match &self.net {
            Net::Words(_, v) => StoredVocab::Words(v.words.clone()),
            Net::Chars(_, v) => StoredVocab::Chars(v.chars.clone()),
        };
        let progress = Progress {
            epochs_done: self.epochs_done,
        };
        checkpoint::write_folder(dir, KIND, |tmp| {
            std::fs::write(
                tmp.join("config.json"),
                serde_json::to_string_pretty(&self.config)?,
            )?;
            std::fs::write(tmp.join("vocabulary.json"), serde_json::to_string(&vocab)?)?;
            let weights = tmp.join("weights.bpk");
            match &self.net {
                Net::Words(model, _) => model.clone().save_file(&weights),
                Net::Chars(model, _) => model.clone().save_file(&weights),
            }
            .context("weights.bpk")?;
            self.optimizer
                .save(tmp.join("rmsprop.bpk"))
                .context("rmsprop.bpk")?;
            std::fs::write(tmp.join("progress.json"), serde_json::to_string(&progress)?)?;
            Ok(())
        })
        .map_err(|e| anyhow::Error::from(e).into())
    }

    pub(super) fn load(dir: &Path, device: Device) -> Result<Self, JobError> {
        let dir = &checkpoint::open_folder(dir, KIND).map_err(anyhow::Error::from)?;
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .map_err(|e| fail(&path, format!("not a saved text model ({e})")))
        };
        let config: TextSettings = serde_json::from_str(&read("config.json")?)
            .map_err(|e| fail(dir, format!("config.json: {e}")))?;
        let vocab: StoredVocab = serde_json::from_str(&read("vocabulary.json")?)
            .map_err(|e| fail(dir, format!("vocabulary.json: {e}")))?;
        let autodiff = device.clone().autodiff();
        let weights = dir.join("weights.bpk");
        let net = match (config.kind, vocab) {
            (ModelKind::Transformer, StoredVocab::Words(words)) => {
                let vocab = WordVocab::from_words(words);
                let sizes = TransformerConfig {
                    vocab_size: vocab.len(),
                    ..config.transformer.clone()
                };
                let model = sizes
                    .init(&autodiff)
                    .try_load_file(&weights)
                    .map_err(|e| fail(&weights, e))?;
                Net::Words(Box::new(model), vocab)
            }
            (ModelKind::Lstm, StoredVocab::Chars(chars)) => {
                let vocab = CharVocab { chars };
                let sizes = LstmConfig {
                    vocab_size: vocab.len(),
                    hidden: config.lstm_hidden,
                    sequence_length: config.lstm_length,
                    step: config.lstm_step,
                };
                let model = sizes
                    .init(&autodiff)
                    .try_load_file(&weights)
                    .map_err(|e| fail(&weights, e))?;
                Net::Chars(Box::new(model), vocab)
            }
            _ => return Err(fail(dir, "the vocabulary does not match the model kind")),
        };
        let optimizer = rmsprop()
            .load(dir.join("rmsprop.bpk"))
            .map_err(|e| fail(&dir.join("rmsprop.bpk"), e))?;
        let progress: Progress = serde_json::from_str(&read("progress.json")?)
            .map_err(|e| fail(dir, format!("progress.json: {e}")))?;
        Ok(Self {
            learning_rate: config.learning_rate,
            sample_seed: config.prompt.clone(),
            config,
            device,
            net,
            optimizer,
            epochs_done: progress.epochs_done,
        })
    }
}
