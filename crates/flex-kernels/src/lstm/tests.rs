//! The custom LSTM layer against the same layer composed from burn's operations.

use burn::tensor::{Device, Distribution, Tensor, Tolerance};

use super::{lstm_last, lstm_last_composed};

#[test]
fn state_and_gradients_match_the_composed_layer() {
    let device = Device::flex().autodiff();
    let inputs = Tensor::<3>::random([5, 3, 4 * 6], Distribution::Normal(0.0, 1.0), &device);
    let recurrent = Tensor::<2>::random([6, 4 * 6], Distribution::Normal(0.0, 0.5), &device);
    let weights = Tensor::<2>::random([3, 6], Distribution::Normal(0.0, 1.0), &device);

    let run = |composed: bool| {
        let inputs = inputs.clone().detach().require_grad();
        let recurrent = recurrent.clone().detach().require_grad();
        let state = if composed {
            lstm_last_composed(inputs.clone(), recurrent.clone())
        } else {
            lstm_last(inputs.clone(), recurrent.clone())
        };
        let grads = (state.clone() * weights.clone()).sum().backward();
        (
            state,
            inputs.grad(&grads).expect("input gradient"),
            recurrent.grad(&grads).expect("recurrent gradient"),
        )
    };
    let (ours, ours_inputs, ours_recurrent) = run(false);
    let (theirs, theirs_inputs, theirs_recurrent) = run(true);
    let tolerance = Tolerance::absolute(1e-5);
    ours.into_data()
        .assert_approx_eq::<f32>(&theirs.into_data(), tolerance);
    ours_inputs
        .into_data()
        .assert_approx_eq::<f32>(&theirs_inputs.into_data(), tolerance);
    ours_recurrent
        .into_data()
        .assert_approx_eq::<f32>(&theirs_recurrent.into_data(), tolerance);
}
