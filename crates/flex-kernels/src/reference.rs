//! burn's own NCHW convolutions applied to NHWC tensors with `[kh, kw, in,
//! out]` kernels: the composed forms the fused convolution kernels are tested
//! against and [`crate::bench`] times them with, independent of the
//! application's layers.

use burn::tensor::module::{conv_transpose2d, conv2d};
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions, PadMode};
use burn::tensor::{Device, Tensor, s};

/// A convolution with `stride` and zero padding `[top, bottom, left, right]`, plus bias.
pub fn conv(
    x: Tensor<4>,
    kernel: Tensor<4>,
    bias: Tensor<1>,
    stride: usize,
    [top, bottom, left, right]: [usize; 4],
) -> Tensor<4> {
    let x = x.permute([0, 3, 1, 2]).pad(
        [(0, 0), (0, 0), (top, bottom), (left, right)],
        PadMode::Constant(0.0),
    );
    let options = ConvOptions::new([stride; 2], [0, 0], [1, 1], 1);
    conv2d(x, kernel.permute([3, 2, 0, 1]), Some(bias), options).permute([0, 2, 3, 1])
}

/// A transposed convolution with `stride` whose output is `stride` times the
/// input after cropping `crop` pixels before each axis, plus bias.
pub fn conv_transpose(
    x: Tensor<4>,
    kernel: Tensor<4>,
    bias: Tensor<1>,
    stride: usize,
    crop: usize,
) -> Tensor<4> {
    let [_, h, w, _] = x.dims();
    let options = ConvTransposeOptions::new([stride; 2], [0, 0], [0, 0], [1, 1], 1);
    let full = conv_transpose2d(
        x.permute([0, 3, 1, 2]),
        kernel.permute([2, 3, 0, 1]),
        Some(bias),
        options,
    );
    full.slice(s![.., .., crop..crop + stride * h, crop..crop + stride * w])
        .permute([0, 2, 3, 1])
}

/// Fixed weights for the loss Σ out ⊙ weights, the same in every run.
#[expect(clippy::cast_precision_loss, reason = "small test tensors")]
pub fn loss_weights(shape: [usize; 4], device: &Device) -> Tensor<4> {
    let count = shape.iter().product::<usize>();
    let values: Vec<f32> = (0..count)
        .map(|i| ((i as f32 + 1.0) * 0.618).sin())
        .collect();
    Tensor::<1>::from_floats(values.as_slice(), device).reshape(shape)
}
