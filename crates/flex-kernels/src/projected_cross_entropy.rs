//! The word model's last layer and its loss as one custom CPU operation: the
//! weighted mean cross-entropy of `softmax(hidden · weight + bias)`, computed
//! block by block of rows, with all three gradients computed in the same pass.
//!
//! Composed, the 15 000-word projection of a batch of 256 full windows makes a
//! 1.5 GB logits tensor, another for its gradient, and several passes over
//! each; the kernel zeroing their fresh pages alone was a fifth of the step.
//! Here a block of logits lives only while its rows are processed, and the
//! backward pass only scales the gradients the forward pass kept.

use std::sync::Arc;

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::tensor::{FloatTensor, IntTensor};
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Int, Shape, Tensor, TensorData};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::fast_math;
use super::log_softmax_pick::{log_softmax_pick_composed, log_sum_exp, targets_of};

/// Rows per block: 1 024 × 15 000 logits are 61 MB.
const BLOCK: usize = 1024;

#[backend_extension(Flex, Autodiff)]
pub trait ProjectedCrossEntropyOps: Backend {
    /// Σᵢ wᵢ·(−log softmax(hidden·weight + bias)[i, targets[i]]) / max(Σ w, 1), shape `[1]`,
    /// for hidden `[n, d]`, weight `[d, classes]`, bias `[classes]`, targets and weights `[n]`.
    fn projected_cross_entropy(
        hidden: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        targets: IntTensor<Self>,
        weights: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// See [`ProjectedCrossEntropyOps::projected_cross_entropy`].
pub fn projected_cross_entropy(
    hidden: Tensor<2>,
    weight: Tensor<2>,
    bias: Tensor<1>,
    targets: Tensor<1, Int>,
    weights: Tensor<1>,
) -> Tensor<1> {
    assert!(
        crate::runs_on(&hidden.device()),
        "projected_cross_entropy runs on burn-flex only"
    );
    let out = <Dispatch as ProjectedCrossEntropyOps>::projected_cross_entropy(
        hidden.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
        targets.into_dispatch(),
        weights.into_dispatch(),
    );
    Tensor::from_dispatch(out)
}

/// The same from burn's own operations (the layers' form off burn-flex, and the reference the tests compare with).
pub fn projected_cross_entropy_composed(
    hidden: Tensor<2>,
    weight: Tensor<2>,
    bias: Tensor<1>,
    targets: Tensor<1, Int>,
    weights: Tensor<1>,
) -> Tensor<1> {
    let [_, classes] = weight.dims();
    let logits = hidden.matmul(weight) + bias.reshape([1, classes]);
    let picked = log_softmax_pick_composed(logits, targets);
    let total = weights.clone().sum().clamp_min(1.0);
    (picked * weights).sum().neg() / total
}

fn flex(data: Vec<f32>, shape: [usize; 2]) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(data, shape))
}

fn owned(tensor: FlexTensor) -> Vec<f32> {
    tensor
        .into_data()
        .try_into_vec::<f32>()
        .expect("f32 tensors hold f32")
}

/// The loss and, if asked, its gradients for hidden, weight and bias.
struct Fused {
    loss: f32,
    grads: Option<(FlexTensor, FlexTensor, FlexTensor)>,
}

