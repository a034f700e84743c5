//! One `mnist` trial's training, as the source note runs it: the
//! classifier with RMSprop or Adam (Keras' defaults, 1e-3), batches of 128,
//! the validation loss and accuracy after every epoch, EarlyStopping on the
//! validation loss. Job-side code: it reads each epoch's figures back.

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer, RmsPropConfig};
use burn::tensor::{Device, Int, Tensor, TensorData};

use super::model::{Classifier, PIXELS, correct, cross_entropy_sum};
use crate::job::{JobError, read_f32};
use crate::rng::Rng;
use crate::techniques::vae::data::Digits;

/// Keras' default learning rate for both optimisers.
const LEARNING_RATE: f64 = 1e-3;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Optimizer {
    RmsProp,
    Adam,
}

impl Optimizer {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "rmsprop" => Some(Self::RmsProp),
            "adam" => Some(Self::Adam),
            _ => None,
        }
    }

    pub(super) fn build(self) -> ModuleOptimizer {
        match self {
            Self::RmsProp => RmsPropConfig::new()
                .with_alpha(0.9)
                .with_momentum(0.0)
                .with_epsilon(1e-7)
                .init(),
            Self::Adam => AdamConfig::new().with_epsilon(1e-7).init(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrialSpec {
    pub units: usize,
    pub optimizer: Optimizer,
    pub seed: u64,
    pub batch: usize,
    /// EarlyStopping(monitor = "val_loss", patience); 0 = none.
    pub patience: usize,
}

/// One epoch's figures (epochs count from 1, as Keras prints them).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EpochFigures {
    pub epoch: usize,
    pub loss: f64,
    pub accuracy: f64,
    /// NaN without a validation set.
    pub val_loss: f64,
    pub val_accuracy: f64,
}

/// What the caller wants after an epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Continue,
    /// Stop now (pruned, or the user stopped the study).
    Stop,
}

/// A trial's training so far: the model and optimiser on the autodiff
/// device, the shuffler and the epochs done, so that a Hyperband promotion
/// continues where its parent stopped.
pub struct Run {
    pub spec: TrialSpec,
    pub(super) model: Classifier,
    pub(super) optimizer: ModuleOptimizer,
    pub(super) shuffler: Rng,
    pub history: Vec<EpochFigures>,
    pub(super) best_val: f64,
    pub(super) since_best: usize,
    /// Trained to its epochs or stopped early: nothing more to do.
    pub finished: bool,
    /// Saved here after every epoch (the study's trial folder).
    pub checkpoint: Option<std::path::PathBuf>,
}

impl Run {
    pub fn new(spec: TrialSpec, device: &Device) -> Self {
        device.seed(spec.seed);
        Self {
            spec,
            model: Classifier::new(spec.units, &device.clone().autodiff()),
            optimizer: spec.optimizer.build(),
            shuffler: Rng(spec.seed),
            history: Vec::new(),
            best_val: f64::INFINITY,
            since_best: 0,
            finished: false,
            checkpoint: None,
        }
    }

    pub fn epochs_done(&self) -> usize {
        self.history.len()
    }

    /// The trained classifier, without gradients.
    pub fn model(&self) -> Classifier {
        self.model.valid()
    }

    /// Trains on to `epochs` in all, or until EarlyStopping; `on_epoch` sees
    /// each epoch's figures, `check` runs before every batch (cancel, pause).
    /// Returns whether EarlyStopping (or `on_epoch`) stopped it.
    pub fn train_to(
        &mut self,
        epochs: usize,
        train: &Digits,
        val: Option<&Digits>,
        device: &Device,
        check: &dyn Fn() -> Result<(), JobError>,
        on_epoch: &mut dyn FnMut(&EpochFigures) -> Result<Next, JobError>,
    ) -> Result<bool, JobError> {
        let autodiff = device.clone().autodiff();
        while self.history.len() < epochs {
            // Each epoch shuffles the digits in their own order, so an epoch's
            // order follows from the shuffler alone (a resumed run repeats it).
            let mut order: Vec<usize> = (0..train.len()).collect();
            self.shuffler.shuffle(&mut order);
            let mut loss_sum = Tensor::<1>::zeros([1], &autodiff);
            let mut correct_sum = Tensor::<1, Int>::zeros([1], &autodiff);
            for chunk in order.chunks(self.spec.batch.max(1)) {
                check()?;
                let (digits, labels) = batch(train, chunk, &autodiff);
                let logits = self.model.forward(digits);
                let loss = cross_entropy_sum(logits.clone(), labels.clone());
                correct_sum = correct_sum + correct(logits.detach(), labels);
                loss_sum = loss_sum + loss.clone().detach();
                #[expect(clippy::cast_precision_loss, reason = "a batch size")]
                let mean = loss.div_scalar(chunk.len() as f32);
                let grads = GradientsParams::from_grads(mean.backward(), &self.model);
                self.model = self
                    .optimizer
                    .step(LEARNING_RATE, self.model.clone(), grads);
            }
            #[expect(clippy::cast_precision_loss, reason = "digit counts")]
            let n = train.len().max(1) as f64;
            let loss = f64::from(read_f32(loss_sum)?[0]) / n;
            #[expect(clippy::cast_precision_loss, reason = "digit counts")]
            let accuracy = read_count(correct_sum)? as f64 / n;
            let (val_loss, val_accuracy) = match val {
                Some(val) => evaluate(&self.model.valid(), val, device)?,
                None => (f64::NAN, f64::NAN),
            };
            let epoch = self.history.len() + 1;
            let figures = EpochFigures {
                epoch,
                loss,
                accuracy,
                val_loss,
                val_accuracy,
            };
            self.history.push(figures);
            let next = on_epoch(&figures)?;
            let patience = self.spec.patience;
            if val_loss < self.best_val {
                (self.best_val, self.since_best) = (val_loss, 0);
            } else {
                self.since_best += 1;
            }
            let stopped = next == Next::Stop
                || (patience > 0 && val.is_some() && self.since_best >= patience);
            self.finished = stopped || self.history.len() >= epochs;
            // After the epoch is reported: a kill before this line redoes it.
            if let Some(dir) = &self.checkpoint {
                self.save(dir)?;
            }
            if stopped {
                return Ok(true);
            }
        }
        self.finished = true;
        Ok(false)
    }

    /// The epoch (from 1) with the lowest validation loss.
    pub fn best_epoch(&self) -> Option<usize> {
        self.history
            .iter()
            .min_by(|a, b| a.val_loss.total_cmp(&b.val_loss))
            .map(|f| f.epoch)
    }

    /// The highest validation accuracy of any epoch (KerasTuner scores a
    /// trial by its best epoch).
    pub fn best_val_accuracy(&self) -> Option<f64> {
        self.history
            .iter()
            .map(|f| f.val_accuracy)
            .filter(|v| v.is_finite())
            .reduce(f64::max)
    }
}

/// Mean loss and accuracy on `digits` (no gradients), in chunks.
pub fn evaluate(
    model: &Classifier,
    digits: &Digits,
    device: &Device,
) -> Result<(f64, f64), JobError> {
    let mut loss = Tensor::<1>::zeros([1], device);
    let mut hits = Tensor::<1, Int>::zeros([1], device);
    let indices: Vec<usize> = (0..digits.len()).collect();
    for chunk in indices.chunks(1024) {
        let (x, labels) = batch(digits, chunk, device);
        let logits = model.forward(x);
        loss = loss + cross_entropy_sum(logits.clone(), labels.clone());
        hits = hits + correct(logits, labels);
    }
    #[expect(clippy::cast_precision_loss, reason = "digit counts")]
    let n = digits.len().max(1) as f64;
    #[expect(clippy::cast_precision_loss, reason = "digit counts")]
    Ok((
        f64::from(read_f32(loss)?[0]) / n,
        read_count(hits)? as f64 / n,
    ))
}

fn read_count(count: Tensor<1, Int>) -> Result<i64, JobError> {
    let data = count.into_data().convert::<i64>();
    let values = data
        .as_slice::<i64>()
        .map_err(|e| anyhow::anyhow!("reading a count back: {e:?}"))?;
    Ok(values.first().copied().unwrap_or(0))
}

/// Digits [n, 784] and their labels [n].
fn batch(digits: &Digits, indices: &[usize], device: &Device) -> (Tensor<2>, Tensor<1, Int>) {
    let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
    let mut labels = Vec::with_capacity(indices.len());
    for &i in indices {
        pixels.extend_from_slice(digits.image(i));
        labels.push(i64::from(digits.labels[i]));
    }
    let n = indices.len();
    (
        Tensor::from_data(TensorData::new(pixels, [n, PIXELS]), device),
        Tensor::from_data(TensorData::new(labels, [n]), device),
    )
}
