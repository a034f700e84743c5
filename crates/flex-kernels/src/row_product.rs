//! One row times a matrix, plus a bias, as one custom operation on burn-flex,
//! split over the cores by rows: the product generation makes at every
//! token, one position through each dense layer and onto the vocabulary.
//!
//! burn-flex multiplies a single row on one thread (it is below its parallel
//! threshold), and the product is bound by reading the matrix from memory —
//! the word model's 256 × 15 000 projection is 15 MB per token, more than the
//! cache holds — so two cores each reading half of it finish in about half the
//! time. Inference only: it is not wired into autodiff, and the application
//! calls it only on burn-flex without autodiff.

use burn::backend::tensor::FloatTensor;
use burn::backend::{Backend, Dispatch, Flex, backend_extension};
use burn::tensor::{DType, Device, Tensor, TensorData};
use burn_flex::FlexTensor;
use rayon::prelude::*;

use crate::fast_math;

/// Pieces of work per core, so that a core that starts late does not hold
/// up the rest.
const PIECES_PER_CORE: usize = 2;

#[backend_extension(Flex)]
pub trait RowOps: Backend {
    /// `x` `[k]`, `weight` `[k, n]`, `bias` `[n]` → `x · weight + bias`, `[n]`.
    fn row_times(
        x: FloatTensor<Self>,
        weight: FloatTensor<Self>,
        bias: FloatTensor<Self>,
    ) -> FloatTensor<Self>;
}

/// Whether [`row_times`] runs on `device`: burn-flex without autodiff.
pub fn runs_on(device: &Device) -> bool {
    *device == Device::flex()
}

/// `x · weight + bias` for one row `x` `[k]`, `weight` `[k, n]`, `bias` `[n]`
/// (burn-flex without autodiff only).
pub fn row_times(x: Tensor<1>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<1> {
    assert!(
        runs_on(&x.device()),
        "row_times runs on burn-flex without autodiff only"
    );
    let out = <Dispatch as RowOps>::row_times(
        x.into_dispatch(),
        weight.into_dispatch(),
        bias.into_dispatch(),
    );
    Tensor::from_dispatch(out)
}

/// The same from burn's own operations (to test against).
pub fn row_times_composed(x: Tensor<1>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<1> {
    let [_, n] = weight.dims();
    x.unsqueeze::<2>().matmul(weight).reshape([n]) + bias
}

impl RowOps for Flex {
    fn row_times(x: FlexTensor, weight: FlexTensor, bias: FlexTensor) -> FlexTensor {
        for t in [&x, &weight, &bias] {
            assert_eq!(t.dtype(), DType::F32, "row_times: f32 only");
        }
        let (x, weight, bias) = (
            x.to_contiguous(),
            weight.to_contiguous(),
            bias.to_contiguous(),
        );
        let shape = weight.layout().shape();
        let (k, n) = (shape[0], shape[1]);
        let (x, w): (&[f32], &[f32]) = (x.storage(), weight.storage());
        assert_eq!(
            x.len(),
            k,
            "row_times: the row's length is the matrix's rows"
        );
        if k == 0 {
            return bias;
        }
        let mut out: Vec<f32> = bias.storage::<f32>().to_vec();
        assert_eq!(out.len(), n, "row_times: one bias per column");
        // Contiguous blocks of the matrix's rows, one partial sum each: each
        // core streams whole rows, which the prefetchers keep up with best.
        let pieces = (rayon::current_num_threads() * PIECES_PER_CORE).min(k);
        let rows = k.div_ceil(pieces);
        let partials: Vec<Vec<f32>> = x
            .par_chunks(rows)
            .enumerate()
            .map(|(piece, x)| {
                let mut partial = vec![0.0; n];
                fast_math::accumulate_rows(&mut partial, x, &w[piece * rows * n..], n);
                partial
            })
            .collect();
        for partial in &partials {
            for (o, p) in out.iter_mut().zip(partial) {
                *o += p;
            }
        }
        FlexTensor::from_data(TensorData::new(out, vec![n]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_times_a_matrix_equals_burns_product() {
        let device = Device::flex();
        device.seed(5);
        for (k, n) in [(256, 15_000), (7, 3), (33, 1000), (512, 17)] {
            let x = Tensor::<1>::random([k], burn::tensor::Distribution::Default, &device);
            let w = Tensor::<2>::random([k, n], burn::tensor::Distribution::Default, &device);
            let b = Tensor::<1>::random([n], burn::tensor::Distribution::Default, &device);
            let fused = row_times(x.clone(), w.clone(), b.clone());
            let composed = row_times_composed(x, w, b);
            let worst = (fused - composed)
                .abs()
                .max()
                .into_data()
                .as_slice::<f32>()
                .unwrap()[0];
            assert!(worst < 1e-3, "{k}×{n}: off by {worst}");
        }
    }
}
