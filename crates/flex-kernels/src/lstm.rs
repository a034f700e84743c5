//! A whole LSTM layer (all time steps, returning the last hidden state) as one
//! custom operation on the CPU backend, with its backward pass written out.
//!
//! Through autodiff the book's char-LSTM is about twenty small operations per
//! time step and twice as many backwards, 60 steps a batch: bookkeeping, not
//! arithmetic, set its speed. Here each step is one matrix product and a few
//! loops over `[batch, 4·units]`, the backward's recurrent-kernel gradient is
//! one matrix product over all steps, and one vectorised sigmoid computes the
//! nonlinearities (tanh(z) = 2σ(2z) − 1). Only burn-flex and
//! autodiff over it are wired up; [`lstm_last`] composes burn's operations on
//! every other device.

#![expect(
    clippy::many_single_char_names,
    reason = "the LSTM's textbook names: i, f, o, g, c, h, z"
)]

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::activation::sigmoid;
use burn::tensor::{DType, Shape, Tensor, TensorData, s};
use burn_flex::FlexTensor;

use super::fast_math::sigmoid_in_place;

#[backend_extension(Flex, Autodiff)]
pub trait LstmOps: Backend {
    /// Projected inputs `[time, batch, 4·units]` (gates i, f, o, c, bias
    /// included) and recurrent kernel `[units, 4·units]` → the last hidden
    /// state `[batch, units]`, from zero initial state.
    fn lstm_last(inputs: FloatTensor<Self>, recurrent: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// The LSTM layer's last hidden state; see [`LstmOps::lstm_last`].
pub fn lstm_last(inputs: Tensor<3>, recurrent: Tensor<2>) -> Tensor<2> {
    assert!(
        crate::runs_on(&inputs.device()),
        "lstm runs on burn-flex only"
    );
    let out = <Dispatch as LstmOps>::lstm_last(inputs.into_dispatch(), recurrent.into_dispatch());
    Tensor::from_dispatch(out)
}

/// The same from burn's own operations (the layers' form off burn-flex, and the reference the tests compare with).
#[expect(
    clippy::needless_pass_by_value,
    reason = "the same signature as `lstm_last`"
)]
pub fn lstm_last_composed(inputs: Tensor<3>, recurrent: Tensor<2>) -> Tensor<2> {
    let [time, batch, gates] = inputs.dims();
    let units = gates / 4;
    let device = inputs.device();
    let mut state = Tensor::<2>::zeros([batch, units], &device);
    let mut cell = Tensor::<2>::zeros([batch, units], &device);
    for t in 0..time {
        let z: Tensor<2> = inputs.clone().slice(s![t..=t]).reshape([batch, gates])
            + state.matmul(recurrent.clone());
        let gate = |k: usize| z.clone().slice(s![.., k * units..(k + 1) * units]);
        let candidate = gate(3).tanh();
        cell = sigmoid(gate(1)) * cell + sigmoid(gate(0)) * candidate;
        state = sigmoid(gate(2)) * cell.clone().tanh();
    }
    state
}

fn flex(data: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}

fn values(tensor: &FlexTensor) -> Vec<f32> {
    tensor.to_contiguous().storage::<f32>().to_vec()
}

fn matmul(lhs: FlexTensor, rhs: FlexTensor) -> Vec<f32> {
    burn_flex::ops::matmul::matmul(lhs, rhs)
        .into_data()
        .try_into_vec::<f32>()
        .expect("a product of f32 matrices is f32")
}

/// What the backward pass needs from the forward, one buffer per step: the
/// gates after their nonlinearities (i, f, o, c̃, `[batch, 4·units]`), the
/// cell, tanh of the cell and the hidden state (`[batch, units]` each).
#[derive(Debug, Clone)]
struct Trace {
    batch: usize,
    units: usize,
    gates: Vec<Vec<f32>>,
    cells: Vec<Vec<f32>>,
    tanh_cells: Vec<Vec<f32>>,
    hidden: Vec<Vec<f32>>,
}

