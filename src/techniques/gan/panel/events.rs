//! The GAN job's events, as the tab takes them in.

use super::GanPanel;
use crate::techniques::gan::job::{GanEvent, StepLoss};
use crate::ui::Notice;

impl GanPanel {
    pub(super) fn apply(&mut self, ctx: &egui::Context, event: GanEvent) {
        let texture = |name: &str, image: egui::ColorImage| {
            ctx.load_texture(name, image, egui::TextureOptions::NEAREST)
        };
        match event {
            GanEvent::Loaded {
                images,
                skipped,
                upscaled,
                notices,
                preview,
            } => {
                let mut parts = vec![format!("{images} images")];
                if !skipped.is_empty() {
                    parts.push(format!(
                        "{} files skipped (not images or damaged)",
                        skipped.len()
                    ));
                }
                if upscaled > 0 {
                    parts.push(format!("{upscaled} smaller than 64 px, upscaled"));
                }
                parts.extend(notices);
                self.loaded = Some(parts.join(" · "));
                self.skipped = skipped;
                self.preview = Some(texture("gan-preview", preview));
                self.data_loaded = true;
            }
            GanEvent::Started {
                first_epoch,
                steps_per_epoch,
                ..
            } => {
                self.first_epoch = first_epoch;
                self.steps = steps_per_epoch;
            }
            GanEvent::History(losses) => self.losses = losses,
            GanEvent::Progress { epoch, step } => (self.epoch, self.step) = (epoch, step),
            GanEvent::Losses(points) => self.losses.extend(points),
            GanEvent::Samples { at_epoch, image } => {
                self.samples_at = at_epoch;
                crate::ui::set_texture(
                    ctx,
                    &mut self.samples,
                    "gan-samples",
                    image,
                    egui::TextureOptions::NEAREST,
                );
            }
            GanEvent::EpochDone {
                epoch,
                d_loss,
                g_loss,
                image,
                ..
            } => {
                #[expect(clippy::cast_precision_loss, reason = "epoch numbers")]
                self.epoch_means.push(StepLoss {
                    at_epoch: epoch as f32,
                    d_loss,
                    g_loss,
                });
                let handle = texture(&format!("gan-epoch-{epoch}"), image.clone());
                self.timeline.push((epoch, handle, image));
            }
            GanEvent::Collapse(warning) => self.warning = Some(warning),
            GanEvent::Fid {
                epoch,
                fid,
                diversity,
            } => {
                #[expect(clippy::cast_precision_loss, reason = "epoch numbers")]
                let at = epoch as f64;
                self.fid.push([at, f64::from(fid)]);
                self.diversity.push([at, f64::from(diversity) * 100.0]);
            }
            GanEvent::Walk(image) => self.walk = Some(texture("gan-walk", image)),
            GanEvent::Saved(path) => {
                self.notice = Some(Notice::Said(format!("saved {}", path.display())));
            }
            GanEvent::SaveFailed { path, reason } => {
                self.notice = Some(Notice::Failed(format!(
                    "could not save {}: {reason}",
                    path.display()
                )));
            }
            GanEvent::TrainingDone => {
                self.job.finish();
                if let Some(path) = self.export_when_done.take() {
                    self.export_gif(path);
                }
            }
        }
    }
}
