//! Training examples: 100-word windows (inputs predict the next word at every
//! position) for the Transformer, 60-character windows every 3 characters
//! (predicting the one after) for the LSTM.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::super::vectorize::{CharVocab, PAD, WordVocab, char_text};

/// Token windows and what each predicts.
#[derive(Clone, Debug, Default)]
pub struct Examples {
    /// Each input window (all the same length).
    pub inputs: Vec<Vec<u32>>,
    /// Word model: the window shifted by one; character model: one id.
    pub targets: Vec<Vec<u32>>,
}

impl Examples {
    pub fn len(&self) -> usize {
        self.inputs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inputs.is_empty()
    }

    /// Removes the last `share` of the examples (the corpus' end, so held-out
    /// windows overlap the kept ones at the seam only) and returns them.
    #[must_use]
    pub fn split_tail(&mut self, share: f64) -> Self {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a share of a count"
        )]
        let held = ((self.len() as f64 * share.clamp(0.0, 1.0)).round() as usize).min(self.len());
        let at = self.len() - held;
        Self {
            inputs: self.inputs.split_off(at),
            targets: self.targets.split_off(at),
        }
    }

    /// The word examples at `indices` as [batch, time] inputs, the flattened
    /// positions the padding mask keeps, and their targets.
    ///
    /// The batch is cut after its longest real sequence: with causal attention
    /// the trailing padding changes nothing at the earlier positions.
    pub fn word_batch(
        &self,
        indices: &[usize],
        device: &Device,
    ) -> (Tensor<2, Int>, Tensor<1, Int>, Tensor<1, Int>) {
        let time = indices
            .iter()
            .map(|&i| {
                self.inputs[i]
                    .iter()
                    .rposition(|&t| t != PAD)
                    .map_or(1, |p| p + 1)
            })
            .max()
            .unwrap_or(1);
        let mut inputs = Vec::with_capacity(indices.len() * time);
        let mut rows = Vec::new();
        let mut targets = Vec::new();
        for (b, &i) in indices.iter().enumerate() {
            inputs.extend(self.inputs[i][..time].iter().map(|&t| i64::from(t)));
            for (t, (&input, &target)) in self.inputs[i]
                .iter()
                .zip(&self.targets[i])
                .take(time)
                .enumerate()
            {
                if input != PAD {
                    rows.push(i64::try_from(b * time + t).unwrap_or(0));
                    targets.push(i64::from(target));
                }
            }
        }
        let n = rows.len();
        (
            Tensor::from_data(TensorData::new(inputs, [indices.len(), time]), device),
            Tensor::from_data(TensorData::new(rows, [n]), device),
            Tensor::from_data(TensorData::new(targets, [n]), device),
        )
    }

    /// The examples at `indices` as ([batch, time] inputs, flat targets, flat mask).
    pub fn batch(
        &self,
        indices: &[usize],
        device: &Device,
    ) -> (Tensor<2, Int>, Tensor<1, Int>, Tensor<1>) {
        let time = self.inputs[indices[0]].len();
        let mut inputs = Vec::with_capacity(indices.len() * time);
        let mut targets = Vec::new();
        let mut mask = Vec::new();
        for &i in indices {
            inputs.extend(self.inputs[i].iter().map(|&t| i64::from(t)));
            targets.extend(self.targets[i].iter().map(|&t| i64::from(t)));
            if self.targets[i].len() == 1 {
                mask.push(1.0f32);
            } else {
                mask.extend(
                    self.inputs[i]
                        .iter()
                        .map(|&t| if t == PAD { 0.0f32 } else { 1.0 }),
                );
            }
        }
        let n = targets.len();
        (
            Tensor::from_data(TensorData::new(inputs, [indices.len(), time]), device),
            Tensor::from_data(TensorData::new(targets, [n]), device),
            Tensor::from_data(TensorData::new(mask, [n]), device),
        )
    }
}

/// The book's word examples: each document's ids cut into windows of
/// `sequence_length + 1` (short ones padded), inputs = window[..-1],
/// targets = window[1..]. Windows with fewer than two words are dropped.
pub fn word_examples(documents: &[String], vocab: &WordVocab, sequence_length: usize) -> Examples {
    let mut examples = Examples::default();
    for doc in documents {
        let ids = vocab.encode(doc);
        for chunk in ids.chunks(sequence_length + 1) {
            if chunk.len() < 2 {
                continue;
            }
            let mut window = chunk.to_vec();
            window.resize(sequence_length + 1, PAD);
            examples.inputs.push(window[..sequence_length].to_vec());
            examples.targets.push(window[1..].to_vec());
        }
    }
    examples
}

/// The 1st edition's character examples: every `step` characters, a window
/// of `length` and the character after it.
pub fn char_examples(
    documents: &[String],
    vocab: &CharVocab,
    length: usize,
    step: usize,
) -> Examples {
    let ids = vocab.encode(&char_text(documents));
    let mut examples = Examples::default();
    let mut start = 0;
    while start + length < ids.len() {
        examples.inputs.push(ids[start..start + length].to_vec());
        examples.targets.push(vec![ids[start + length]]);
        start += step.max(1);
    }
    examples
}
