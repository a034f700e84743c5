//! The VAE job's training loop: Adam over shuffled batches, the losses
//! streamed, the grid and the map redrawn every few batches and at each epoch end.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use super::super::data::Digits;
use super::super::model::vae_loss;
use super::{BatchLoss, SNAPSHOT_EVERY, VaeCommand, VaeEvent, VaeJob, batch_tensor};
use crate::job::autosave::{self, Autosaver};
use crate::job::{JobContext, JobError, read_f32};
use crate::rng::Rng;

impl VaeJob {
    /// The book's training loop, with live commands and snapshots.
    pub(super) fn train(
        &mut self,
        ctx: &mut JobContext<VaeEvent, VaeCommand>,
        train: &Digits,
        mut autosave: Option<Autosaver>,
    ) -> Result<(), JobError> {
        let autodiff = self.device.clone().autodiff();
        let batch = self.config.batch_size.max(1);
        let batches = train.len().div_ceil(batch);
        ctx.send(VaeEvent::Started {
            epochs: self.config.epochs,
            batches_per_epoch: batches,
        })?;
        let mut order: Vec<usize> = (0..train.len()).collect();
        let mut shuffler = Rng(self.config.seed);
        // A resumed run shuffles as the straight run did in its later epochs.
        for _ in 0..self.epochs_done {
            shuffler.shuffle(&mut order);
        }
        let mut pending = Vec::new();
        for epoch in self.epochs_done..self.config.epochs {
            let started = Instant::now();
            shuffler.shuffle(&mut order);
            let mut sums = [0.0f64; 3];
            for (index, chunk) in order.chunks(batch).enumerate() {
                ctx.checkpoint()?;
                if self.apply_commands(ctx)? {
                    return Ok(());
                }
                let images = batch_tensor(train, chunk, &autodiff);
                // The sampling's noise follows from the step, so a resumed
                // run (a tuner trial's) draws what the straight run drew.
                self.device
                    .seed(crate::rng::step_seed(self.config.seed, epoch, index));
                let (logits, z_mean, z_log_var) = self.model.forward(images.clone());
                let loss = vae_loss(images, logits, z_mean, z_log_var);
                let values = read_f32(Tensor::cat(
                    vec![
                        loss.total.clone().detach(),
                        loss.reconstruction.detach(),
                        loss.kl.detach(),
                    ],
                    0,
                ))?;
                let grads = GradientsParams::from_grads(loss.total.backward(), &self.model);
                self.model = self
                    .optimizer
                    .step(self.learning_rate, self.model.clone(), grads);
                for (sum, v) in sums.iter_mut().zip(&values) {
                    *sum += f64::from(*v);
                }
                #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
                let at_epoch = epoch as f32 + (index + 1) as f32 / batches as f32;
                pending.push(BatchLoss {
                    at_epoch,
                    total: values[0],
                    reconstruction: values[1],
                    kl: values[2],
                });
                if ctx.progress(|| VaeEvent::Progress {
                    epoch,
                    batch: index + 1,
                }) {
                    ctx.send(VaeEvent::Losses(std::mem::take(&mut pending)))?;
                }
                // A held-out run (the tuner's) has no one watching its grid and map.
                if (index + 1) % SNAPSHOT_EVERY == 0 && !self.validate {
                    self.snapshot(ctx)?;
                }
                if let Some(saver) = autosave.as_mut().filter(|s| s.due()) {
                    self.autosave(ctx, saver)?;
                }
            }
            ctx.send(VaeEvent::Losses(std::mem::take(&mut pending)))?;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_precision_loss,
                reason = "means for display"
            )]
            let mean = |sum: f64| (sum / batches as f64) as f32;
            #[expect(clippy::cast_precision_loss, reason = "epoch count")]
            let mean = BatchLoss {
                at_epoch: (epoch + 1) as f32,
                total: mean(sums[0]),
                reconstruction: mean(sums[1]),
                kl: mean(sums[2]),
            };
            self.epochs_done = epoch + 1;
            let secs = started.elapsed().as_secs_f32();
            // Measured before the autosave, so a run resumed from it never
            // lacks the figure of its last epoch.
            let held_out = self.validate.then(|| self.held_out_loss()).transpose()?;
            if let Some(saver) = &mut autosave {
                self.autosave(ctx, saver)?;
            }
            ctx.send(VaeEvent::EpochDone {
                epoch: epoch + 1,
                mean,
                secs,
            })?;
            if let Some(loss) = held_out {
                ctx.send(VaeEvent::Validation {
                    epoch: epoch + 1,
                    loss,
                })?;
            }
            if !self.validate {
                self.snapshot(ctx)?;
            }
        }
        Ok(())
    }

    /// The loss on the held-out digits (`shown`), averaged over them, in
    /// chunks and without gradients.
    fn held_out_loss(&self) -> Result<BatchLoss, JobError> {
        let model = self.model.valid();
        let indices: Vec<usize> = (0..self.shown.len()).collect();
        let mut sums = [0.0f64; 3];
        for chunk in indices.chunks(500) {
            let images = batch_tensor(&self.shown, chunk, &self.device);
            let (logits, z_mean, z_log_var) = model.forward(images.clone());
            let loss = vae_loss(images, logits, z_mean, z_log_var);
            let values = read_f32(Tensor::cat(
                vec![loss.total, loss.reconstruction, loss.kl],
                0,
            ))?;
            #[expect(clippy::cast_precision_loss, reason = "digit counts")]
            let weight = chunk.len() as f64;
            for (sum, v) in sums.iter_mut().zip(&values) {
                *sum += f64::from(*v) * weight;
            }
        }
        #[expect(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            reason = "means for display"
        )]
        let mean = |sum: f64| (sum / self.shown.len().max(1) as f64) as f32;
        #[expect(clippy::cast_precision_loss, reason = "epoch count")]
        Ok(BatchLoss {
            at_epoch: self.epochs_done as f32,
            total: mean(sums[0]),
            reconstruction: mean(sums[1]),
            kl: mean(sums[2]),
        })
    }

    /// Writes the autosave; a failure is shown, training goes on.
    fn autosave(
        &self,
        ctx: &JobContext<VaeEvent, VaeCommand>,
        saver: &mut Autosaver,
    ) -> Result<(), JobError> {
        autosave::save_reported(
            ctx,
            saver,
            (self.epochs_done, self.config.epochs),
            |dir| self.save(dir),
            |path, reason| VaeEvent::SaveFailed { path, reason },
        )
    }
}
