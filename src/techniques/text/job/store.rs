//! Saving and loading a text model: `config.json`, `vocabulary.json` and
//! `weights.bpk` in a folder.

use std::path::Path;

use burn::module::Module;
use burn::tensor::Device;

use super::super::model::{LstmConfig, TransformerConfig};
use super::super::vectorize::{CharVocab, WordVocab};
use super::{JobError, ModelKind, Net, TextJob, TextSettings};

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
        std::fs::create_dir_all(dir).map_err(|e| fail(dir, e))?;
        let config = serde_json::to_string_pretty(&self.config).map_err(|e| fail(dir, e))?;
        std::fs::write(dir.join("config.json"), config).map_err(|e| fail(dir, e))?;
        let vocab = match &self.net {
            Net::Words(_, v) => StoredVocab::Words(v.words.clone()),
            Net::Chars(_, v) => StoredVocab::Chars(v.chars.clone()),
        };
        let vocab = serde_json::to_string(&vocab).map_err(|e| fail(dir, e))?;
        std::fs::write(dir.join("vocabulary.json"), vocab).map_err(|e| fail(dir, e))?;
        let weights = dir.join("weights.bpk");
        match &self.net {
            Net::Words(model, _) => model.clone().save_file(&weights),
            Net::Chars(model, _) => model.clone().save_file(&weights),
        }
        .map_err(|e| fail(&weights, e))?;
        Ok(())
    }

    pub(super) fn load(dir: &Path, device: Device) -> Result<Self, JobError> {
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
        Ok(Self {
            learning_rate: config.learning_rate,
            sample_seed: config.prompt.clone(),
            config,
            device,
            net,
        })
    }
}
