//! Keras' `Dense` as the models build it: a burn `Linear` with Glorot-uniform
//! kernels and zero biases.

use burn::module::Param;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::{Device, Tensor};
use flex_kernels::row_product;

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

/// `layer` applied to one position `row` (`[1, 1, from]` → `[1, 1, to]`), as
/// generation runs it token by token.
pub fn dense_row(layer: &Linear, row: Tensor<3>) -> Tensor<3> {
    let weight = layer.weight.val();
    let [_, to] = weight.dims();
    let bias = layer
        .bias
        .as_ref()
        .map_or_else(|| Tensor::zeros([to], &weight.device()), Param::val);
    affine_row(row, weight, bias)
}

/// `row · weight + bias` for one position (`[1, 1, from]`, `[from, to]`,
/// `[to]` → `[1, 1, to]`): on burn-flex without autodiff the product is
/// split over the cores (`flex_kernels::row_product`), elsewhere it is
/// burn's own.
pub fn affine_row(row: Tensor<3>, weight: Tensor<2>, bias: Tensor<1>) -> Tensor<3> {
    let [from, to] = weight.dims();
    if !row_product::runs_on(&row.device()) {
        return row.matmul(weight.unsqueeze()) + bias.reshape([1, 1, to]);
    }
    row_product::row_times(row.reshape([from]), weight, bias).reshape([1, 1, to])
}
