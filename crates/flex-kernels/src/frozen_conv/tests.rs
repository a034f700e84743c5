//! The frozen convolution and pools against burn's own NCHW operations:
//! values and input gradients.

use std::sync::Arc;

use burn::tensor::module::{avg_pool2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, MaxPoolOptions};
use burn::tensor::{Device, Distribution, Tensor, TensorData, Tolerance};

use super::{FrozenConv, frozen_conv};
use crate::frozen_pool::{MaxPool, frozen_avg_pool, frozen_max_pool};
use crate::reference;

/// The output and the input gradient of Σ layer(x) ⊙ weights.
fn run(x: &Tensor<4>, layer: impl Fn(Tensor<4>) -> Tensor<4>) -> [TensorData; 2] {
    let out = layer(x.clone());
    let weights = reference::loss_weights(out.dims(), &out.device());
    let grads = (out.clone() * weights).sum().backward();
    [
        out.inner().into_data(),
        x.grad(&grads).expect("input gradient").into_data(),
    ]
}

fn assert_same(fused: [TensorData; 2], composed: [TensorData; 2], tolerance: f32) {
    for (what, (a, b)) in ["output", "input gradient"]
        .into_iter()
        .zip(fused.into_iter().zip(composed))
    {
        assert_eq!(a.shape(), b.shape(), "{what}");
        a.assert_approx_eq::<f32>(&b, Tolerance::absolute(tolerance));
    }
}

fn input(shape: [usize; 4]) -> Tensor<4> {
    Tensor::<4>::random(
        shape,
        Distribution::Normal(0.0, 1.0),
        &Device::flex().autodiff(),
    )
    .require_grad()
}

/// A `[kh, kw]` convolution from `cin` to `cout` channels with `stride` and `pad`.
fn check_conv(
    shape: [usize; 4],
    [kh, kw]: [usize; 2],
    cout: usize,
    stride: usize,
    pad: [usize; 2],
    relu: bool,
) {
    let cin = shape[3];
    let device = Device::flex();
    let oihw = Tensor::<4>::random([cout, cin, kh, kw], Distribution::Normal(0.0, 0.3), &device);
    #[expect(clippy::cast_precision_loss, reason = "a test pattern")]
    let bias: Vec<f32> = (0..cout).map(|o| (o as f32 * 0.37).sin() * 0.5).collect();
    let weight = oihw.clone().into_data().try_into_vec::<f32>().expect("f32");
    let conv = Arc::new(FrozenConv::from_oihw(
        &weight,
        [cout, cin, kh, kw],
        bias.clone(),
        [stride; 2],
        pad,
        relu,
    ));
    let x = input(shape);
    let fused = run(&x, |x| frozen_conv(x, &conv));
    let ad = device.clone().autodiff();
    let kernel = Tensor::<4>::from_data(oihw.into_data(), &ad).permute([2, 3, 1, 0]);
    let bias = Tensor::<1>::from_floats(bias.as_slice(), &ad);
    let composed = run(&x, |x| {
        let y = reference::conv(
            x,
            kernel.clone(),
            bias.clone(),
            stride,
            [pad[0], pad[0], pad[1], pad[1]],
        );
        if relu { y.clamp_min(0.0) } else { y }
    });
    assert_same(fused, composed, 1e-4);
}

#[test]
fn convolutions_match_burns() {
    // InceptionV3's kinds: the stride-2 stem, 3×3 "same", 1×1, 1×7 and 7×1, 5×5.
    check_conv([1, 17, 23, 3], [3, 3], 8, 2, [0, 0], true);
    check_conv([2, 9, 11, 5], [3, 3], 7, 1, [1, 1], true);
    check_conv([1, 30, 20, 6], [3, 3], 16, 1, [0, 0], true);
    check_conv([2, 7, 9, 12], [1, 1], 20, 1, [0, 0], true);
    check_conv([1, 8, 10, 6], [1, 7], 5, 1, [0, 3], true);
    check_conv([1, 10, 8, 6], [7, 1], 5, 1, [3, 0], true);
    check_conv([1, 12, 12, 4], [5, 5], 6, 1, [2, 2], false);
    check_conv([1, 11, 13, 4], [3, 3], 6, 2, [1, 1], true);
}

#[test]
fn a_big_picture_splits_into_chunks_and_matches() {
    // Enough output rows for many chunks and bands that overlap.
    check_conv([1, 70, 33, 8], [3, 3], 24, 1, [1, 1], true);
    check_conv([1, 64, 21, 16], [1, 1], 32, 1, [0, 0], true);
}

#[test]
fn winograd_layers_match_burns() {
    // 3×3 "same" with 64 channels or more: odd sides (tiles half outside),
    // a batch of two, many chunks, with and without the ReLU.
    check_conv([2, 37, 41, 64], [3, 3], 72, 1, [1, 1], true);
    check_conv([1, 5, 3, 96], [3, 3], 64, 1, [1, 1], false);
    check_conv([1, 2, 2, 64], [3, 3], 64, 1, [1, 1], true);
    let layer = |channels: usize| {
        FrozenConv::from_oihw(
            &vec![0.0; 9 * channels * channels],
            [channels, channels, 3, 3],
            vec![0.0; channels],
            [1; 2],
            [1; 2],
            true,
        )
    };
    assert!(format!("{:?}", layer(64)).contains("winograd: true"));
    assert!(format!("{:?}", layer(64).direct()).contains("winograd: false"));
    assert!(format!("{:?}", layer(32)).contains("winograd: false"));
}

#[test]
fn max_pools_match_burns() {
    for (shape, pool) in [
        (
            [1, 15, 17, 5],
            MaxPool {
                size: 3,
                stride: 2,
                pad: 0,
            },
        ),
        (
            [2, 8, 9, 4],
            MaxPool {
                size: 3,
                stride: 1,
                pad: 1,
            },
        ),
        (
            [1, 12, 10, 6],
            MaxPool {
                size: 2,
                stride: 2,
                pad: 0,
            },
        ),
    ] {
        let x = input(shape);
        let fused = run(&x, |x| frozen_max_pool(x, pool));
        let options = MaxPoolOptions::new([pool.size; 2])
            .with_stride([pool.stride; 2])
            .with_padding([pool.pad; 2]);
        let composed = run(&x, |x| {
            max_pool2d(x.permute([0, 3, 1, 2]), options.clone()).permute([0, 2, 3, 1])
        });
        assert_same(fused, composed, 1e-6);
    }
}

#[test]
fn the_average_pool_matches_burns() {
    let x = input([2, 7, 9, 5]);
    let fused = run(&x, frozen_avg_pool);
    let options = AvgPoolOptions::new([3, 3])
        .with_stride([1, 1])
        .with_padding([1, 1])
        .with_count_include_pad(false);
    let composed = run(&x, |x| {
        avg_pool2d(x.permute([0, 3, 1, 2]), options.clone()).permute([0, 2, 3, 1])
    });
    assert_same(fused, composed, 1e-5);
}
