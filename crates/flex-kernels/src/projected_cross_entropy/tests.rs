//! The fused projection and loss against burn's composed form.

use burn::tensor::{Device, Distribution, Int, Tensor, TensorData, Tolerance};
use burn_flex::FlexTensor;

use super::{projected_cross_entropy, projected_cross_entropy_composed};

#[test]
fn loss_and_gradients_match_the_composed_form() {
    let device = Device::flex().autodiff();
    let hidden = Tensor::<2>::random([7, 5], Distribution::Normal(0.0, 1.0), &device);
    let weight = Tensor::<2>::random([5, 13], Distribution::Normal(0.0, 1.0), &device);
    let bias = Tensor::<1>::random([13], Distribution::Normal(0.0, 1.0), &device);
    let targets = Tensor::<1, Int>::from_data([0, 12, 3, 3, 7, 1, 5], &device);
    let weights = Tensor::<1>::from_data([1.0, 0.5, 2.0, 0.0, 1.0, 3.0, 1.0], &device);

    let run = |fused: bool| {
        let (h, w, b) = (
            hidden.clone().detach().require_grad(),
            weight.clone().detach().require_grad(),
            bias.clone().detach().require_grad(),
        );
        let loss = if fused {
            projected_cross_entropy(
                h.clone(),
                w.clone(),
                b.clone(),
                targets.clone(),
                weights.clone(),
            )
        } else {
            projected_cross_entropy_composed(
                h.clone(),
                w.clone(),
                b.clone(),
                targets.clone(),
                weights.clone(),
            )
        };
        let grads = (loss.clone() * 3.0).backward();
        [
            loss.into_data(),
            h.grad(&grads).expect("hidden gradient").into_data(),
            w.grad(&grads).expect("weight gradient").into_data(),
            b.grad(&grads).expect("bias gradient").into_data(),
        ]
    };
    for (ours, theirs) in run(true).iter().zip(run(false).iter()) {
        ours.assert_approx_eq::<f32>(theirs, Tolerance::absolute(1e-5));
    }
}

#[test]
fn blocks_of_rows_give_the_same_answer() {
    let values = |count: u16, shape: Vec<usize>| {
        let data: Vec<f32> = (0..count).map(|i| (f32::from(i) * 0.37).sin()).collect();
        FlexTensor::from_data(TensorData::new(data, shape))
    };
    let hidden = values(40, vec![10, 4]);
    let weight = values(36, vec![4, 9]);
    let bias = values(9, vec![9]);
    let targets =
        FlexTensor::from_data(TensorData::new(vec![0i64, 8, 3, 3, 7, 1, 5, 2, 6, 4], [10]));
    let weights = FlexTensor::from_data(TensorData::new(vec![1.0f32; 10], [10]));
    let run = |block| super::compute(&hidden, &weight, &bias, &targets, &weights, true, block);
    let (blocks, whole) = (run(3), run(1024));
    assert!((blocks.loss - whole.loss).abs() < 1e-6);
    let (Some(a), Some(b)) = (blocks.grads, whole.grads) else {
        panic!("gradients were asked for");
    };
    for (x, y) in [(a.0, b.0), (a.1, b.1), (a.2, b.2)] {
        x.into_data()
            .assert_approx_eq::<f32>(&y.into_data(), Tolerance::absolute(1e-6));
    }
}
