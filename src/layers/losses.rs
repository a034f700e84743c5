//! The losses the models train with, each one fused CPU kernel on burn-flex
//! (forward and gradient in few passes) and composed from burn's operations
//! elsewhere: the language models' cross-entropy, with or without the
//! vocabulary projection, and the VAE's reconstruction term.

use burn::tensor::{Int, Tensor};
use flex_kernels::{bce_logits, log_softmax_pick as pick, projected_cross_entropy as projected};

use super::cpu_kernels;

/// `log softmax(logits, 1)` picked at `targets`: `[n, classes]`, `[n]` → `[n]`.
pub fn log_softmax_pick(logits: Tensor<2>, targets: Tensor<1, Int>) -> Tensor<1> {
    if cpu_kernels(&logits.device()) {
        return pick::log_softmax_pick(logits, targets);
    }
    pick::log_softmax_pick_composed(logits, targets)
}

/// Σᵢ wᵢ·(−log softmax(hidden·weight + bias)[i, targets[i]]) / max(Σ w, 1),
/// shape `[1]`, for hidden `[n, d]`, weight `[d, classes]`, bias `[classes]`,
/// targets and weights `[n]`.
pub fn projected_cross_entropy(
    hidden: Tensor<2>,
    weight: Tensor<2>,
    bias: Tensor<1>,
    targets: Tensor<1, Int>,
    weights: Tensor<1>,
) -> Tensor<1> {
    if cpu_kernels(&hidden.device()) {
        return projected::projected_cross_entropy(hidden, weight, bias, targets, weights);
    }
    projected::projected_cross_entropy_composed(hidden, weight, bias, targets, weights)
}

/// Per-row summed binary cross-entropy of `sigmoid(logits)` against
/// `targets` (both `[n, d]`), from the logits without overflow; targets get
/// no gradient.
pub fn bce_logits_rows(logits: Tensor<2>, targets: Tensor<2>) -> Tensor<1> {
    if cpu_kernels(&logits.device()) {
        return bce_logits::bce_logits_rows(logits, targets);
    }
    bce_logits::bce_logits_rows_composed(logits, targets)
}
