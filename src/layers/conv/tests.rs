//! Each layer against burn's own NCHW convolution with the same weights.

use burn::module::Param;
use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
use burn::tensor::{Device, Distribution, Tensor, TensorData, Tolerance};

use super::{Conv2dNhwc, ConvTranspose2dNhwc, Padding};

fn to_nchw(x: Tensor<4>) -> Tensor<4> {
    x.permute([0, 3, 1, 2])
}

fn assert_close(ours: Tensor<4>, theirs: Tensor<4>) {
    assert_eq!(ours.dims(), theirs.dims());
    ours.into_data()
        .assert_approx_eq::<f32>(&theirs.into_data(), Tolerance::absolute(1e-4));
}

fn random(shape: [usize; 4], device: &Device) -> Tensor<4> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), device)
}

fn check_conv(channels: [usize; 2], kernel: usize, stride: usize, padding: Padding, side: usize) {
    let device = Device::flex();
    let mut ours = Conv2dNhwc::new(channels, kernel, stride, padding, &device);
    ours.bias = Param::from_tensor(Tensor::random(
        [channels[1]],
        Distribution::Default,
        &device,
    ));
    let mut theirs = Conv2dConfig::new(channels, [kernel, kernel])
        .with_stride([stride, stride])
        .with_padding(PaddingConfig2d::Explicit(
            padding.top,
            padding.left,
            padding.bottom,
            padding.right,
        ))
        .init(&device);
    // [kh, kw, in, out] → [out, in, kh, kw]
    theirs.weight = Param::from_tensor(ours.kernel.val().permute([3, 2, 0, 1]));
    theirs.bias = Some(Param::from_tensor(ours.bias.val()));
    let x = random([2, side, side + 2, channels[0]], &device);
    assert_close(to_nchw(ours.forward(x.clone())), theirs.forward(to_nchw(x)));
}

#[test]
fn convolutions_match_burns() {
    // The discriminator's (k4 s2, TF same), the VAE's encoder (k3 s2, odd pixel after).
    check_conv([3, 5], 4, 2, Padding::uniform(1), 8);
    check_conv([1, 4], 3, 2, Padding::tf_same(28, 3, 2), 28);
    // Stride 1, and fewer outputs than inputs (the multiply-then-shift path).
    check_conv([4, 6], 3, 1, Padding::uniform(1), 5);
    check_conv([8, 3], 5, 1, Padding::uniform(2), 6);
    check_conv([8, 1], 3, 1, Padding::uniform(1), 6);
}

fn check_transposed(channels: [usize; 2], kernel: usize, crop: usize, side: usize) {
    let device = Device::flex();
    let mut ours = ConvTranspose2dNhwc::new(channels, kernel, 2, crop, &device);
    ours.bias = Param::from_tensor(Tensor::random(
        [channels[1]],
        Distribution::Default,
        &device,
    ));
    let mut theirs = ConvTranspose2dConfig::new(channels, [kernel, kernel])
        .with_stride([2, 2])
        .with_padding([crop, crop])
        .init(&device);
    // [kh, kw, in, out] → [in, out, kh, kw]
    theirs.weight = Param::from_tensor(ours.kernel.val().permute([2, 3, 0, 1]));
    theirs.bias = Some(Param::from_tensor(ours.bias.val()));
    let x = random([2, side, side + 1, channels[0]], &device);
    let [_, h, w, _] = x.dims();
    let full = theirs.forward(to_nchw(x.clone()));
    // burn's output is 2h − 2·crop + k − 2 wide; the layer keeps the first 2h.
    let theirs = full.slice([0..2, 0..channels[1], 0..2 * h, 0..2 * w]);
    assert_close(to_nchw(ours.forward(x)), theirs);
}

#[test]
fn transposed_convolutions_match_burns() {
    // The generator's (k4 s2, crop 1 = TF same) and the VAE decoder's (k3 s2, TF same crops after).
    check_transposed([3, 5], 4, 1, 4);
    check_transposed([4, 2], 3, 0, 7);
}

#[test]
fn gradients_match_burns() {
    let device = Device::flex().autodiff();
    let ours = ConvTranspose2dNhwc::new([3, 4], 4, 2, 1, &device);
    let kernel_nchw = ours
        .kernel
        .val()
        .permute([2, 3, 0, 1])
        .detach()
        .require_grad();
    let x = Tensor::<4>::from_data(
        TensorData::new(
            (0..2 * 3 * 5 * 3)
                .map(|v: u16| (f32::from(v) * 0.37).sin())
                .collect(),
            [2, 3, 5, 3],
        ),
        &device,
    );
    let target = random([2, 6, 10, 4], &device);
    let loss = (ours.forward(x.clone()) - target.clone())
        .powi_scalar(2)
        .sum();
    let grads = loss.backward();
    let ours_grad = ours.kernel.val().grad(&grads).expect("kernel gradient");

    let theirs = burn::tensor::module::conv_transpose2d(
        to_nchw(x),
        kernel_nchw.clone(),
        Some(ours.bias.val().detach()),
        burn::tensor::ops::ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1),
    );
    let loss = (theirs - to_nchw(target)).powi_scalar(2).sum();
    let grads = loss.backward();
    let theirs_grad = kernel_nchw.grad(&grads).expect("kernel gradient");
    ours_grad
        .permute([2, 3, 0, 1])
        .into_data()
        .assert_approx_eq::<f32>(&theirs_grad.into_data(), Tolerance::absolute(1e-3));
}

/// Input and kernel gradients of a convolution against burn's `conv2d`.
fn check_conv_gradients(channels: [usize; 2], kernel: usize, stride: usize, pad: usize) {
    let device = Device::flex().autodiff();
    let ours = Conv2dNhwc::new(channels, kernel, stride, Padding::uniform(pad), &device);
    let x = random([2, 8, 8, channels[0]], &device).require_grad();
    let out = ours.forward(x.clone());
    let target = random(out.dims(), &device);
    let grads = (out - target.clone()).powi_scalar(2).sum().backward();
    let (ours_x, ours_k) = (
        x.grad(&grads).expect("input gradient"),
        ours.kernel.val().grad(&grads).expect("kernel gradient"),
    );

    let x2 = to_nchw(x.clone()).detach().require_grad();
    let k2 = ours
        .kernel
        .val()
        .permute([3, 2, 0, 1])
        .detach()
        .require_grad();
    let theirs = burn::tensor::module::conv2d(
        x2.clone(),
        k2.clone(),
        Some(ours.bias.val().detach()),
        burn::tensor::ops::ConvOptions::new([stride, stride], [pad, pad], [1, 1], 1),
    );
    let grads = (theirs - to_nchw(target)).powi_scalar(2).sum().backward();
    let tolerance = Tolerance::absolute(1e-3);
    ours_x
        .permute([0, 3, 1, 2])
        .into_data()
        .assert_approx_eq::<f32>(
            &x2.grad(&grads).expect("input gradient").into_data(),
            tolerance,
        );
    ours_k
        .permute([3, 2, 0, 1])
        .into_data()
        .assert_approx_eq::<f32>(
            &k2.grad(&grads).expect("kernel gradient").into_data(),
            tolerance,
        );
}

#[test]
fn convolution_gradients_match_burns() {
    check_conv_gradients([3, 5], 4, 2, 1); // im2col, strided
    check_conv_gradients([6, 2], 5, 1, 2); // multiply, then add shifted taps
}

#[test]
fn both_interleaves_agree() {
    let phases = random([2, 3, 4, 4 * 5], &Device::flex());
    assert_close(
        super::interleave(phases.clone(), 2),
        super::interleave_composed(phases, 2),
    );
}
