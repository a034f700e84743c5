//! Spectral normalisation (Miyato et al., 2018): a weight divided by an
//! estimate of its largest singular value, so the layer is at most
//! 1-Lipschitz. The estimate is a few power iterations from a fixed start
//! each time, with no gradient through the iteration (as in the paper), so
//! the layer keeps no state and a checkpoint needs nothing more.

use burn::tensor::Tensor;

/// Power iterations per call; from a fixed start, five bring σ within a
/// fraction of a percent for the discriminator's kernels.
const ITERATIONS: usize = 5;

/// `weight / σ`, with σ the largest singular value of `weight` seen as a
/// `[elements / out, out]` matrix (`out` = the last axis: a kernel
/// `[kh, kw, in, out]` or a dense weight `[in, out]`). The gradient flows
/// through σ = uᵀ W v with u and v held fixed.
pub fn spectral_normalized<const D: usize>(weight: Tensor<D>) -> Tensor<D> {
    let dims = weight.dims();
    let out = dims[D - 1];
    let rows = dims.iter().product::<usize>() / out.max(1);
    let matrix: Tensor<2> = weight.clone().reshape([rows, out]);
    let fixed = matrix.clone().detach();
    #[expect(clippy::cast_precision_loss, reason = "a vector length")]
    let start = 1.0 / (out as f64).sqrt();
    let mut v = Tensor::<2>::ones([out, 1], &matrix.device()).mul_scalar(start);
    let mut u = unit(fixed.clone().matmul(v.clone()));
    for _ in 0..ITERATIONS {
        v = unit(fixed.clone().transpose().matmul(u.clone()));
        u = unit(fixed.clone().matmul(v.clone()));
    }
    let sigma = u.transpose().matmul(matrix.matmul(v)); // [1, 1]
    let scale = sigma.reshape([1; D]).clamp_min(1e-12);
    weight / scale
}

/// `x / ‖x‖`.
fn unit(x: Tensor<2>) -> Tensor<2> {
    let norm = x.clone().powi_scalar(2).sum().sqrt().add_scalar(1e-12);
    x / norm.reshape([1, 1])
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Device, TensorData};

    use super::*;

    #[test]
    fn divides_by_the_largest_singular_value() {
        let device = Device::flex();
        // Singular values 3 and 1 (a rotation times diag(3, 1)): the result's largest is 1.
        let (c, s) = (0.6f32, 0.8f32);
        let values = vec![3.0 * c, -s, 3.0 * s, c];
        let matrix = Tensor::<2>::from_data(TensorData::new(values.clone(), [2, 2]), &device);
        let normalized = spectral_normalized(matrix)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        for (got, want) in normalized.iter().zip(&values) {
            assert!((got - want / 3.0).abs() < 1e-4, "{normalized:?}");
        }
        // A kernel shape: the product of the leading axes is the rows.
        let kernel = Tensor::<4>::ones([2, 2, 3, 4], &device);
        let normalized = spectral_normalized(kernel)
            .into_data()
            .try_to_vec::<f32>()
            .unwrap();
        // All ones [12, 4]: σ = √(12·4).
        let want = 1.0 / 48f32.sqrt();
        assert!(normalized.iter().all(|v| (v - want).abs() < 1e-5));
    }
}
