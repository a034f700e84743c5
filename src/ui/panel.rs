//! The one shape every technique's tab has, so the studio holds them as a
//! list and iterates (as egui's demo app does with its apps).

use crate::techniques::Technique;

/// A technique's tab.
pub trait Panel {
    /// Which tab this is.
    fn technique(&self) -> Technique;

    /// Drains the job's events; called every frame, shown or not.
    fn poll(&mut self, ctx: &egui::Context);

    /// Lays the tab out.
    fn ui(&mut self, ui: &mut egui::Ui);

    /// The settings to persist (never the job or its results).
    fn save(&self) -> serde_json::Value;

    /// Takes back what [`save`](Self::save) gave; a record that does not fit
    /// leaves the panel as it is.
    fn restore(&mut self, saved: serde_json::Value) -> Result<(), serde_json::Error>;

    /// Every setting back to the book's values.
    fn reset_to_book(&mut self);

    /// Continues a training run that was interrupted (killed, crashed) from
    /// its autosave; techniques that do not train say so.
    fn resume(&mut self, run: &crate::job::autosave::Interrupted) -> Result<(), String> {
        let _ = run;
        Err(format!(
            "{} has no training to resume",
            self.technique().title()
        ))
    }

    /// The files and folders the tab works on now, for the recent-files list.
    fn files(&self) -> Vec<std::path::PathBuf> {
        Vec::new()
    }

    /// True while a file the person asked for is being written (a GIF, a
    /// PNG): `--frame-stats` reports the frames drawn meanwhile on their own.
    fn exporting(&self) -> bool {
        false
    }

    /// True while the tab's job is computing (training, optimising,
    /// dreaming); a job that only waits for commands is not busy. When the
    /// last busy tab falls idle the studio hands freed memory back at once.
    fn busy(&self) -> bool {
        false
    }

    /// False while a run started from the command line (`--style-run`, …)
    /// has not yet shown what it was started for.
    fn settled(&self) -> bool {
        true
    }
}

/// A panel's "Reset to Book" button; true when pressed.
#[must_use]
pub fn reset_button_ui(ui: &mut egui::Ui) -> bool {
    ui.button("Reset to Book")
        .on_hover_text("Every setting of this tab back to the book's values")
        .clicked()
}
