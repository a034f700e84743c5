//! What the VAE tab remembers across restarts, and its place among the
//! studio's panels.

use super::{DataChoice, VaePanel};
use crate::techniques::Technique;
use crate::techniques::vae::job::VaeStart;
use crate::techniques::vae::model::VaeSettings;
use crate::ui::panel::Panel;

/// The persisted part of the tab.
#[derive(serde::Serialize, serde::Deserialize)]
struct VaeSaved {
    config: VaeSettings,
    limit: Option<usize>,
    data: DataChoice,
    grid_range: f32,
}

impl Panel for VaePanel {
    fn technique(&self) -> Technique {
        Technique::Vae
    }

    fn poll(&mut self, ctx: &egui::Context) {
        Self::poll(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        Self::ui(self, ui);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!(VaeSaved {
            config: self.config.clone(),
            limit: self.limit,
            data: self.data.clone(),
            grid_range: self.grid_range,
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let saved: VaeSaved = serde_json::from_value(saved)?;
        (self.config, self.limit, self.data, self.grid_range) =
            (saved.config, saved.limit, saved.data, saved.grid_range);
        Ok(())
    }

    fn resume(&mut self, run: &crate::job::autosave::Interrupted) -> Result<(), String> {
        let data = run
            .source()
            .ok_or("the interrupted run's data source cannot be read")?;
        self.launch(VaeStart::Resume {
            model: run.model.clone(),
            data,
            epochs: None,
        });
        Ok(())
    }

    fn reset_to_book(&mut self) {
        self.config = VaeSettings::new();
        self.grid_range = super::BOOK_GRID_RANGE;
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        match &self.data {
            DataChoice::Mnist => Vec::new(),
            DataChoice::Folder(dir) => vec![dir.clone()],
            DataChoice::Idx { images, labels } => vec![images.clone(), labels.clone()],
        }
    }

    fn busy(&self) -> bool {
        self.job.is_running()
    }

    fn settled(&self) -> bool {
        !self.automation || self.is_settled()
    }
}