fn forward(inputs: &FlexTensor, recurrent: &FlexTensor) -> Trace {
    let inputs = inputs.to_contiguous();
    let shape = inputs.layout().shape().clone();
    let (time, batch, width) = (shape[0], shape[1], shape[2]);
    let units = width / 4;
    let x: &[f32] = inputs.storage();
    let step_size = batch * width;
    let mut trace = Trace {
        batch,
        units,
        gates: Vec::with_capacity(time),
        cells: Vec::with_capacity(time),
        tanh_cells: Vec::with_capacity(time),
        hidden: Vec::with_capacity(time),
    };
    let zeros = vec![0.0f32; batch * units];
    for t in 0..time {
        let (h, c) = match (trace.hidden.last(), trace.cells.last()) {
            (Some(h), Some(c)) => (h.as_slice(), c.as_slice()),
            _ => (zeros.as_slice(), zeros.as_slice()),
        };
        let mut z = if t == 0 {
            vec![0.0f32; step_size]
        } else {
            matmul(flex(h.to_vec(), [batch, units]), recurrent.clone())
        };
        for (row, x_row) in z.chunks_mut(width).zip(x[t * step_size..].chunks(width)) {
            for (v, x) in row.iter_mut().zip(x_row) {
                *v += x;
            }
            // tanh(z) = 2σ(2z) − 1 for the candidate block
            for v in &mut row[3 * units..] {
                *v *= 2.0;
            }
        }
        sigmoid_in_place(&mut z);
        let gates = z;
        let mut cell = vec![0.0f32; batch * units];
        let mut tanh_cell = vec![0.0f32; batch * units];
        let mut hidden = vec![0.0f32; batch * units];
        for n in 0..batch {
            let row = &gates[n * width..(n + 1) * width];
            let (i, f, o, g) = (
                &row[..units],
                &row[units..2 * units],
                &row[2 * units..3 * units],
                &row[3 * units..],
            );
            let span = n * units..(n + 1) * units;
            let previous = &c[span.clone()];
            let cell = &mut cell[span.clone()];
            for k in 0..units {
                cell[k] = f[k] * previous[k] + i[k] * (2.0 * g[k] - 1.0);
            }
            let twice = &mut tanh_cell[span.clone()];
            for k in 0..units {
                twice[k] = 2.0 * cell[k];
            }
            sigmoid_in_place(twice);
            let hidden = &mut hidden[span];
            for k in 0..units {
                twice[k] = 2.0 * twice[k] - 1.0;
                hidden[k] = o[k] * twice[k];
            }
        }
        trace.gates.push(gates);
        trace.cells.push(cell);
        trace.tanh_cells.push(tanh_cell);
        trace.hidden.push(hidden);
    }
    trace
}

impl Trace {
    fn last_hidden(&self) -> FlexTensor {
        let last = self
            .hidden
            .last()
            .cloned()
            .unwrap_or_else(|| vec![0.0; self.batch * self.units]);
        flex(last, [self.batch, self.units])
    }

