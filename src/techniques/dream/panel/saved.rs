//! What the DeepDream tab remembers across restarts, and its place among the
//! studio's panels.

use super::DreamPanel;
use crate::picture::PictureSource;
use crate::techniques::Technique;
use crate::techniques::dream::job::Zoom;
use crate::techniques::dream::model::{DreamSettings, Preset};
use crate::ui::panel::Panel;

/// The persisted part of the tab.
#[derive(serde::Serialize, serde::Deserialize)]
struct DreamSaved {
    settings: DreamSettings,
    zoom: Zoom,
    image: Option<PictureSource>,
}

/// The zoom animation's defaults.
pub(super) const DEFAULT_ZOOM: Zoom = Zoom {
    frames: 12,
    factor: 1.05,
    iterations: 8,
};

impl Panel for DreamPanel {
    fn technique(&self) -> Technique {
        Technique::DeepDream
    }

    fn poll(&mut self, ctx: &egui::Context) {
        Self::poll(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        Self::ui(self, ui);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!(DreamSaved {
            settings: self.settings.clone(),
            zoom: self.zoom.clone(),
            image: self.image.source().cloned(),
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let saved: DreamSaved = serde_json::from_value(saved)?;
        self.settings = saved.settings;
        self.zoom = saved.zoom;
        if let Some(source) = saved.image {
            self.image.load(source);
        }
        Ok(())
    }

    fn reset_to_book(&mut self) {
        self.settings = DreamSettings::preset(Preset::Book);
        self.zoom = DEFAULT_ZOOM;
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        match self.image.source() {
            Some(PictureSource::File(path)) => vec![path.clone()],
            _ => Vec::new(),
        }
    }

    fn busy(&self) -> bool {
        self.job.is_running()
    }

    fn settled(&self) -> bool {
        self.automation.is_none_or(|steps| self.has_reached(steps))
            && self.export_when_done.is_none()
            && !self.exporting
    }

    fn exporting(&self) -> bool {
        self.exporting
    }
}
