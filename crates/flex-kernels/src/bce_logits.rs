//! Binary cross-entropy from logits, summed per row, as one custom operation
//! on the CPU backend: the VAE's reconstruction loss.
//!
//! `softplus(l) − y·l` composed from burn's operations is six passes over the
//! decoder's output and eight more backwards, each through libm's `expf` or
//! `log1pf` one element at a time on the job's thread, while the other core
//! waits; here one parallel pass computes the loss, one the gradient
//! `σ(l) − y`, with vectorised exponentials.

use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind, unary};
use burn::backend::tensor::FloatTensor;
use burn::backend::{Autodiff, AutodiffBackend, Backend, Dispatch, Flex, backend_extension};
use burn::tensor::activation::softplus;
use burn::tensor::{DType, Tensor, TensorData};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use super::fast_math;

#[backend_extension(Flex, Autodiff)]
pub trait BceOps: Backend {
    /// Logits and targets `[n, d]` → `Σ_j softplus(l) − y·l` per row, `[n]`.
    fn bce_logits_rows(logits: FloatTensor<Self>, targets: FloatTensor<Self>) -> FloatTensor<Self>;
    /// The gradient with respect to the logits for an upstream gradient `grad` `[n]`.
    fn bce_logits_rows_backward(
        logits: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Per-row summed binary cross-entropy of `sigmoid(logits)` against
/// `targets` (both `[n, d]`), computed from the logits without overflow.
/// Targets get no gradient.
pub fn bce_logits_rows(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    assert!(
        crate::runs_on(&logits.device()),
        "bce_logits runs on burn-flex only"
    );
    let out = <Dispatch as BceOps>::bce_logits_rows(
        logits.into_dispatch(),
        targets.detach().into_dispatch(),
    );
    Tensor::from_dispatch(out)
}

/// The same from burn's own operations (the layers' form off burn-flex, and the reference the tests compare with).
pub fn bce_logits_rows_composed(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    let [n, _] = logits.dims();
    (softplus(logits.clone(), 1.0) - targets.detach() * logits)
        .sum_dim(1)
        .reshape([n])
}

fn rows(tensor: &FlexTensor) -> (FlexTensor, usize) {
    assert_eq!(tensor.dtype(), DType::F32, "bce_logits_rows: f32 only");
    let tensor = tensor.to_contiguous();
    let width = tensor.layout().shape()[1].max(1);
    (tensor, width)
}

impl BceOps for Flex {
    fn bce_logits_rows(logits: FlexTensor, targets: FlexTensor) -> FlexTensor {
        let ((logits, width), (targets, _)) = (rows(&logits), rows(&targets));
        let (l, y): (&[f32], &[f32]) = (logits.storage(), targets.storage());
        let out: Vec<f32> = l
            .par_chunks(width)
            .zip(y.par_chunks(width))
            .map_init(Vec::new, |scratch, (l, y)| {
                // softplus(l) = max(l, 0) + ln(1 + e^−|l|)
                scratch.clear();
                scratch.extend(l.iter().map(|v| -v.abs()));
                fast_math::exp_in_place(scratch);
                l.iter()
                    .zip(y)
                    .zip(scratch.iter())
                    .map(|((&l, &y), &e)| l.max(0.0) + e.ln_1p() - y * l)
                    .sum()
            })
            .collect();
        let n = out.len();
        FlexTensor::from_data(TensorData::new(out, vec![n]))
    }

    fn bce_logits_rows_backward(
        logits: FlexTensor,
        targets: FlexTensor,
        grad: FlexTensor,
    ) -> FlexTensor {
        let ((logits, width), (targets, _)) = (rows(&logits), rows(&targets));
        let grad = grad.to_contiguous();
        let shape = logits.layout().shape().to_vec();
        let (l, y, g): (&[f32], &[f32], &[f32]) =
            (logits.storage(), targets.storage(), grad.storage());
        let mut out = l.to_vec();
        out.par_chunks_mut(width)
            .zip(y.par_chunks(width))
            .zip(g.par_iter())
            .for_each(|((d, y), &g)| {
                // d/dl (softplus(l) − y·l) = σ(l) − y
                fast_math::sigmoid_in_place(d);
                for (d, &y) in d.iter_mut().zip(y) {
                    *d = g * (*d - y);
                }
            });
        FlexTensor::from_data(TensorData::new(out, shape))
    }
}

#[derive(Debug)]
struct BceBackward;

impl<B: Backend + BceOps> Backward<B, 1> for BceBackward {
    type State = (B::FloatTensorPrimitive, B::FloatTensorPrimitive);

    fn backward(self, ops: Ops<Self::State, 1>, grads: &mut Gradients, _: &mut Checkpointer) {
        let (logits, targets) = ops.state;
        unary::<B, _>(ops.parents, ops.node, grads, |grad| {
            B::bce_logits_rows_backward(logits, targets, grad)
        });
    }
}

impl<B: Backend + BceOps, C: CheckpointStrategy> BceOps for Autodiff<B, C> {
    fn bce_logits_rows(logits: FloatTensor<Self>, targets: FloatTensor<Self>) -> FloatTensor<Self> {
        let prep = BceBackward
            .prepare::<C>([logits.node()])
            .compute_bound()
            .stateful();
        let logits = <Self as AutodiffBackend>::inner(logits);
        let targets = <Self as AutodiffBackend>::inner(targets);
        match prep {
            OpsKind::Tracked(prep) => {
                let out = B::bce_logits_rows(logits.clone(), targets.clone());
                prep.finish((logits, targets), out)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::bce_logits_rows(logits, targets)),
        }
    }

    fn bce_logits_rows_backward(
        logits: FloatTensor<Self>,
        targets: FloatTensor<Self>,
        grad: FloatTensor<Self>,
    ) -> FloatTensor<Self> {
        // Only ever called on gradients, which are not tracked themselves.
        let logits = <Self as AutodiffBackend>::inner(logits);
        let targets = <Self as AutodiffBackend>::inner(targets);
        let grad = <Self as AutodiffBackend>::inner(grad);
        <Self as AutodiffBackend>::from_inner(B::bce_logits_rows_backward(logits, targets, grad))
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, Distribution, Tensor, Tolerance};

    use super::{bce_logits_rows, bce_logits_rows_composed};

    #[test]
    fn loss_and_gradient_match_the_composed_form() {
        let device = Device::flex().autodiff();
        // Large logits too, where a naive log(1 + eˡ) overflows.
        let logits =
            Tensor::<2>::random([5, 37], Distribution::Normal(0.0, 8.0), &device).require_grad();
        let targets = Tensor::<2>::random([5, 37], Distribution::Default, &device);
        let weights = Tensor::<1>::from_floats([1.0, -2.0, 0.5, 3.0, 0.25], &device);
        let run = |fused: bool| {
            let rows = if fused {
                bce_logits_rows(logits.clone(), targets.clone())
            } else {
                bce_logits_rows_composed(logits.clone(), targets.clone())
            };
            let grads = (rows.clone() * weights.clone()).sum().backward();
            (
                rows.inner().into_data(),
                logits.grad(&grads).expect("gradient").into_data(),
            )
        };
        let (fused, composed) = (run(true), run(false));
        fused
            .0
            .assert_approx_eq::<f32>(&composed.0, Tolerance::absolute(1e-3));
        fused
            .1
            .assert_approx_eq::<f32>(&composed.1, Tolerance::absolute(1e-5));
    }
}
