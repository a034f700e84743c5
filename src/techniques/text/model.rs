//! The two language models of chapter 12.1, in burn: the 2nd edition's word
//! Transformer decoder and the 1st edition's character LSTM, with their
//! losses. No threads, no read-backs.

use burn::module::{Module, Param};
use burn::nn::{
    Embedding, EmbeddingConfig, Initializer, LayerNorm, LayerNormConfig, Linear, LinearConfig,
};
use burn::tensor::activation::{relu, softmax};
use burn::tensor::{Bool, Device, Int, Tensor};

use crate::documented::documented;
use crate::layers::dense::{dense, dense_row};
use crate::layers::losses::{log_softmax_pick, projected_cross_entropy};
use crate::layers::lstm::lstm_last;

mod generation;
pub use generation::KvCache;

/// Glorot-uniform bounds for a [from, to] kernel, for layers burn initialises itself.
#[expect(clippy::cast_precision_loss, reason = "layer sizes")]
fn glorot(from: usize, to: usize) -> Initializer {
    let bound = (6.0 / (from + to) as f64).sqrt();
    Initializer::Uniform {
        min: -bound,
        max: bound,
    }
}

documented! {
    /// Sizes of the word model; [`TransformerConfig::book`] gives the book's.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct TransformerConfig, docs TransformerConfigDocs {
        /// Words kept, the most frequent first (the book: 15 000).
        pub vocab_size: usize,
        /// Words per training window (the book: 100).
        pub sequence_length: usize,
        /// Size of each word's embedding (the book: 256).
        pub embed_dim: usize,
        /// Width of the decoder's feed-forward layer (the book: 2048).
        pub dense_dim: usize,
        /// Attention heads, each of key size 256 (the book: 2).
        pub num_heads: usize,
    }
}

impl TransformerConfig {
    /// The book's sizes in one line, as the panel shows them.
    pub fn book_summary() -> String {
        let b = Self::book();
        format!(
            "book: {} · {} · {} · {}",
            b.vocab_size, b.sequence_length, b.embed_dim, b.dense_dim
        )
    }
}

impl TransformerConfig {
    pub fn book() -> Self {
        Self {
            vocab_size: 15_000,
            sequence_length: 100,
            embed_dim: 256,
            dense_dim: 2048,
            num_heads: 2,
        }
    }

    pub fn init(&self, device: &Device) -> TransformerLm {
        let e = self.embed_dim;
        let attention = || Attention::new(e, self.num_heads, e, device);
        let norm = || LayerNormConfig::new(e).with_epsilon(1e-3).init(device);
        TransformerLm {
            tokens: EmbeddingConfig::new(self.vocab_size, e)
                .with_initializer(Initializer::Uniform {
                    min: -0.05,
                    max: 0.05,
                })
                .init(device),
            positions: EmbeddingConfig::new(self.sequence_length, e)
                .with_initializer(Initializer::Uniform {
                    min: -0.05,
                    max: 0.05,
                })
                .init(device),
            attention_1: attention(),
            norm_1: norm(),
            attention_2: attention(),
            norm_2: norm(),
            dense_1: dense(e, self.dense_dim, true, device),
            dense_2: dense(self.dense_dim, e, true, device),
            norm_3: norm(),
            output: dense(e, self.vocab_size, true, device),
        }
    }
}

/// Keras' `MultiHeadAttention(num_heads, key_dim)`: every head projects to
/// `key_dim` (not embed / heads), then one dense layer mixes the heads back.
#[derive(Module, Debug)]
pub struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    heads: usize,
    key_dim: usize,
}

impl Attention {
    fn new(embed: usize, heads: usize, key_dim: usize, device: &Device) -> Self {
        Self {
            query: dense(embed, heads * key_dim, true, device),
            key: dense(embed, heads * key_dim, true, device),
            value: dense(embed, heads * key_dim, true, device),
            out: dense(heads * key_dim, embed, true, device),
            heads,
            key_dim,
        }
    }

    /// Causal self-attention over [batch, time, embed].
    fn forward(&self, x: Tensor<3>, context: Tensor<3>) -> Tensor<3> {
        let [batch, time, _] = x.dims();
        let split = |t: Tensor<3>| -> Tensor<4> {
            t.reshape([batch, time, self.heads, self.key_dim])
                .swap_dims(1, 2)
        };
        let q = split(self.query.forward(x));
        let k = split(self.key.forward(context.clone()));
        let v = split(self.value.forward(context));
        #[expect(clippy::cast_precision_loss, reason = "head sizes")]
        let scale = 1.0 / (self.key_dim as f64).sqrt();
        let scores = q.matmul(k.swap_dims(2, 3)).mul_scalar(scale);
        let future: Tensor<4, Bool> =
            Tensor::<2, Bool>::tril_mask([time, time], 0, &scores.device())
                .reshape([1, 1, time, time])
                .expand([batch, self.heads, time, time]);
        let weights = softmax(scores.mask_fill(future, -1e9), 3);
        let mixed =
            weights
                .matmul(v)
                .swap_dims(1, 2)
                .reshape([batch, time, self.heads * self.key_dim]);
        self.out.forward(mixed)
    }
}

/// PositionalEmbedding → TransformerDecoder → Dense(vocab).
#[derive(Module, Debug)]
pub struct TransformerLm {
    tokens: Embedding,
    positions: Embedding,
    attention_1: Attention,
    norm_1: LayerNorm,
    attention_2: Attention,
    norm_2: LayerNorm,
    dense_1: Linear,
    dense_2: Linear,
    norm_3: LayerNorm,
    output: Linear,
}

