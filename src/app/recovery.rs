//! The offer made at start when a training run was interrupted (its process
//! killed or crashed): resume it from its autosave, or let it go.

use crate::job::autosave::Interrupted;
use crate::techniques::Technique;

/// What the user chose for one interrupted run.
#[must_use]
pub enum Choice {
    Resume(Technique, Interrupted),
    Discard(Interrupted),
}

/// The interrupted runs still on offer.
#[derive(Default)]
pub struct Recovery {
    pub runs: Vec<Interrupted>,
    /// Why a resume could not start, shown in the window.
    pub error: Option<String>,
}

impl Recovery {
    /// The window, while a run is on offer; the choice made this frame, if any.
    pub fn window_ui(&mut self, ctx: &egui::Context) -> Option<Choice> {
        if self.runs.is_empty() {
            return None;
        }
        let mut choice = None;
        egui::Window::new("Resume the interrupted run")
            .collapsible(false)
            .default_pos([380.0, 160.0])
            .show(ctx, |ui| {
                ui.label("Training stopped before it finished last time (the studio was closed while it ran, killed or crashed). Its autosave is kept:");
                ui.add_space(4.0);
                for run in &self.runs {
                    let technique = technique_of(&run.technique);
                    let title = technique.map_or_else(|| run.technique.clone(), |t| t.title().to_owned());
                    ui.horizontal(|ui| {
                        ui.strong(title);
                        ui.label(run.summary());
                        if let Some(technique) = technique
                            && ui
                                .button("Resume the interrupted run")
                                .on_hover_text(run.model.display().to_string())
                                .clicked()
                        {
                            choice = Some(Choice::Resume(technique, run.clone()));
                        }
                        if ui
                            .button("Discard")
                            .on_hover_text("Not offered again; the next run's autosave replaces it")
                            .clicked()
                        {
                            choice = Some(Choice::Discard(run.clone()));
                        }
                    });
                }
                if let Some(error) = &self.error {
                    ui.colored_label(ui.visuals().error_fg_color, error);
                }
            });
        if let Some(Choice::Resume(_, run) | Choice::Discard(run)) = &choice {
            self.runs.retain(|r| r != run);
        }
        choice
    }
}

/// The tab of an autosave folder's name ("vae", "gan", "text").
fn technique_of(name: &str) -> Option<Technique> {
    match name {
        "vae" => Some(Technique::Vae),
        "gan" => Some(Technique::Gan),
        "text" => Some(Technique::Text),
        _ => None,
    }
}
