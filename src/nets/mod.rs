//! Pretrained networks loaded from the fetched weights, as frozen burn feature
//! extractors.

pub mod bce_logits;
pub mod buffers;
pub mod deconv_leaky;
pub mod fast_math;
pub mod gemm;
pub mod inception_v3;
pub mod log_softmax_pick;
pub mod lstm;
pub mod matmul_conv;
pub mod projected_cross_entropy;
pub mod tap_conv;
pub mod taps;
pub mod vgg19;
pub mod winograd;

/// A tensor size or index as a signed offset.
pub(crate) fn signed(v: usize) -> isize {
    isize::try_from(v).expect("tensor sizes fit isize")
}
