//! What the GAN tab remembers across restarts, and its place among the
//! studio's panels.

use super::{DataChoice, GanPanel};
use crate::techniques::Technique;
use crate::techniques::gan::job::GanSettings;
use crate::techniques::gan::model::GanConfig;
use crate::ui::panel::Panel;

/// The persisted part of the tab.
#[derive(serde::Serialize, serde::Deserialize)]
struct GanSaved {
    config: GanConfig,
    settings: GanSettings,
    data: DataChoice,
    limit: Option<usize>,
}

impl Panel for GanPanel {
    fn technique(&self) -> Technique {
        Technique::Gan
    }

    fn poll(&mut self, ctx: &egui::Context) {
        Self::poll(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        Self::ui(self, ui);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!(GanSaved {
            config: self.config.clone(),
            settings: self.settings.clone(),
            data: self.data.clone(),
            limit: self.limit,
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let saved: GanSaved = serde_json::from_value(saved)?;
        (self.config, self.settings, self.data, self.limit) =
            (saved.config, saved.settings, saved.data, saved.limit);
        self.sent = super::rates(&self.config, &self.settings);
        Ok(())
    }

    fn resume(&mut self, run: &crate::job::autosave::Interrupted) -> Result<(), String> {
        Self::resume(self, run)
    }

    fn reset_to_book(&mut self) {
        self.config = GanConfig::book();
        self.settings = super::book_settings();
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        match &self.data {
            DataChoice::Folder(dir) => vec![dir.clone()],
            DataChoice::Faces | DataChoice::People | DataChoice::AllEmoji => Vec::new(),
        }
    }

    fn busy(&self) -> bool {
        self.job.is_running()
    }

    fn settled(&self) -> bool {
        self.is_settled_or_idle() && self.export_when_done.is_none() && self.gif.is_none()
    }

    fn exporting(&self) -> bool {
        self.gif.is_some()
    }
}
