//! `log softmax(logits)[row, target]` for every row, as one custom operation
//! on the CPU backend, for the language models' cross-entropy.
//!
//! The word model's logits are [positions, 15 000]: 1.5 GB per batch of 256
//! windows. Composed from burn's operations, log-softmax, the pick and their
//! gradients pass over that tensor about ten times; here the forward reads it
//! once and the backward writes the gradient in one more pass, each row's
//! softmax recomputed while the row is still in cache.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::activation::log_softmax;
use burn::tensor::{DType, Int, Shape, Tensor};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::fast_math;

#[backend_extension(Flex, Autodiff)]
pub trait PickOps: Backend {
    /// Logits `[n, classes]`, targets `[n]` → `log softmax(logits)[i, targets[i]]`, `[n]`.
    fn log_softmax_pick(logits: FloatTensor<Self>, targets: IntTensor<Self>) -> FloatTensor<Self>;
    /// The gradient with respect to the logits for an upstream gradient `grad` `[n]`.
    fn log_softmax_pick_backward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// `log softmax(logits, 1)` picked at `targets`: `[n, classes]`, `[n]` → `[n]`.
pub fn log_softmax_pick(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    assert!(
        crate::runs_on(&logits.device()),
        "log_softmax_pick runs on burn-flex only"
    );
    let out =
        <Dispatch as PickOps>::log_softmax_pick(logits.into_dispatch(), targets.into_dispatch());
    Tensor::from_dispatch(out)
}

/// The same from burn's own operations (the layers' form off burn-flex, and the reference the tests compare with).
pub fn log_softmax_pick_composed(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    let [n, _] = logits.dims();
    log_softmax(logits, 1)
        .gather(1, targets.reshape([n, 1]))
        .reshape([n])
}

pub(super) fn targets_of(targets: &FlexTensor) -> Vec<usize> {
    let targets = targets.to_contiguous();
    match targets.dtype() {
        DType::I64 => targets
            .storage::<i64>()
            .iter()
            .map(|&t| usize::try_from(t).unwrap_or(usize::MAX))
            .collect(),
        DType::I32 => targets
            .storage::<i32>()
            .iter()
            .map(|&t| usize::try_from(t).unwrap_or(usize::MAX))
            .collect(),
        dtype => panic!("log_softmax_pick: integer targets, not {dtype:?}"),
    }
}

/// ln Σ eˣ of one row, as max + ln Σ e^(x − max); `scratch` holds the row's
/// shifted exponentials afterwards.
pub(super) fn log_sum_exp(row: &[f32], scratch: &mut Vec<f32>) -> f32 {
    let max = fast_math::max(row);
    scratch.clear();
    scratch.extend(row.iter().map(|&x| x - max));
    fast_math::exp_in_place(scratch);
    max + fast_math::sum(scratch).ln()
}

impl PickOps for Flex {
    fn log_softmax_pick(logits: FlexTensor, targets: FlexTensor) -> FlexTensor {
        assert_eq!(logits.dtype(), DType::F32, "log_softmax_pick: f32 only");
        let logits = logits.to_contiguous();
        let shape = logits.layout().shape().clone();
        let (n, classes) = (shape[0], shape[1]);
        let targets = targets_of(&targets);
        let x: &[f32] = logits.storage();
        let mut out = FlexTensor::empty(Shape::from(vec![n]), DType::F32);
        out.storage_mut::<f32>()
            .par_iter_mut()
            .zip(x.par_chunks(classes.max(1)))
            .zip(targets.par_iter())
            .for_each_init(Vec::new, |scratch, ((out, row), &target)| {
                *out = row
                    .get(target)
                    .map_or(f32::NAN, |&v| v - log_sum_exp(row, scratch));
            });
        out
    }

    fn log_softmax_pick_backward(
        logits: FlexTensor,
        targets: FlexTensor,
        grad: FlexTensor,
    ) -> FlexTensor {
        let logits = logits.to_contiguous();
        let grad = grad.to_contiguous();
        let shape = logits.layout().shape().clone();
        let classes = shape[1];
        let targets = targets_of(&targets);
        let x: &[f32] = logits.storage();
        let g: &[f32] = grad.storage();
        let mut out = FlexTensor::empty(shape, DType::F32);
        out.storage_mut::<f32>()
            .par_chunks_mut(classes.max(1))
            .zip(x.par_chunks(classes.max(1)))
            .zip(g.par_iter().zip(targets.par_iter()))
            .for_each_init(Vec::new, |scratch, ((out, row), (&g, &target))| {
                // d/dx_j log softmax(x)_t = [j = t] − softmax(x)_j
                let lse = log_sum_exp(row, scratch);
                for (o, &v) in out.iter_mut().zip(row) {
                    *o = v - lse;
                }
                fast_math::exp_in_place(out);
                for o in out.iter_mut() {
                    *o *= -g;
                }
                if let Some(o) = out.get_mut(target) {
                    *o += g;
                }
            });
        out
    }
}

#[derive(Debug)]
struct PickBackward;

impl<B: Backend + PickOps> Backward<B, 1> for PickBackward {
    type State = (B::FloatTensorPrimitive, B::IntTensorPrimitive);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (logits, targets) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            B::log_softmax_pick_backward(logits, targets, grad)
        });
    }
}

impl<B: Backend + PickOps, C: CheckpointStrategy> PickOps for Autodiff<B, C> {
    fn log_softmax_pick(logits: FloatTensor<Self>, targets: IntTensor<Self>) -> FloatTensor<Self> {
        let prep = PickBackward
            .prepare::<C>([logits.node()])
            .compute_bound()
            .stateful();
        let inner = <Self as AutodiffBackend>::inner(logits);
        match prep {
            OpsKind::Tracked(prep) => {
                let out = B::log_softmax_pick(inner.clone(), targets.clone());
                prep.finish((inner, targets), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::log_softmax_pick(inner, targets)),
        }
    }

    fn log_softmax_pick_backward(
        logits: FloatTensor<Self>,
        targets: IntTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // Only ever called on gradients, which are not tracked themselves.
        let logits = <Self as AutodiffBackend>::inner(logits);
        let grad = <Self as AutodiffBackend>::inner(grad);
        <Self as AutodiffBackend>::from_inner(B::log_softmax_pick_backward(logits, targets, grad))
    }
}

#[cfg(test)]
mod tests;
