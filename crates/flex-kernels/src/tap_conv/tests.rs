//! The fused convolutions against burn's own (NCHW `conv2d` and
//! `conv_transpose2d`, then the activation): values and all three gradients.

use burn::tensor::{Device, Distribution, Tensor, TensorData, Tolerance};

use super::{Activation, Geometry, phase_taps, tap_conv};
use crate::reference;

/// Output, input, kernel and bias gradients of Σ out ⊙ weights.
fn run(
    x: &Tensor<4>,
    kernel: &Tensor<4>,
    bias: &Tensor<1>,
    layer: impl Fn(Tensor<4>, Tensor<4>, Tensor<1>) -> Tensor<4>,
) -> [TensorData; 4] {
    let out = layer(x.clone(), kernel.clone(), bias.clone());
    let weights = reference::loss_weights(out.dims(), &out.device());
    let grads = (out.clone() * weights).sum().backward();
    [
        out.inner().into_data(),
        x.grad(&grads).expect("input gradient").into_data(),
        kernel.grad(&grads).expect("kernel gradient").into_data(),
        bias.grad(&grads).expect("bias gradient").into_data(),
    ]
}

fn params(input: [usize; 4], k: usize, cout: usize) -> (Tensor<4>, Tensor<4>, Tensor<1>) {
    let device = Device::flex().autodiff();
    let normal = Distribution::Normal(0.0, 1.0);
    let x = Tensor::<4>::random(input, normal, &device).require_grad();
    let kernel = Tensor::<4>::random([k, k, input[3], cout], normal, &device) * 0.3;
    let bias = Tensor::<1>::random([cout], Distribution::Default, &device);
    (x, kernel.require_grad(), bias.require_grad())
}

fn assert_same(fused: [TensorData; 4], composed: [TensorData; 4]) {
    for (what, (a, b)) in ["output", "input", "kernel", "bias"]
        .into_iter()
        .zip(fused.into_iter().zip(composed))
    {
        assert_eq!(a.shape(), b.shape(), "{what}");
        a.assert_approx_eq::<f32>(&b, Tolerance::absolute(1e-3));
    }
}

/// A k×k convolution with `stride` and `pad` [top, bottom, left, right].
fn check_conv(
    input: [usize; 4],
    k: usize,
    cout: usize,
    stride: usize,
    pad: [usize; 4],
    act: Activation,
) {
    let (x, kernel, bias) = params(input, k, cout);
    let [_, h, w, _] = input;
    let out = [
        (h + pad[0] + pad[1] - k) / stride + 1,
        (w + pad[2] + pad[3] - k) / stride + 1,
    ];
    let geometry = Geometry::conv([h, w], out, k, stride, [pad[0], pad[2]]);
    let fused = run(&x, &kernel, &bias, |x, k, b| {
        tap_conv(x, k, b, &geometry, act)
    });
    let composed = run(&x, &kernel, &bias, |x, k, b| {
        act.composed(reference::conv(x, k, b, stride, pad))
    });
    assert_same(fused, composed);
}

fn check_transposed(input: [usize; 4], k: usize, cout: usize, crop: usize, act: Activation) {
    let (x, kernel, bias) = params(input, k, cout);
    let [_, h, w, _] = input;
    let geometry = Geometry::transposed([h, w], k, 2, &phase_taps(k, 2, crop));
    let fused = run(&x, &kernel, &bias, |x, k, b| {
        tap_conv(x, k, b, &geometry, act)
    });
    let composed = run(&x, &kernel, &bias, |x, k, b| {
        act.composed(reference::conv_transpose(x, k, b, 2, crop))
    });
    assert_same(fused, composed);
}

#[test]
fn convolutions_match_burns_conv2d() {
    // The VAE's encoder layer (k3 s2, TF "same": the odd pixel after).
    check_conv([3, 10, 10, 3], 3, 4, 2, [0, 1, 0, 1], Activation::Relu);
    // The GAN's discriminator layer (k4 s2, one pixel each side).
    check_conv([2, 8, 8, 3], 4, 5, 2, [1, 1, 1, 1], Activation::Leaky(0.2));
    // A one-channel output layer (the multiply-first form), several chunks per core.
    check_conv([5, 24, 21, 5], 3, 1, 1, [1, 1, 1, 1], Activation::Identity);
}

#[test]
fn transposed_convolutions_match_burns_conv_transpose2d() {
    // The VAE's decoder layer (k3 s2, nothing cropped before).
    check_transposed([3, 5, 4, 4], 3, 3, 0, Activation::Relu);
    // The GAN's (k4 s2, one pixel cropped before).
    check_transposed([2, 4, 6, 3], 4, 2, 1, Activation::Leaky(0.2));
}
