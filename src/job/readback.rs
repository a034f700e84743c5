//! Reading tensors back to the host, for the jobs (the only code that does).

use burn::tensor::Tensor;

use super::{JobError, JobHandle, JobMessage};

/// The values of a float tensor of any shape, flattened.
pub fn read_f32<const D: usize>(tensor: Tensor<D>) -> Result<Vec<f32>, JobError> {
    let data = tensor.into_data();
    Ok(data
        .as_slice::<f32>()
        .map_err(|e| anyhow::anyhow!("reading a tensor back: {e:?}"))?
        .to_vec())
}

/// One number back from the device (the first element).
pub fn read_scalar<const D: usize>(tensor: Tensor<D>) -> Result<f64, JobError> {
    read_f32(tensor)?
        .first()
        .map(|v| f64::from(*v))
        .ok_or_else(|| anyhow::anyhow!("empty tensor read back").into())
}

/// Blocks on a job (command-line use) until a save or export it was asked
/// for has happened; `outcome` reads that from an event (`Some(Err(reason))`
/// for a failed save), and a failure becomes the error.
pub fn wait_saved<E, C>(
    handle: &mut JobHandle<E, C>,
    outcome: impl FnMut(E) -> Option<Result<std::path::PathBuf, String>>,
) -> anyhow::Result<std::path::PathBuf> {
    wait_for(handle, outcome)?.map_err(anyhow::Error::msg)
}

/// Blocks on a job (command-line use) until `pick` returns something; a job
/// that fails or stops first is an error.
pub fn wait_for<E, C, T>(
    handle: &mut JobHandle<E, C>,
    mut pick: impl FnMut(E) -> Option<T>,
) -> anyhow::Result<T> {
    loop {
        match handle.recv_blocking() {
            Some(JobMessage::Event(event)) => {
                if let Some(found) = pick(event) {
                    return Ok(found);
                }
            }
            Some(JobMessage::Failed(message)) => anyhow::bail!("{message}"),
            Some(JobMessage::Finished | JobMessage::Cancelled) | None => {
                anyhow::bail!("the {} job stopped early", handle.name())
            }
        }
    }
}

/// Times training steps from a job's progress events, for the benchmarks:
/// the steps after the first reported one, which also paid for first-touch
/// memory and lazy setup.
#[derive(Debug, Default)]
pub struct StepClock {
    first: Option<(usize, std::time::Instant)>,
    last: Option<(usize, std::time::Instant)>,
}

impl StepClock {
    /// Step `step` (counted from 1) has just finished.
    pub fn step_done(&mut self, step: usize) {
        let now = std::time::Instant::now();
        if step >= 1 {
            self.first.get_or_insert((step, now));
            self.last = Some((step, now));
        }
    }

    /// Mean seconds per step after the first reported one, once two were.
    pub fn steady_secs(&self) -> Option<f64> {
        let ((a, start), (b, end)) = (self.first?, self.last?);
        #[expect(clippy::cast_precision_loss, reason = "step counts")]
        (b > a).then(|| (end - start).as_secs_f64() / (b - a) as f64)
    }

    /// ", 1234 ms per step after the first" or nothing.
    pub fn describe(&self, unit: &str) -> String {
        self.steady_secs()
            .map(|s| format!("; {:.0} ms per {unit} after the first", s * 1000.0))
            .unwrap_or_default()
    }
}

/// What the benchmarks read from a training job's events.
pub trait TrainingEvents {
    /// Steps in an epoch, from the event that announces training.
    fn steps_per_epoch(&self) -> Option<usize>;
    /// The step (counted from 1) that just finished.
    fn step_done(&self) -> Option<usize>;
    /// Seconds the epoch took, from the event that ends it.
    fn epoch_secs(&self) -> Option<f32>;
}

/// Implements [`TrainingEvents`] for an event enum with `Started { <count>, .. }`,
/// `Progress { <step>, .. }` and `EpochDone { secs, .. }` variants.
#[macro_export]
macro_rules! training_events {
    ($events:ty, $count:ident, $step:ident) => {
        impl $crate::job::TrainingEvents for $events {
            fn steps_per_epoch(&self) -> Option<usize> {
                match self {
                    Self::Started { $count, .. } => Some(*$count),
                    _ => None,
                }
            }

            fn step_done(&self) -> Option<usize> {
                match self {
                    Self::Progress { $step, .. } => Some(*$step),
                    _ => None,
                }
            }

            fn epoch_secs(&self) -> Option<f32> {
                match self {
                    Self::EpochDone { secs, .. } => Some(*secs),
                    _ => None,
                }
            }
        }
    };
}

/// A benchmark's first epoch: its length in seconds and steps, and the steady
/// per-step time after the first step.
#[derive(Debug)]
pub struct EpochTiming {
    pub secs: f32,
    pub steps: usize,
    pub clock: StepClock,
}

/// Waits for a training job's first epoch to end, timing its steps.
pub fn time_first_epoch<E: TrainingEvents, C>(
    handle: &mut JobHandle<E, C>,
) -> anyhow::Result<EpochTiming> {
    let mut steps = 0;
    let mut clock = StepClock::default();
    let secs = wait_for(handle, |event| {
        if let Some(count) = event.steps_per_epoch() {
            steps = count;
        }
        if let Some(step) = event.step_done() {
            clock.step_done(step);
        }
        event.epoch_secs()
    })?;
    Ok(EpochTiming { secs, steps, clock })
}
