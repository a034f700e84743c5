//! A whole LSTM layer (all time steps, returning the last hidden state) as one
//! custom operation on the CPU backend, with its backward pass written out.
//!
//! Through autodiff the book's char-LSTM is about twenty small operations per
//! time step and twice as many backwards, 60 steps a batch: bookkeeping, not
//! arithmetic, set its speed. Here each step is one matrix product and a few
//! loops over `[batch, 4·units]`, the backward's recurrent-kernel gradient is
//! one matrix product over all steps, and only burn-flex's vectorised sigmoid
//! computes the nonlinearities (tanh(z) = 2σ(2z) − 1). Only burn-flex and
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
use burn::backend::ops::ActivationOps;
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::activation::sigmoid;
use burn::tensor::{DType, Device, Tensor, TensorData, s};
use burn_flex::FlexTensor;

#[backend_extension(Flex, Autodiff)]
pub trait LstmOps: Backend {
    /// Projected inputs `[time, batch, 4·units]` (gates i, f, o, c, bias
    /// included) and recurrent kernel `[units, 4·units]` → the last hidden
    /// state `[batch, units]`, from zero initial state.
    fn lstm_last(inputs: FloatTensor<Self>, recurrent: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// The LSTM layer's last hidden state; see [`LstmOps::lstm_last`].
pub fn lstm_last(inputs: Tensor<3>, recurrent: Tensor<2>) -> Tensor<2> {
    if inputs.device().without_autodiff() == Device::flex() {
        let out =
            <Dispatch as LstmOps>::lstm_last(inputs.into_dispatch(), recurrent.into_dispatch());
        return Tensor::from_dispatch(out);
    }
    lstm_last_composed(inputs, recurrent)
}

/// The same from burn's own operations (for wgpu, and to test against).
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
    values(&burn_flex::ops::matmul::matmul(lhs, rhs))
}

/// σ of every element, through burn-flex's vectorised kernel.
fn sigmoid_of(data: Vec<f32>, shape: [usize; 2]) -> Vec<f32> {
    values(&<Flex as ActivationOps<Flex>>::sigmoid(flex(data, shape)))
}

/// What the backward pass needs from the forward, per step: the gates after
/// their nonlinearities (i, f, o, c̃), the cell, tanh of the cell and the
/// hidden state, each step's block after the previous one.
#[derive(Debug, Clone)]
struct Trace {
    time: usize,
    batch: usize,
    units: usize,
    gates: Vec<f32>,
    cells: Vec<f32>,
    tanh_cells: Vec<f32>,
    hidden: Vec<f32>,
}

fn forward(inputs: &FlexTensor, recurrent: &FlexTensor) -> Trace {
    let inputs = inputs.to_contiguous();
    let shape = inputs.layout().shape().clone();
    let (time, batch, width) = (shape[0], shape[1], shape[2]);
    let units = width / 4;
    let x: &[f32] = inputs.storage();
    let step_size = batch * width;
    let state_size = batch * units;
    let mut trace = Trace {
        time,
        batch,
        units,
        gates: Vec::with_capacity(time * step_size),
        cells: Vec::with_capacity(time * state_size),
        tanh_cells: Vec::with_capacity(time * state_size),
        hidden: Vec::with_capacity(time * state_size),
    };
    let mut h = vec![0.0f32; state_size];
    let mut c = vec![0.0f32; state_size];
    for t in 0..time {
        let mut z = if t == 0 {
            vec![0.0f32; step_size]
        } else {
            matmul(flex(h.clone(), [batch, units]), recurrent.clone())
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
        let mut a = sigmoid_of(z, [batch, width]);
        for row in a.chunks_mut(width) {
            for v in &mut row[3 * units..] {
                *v = 2.0 * *v - 1.0;
            }
        }
        for (c, row) in c.chunks_mut(units).zip(a.chunks(width)) {
            let (i, rest) = row.split_at(units);
            let (f, rest) = rest.split_at(units);
            let g = &rest[units..];
            for k in 0..units {
                c[k] = f[k] * c[k] + i[k] * g[k];
            }
        }
        let twice: Vec<f32> = c.iter().map(|v| 2.0 * v).collect();
        let tc: Vec<f32> = sigmoid_of(twice, [batch, units])
            .into_iter()
            .map(|s| 2.0 * s - 1.0)
            .collect();
        for ((h, tc), row) in h
            .chunks_mut(units)
            .zip(tc.chunks(units))
            .zip(a.chunks(width))
        {
            let o = &row[2 * units..3 * units];
            for k in 0..units {
                h[k] = o[k] * tc[k];
            }
        }
        trace.gates.extend_from_slice(&a);
        trace.cells.extend_from_slice(&c);
        trace.tanh_cells.extend_from_slice(&tc);
        trace.hidden.extend_from_slice(&h);
    }
    trace
}

impl Trace {
    fn last_hidden(&self) -> FlexTensor {
        let size = self.batch * self.units;
        let start = self.hidden.len() - size;
        flex(self.hidden[start..].to_vec(), [self.batch, self.units])
    }

    /// Gradients of the projected inputs `[time, batch, 4·units]` and the
    /// recurrent kernel `[units, 4·units]` for the last state's gradient.
    fn backward(&self, recurrent: &FlexTensor, grad_last: &FlexTensor) -> (FlexTensor, FlexTensor) {
        let (time, batch, units) = (self.time, self.batch, self.units);
        let width = 4 * units;
        let state_size = batch * units;
        let step_size = batch * width;
        let recurrent_t = recurrent.transpose(0, 1);
        let mut dz_all = vec![0.0f32; time * step_size];
        let mut dh = values(grad_last);
        let mut dc = vec![0.0f32; state_size];
        for t in (0..time).rev() {
            let gates = &self.gates[t * step_size..(t + 1) * step_size];
            let tc = &self.tanh_cells[t * state_size..(t + 1) * state_size];
            let dz = &mut dz_all[t * step_size..(t + 1) * step_size];
            for n in 0..batch {
                let row = &gates[n * width..(n + 1) * width];
                let (i, f, o, g) = (
                    &row[..units],
                    &row[units..2 * units],
                    &row[2 * units..3 * units],
                    &row[3 * units..],
                );
                let dz = &mut dz[n * width..(n + 1) * width];
                for k in 0..units {
                    let s = n * units + k;
                    let previous = if t == 0 {
                        0.0
                    } else {
                        self.cells[(t - 1) * state_size + s]
                    };
                    let d_out = dh[s] * tc[s];
                    let d_cell = dc[s] + dh[s] * o[k] * (1.0 - tc[s] * tc[s]);
                    dz[k] = d_cell * g[k] * i[k] * (1.0 - i[k]);
                    dz[units + k] = d_cell * previous * f[k] * (1.0 - f[k]);
                    dz[2 * units + k] = d_out * o[k] * (1.0 - o[k]);
                    dz[3 * units + k] = d_cell * i[k] * (1.0 - g[k] * g[k]);
                    dc[s] = d_cell * f[k];
                }
            }
            if t > 0 {
                dh = matmul(flex(dz.to_vec(), [batch, width]), recurrent_t.clone());
            }
        }
        // Σ_t h_{t−1}ᵀ · dz_t as one product over all steps after the first.
        let grad_recurrent = if time > 1 {
            let previous = flex(
                self.hidden[..(time - 1) * state_size].to_vec(),
                [(time - 1) * batch, units],
            );
            let dz = flex(dz_all[step_size..].to_vec(), [(time - 1) * batch, width]);
            burn_flex::ops::matmul::matmul(previous.transpose(0, 1), dz)
        } else {
            FlexTensor::zeros(recurrent.layout().shape().clone(), DType::F32)
        };
        let grad_inputs = FlexTensor::from_data(TensorData::new(dz_all, [time, batch, width]));
        (grad_inputs, grad_recurrent)
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
