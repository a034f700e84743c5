//! What the style-transfer tab remembers across restarts, and its place among
//! the studio's panels.

use super::StylePanel;
use crate::picture::PictureSource;
use crate::techniques::Technique;
use crate::techniques::style::job::StyleSettings;
use crate::ui::panel::Panel;
use crate::ui::picture_slot::PictureSlot;

/// The persisted part of the tab.
#[derive(serde::Serialize, serde::Deserialize)]
struct StyleSaved {
    settings: StyleSettings,
    content: Option<PictureSource>,
    /// Each style picture with its blend weight.
    styles: Vec<(PictureSource, f32)>,
}

impl Panel for StylePanel {
    fn technique(&self) -> Technique {
        Technique::Style
    }

    fn poll(&mut self, ctx: &egui::Context) {
        Self::poll(self, ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui) {
        Self::ui(self, ui);
    }

    fn save(&self) -> serde_json::Value {
        serde_json::json!(StyleSaved {
            settings: self.settings.clone(),
            content: self.content.source().cloned(),
            styles: self
                .styles
                .iter()
                .filter_map(|s| Some((s.source()?.clone(), s.blend)))
                .collect(),
        })
    }

    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error> {
        let saved: StyleSaved = serde_json::from_value(saved)?;
        self.settings = saved.settings;
        self.sent = (self.settings.weights.clone(), self.settings.preserve_colors);
        if let Some(source) = saved.content {
            self.content.load(source);
        }
        if !saved.styles.is_empty() {
            self.styles = saved
                .styles
                .into_iter()
                .map(|(source, blend)| {
                    let mut slot = PictureSlot::empty(&self.waker);
                    slot.blend = blend;
                    slot.load(source);
                    slot
                })
                .collect();
        }
        // What was restored stands; the defaults only fill empty zones.
        self.defaults_requested = false;
        Ok(())
    }

    fn reset_to_book(&mut self) {
        self.settings = StyleSettings::book();
    }

    fn files(&self) -> Vec<std::path::PathBuf> {
        std::iter::once(&self.content)
            .chain(&self.styles)
            .filter_map(|slot| match slot.source() {
                Some(PictureSource::File(path)) => Some(path.clone()),
                _ => None,
            })
            .collect()
    }

    fn busy(&self) -> bool {
        self.job.is_running()
    }

    fn settled(&self) -> bool {
        self.wait_iterations.is_none_or(|n| self.has_reached(n))
    }
}
