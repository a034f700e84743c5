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
