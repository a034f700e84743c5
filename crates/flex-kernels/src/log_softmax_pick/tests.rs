//! The custom operation against burn's composed log-softmax and gather.

use burn::tensor::{Device, Distribution, Int, Tensor, Tolerance};

use super::{log_softmax_pick, log_softmax_pick_composed};

#[test]
fn values_and_gradients_match_the_composed_form() {
    let device = Device::flex().autodiff();
    let logits = Tensor::<2>::random([6, 11], Distribution::Normal(0.0, 3.0), &device);
    let targets = Tensor::<1, Int>::from_data([0, 10, 3, 3, 7, 1], &device);
    let weights = Tensor::<1>::from_data([1.0, 0.5, 2.0, 0.0, 1.0, 3.0], &device);

    let ours = logits.clone().detach().require_grad();
    let picked = log_softmax_pick(ours.clone(), targets.clone());
    let grads = (picked.clone() * weights.clone()).sum().backward();
    let ours_grad = ours.grad(&grads).expect("gradient");

    let theirs = logits.detach().require_grad();
    let expected = log_softmax_pick_composed(theirs.clone(), targets);
    let grads = (expected.clone() * weights).sum().backward();
    let theirs_grad = theirs.grad(&grads).expect("gradient");

    let tolerance = Tolerance::absolute(1e-5);
    picked
        .into_data()
        .assert_approx_eq::<f32>(&expected.into_data(), tolerance);
    ours_grad
        .into_data()
        .assert_approx_eq::<f32>(&theirs_grad.into_data(), tolerance);
}
