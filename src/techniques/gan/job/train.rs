//! The book's training loop and step for the GAN job.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::{Distribution, Tensor};

use super::super::data::Images;
use super::super::model::bce_with_logits;
use super::{GanCommand, GanEvent, GanJob, JobError, StepLoss, batch_tensor, collapse, fid_probe};
use crate::job::autosave::{self, Autosaver};
use crate::job::{JobContext, read_f32};

impl GanJob {
    /// The book's training step, epoch after epoch.
    pub(super) fn train(
        &mut self,
        ctx: &mut JobContext<GanEvent, GanCommand>,
        images: &Images,
        mut autosave: Option<Autosaver>,
    ) -> Result<(), JobError> {
        let batch = self.settings.batch_size.clamp(1, images.count);
        let steps = images.count / batch;
        let first = self.epochs_done;
        ctx.send(GanEvent::Started {
            first_epoch: first,
            epochs: self.settings.epochs,
            steps_per_epoch: steps,
        })?;
        let autodiff = self.device.clone().autodiff();
        let mut order: Vec<usize> = (0..images.count).collect();
        let mut rng = crate::rng::Rng(self.settings.seed);
        // A resumed run shuffles as the straight run did in its later epochs.
        for _ in 0..first {
            rng.shuffle(&mut order);
        }
        let mut pending = Vec::new();
        let mut warned = false;
        let mut fid = if self.settings.fid_samples > 0 {
            ctx.send(GanEvent::Progress {
                epoch: first,
                step: 0,
            })?;
            Some(fid_probe::Probe::new(self, images)?)
        } else {
            None
        };
        for epoch in first..self.settings.epochs {
            let started = Instant::now();
            rng.shuffle(&mut order);
            let (mut d_sum, mut g_sum) = (0.0f64, 0.0f64);
            for step in 0..steps {
                ctx.checkpoint()?;
                if self.apply_commands(ctx)? {
                    self.epochs_done = epoch;
                    return Ok(());
                }
                let real =
                    batch_tensor(images, &order[step * batch..(step + 1) * batch], &autodiff);
                // Every random draw of a step (latents, label noise, dropout)
                // follows from the seed, the epoch and the step, so a resumed
                // run draws what the straight run drew.
                self.device.seed(step_seed(self.settings.seed, epoch, step));
                let (d_value, g_value) = self.step(real)?;
                d_sum += f64::from(d_value);
                g_sum += f64::from(g_value);
                #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
                let at_epoch = epoch as f32 + (step + 1) as f32 / steps as f32;
                let loss = StepLoss {
                    at_epoch,
                    d_loss: d_value,
                    g_loss: g_value,
                };
                pending.push(loss);
                self.history.push(loss);
                if ctx.progress(|| GanEvent::Progress {
                    epoch,
                    step: step + 1,
                }) {
                    ctx.send(GanEvent::Losses(std::mem::take(&mut pending)))?;
                }
                if (step + 1) % self.settings.sample_every.max(1) == 0 {
                    ctx.send(GanEvent::Samples {
                        at_epoch,
                        image: self.sample_grid()?,
                    })?;
                }
                if !warned && let Some(warning) = collapse(&self.history) {
                    warned = true;
                    ctx.send(GanEvent::Collapse(warning))?;
                }
                if let Some(saver) = autosave.as_mut().filter(|s| s.due()) {
                    self.autosave(ctx, saver)?;
                }
            }
            ctx.send(GanEvent::Losses(std::mem::take(&mut pending)))?;
            self.epochs_done = epoch + 1;
            if let Some(saver) = &mut autosave {
                self.autosave(ctx, saver)?;
            }
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_precision_loss,
                reason = "means for display"
            )]
            let mean = |sum: f64| (sum / steps.max(1) as f64) as f32;
            ctx.send(GanEvent::EpochDone {
                epoch: epoch + 1,
                d_loss: mean(d_sum),
                g_loss: mean(g_sum),
                secs: started.elapsed().as_secs_f32(),
                image: self.sample_grid()?,
            })?;
            if let Some(probe) = &mut fid {
                let value = probe.measure(self)?;
                ctx.send(GanEvent::Fid {
                    epoch: epoch + 1,
                    fid: value,
                })?;
            }
        }
        Ok(())
    }

    /// Writes the autosave; a failure is shown, training goes on.
    fn autosave(
        &self,
        ctx: &JobContext<GanEvent, GanCommand>,
        saver: &mut Autosaver,
    ) -> Result<(), JobError> {
        autosave::save_reported(
            ctx,
            saver,
            (self.epochs_done, self.settings.epochs),
            |dir| self.save(dir),
            |path, reason| GanEvent::SaveFailed { path, reason },
        )
    }

    /// The book's `train_step` on one batch of real images; returns (d_loss, g_loss).
    fn step(&mut self, real: Tensor<4>) -> Result<(f32, f32), JobError> {
        let device = real.device();
        let [batch, ..] = real.dims();
        let normal = |n: usize| {
            Tensor::<2>::random(
                [n, self.config.latent_dim],
                Distribution::Normal(0.0, 1.0),
                &device,
            )
        };
        // Discriminator: generated labelled 1, real 0, plus label noise.
        // No gradient flows into the generator here: run it without autodiff.
        let fake = self
            .generator
            .valid()
            .forward(normal(batch).inner())
            .autodiff();
        let labels = Tensor::cat(
            vec![
                Tensor::<2>::ones([batch, 1], &device),
                Tensor::zeros([batch, 1], &device),
            ],
            0,
        );
        let noise = Tensor::<2>::random([2 * batch, 1], Distribution::Uniform(0.0, 1.0), &device)
            .mul_scalar(self.settings.label_noise);
        let d_loss = bce_with_logits(
            self.discriminator.forward(Tensor::cat(vec![fake, real], 0)),
            labels + noise,
        );
        let d_value = read_f32(d_loss.clone().detach())?[0];
        let grads = GradientsParams::from_grads(d_loss.backward(), &self.discriminator);
        self.discriminator = self.d_optimizer.step(
            self.settings.d_learning_rate,
            self.discriminator.clone(),
            grads,
        );
        // Generator: through the discriminator, with the misleading label "real".
        let predictions = self
            .discriminator
            .forward(self.generator.forward(normal(batch)));
        let g_loss = bce_with_logits(predictions, Tensor::zeros([batch, 1], &device));
        let g_value = read_f32(g_loss.clone().detach())?[0];
        let grads = GradientsParams::from_grads(g_loss.backward(), &self.generator);
        self.generator =
            self.g_optimizer
                .step(self.settings.g_learning_rate, self.generator.clone(), grads);
        Ok((d_value, g_value))
    }
}

/// The device seed of one training step.
fn step_seed(seed: u64, epoch: usize, step: usize) -> u64 {
    let mut rng = crate::rng::Rng(seed ^ ((epoch as u64) << 32) ^ step as u64);
    rng.next_u64()
}
