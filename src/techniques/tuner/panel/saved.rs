//! The Tuner tab's persisted settings and its [`Panel`] impl.

use super::TunerPanel;
use crate::techniques::Technique;
use crate::techniques::tuner::job::TuneSettings;
use crate::ui::panel::Panel;

impl Panel for TunerPanel {
    fn technique(&self) -> Technique {
        Technique::Tuner
    }

    fn poll(&mut self, _ctx: &egui::Context) {
        Self::poll(self);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        Self::ui(self, ui);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!(self.settings)
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        self.settings = serde_json::from_value::<TuneSettings>(saved)?;
        Ok(())
    }

    fn reset_to_book(&mut self) {
        self.settings = TuneSettings::book();
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        self.dir.iter().cloned().collect()
    }

    fn busy(&self) -> bool {
        self.job.is_running()
    }

    fn settled(&self) -> bool {
        self.dir.is_none() || self.is_done()
    }
}
