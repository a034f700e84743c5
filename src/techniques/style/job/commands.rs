//! What the style job does besides optimising: sending (and keeping) the
//! image, and answering the panel's commands.

use burn::tensor::Tensor;
use image::RgbImage;

use super::super::colors::keep_content_colors;
use super::{Ctx, JobError, StyleCommand, StyleEvent, StyleJob, images};
use crate::job::save_reported;
use crate::picture::rgb_to_color_image;

impl StyleJob {
    /// Reads the image back, sends it, and writes a frame when due.
    pub(super) fn refresh(
        &mut self,
        ctx: &mut Ctx,
        x: Tensor<4>,
        iteration: usize,
        frame: bool,
    ) -> Result<(), JobError> {
        let rgb = images::to_rgb(x)?;
        self.last_iteration = iteration;
        if let Some((current, _)) = &mut self.current {
            *current = rgb;
        }
        let shown = self
            .shown()
            .ok_or_else(|| anyhow::anyhow!("no image yet"))?;
        if frame {
            self.evolution.push(shown.clone());
        }
        if frame && let Some(dir) = &self.frames {
            let path = dir.join(format!("frame_{iteration:05}.png"));
            shown.save(&path).map_err(anyhow::Error::from)?;
            ctx.send(StyleEvent::Frame(path))?;
        }
        let image = rgb_to_color_image(&shown);
        if frame {
            ctx.send(StyleEvent::Image { iteration, image })
        } else {
            ctx.preview(|| StyleEvent::Image { iteration, image });
            Ok(())
        }
    }

    /// The image as the user should see it (colours kept if asked).
    pub(super) fn shown(&self) -> Option<RgbImage> {
        let (current, content) = self.current.as_ref()?;
        Some(if self.settings.preserve_colors {
            keep_content_colors(current, content)
        } else {
            current.clone()
        })
    }

    pub(super) fn drain_commands(&mut self, ctx: &mut Ctx) -> Result<(), JobError> {
        let commands: Vec<StyleCommand> = ctx.commands().collect();
        for command in commands {
            self.apply(ctx, command)?;
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, ctx: &mut Ctx, command: StyleCommand) -> Result<(), JobError> {
        match command {
            StyleCommand::Weights(weights) => self.settings.weights = weights,
            StyleCommand::PreserveColors(on) => {
                self.settings.preserve_colors = on;
                if let Some(shown) = self.shown() {
                    ctx.send(StyleEvent::Image {
                        iteration: self.last_iteration,
                        image: rgb_to_color_image(&shown),
                    })?;
                }
            }
            StyleCommand::Save(path) => {
                let shown = self.shown();
                let save = |p: &std::path::Path| {
                    let image = shown.ok_or_else(|| anyhow::anyhow!("no image to save yet"))?;
                    Ok(image.save(p).map_err(anyhow::Error::from)?)
                };
                save_reported(ctx, path, save, StyleEvent::Saved, failed)?;
            }
            StyleCommand::SaveGif(path) => {
                let frames = &self.evolution;
                let save = |p: &std::path::Path| Ok(crate::animation::write_gif(frames, p, 150)?);
                save_reported(ctx, path, save, StyleEvent::Saved, failed)?;
            }
            StyleCommand::SaveFrames(dir) => {
                let save =
                    |d: &std::path::Path| Ok(crate::animation::write_frames(&self.evolution, d)?);
                save_reported(ctx, dir, save, StyleEvent::Saved, failed)?;
            }
        }
        Ok(())
    }
}

fn failed(path: std::path::PathBuf, reason: String) -> StyleEvent {
    StyleEvent::SaveFailed { path, reason }
}
