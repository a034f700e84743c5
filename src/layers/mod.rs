//! The trainable building blocks the VAE, the DCGAN and the text models are
//! made of: channels-last convolutions with their bias and activation
//! ([`conv`]), the LSTM layer ([`lstm`]) and the fused losses ([`losses`]).
//!
//! Each layer has one dispatch point: on burn-flex it runs the fused CPU
//! kernel from the `flex-kernels` crate, on every other device (wgpu) the same
//! function composed from burn's own operations. [`cpu_kernels`] is the one
//! test they all ask.

pub mod conv;
pub mod dense;
pub mod losses;
pub mod lstm;
pub mod spectral;

use burn::tensor::Device;

/// Whether tensors on `device` run the fused CPU kernels (burn-flex, with or
/// without autodiff) rather than burn's composed operations.
pub fn cpu_kernels(device: &Device) -> bool {
    flex_kernels::runs_on(device)
}

pub(crate) use flex_kernels::signed;
