//! What the VAE job does when its panel asks: decode a point or the grid,
//! change the shown plane, interpolate, save or export, change the rate.

use std::time::Instant;

use super::readback::{grid_fits, write_png};
use super::{VaeCommand, VaeEvent, VaeJob, save_failed};
use crate::job::{JobContext, JobError, save_reported};

impl VaeJob {
    pub(super) fn handle(
        &mut self,
        ctx: &mut JobContext<VaeEvent, VaeCommand>,
        command: VaeCommand,
    ) -> Result<(), JobError> {
        match command {
            VaeCommand::Decode(z) => {
                let started = Instant::now();
                let image = self.decode_point(z)?;
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                ctx.send(VaeEvent::Decoded { z, image, micros })
            }
            VaeCommand::DecodeFull(z) => {
                let started = Instant::now();
                let image = self.decode_full(&z)?;
                let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
                let z = self.slice.project(&z);
                ctx.send(VaeEvent::Decoded { z, image, micros })
            }
            VaeCommand::Slice(dims) => {
                self.slice = self.slice.with_dims(dims);
                self.snapshot(ctx)
            }
            VaeCommand::Grid { n, range } => {
                if let Err(reason) = grid_fits(n) {
                    return ctx.send(VaeEvent::Refused(reason));
                }
                self.grid_range = range;
                let image = self.decode_grid(n, range)?;
                ctx.send(VaeEvent::Grid { image, n, range })
            }
            VaeCommand::Save(dir) => {
                save_reported(ctx, dir, |d| self.save(d), VaeEvent::Saved, save_failed)
            }
            VaeCommand::Interpolate { from, to, steps } => {
                let image = self.decode_strip(from, to, steps)?;
                ctx.send(VaeEvent::Strip { image, from, to })
            }
            VaeCommand::ExportGrid { path, n, range } => {
                if let Err(reason) = grid_fits(n) {
                    return ctx.send(save_failed(path, reason));
                }
                let image = self.decode_grid(n, range)?;
                let save = |p: &std::path::Path| write_png(&image, p);
                save_reported(ctx, path, save, VaeEvent::Saved, save_failed)
            }
            VaeCommand::LearningRate(lr) => {
                self.learning_rate = lr;
                Ok(())
            }
            VaeCommand::StopTraining => Ok(()),
        }
    }
}
