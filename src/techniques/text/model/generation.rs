//! Generation token by token with a key/value cache: each new token costs one
//! position's work instead of the whole window's. One position's work is a
//! handful of row-times-matrix products, bound by reading the weights, so the
//! products that share an input are made as one: the embedding row goes
//! through both attentions' key and value projections and the first one's
//! query in a single product with the five matrices side by side.

use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Int, Tensor};

use super::{Attention, TransformerLm};
use crate::layers::dense::{affine_row, dense_row};

/// One attention's keys and values of every position so far,
/// [1, heads, positions, key_dim] each.
type KeysValues = (Tensor<4>, Tensor<4>);

/// What generation keeps between tokens: both attentions' keys and values
/// and the side-by-side input projection. Exact while the sequence fits the
/// window; past it every position shifts (the embeddings are absolute) and
/// the window is computed again.
#[derive(Debug, Default)]
pub struct KvCache {
    first: Option<KeysValues>,
    second: Option<KeysValues>,
    positions: usize,
    /// [embed, 5 · heads · key_dim]: query 1, key 1, value 1, key 2, value 2.
    inputs: Option<(Tensor<2>, Tensor<1>)>,
}

impl KvCache {
    /// Positions cached so far.
    pub fn len(&self) -> usize {
        self.positions
    }

    pub fn is_empty(&self) -> bool {
        self.positions == 0
    }
}

impl Attention {
    /// Width of one projection: heads · key_dim.
    fn width(&self) -> usize {
        self.heads * self.key_dim
    }

    /// One position's row [1, 1, heads · key_dim] as [1, heads, 1, key_dim].
    fn split_one(&self, t: Tensor<3>) -> Tensor<4> {
        t.reshape([1, 1, self.heads, self.key_dim]).swap_dims(1, 2)
    }

    /// Appends one position's key and value rows to `cache`; returns all.
    fn remember(&self, k: Tensor<3>, v: Tensor<3>, cache: &mut Option<KeysValues>) -> KeysValues {
        let (k, v) = (self.split_one(k), self.split_one(v));
        let all = match cache.take() {
            Some((keys, values)) => (
                Tensor::cat(vec![keys, k], 2),
                Tensor::cat(vec![values, v], 2),
            ),
            None => (k, v),
        };
        *cache = Some(all.clone());
        all
    }

    /// [`Attention::forward`] for one new position whose query row is `q`:
    /// it attends to every cached position — all earlier, so no mask.
    fn attend(&self, q: Tensor<3>, (k, v): KeysValues) -> Tensor<3> {
        let q = self.split_one(q);
        #[expect(clippy::cast_precision_loss, reason = "head sizes")]
        let scale = 1.0 / (self.key_dim as f64).sqrt();
        let weights = softmax(q.matmul(k.swap_dims(2, 3)).mul_scalar(scale), 3);
        let mixed = weights
            .matmul(v)
            .swap_dims(1, 2)
            .reshape([1, 1, self.width()]);
        dense_row(&self.out, mixed)
    }
}

impl TransformerLm {
    /// The five projections of the embedding row, side by side.
    fn input_projection(&self) -> (Tensor<2>, Tensor<1>) {
        let (a, b) = (&self.attention_1, &self.attention_2);
        let layers = [&a.query, &a.key, &a.value, &b.key, &b.value];
        let weights = layers.iter().map(|l| l.weight.val()).collect();
        let biases = layers
            .iter()
            .map(|l| {
                l.bias.as_ref().map_or_else(
                    || Tensor::zeros([l.weight.dims()[1]], &l.weight.device()),
                    burn::module::Param::val,
                )
            })
            .collect();
        (Tensor::cat(weights, 1), Tensor::cat(biases, 0))
    }

    /// Appends `token` at the next position of `cache` and returns the logits
    /// [vocab] of the token after it — the same as [`Self::next_logits`] on
    /// the whole sequence so far, while it fits the window. `project: false`
    /// only fills the cache (a prompt's tokens before its last: both
    /// attentions' keys and values come from the embeddings alone) and
    /// returns `None`.
    pub fn step(&self, token: u32, cache: &mut KvCache, project: bool) -> Option<Tensor<1>> {
        let device = self.output.weight.device();
        let at = |value: i64| -> Tensor<2, Int> {
            Tensor::from_data(burn::tensor::TensorData::new(vec![value], [1, 1]), &device)
        };
        let position = i64::try_from(cache.positions).unwrap_or(i64::MAX);
        let x = self.tokens.forward(at(i64::from(token))) + self.positions.forward(at(position));
        cache.positions += 1;
        let (weight, bias) = cache
            .inputs
            .get_or_insert_with(|| self.input_projection())
            .clone();
        let all = affine_row(x.clone(), weight, bias);
        let w = self.attention_1.width();
        let part = |i: usize| all.clone().slice([0..1, 0..1, i * w..(i + 1) * w]);
        let first = self
            .attention_1
            .remember(part(1), part(2), &mut cache.first);
        let second = self
            .attention_2
            .remember(part(3), part(4), &mut cache.second);
        if !project {
            return None;
        }
        let a1 = self
            .norm_1
            .forward(x + self.attention_1.attend(part(0), first));
        let q2 = dense_row(&self.attention_2.query, a1.clone());
        let a2 = self
            .norm_2
            .forward(a1 + self.attention_2.attend(q2, second));
        let projected = dense_row(&self.dense_2, relu(dense_row(&self.dense_1, a2.clone())));
        Some(self.project(self.norm_3.forward(a2 + projected)))
    }
}
