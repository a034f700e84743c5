//! Keras' `Dense` as the models build it: a burn `Linear` with Glorot-uniform
//! kernels and zero biases.

use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::Device;

/// Keras' default kernel initialiser.
pub const GLOROT: Initializer = Initializer::XavierUniform { gain: 1.0 };

/// A `from` → `to` dense layer initialised as Keras does; `bias` false drops it.
pub fn dense(from: usize, to: usize, bias: bool, device: &Device) -> Linear {
    let mut layer = LinearConfig::new(from, to)
        .with_bias(bias)
        .with_initializer(GLOROT)
        .init(device);
    layer.bias = layer.bias.map(|b| Param::from_tensor(b.val().zeros_like()));
    layer
}
