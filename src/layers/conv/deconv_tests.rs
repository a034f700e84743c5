//! The fused layer against the composed one (transposed convolution, bias,
//! LeakyReLU from burn's operations), values and all three gradients.

use burn::module::Param;
use burn::tensor::{Device, Distribution, Tensor, Tolerance};

use super::{ConvTranspose2dNhwc, leaky};

fn gradients_of(
    layer: &ConvTranspose2dNhwc,
    x: &Tensor<4>,
    target: &Tensor<4>,
    fused: bool,
) -> [Tensor<4>; 4] {
    let out = if fused {
        layer.forward_leaky(x.clone(), 0.2)
    } else {
        leaky(layer.forward(x.clone()), 0.2)
    };
    let grads = (out.clone() * target.clone()).sum().backward();
    let bias = layer.bias.val().grad(&grads).expect("bias gradient");
    [
        out.inner(),
        x.grad(&grads).expect("input gradient"),
        layer.kernel.val().grad(&grads).expect("kernel gradient"),
        bias.reshape([1, 1, 1, layer.bias.dims()[0]]),
    ]
}

#[test]
fn the_fused_layer_matches_the_composed_one() {
    let device = Device::flex().autodiff();
    let mut layer = ConvTranspose2dNhwc::new([5, 7], 4, 2, 1, &device);
    layer.bias = Param::from_tensor(Tensor::random([7], Distribution::Default, &device));
    assert!(layer.is_k4_s2_same());
    let x =
        Tensor::<4>::random([3, 4, 6, 5], Distribution::Normal(0.0, 1.0), &device).require_grad();
    let target = Tensor::<4>::random([3, 8, 12, 7], Distribution::Normal(0.0, 1.0), &device);
    let fused = gradients_of(&layer, &x, &target, true);
    let composed = gradients_of(&layer, &x, &target, false);
    for (what, (a, b)) in ["output", "input", "kernel", "bias"]
        .iter()
        .zip(fused.into_iter().zip(composed))
    {
        assert_eq!(a.dims(), b.dims(), "{what}");
        a.into_data()
            .assert_approx_eq::<f32>(&b.into_data(), Tolerance::absolute(1e-3));
    }
}

#[test]
fn other_layers_and_odd_inputs_fall_back_to_the_composed_form() {
    let device = Device::flex();
    let layer = ConvTranspose2dNhwc::new([2, 3], 3, 2, 0, &device);
    assert!(!layer.is_k4_s2_same());
    let x = Tensor::<4>::random([2, 5, 5, 2], Distribution::Normal(0.0, 1.0), &device);
    let out = layer.forward_leaky(x.clone(), 0.2);
    out.into_data().assert_approx_eq::<f32>(
        &leaky(layer.forward(x), 0.2).into_data(),
        Tolerance::absolute(1e-5),
    );
    let layer = ConvTranspose2dNhwc::new([2, 3], 4, 2, 1, &device);
    let odd = Tensor::<4>::random([1, 3, 5, 2], Distribution::Normal(0.0, 1.0), &device);
    assert_eq!(layer.forward_leaky(odd, 0.2).dims(), [1, 6, 10, 3]);
}
