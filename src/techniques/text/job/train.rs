//! The text job's training loop: RMSprop over shuffled batches, losses
//! streamed, the book's samples after every epoch.

use std::time::Instant;

use burn::module::Module;
use burn::optim::GradientsParams;
use burn::tensor::Tensor;

use super::super::model::masked_cross_entropy;
use super::{BatchLoss, JobError, Net, TextCommand, TextEvent, TextJob, data};
use crate::job::autosave::{self, Autosaver};
use crate::job::{JobContext, read_f32};
use crate::rng::Rng;

impl TextJob {
    pub(super) fn train(
        &mut self,
        ctx: &mut JobContext<TextEvent, TextCommand>,
        examples: &data::Examples,
        held_out: &data::Examples,
        mut autosave: Option<Autosaver>,
    ) -> Result<(), JobError> {
        let batch = self.config.batch_size.max(1);
        let batches = examples.len().div_ceil(batch);
        ctx.send(TextEvent::Started {
            epochs: self.config.epochs,
            batches_per_epoch: batches,
        })?;
        let autodiff = self.device.clone().autodiff();
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = Rng(self.config.seed);
        // A resumed run shuffles as the straight run did in its later epochs.
        for _ in 0..self.epochs_done {
            rng.shuffle(&mut order);
        }
        let mut pending = Vec::new();
        for epoch in self.epochs_done..self.config.epochs {
            let started = Instant::now();
            rng.shuffle(&mut order);
            let mut sum = 0.0f64;
            for (index, chunk) in order.chunks(batch).enumerate() {
                ctx.checkpoint()?;
                let mut stop = false;
                for command in ctx.commands().collect::<Vec<_>>() {
                    stop |= command == TextCommand::StopTraining;
                    self.handle(ctx, command)?;
                }
                if stop {
                    return Ok(());
                }
                let lr = self.learning_rate;
                let loss = match &mut self.net {
                    Net::Words(model, _) => {
                        let (inputs, rows, targets) = examples.word_batch(chunk, &autodiff);
                        let mask = Tensor::<1>::ones([targets.dims()[0]], &autodiff);
                        let loss = model.loss_rows(inputs, rows, targets, mask);
                        let value = read_f32(loss.clone().detach())?[0];
                        let grads = GradientsParams::from_grads(loss.backward(), &**model);
                        **model = self.optimizer.step(lr, (**model).clone(), grads);
                        value
                    }
                    Net::Chars(model, _) => {
                        let (inputs, targets, mask) = examples.batch(chunk, &autodiff);
                        let loss = masked_cross_entropy(model.forward(&inputs), targets, mask);
                        let value = read_f32(loss.clone().detach())?[0];
                        let grads = GradientsParams::from_grads(loss.backward(), &**model);
                        **model = self.optimizer.step(lr, (**model).clone(), grads);
                        value
                    }
                };
                sum += f64::from(loss);
                #[expect(clippy::cast_precision_loss, reason = "plot coordinates")]
                let at_epoch = epoch as f32 + (index + 1) as f32 / batches as f32;
                pending.push(BatchLoss { at_epoch, loss });
                if ctx.progress(|| TextEvent::Progress {
                    epoch,
                    batch: index + 1,
                }) {
                    ctx.send(TextEvent::Losses(std::mem::take(&mut pending)))?;
                }
                if let Some(saver) = autosave.as_mut().filter(|s| s.due()) {
                    self.autosave(ctx, saver)?;
                }
            }
            ctx.send(TextEvent::Losses(std::mem::take(&mut pending)))?;
            self.epochs_done = epoch + 1;
            // Measured before the autosave, so a run resumed from it never
            // lacks the figure of its last epoch.
            let held_out_loss = (!held_out.is_empty())
                .then(|| self.held_out_loss(held_out))
                .transpose()?;
            if let Some(saver) = &mut autosave {
                self.autosave(ctx, saver)?;
            }
            let secs = started.elapsed().as_secs_f32();
            let samples = self.epoch_samples()?;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_precision_loss,
                reason = "a mean for display"
            )]
            let loss = (sum / batches as f64) as f32;
            ctx.send(TextEvent::EpochDone {
                epoch: epoch + 1,
                loss,
                secs,
                samples,
            })?;
            if let Some(loss) = held_out_loss {
                ctx.send(TextEvent::Validation {
                    epoch: epoch + 1,
                    loss,
                })?;
            }
        }
        Ok(())
    }

    /// The mean loss on held-out windows, in batches, without gradients.
    fn held_out_loss(&self, held_out: &data::Examples) -> Result<f32, JobError> {
        let indices: Vec<usize> = (0..held_out.len()).collect();
        let (mut sum, mut weight) = (0.0f64, 0.0f64);
        for chunk in indices.chunks(self.config.batch_size.max(1)) {
            let (loss, count) = match &self.net {
                Net::Words(model, _) => {
                    let (inputs, rows, targets) = held_out.word_batch(chunk, &self.device);
                    let count = targets.dims()[0];
                    let mask = Tensor::<1>::ones([count], &self.device);
                    (model.valid().loss_rows(inputs, rows, targets, mask), count)
                }
                Net::Chars(model, _) => {
                    let (inputs, targets, mask) = held_out.batch(chunk, &self.device);
                    let loss = masked_cross_entropy(model.valid().forward(&inputs), targets, mask);
                    (loss, chunk.len())
                }
            };
            #[expect(clippy::cast_precision_loss, reason = "token counts")]
            let count = count as f64;
            sum += f64::from(read_f32(loss)?[0]) * count;
            weight += count;
        }
        #[expect(clippy::cast_possible_truncation, reason = "a mean for display")]
        Ok((sum / weight.max(1.0)) as f32)
    }

    /// Writes the autosave; a failure is shown, training goes on.
    fn autosave(
        &self,
        ctx: &JobContext<TextEvent, TextCommand>,
        saver: &mut Autosaver,
    ) -> Result<(), JobError> {
        autosave::save_reported(
            ctx,
            saver,
            (self.epochs_done, self.config.epochs),
            |dir| self.save(dir),
            |path, reason| TextEvent::SaveFailed { path, reason },
        )
    }
}
