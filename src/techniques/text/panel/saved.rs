//! What the text tab remembers across restarts, and its place among the
//! studio's panels.

use super::TextPanel;
use crate::techniques::Technique;
use crate::techniques::text::corpus::CorpusSource;
use crate::techniques::text::job::{Sampling, TextSettings};
use crate::ui::panel::Panel;

/// The persisted part of the tab: the training settings, the corpus and the
/// prompt box.
#[derive(serde::Serialize, serde::Deserialize)]
struct TextSaved {
    config: TextSettings,
    corpus: CorpusSource,
    prompt: String,
    sampling: Sampling,
    length: usize,
    seed: u64,
}

impl Panel for TextPanel {
    fn technique(&self) -> Technique {
        Technique::Text
    }

    fn poll(&mut self, _ctx: &egui::Context) {
        Self::poll(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        Self::ui(self, ui);
    }

    fn save(&self) -> serde_json::Value {
        let p = &self.playground;
        serde_json::json!(TextSaved {
            config: self.config.clone(),
            corpus: self.corpus.clone(),
            prompt: p.prompt.clone(),
            sampling: p.sampling,
            length: p.length,
            seed: p.seed,
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let saved: TextSaved = serde_json::from_value(saved)?;
        self.config = saved.config;
        self.corpus = saved.corpus;
        let p = &mut self.playground;
        (p.prompt, p.sampling, p.length, p.seed) =
            (saved.prompt, saved.sampling, saved.length, saved.seed);
        Ok(())
    }

    fn resume(&mut self, run: &crate::job::autosave::Interrupted) -> Result<(), String> {
        Self::resume(self, run)
    }

    fn reset_to_book(&mut self) {
        self.config = TextSettings::book(self.config.kind);
        self.playground.sampling = super::BOOK_SAMPLING;
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        match &self.corpus {
            CorpusSource::File(path) | CorpusSource::Folder(path) => vec![path.clone()],
            CorpusSource::Reviews { .. }
            | CorpusSource::Documents(_)
            | CorpusSource::Trial { .. } => Vec::new(),
        }
    }

    fn busy(&self) -> bool {
        self.job.is_running()
    }

    fn settled(&self) -> bool {
        !self.automation || self.is_settled()
    }
}