    /// Gradients of the projected inputs `[time, batch, 4·units]` and the
    /// recurrent kernel `[units, 4·units]` for the last state's gradient.
    fn backward(&self, recurrent: &FlexTensor, grad_last: &FlexTensor) -> (FlexTensor, FlexTensor) {
        let (time, batch, units) = (self.gates.len(), self.batch, self.units);
        let width = 4 * units;
        // A contiguous copy: gemm multiplies by it in half the time it takes
        // through the transposed view (0.16 against 0.29 ms per step).
        let recurrent_t = recurrent.transpose(0, 1).to_contiguous();
        let zeros = vec![0.0f32; batch * units];
        let mut dz_steps = Vec::with_capacity(time);
        let mut dh = values(grad_last);
        let mut dc = vec![0.0f32; batch * units];
        for t in (0..time).rev() {
            let gates = &self.gates[t];
            let tc = &self.tanh_cells[t];
            let previous = if t == 0 { &zeros } else { &self.cells[t - 1] };
            let mut dz = vec![0.0f32; batch * width];
            for n in 0..batch {
                let row = &gates[n * width..(n + 1) * width];
                let (i, f, o, g) = (
                    &row[..units],
                    &row[units..2 * units],
                    &row[2 * units..3 * units],
                    &row[3 * units..],
                );
                let (dz_i, rest) = dz[n * width..(n + 1) * width].split_at_mut(units);
                let (dz_f, rest) = rest.split_at_mut(units);
                let (dz_o, dz_g) = rest.split_at_mut(units);
                let span = n * units..(n + 1) * units;
                let (dh, tc, previous) = (
                    &dh[span.clone()],
                    &tc[span.clone()],
                    &previous[span.clone()],
                );
                let dc = &mut dc[span];
                for k in 0..units {
                    let g = 2.0 * g[k] - 1.0;
                    let d_out = dh[k] * tc[k];
                    let d_cell = dc[k] + dh[k] * o[k] * (1.0 - tc[k] * tc[k]);
                    dz_i[k] = d_cell * g * i[k] * (1.0 - i[k]);
                    dz_f[k] = d_cell * previous[k] * f[k] * (1.0 - f[k]);
                    dz_o[k] = d_out * o[k] * (1.0 - o[k]);
                    dz_g[k] = d_cell * i[k] * (1.0 - g * g);
                    dc[k] = d_cell * f[k];
                }
            }
            if t > 0 {
                let dz_tensor = flex(dz, [batch, width]);
                dh = matmul(dz_tensor.clone(), recurrent_t.clone());
                dz = values(&dz_tensor);
            }
            dz_steps.push(dz);
        }
        dz_steps.reverse();
        let dz_all = flex(dz_steps.concat(), [time * batch, width]);
        // Σ_t h_{t−1}ᵀ · dz_t as one product over all steps after the first.
        let grad_recurrent = if time > 1 {
            let previous = flex(
                self.hidden[..time - 1].concat(),
                [(time - 1) * batch, units],
            );
            let dz = dz_all.narrow(0, batch, (time - 1) * batch);
            // The one large product of the step: outside the job's one-core
            // pool, so that gemm splits it over all cores (11 → 6 ms).
            std::thread::scope(|scope| {
                scope
                    .spawn(|| burn_flex::ops::matmul::matmul(previous.transpose(0, 1), dz))
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            FlexTensor::zeros(recurrent.layout().shape().clone(), DType::F32)
        };
        (
            dz_all.reshape(Shape::from(vec![time, batch, width])),
            grad_recurrent,
        )
    }
}

impl LstmOps for Flex {
    fn lstm_last(inputs: FlexTensor, recurrent: FlexTensor) -> FlexTensor {
        assert_eq!(inputs.dtype(), DType::F32, "lstm_last: f32 only");
        forward(&inputs, &recurrent).last_hidden()
    }
}

#[derive(Debug)]
struct LstmBackward;

impl Backward<Flex, 2> for LstmBackward {
    type State = (Arc<Trace>, FlexTensor);

    fn backward(self, ops: Ops<Self::State, 2>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (trace, recurrent) = ops.state;
        let grad = grads.consume::<Flex>(&ops.node);
        let (grad_inputs, grad_recurrent) = trace.backward(&recurrent, &grad);
        let [inputs_node, recurrent_node] = ops.parents;
        if let Some(node) = inputs_node {
            grads.register::<Flex>(node.id, grad_inputs);
        }
        if let Some(node) = recurrent_node {
            grads.register::<Flex>(node.id, grad_recurrent);
        }
    }
}

impl<C: CheckpointStrategy> LstmOps for Autodiff<Flex, C> {
    fn lstm_last(inputs: FloatTensor<Self>, recurrent: FloatTensor<Self>) -> FloatTensor<Self> {
        let prep = LstmBackward
            .prepare::<C>([inputs.node(), recurrent.node()])
            .compute_bound()
            .stateful();
        let inputs = <Self as AutodiffBackend>::inner(inputs);
        let recurrent = <Self as AutodiffBackend>::inner(recurrent);
        match prep {
            OpsKind::Tracked(prep) => {
                let trace = forward(&inputs, &recurrent);
                let last = trace.last_hidden();
                prep.finish((Arc::new(trace), recurrent), last)
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::lstm_last(inputs, recurrent)),
        }
    }
}

#[cfg(test)]
mod tests;
