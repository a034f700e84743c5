//! The source note's model for the `mnist` study, burn only:
//! Dense(units, relu) → Dense(10, softmax) on flattened 28×28 digits,
//! Keras' initialisation, sparse categorical cross-entropy.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Int, Tensor};

use crate::layers::dense::dense;
use crate::layers::losses::log_softmax_pick;

pub const PIXELS: usize = 28 * 28;
pub const CLASSES: usize = 10;

#[derive(Module, Debug)]
pub struct Classifier {
    hidden: Linear,
    out: Linear,
}

impl Classifier {
    pub fn new(units: usize, device: &Device) -> Self {
        Self {
            hidden: dense(PIXELS, units, true, device),
            out: dense(units, CLASSES, true, device),
        }
    }

    /// Logits [batch, 10] of digits [batch, 784] in [0, 1] (the softmax is in the loss).
    pub fn forward(&self, digits: Tensor<2>) -> Tensor<2> {
        self.out.forward(relu(self.hidden.forward(digits)))
    }
}

/// Sparse categorical cross-entropy summed over the batch, shape [1].
pub fn cross_entropy_sum(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1> {
    log_softmax_pick(logits, labels).sum().neg()
}

/// How many predictions (the largest logit) equal the labels, shape [1].
pub fn correct(logits: Tensor<2>, labels: Tensor<1, Int>) -> Tensor<1, Int> {
    let [n, _] = logits.dims();
    logits.argmax(1).reshape([n]).equal(labels).int().sum()
}
