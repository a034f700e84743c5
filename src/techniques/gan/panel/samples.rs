//! The GAN tab's samples: the fixed-latent grid, the latent walk, the epoch
//! timeline and its GIF (written on a background thread).

use super::{GanAction, GanPanel};
use crate::job::{JobBuilder, JobMessage};
use crate::ui::Notice;

impl GanPanel {
    /// The sample grid and the latent walk; "Walk" is applied after the layout.
    pub(super) fn samples_ui(&mut self, ui: &mut egui::Ui) -> GanAction {
        let mut action = GanAction::None;
        ui.label(format!(
            "samples from 16 fixed latent points · epoch {:.2}",
            self.samples_at
        ));
        let side = ui.available_width().min(360.0);
        match &self.samples {
            Some(texture) => {
                ui.add(egui::Image::new(texture).fit_to_exact_size(egui::vec2(side, side)));
            }
            None => {
                ui.weak("The grid appears after the first steps.");
            }
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.label("latent walk:");
            ui.add(
                egui::DragValue::new(&mut self.walk_ends.0)
                    .range(0..=15)
                    .prefix("from "),
            );
            ui.add(
                egui::DragValue::new(&mut self.walk_ends.1)
                    .range(0..=15)
                    .prefix("to "),
            );
            let serving = self.job.handle().is_some();
            if ui.add_enabled(serving, egui::Button::new("Walk")).clicked() {
                action = GanAction::Walk;
            }
            if ui
                .add_enabled(serving, egui::Button::new("Export walk GIF…"))
                .on_hover_text("An animation from one point to the other and back")
                .clicked()
            {
                action = GanAction::ExportWalk;
            }
            if ui
                .add_enabled(serving, egui::Button::new("Export grid PNG…"))
                .clicked()
            {
                action = GanAction::ExportGrid;
            }
        });
        if let Some(walk) = &self.walk {
            let [w, h]: [f32; 2] = walk.size_vec2().into();
            let width = ui.available_width();
            ui.add(
                egui::Image::new(walk).fit_to_exact_size(egui::vec2(width, width * h / w.max(1.0))),
            );
        }
        action
    }

    /// The epoch timeline: scrub back to any past epoch's grid.
    pub(super) fn timeline_ui(&mut self, ui: &mut egui::Ui) {
        ui.label("epoch timeline");
        if self.timeline.is_empty() {
            ui.weak("Each epoch's grid is kept here.");
            return;
        }
        let last = self.timeline.len() - 1;
        let mut index = self.scrub.unwrap_or(last).min(last);
        let first = self.timeline[0].0;
        if ui
            .add(
                egui::Slider::new(&mut index, 0..=last).custom_formatter(move |v, _| {
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "slider positions"
                    )]
                    let offset = v.max(0.0) as usize;
                    format!("epoch {}", first + offset)
                }),
            )
            .changed()
        {
            self.scrub = (index != last).then_some(index);
        }
        let side = ui.available_width().min(360.0);
        ui.add(egui::Image::new(&self.timeline[index].1).fit_to_exact_size(egui::vec2(side, side)));
    }

    /// Exports the timeline GIF to `path` once training is done (automation: `--export-gif`).
    pub fn export_gif_when_done(&mut self, path: std::path::PathBuf) {
        self.export_when_done = Some(path);
    }

    /// The timeline GIF's outcome, once written.
    pub(super) fn poll_gif(&mut self) {
        let Some(writing) = &mut self.gif else { return };
        for message in writing.poll(4) {
            match message {
                JobMessage::Event(said) => self.notice = Some(said),
                JobMessage::Failed(said) => self.notice = Some(Notice::Failed(said)),
                JobMessage::Cancelled | JobMessage::Finished => {}
            }
        }
        if writing.is_finished() {
            self.gif = None;
        }
    }

    /// Writes the GIF to `path` on a background thread (never file I/O on
    /// the UI thread); its outcome arrives in [`GanPanel::poll`].
    pub(super) fn export_gif(&mut self, path: std::path::PathBuf) {
        let frames: Vec<egui::ColorImage> = self
            .timeline
            .iter()
            .map(|(_, _, image)| image.clone())
            .collect();
        let writing = JobBuilder::new("gan-gif")
            .waker(self.waker.clone())
            .spawn(move |ctx| {
                let frames: Vec<image::RgbImage> = frames
                    .iter()
                    .map(crate::picture::color_image_to_rgb)
                    .collect();
                let said = match crate::animation::write_gif(&frames, &path, 300) {
                    Ok(()) => Notice::Said(format!("saved {}", path.display())),
                    Err(err) => Notice::Failed(format!("could not save the GIF: {err:#}")),
                };
                ctx.send(said)
            });
        match writing {
            Ok(handle) => {
                self.notice = Some(Notice::Said("writing the GIF…".into()));
                self.gif = Some(handle);
            }
            Err(err) => {
                self.notice = Some(Notice::Failed(format!(
                    "could not start writing the GIF: {err}"
                )));
            }
        }
    }
}