fn compute(
    hidden: &FlexTensor,
    weight: &FlexTensor,
    bias: &FlexTensor,
    targets: &FlexTensor,
    weights: &FlexTensor,
    with_grads: bool,
    block: usize,
) -> Fused {
    assert_eq!(
        hidden.dtype(),
        DType::F32,
        "projected_cross_entropy: f32 only"
    );
    let hidden = hidden.to_contiguous();
    let [n, d] = [hidden.layout().shape()[0], hidden.layout().shape()[1]];
    let classes = weight.layout().shape()[1];
    let bias = owned(bias.to_contiguous());
    let targets = targets_of(targets);
    let weights = owned(weights.to_contiguous());
    let total = weights.iter().sum::<f32>().max(1.0);
    let weight_t = with_grads.then(|| weight.transpose(0, 1).to_contiguous());
    let mut loss = 0.0f64;
    let mut d_hidden = Vec::with_capacity(if with_grads { n * d } else { 0 });
    let mut d_weight = vec![0.0f32; if with_grads { d * classes } else { 0 }];
    let mut d_bias = vec![0.0f32; if with_grads { classes } else { 0 }];
    let mut start = 0;
    while start < n {
        let rows = block.min(n - start);
        let block_hidden = hidden.narrow(0, start, rows);
        let mut logits = owned(burn_flex::ops::matmul::matmul(
            block_hidden.clone(),
            weight.clone(),
        ));
        let targets = &targets[start..start + rows];
        let row_weights = &weights[start..start + rows];
        let losses: Vec<f32> = logits
            .par_chunks_mut(classes.max(1))
            .zip(targets.par_iter().zip(row_weights.par_iter()))
            .map_init(Vec::new, |scratch, (row, (&target, &w))| {
                for (v, b) in row.iter_mut().zip(&bias) {
                    *v += b;
                }
                let lse = log_sum_exp(row, scratch);
                let picked = row.get(target).map_or(f32::NAN, |&v| v - lse);
                if with_grads {
                    // ∂loss/∂logits = (w / total)·(softmax − onehot)
                    let scale = w / total;
                    for (o, &e) in row.iter_mut().zip(scratch.iter()) {
                        *o = e;
                    }
                    let sum = fast_math::sum(row);
                    for o in row.iter_mut() {
                        *o *= scale / sum;
                    }
                    if let Some(o) = row.get_mut(target) {
                        *o -= scale;
                    }
                }
                -picked * w
            })
            .collect();
        loss += losses.iter().map(|&l| f64::from(l)).sum::<f64>();
        if let Some(weight_t) = &weight_t {
            let grad = flex(logits, [rows, classes]);
            // Column sums as a product with ones, so gemm spreads them over the cores.
            let column_sums = owned(burn_flex::ops::matmul::matmul(
                flex(vec![1.0; rows], [1, rows]),
                grad.clone(),
            ));
            for (b, g) in d_bias.iter_mut().zip(&column_sums) {
                *b += g;
            }
            d_hidden.extend(owned(burn_flex::ops::matmul::matmul(
                grad.clone(),
                weight_t.clone(),
            )));
            let block_weight = owned(burn_flex::ops::matmul::matmul(
                block_hidden.transpose(0, 1),
                grad,
            ));
            d_weight
                .par_iter_mut()
                .zip(block_weight.par_iter())
                .for_each(|(acc, v)| *acc += v);
        }
        start += rows;
    }
    #[expect(clippy::cast_possible_truncation, reason = "a loss value")]
    let loss = (loss / f64::from(total)) as f32;
    let grads = with_grads.then(|| {
        (
            flex(d_hidden, [n, d]),
            flex(d_weight, [d, classes]),
            FlexTensor::from_data(TensorData::new(d_bias, [classes])),
        )
    });
    Fused { loss, grads }
}

fn scalar(value: f32) -> FlexTensor {
    FlexTensor::from_data(TensorData::new(vec![value], [1]))
}

impl ProjectedCrossEntropyOps for Flex {
    fn projected_cross_entropy(
        hidden: FlexTensor,
        weight: FlexTensor,
        bias: FlexTensor,
        targets: FlexTensor,
        weights: FlexTensor,
    ) -> FlexTensor {
        scalar(compute(&hidden, &weight, &bias, &targets, &weights, false, BLOCK).loss)
    }
}

#[derive(Debug)]
struct FusedBackward;

impl Backward<Flex, 3> for FusedBackward {
    type State = Arc<(FlexTensor, FlexTensor, FlexTensor)>;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let upstream = owned(grads.consume::<Flex>(&ops.node));
        let g = upstream.first().copied().unwrap_or(0.0);
        let (d_hidden, d_weight, d_bias) = &*ops.state;
        let scaled = |t: &FlexTensor| {
            let shape: Shape = t.layout().shape().clone();
            let data: Vec<f32> = t.storage::<f32>().iter().map(|v| v * g).collect();
            FlexTensor::from_data(TensorData::new(data, shape))
        };
        let [hidden, weight, bias] = ops.parents;
        for (parent, grad) in [(hidden, d_hidden), (weight, d_weight), (bias, d_bias)] {
            if let Some(node) = parent {
                grads.register::<Flex>(node.id, scaled(grad));
            }
        }
    }
}

impl<C: CheckpointStrategy> ProjectedCrossEntropyOps for Autodiff<Flex, C> {
    fn projected_cross_entropy(
        hidden: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
        targets: IntTensor<Self>,
        weights: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        let prep = FusedBackward
            .prepare::<C>([hidden.node(), weight.node(), bias.node()])
            .compute_bound()
            .stateful();
        let hidden = <Self as AutodiffBackend>::inner(hidden);
        let weight = <Self as AutodiffBackend>::inner(weight);
        let bias = <Self as AutodiffBackend>::inner(bias);
        let weights = <Self as AutodiffBackend>::inner(weights);
        match prep {
            OpsKind::Tracked(prep) => {
                let fused = compute(&hidden, &weight, &bias, &targets, &weights, true, BLOCK);
                let grads = fused.grads.expect("gradients were asked for");
                prep.finish(Arc::new(grads), scalar(fused.loss))
            }
            OpsKind::UnTracked(prep) => prep.finish(Flex::projected_cross_entropy(
                hidden, weight, bias, targets, weights,
            )),
        }
    }
}

#[cfg(test)]
mod tests;
