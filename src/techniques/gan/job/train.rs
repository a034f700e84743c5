//! The book's training loop and step for the GAN job.

use std::time::Instant;

use burn::tensor::{Device, Tensor};

use super::super::data::Images;
use super::super::step::{StepInputs, ema_update};
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
        let mut peak_diversity = 0.0f32;
        let mut fid = (self.settings.fid_samples > 0)
            .then(|| fid_probe::Probe::new(self, images))
            .transpose()?;
        let began = Instant::now();
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
                // Every random draw of a step (mirroring, latents, label noise,
                // dropout) follows from the seed, the epoch and the step, so a
                // resumed run draws what the straight run drew.
                let seed = crate::rng::step_seed(self.settings.seed, epoch, step);
                let picked = &order[step * batch..(step + 1) * batch];
                let (d_value, g_value) = self.step(images, picked, seed, &autodiff)?;
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
            let out_of_time = self.settings.minutes > 0.0
                && began.elapsed().as_secs_f64() >= self.settings.minutes * 60.0;
            let last = epoch + 1 == self.settings.epochs || out_of_time;
            if let Some(probe) = &mut fid
                && ((epoch + 1) % self.settings.fid_every.max(1) == 0 || last)
            {
                self.measure(ctx, probe, &mut peak_diversity, &mut warned)?;
            }
            if out_of_time {
                break;
            }
        }
        Ok(())
    }

    /// FID and diversity now; warns (once) when diversity has fallen.
    fn measure(
        &self,
        ctx: &JobContext<GanEvent, GanCommand>,
        probe: &mut fid_probe::Probe,
        peak_diversity: &mut f32,
        warned: &mut bool,
    ) -> Result<(), JobError> {
        let quality = probe.measure(self)?;
        ctx.send(GanEvent::Fid {
            epoch: self.epochs_done,
            fid: quality.fid,
            diversity: quality.diversity,
        })?;
        *peak_diversity = peak_diversity.max(quality.diversity);
        if !*warned && let Some(warning) = quality.collapse_warning(*peak_diversity) {
            *warned = true;
            ctx.send(GanEvent::Collapse(warning))?;
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

    /// The book's `train_step` on the real images `picked` (mirrored where
    /// the step's seed says), and the moving average after it; returns
    /// (d_loss, g_loss).
    fn step(
        &mut self,
        images: &Images,
        picked: &[usize],
        seed: u64,
        autodiff: &Device,
    ) -> Result<(f32, f32), JobError> {
        let flips = self.settings.flip.then(|| flips(seed, picked.len()));
        let real = batch_tensor(images, picked, self.config.side, flips.as_deref(), autodiff);
        self.device.seed(seed);
        let inputs = StepInputs::draw(real, self.config.latent_dim, self.settings.label_noise);
        let losses = self.players.step(
            inputs,
            self.settings.d_learning_rate,
            self.settings.g_learning_rate,
        );
        if let Some(average) = self.average.take() {
            // A warm-up (as in the usual EMA implementations), so the early
            // average is not mostly the initial weights.
            #[expect(clippy::cast_precision_loss, reason = "a step count as a rate")]
            let warm_up = (1.0 + self.history.len() as f32) / (10.0 + self.history.len() as f32);
            let decay = self.settings.ema.min(warm_up);
            self.average = Some(ema_update(average, &self.players.generator, decay));
        }
        let both = read_f32(Tensor::cat(vec![losses.d_loss, losses.g_loss], 0))?;
        Ok((both[0], both[1]))
    }
}

/// Which of `count` images a step mirrors (each with probability ½).
fn flips(seed: u64, count: usize) -> Vec<bool> {
    let mut rng = crate::rng::Rng(seed ^ 0x5eed_f11b);
    (0..count).map(|_| rng.next_u64() & 1 == 1).collect()
}