impl TransformerLm {
    /// Logits [batch, time, vocab] for token ids [batch, time] (time ≤ sequence length).
    pub fn forward(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        self.output.forward(self.hidden(tokens))
    }

    /// Logits [vocab] of the token after the last position of `tokens` [1, time]:
    /// only that position is projected onto the vocabulary.
    pub fn next_logits(&self, tokens: Tensor<2, Int>) -> Tensor<1> {
        let h = self.hidden(tokens);
        let [_, time, embed] = h.dims();
        self.project(h.slice([0..1, time - 1..time, 0..embed]))
    }

    /// One position's decoder output [1, 1, embed] onto the vocabulary.
    fn project(&self, h: Tensor<3>) -> Tensor<1> {
        let [_, vocab] = self.output.weight.dims();
        dense_row(&self.output, h).reshape([vocab])
    }

    /// The training loss — mean cross-entropy of the flattened positions
    /// `rows` against `targets`, weighted by `weights` — with the vocabulary
    /// projection fused into it (see `nets::projected_cross_entropy`). The
    /// projection dominates the cost; training asks only for the positions the
    /// padding mask keeps, which gives the same loss and gradients as
    /// projecting all of them and masking afterwards.
    pub fn loss_rows(
        &self,
        tokens: Tensor<2, Int>,
        rows: Tensor<1, Int>,
        targets: Tensor<1, Int>,
        weights: Tensor<1>,
    ) -> Tensor<1> {
        let h = self.hidden(tokens);
        let [batch, time, embed] = h.dims();
        let flat: Tensor<2> = h.reshape([batch * time, embed]);
        let weight = self.output.weight.val();
        let [_, vocab] = weight.dims();
        let bias = self.output.bias.as_ref().map_or_else(
            || Tensor::zeros([vocab], &weight.device()),
            burn::module::Param::val,
        );
        projected_cross_entropy(flat.select(0, rows), weight, bias, targets, weights)
    }

    /// The decoder's output [batch, time, embed] before the vocabulary projection.
    fn hidden(&self, tokens: Tensor<2, Int>) -> Tensor<3> {
        let [batch, time] = tokens.dims();
        let device = tokens.device();
        let positions = Tensor::<1, Int>::arange(0..i64::try_from(time).unwrap_or(0), &device)
            .reshape([1, time])
            .expand([batch, time]);
        let x = self.tokens.forward(tokens) + self.positions.forward(positions);
        // The book feeds the embeddings as the decoder's "encoder output" too:
        // both attentions see x, and both are causal here (see the README).
        let a1 = self
            .norm_1
            .forward(x.clone() + self.attention_1.forward(x.clone(), x.clone()));
        let a2 = self
            .norm_2
            .forward(a1.clone() + self.attention_2.forward(a1, x));
        let projected = self.dense_2.forward(relu(self.dense_1.forward(a2.clone())));
        self.norm_3.forward(a2 + projected)
    }
}

/// Sizes of the character model (1st edition: LSTM 128, sequences of 60).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct LstmConfig {
    pub vocab_size: usize,
    pub hidden: usize,
    pub sequence_length: usize,
    pub step: usize,
}

impl LstmConfig {
    pub fn book(vocab_size: usize) -> Self {
        Self {
            vocab_size,
            hidden: 128,
            sequence_length: 60,
            step: 3,
        }
    }

    pub fn init(&self, device: &Device) -> CharLstm {
        let n = self.hidden;
        let gates = 4 * n;
        let input = EmbeddingConfig::new(self.vocab_size, gates)
            .with_initializer(glorot(self.vocab_size, gates))
            .init(device);
        // The bias rides in the lookup table (one-hot · W + b = (W + b)[id]);
        // Keras' unit_forget_bias: the forget gate's starts at 1.
        let mut bias = vec![0.0f32; gates];
        bias[n..2 * n].fill(1.0);
        let bias = Tensor::<1>::from_data(burn::tensor::TensorData::new(bias, [gates]), device);
        let table = (input.weight.val() + bias.reshape([1, gates])).detach();
        CharLstm {
            input: Embedding {
                weight: Param::from_tensor(table),
            },
            recurrent: LinearConfig::new(n, gates)
                .with_bias(false)
                .with_initializer(glorot(n, gates))
                .init(device),
            output: dense(n, self.vocab_size, true, device),
            hidden: n,
        }
    }
}

/// LSTM(128) over one-hot characters → Dense(chars). The one-hot input times
/// the kernel is a row lookup, so the input kernel (with the bias) is an
/// embedding table. Gates are stored i, f, o, c so the three sigmoid gates
/// are one slice (Keras stores i, f, c, o; the function is the same).
#[derive(Module, Debug)]
pub struct CharLstm {
    input: Embedding,
    recurrent: Linear,
    output: Linear,
    hidden: usize,
}

impl CharLstm {
    /// Logits [batch, chars] for the character after each sequence [batch, time].
    pub fn forward(&self, tokens: &Tensor<2, Int>) -> Tensor<2> {
        // [time, batch, 4·units]: the one-hot inputs times the input kernel.
        let projected = self.input.forward(tokens.clone().transpose());
        let state = lstm_last(projected, self.recurrent.weight.val());
        self.output.forward(state)
    }
}

/// Mean cross-entropy of `logits` [n, vocab] against `targets` [n], counting
/// only rows where `weights` [n] is 1 (the Keras padding mask).
pub fn masked_cross_entropy(
    logits: Tensor<2>,
    targets: Tensor<1, Int>,
    weights: Tensor<1>,
) -> Tensor<1> {
    let picked = log_softmax_pick(logits, targets);
    let total = weights.clone().sum().clamp_min(1.0);
    (picked * weights).sum().neg() / total
}
