//! What the dream job answers while it runs and after: layer and step
//! changes, and saves (PNG, GIF, numbered frames) reported as events.

use std::path::PathBuf;

use super::{Ctx, DreamCommand, DreamEvent, DreamJob, JobError};
use crate::job::save_reported;

impl DreamJob {
    pub(super) fn drain(&mut self, ctx: &mut Ctx) -> Result<(), JobError> {
        let commands: Vec<DreamCommand> = ctx.commands().collect();
        for command in commands {
            self.apply(ctx, command)?;
        }
        Ok(())
    }

    pub(super) fn apply(&mut self, ctx: &mut Ctx, command: DreamCommand) -> Result<(), JobError> {
        match command {
            DreamCommand::Layers(layers) => self.settings.layers = layers,
            DreamCommand::Step(step) => self.settings.step = step,
            DreamCommand::Save(path) => {
                let current = &self.current;
                let save =
                    |p: &std::path::Path| Ok(current.save(p).map_err(anyhow::Error::from)?);
                save_reported(ctx, path, save, DreamEvent::Saved, failed)?;
            }
            DreamCommand::SaveGif(path) => {
                let frames = &self.animation;
                let save = |p: &std::path::Path| Ok(crate::animation::write_gif(frames, p, 120)?);
                save_reported(ctx, path, save, DreamEvent::Saved, failed)?;
            }
            DreamCommand::SaveFrames(dir) => {
                let save =
                    |d: &std::path::Path| Ok(crate::animation::write_frames(&self.animation, d)?);
                save_reported(ctx, dir, save, DreamEvent::Saved, failed)?;
            }
        }
        Ok(())
    }
}

fn failed(path: PathBuf, reason: String) -> DreamEvent {
    DreamEvent::SaveFailed { path, reason }
}
