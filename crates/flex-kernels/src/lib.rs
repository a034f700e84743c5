//! latent-studio's CPU kernels: the layers and losses its models train with,
//! each as one custom operation on burn-flex (burn's CPU backend) with its
//! backward pass written out, registered through burn's backend extensions.
//!
//! Every public kernel runs on burn-flex (with or without autodiff) only and
//! panics elsewhere; beside it sits the same function composed from burn's own
//! operations (`*_composed`), which is both the reference the tests compare
//! against and what the application's layers (`latent_studio::layers`) run on
//! every other device. Choosing between the two is the application's job, in
//! one place per layer.
//!
//! This crate holds every `unsafe` block of the project (gemm's call in
//! [`gemm`], the AVX2 paths in [`fast_math`], the allocator's C calls in
//! [`allocator`]); the application forbids them.
//! [`bench`] times each kernel against its composed form.

pub mod allocator;
pub mod bce_logits;
pub mod bench;
pub mod buffers;
pub mod deconv_leaky;
pub mod fast_math;
pub mod frozen_conv;
pub mod frozen_pool;
pub mod gemm;
pub mod log_softmax_pick;
pub mod lstm;
pub mod projected_cross_entropy;
pub mod reference;
pub mod row_product;
pub mod tap_conv;
pub mod taps;
pub mod winograd;

use burn::tensor::Device;

/// Whether tensors on `device` run this crate's kernels (burn-flex, with or
/// without autodiff).
pub fn runs_on(device: &Device) -> bool {
    device.clone().without_autodiff() == Device::flex()
}

/// A tensor size or index as a signed offset.
pub fn signed(v: usize) -> isize {
    isize::try_from(v).expect("tensor sizes fit isize")
}
