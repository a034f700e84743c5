//! The book's losses for neural style transfer (chapter 12.3), on burn tensors:
//! content loss, Gram-matrix style loss, total-variation loss, and their
//! weighted sum over VGG19 features. No threads, no read-backs.

use burn::tensor::Tensor;

use crate::documented::documented;
use crate::nets::vgg19::{self, Vgg19};

/// The book's style layers: the first conv of each block.
pub const STYLE_LAYERS: [&str; 5] = [
    "block1_conv1",
    "block2_conv1",
    "block3_conv1",
    "block4_conv1",
    "block5_conv1",
];
/// The book's content layer.
pub const BOOK_CONTENT_LAYER: &str = "block5_conv2";
/// The book's output height in px.
pub const BOOK_HEIGHT: u32 = 400;
/// The book's iterations.
pub const BOOK_ITERATIONS: usize = 4000;
/// The book's SGD learning rate (tuned at [`BOOK_HEIGHT`]), and its decay:
/// ×[`BOOK_DECAY_RATE`] every [`BOOK_DECAY_STEPS`] steps.
pub const BOOK_SGD_RATE: f64 = 100.0;
pub const BOOK_DECAY_RATE: f64 = 0.96;
pub const BOOK_DECAY_STEPS: f64 = 100.0;

documented! {
    /// How much each term counts. Changing them needs no new targets, so a running
    /// job takes them at its next step.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct LossWeights, docs LossWeightsDocs {
        /// Weight of the content loss (the book: 2.5e-8).
        pub content: f64,
        /// Weight of the style loss, shared equally by the style layers (the book: 1e-6).
        pub style: f64,
        /// Weight of the total-variation loss, which smooths the image (the book: 1e-6).
        pub total_variation: f64,
        /// Extra factor per style layer, block1_conv1 … block5_conv1 (the book: all 1).
        pub style_layers: [f64; 5],
    }
}

/// The book's loss weights.
pub const BOOK_CONTENT_WEIGHT: f64 = 2.5e-8;
pub const BOOK_STYLE_WEIGHT: f64 = 1e-6;
pub const BOOK_TV_WEIGHT: f64 = 1e-6;

impl Default for LossWeights {
    fn default() -> Self {
        Self {
            content: BOOK_CONTENT_WEIGHT,
            style: BOOK_STYLE_WEIGHT,
            total_variation: BOOK_TV_WEIGHT,
            style_layers: [1.0; 5],
        }
    }
}

/// What the combination image is pulled toward, computed once per run.
#[derive(Clone, Debug)]
pub struct Targets {
    /// Index of the content layer in [`vgg19::LAYERS`].
    pub content_layer: usize,
    /// Content features at that layer, [1, C, h, w].
    pub content: Tensor<4>,
    /// Blended Gram matrices of the style images, one per style layer.
    pub grams: Vec<Tensor<2>>,
}

impl Targets {
    /// Features of `content` and Grams of each style image, blended by `blend`
    /// (weights of the style images, normalised here).
    pub fn compute(
        net: &Vgg19,
        content: Tensor<4>,
        content_layer: usize,
        styles: &[(Tensor<4>, f32)],
    ) -> Self {
        let content = net
            .features(content.detach(), &[content_layer])
            .remove(0)
            .detach();
        let total: f32 = styles
            .iter()
            .map(|(_, w)| w.max(0.0))
            .sum::<f32>()
            .max(f32::EPSILON);
        let layers = style_layer_indices();
        let mut grams: Vec<Option<Tensor<2>>> = vec![None; layers.len()];
        for (image, weight) in styles {
            let share = weight.max(0.0) / total;
            for (slot, features) in net
                .features(image.clone().detach(), &layers)
                .into_iter()
                .enumerate()
            {
                let gram = gram(features).detach().mul_scalar(share);
                grams[slot] = Some(match grams[slot].take() {
                    Some(sum) => sum + gram,
                    None => gram,
                });
            }
        }
        Self {
            content_layer,
            content,
            grams: grams.into_iter().flatten().collect(),
        }
    }
}

/// Indices of [`STYLE_LAYERS`] in [`vgg19::LAYERS`].
pub fn style_layer_indices() -> Vec<usize> {
    STYLE_LAYERS
        .iter()
        .filter_map(|name| vgg19::layer_index(name))
        .collect()
}

/// The Gram matrix of [1, C, h, w] features: G = F·Fᵀ with F the [C, h·w]
/// matrix.
///
/// Written as 2·H − H with H = F·(F detached)ᵀ: the same value to the last
/// bit (2H is exact and so is 2H − H), and the gradient 2·dG·F, which is the
/// Gram's own (dG + dGᵀ)·F whenever dG is symmetric — as it is for every loss
/// of a Gram against a symmetric target. One gradient matrix product instead
/// of two, and one path back into F instead of two: on wgpu (burn 0.22.1
/// with fusion) a Gram of a ReLU output that also feeds the next layer got a
/// wrong gradient when both the product's sides sent theirs (issue #14,
/// `tests/wgpu_taps.rs`).
pub fn gram(features: Tensor<4>) -> Tensor<2> {
    let [_, channels, h, w] = features.dims();
    let flat: Tensor<2> = features.reshape([channels, h * w]);
    let half = flat.clone().matmul(flat.detach().transpose());
    half.clone().mul_scalar(2.0) - half.detach()
}

/// Σ (combination − base)².
pub fn content_loss(base: Tensor<4>, combination: Tensor<4>) -> Tensor<1> {
    (combination - base).square().sum()
}

/// The book's style loss: Σ (S − C)² / (4 · 3² · (H·W)²), H and W the *image*
/// size and 3 "channels", exactly as chapter 12 writes it.
pub fn style_loss(
    style_gram: Tensor<2>,
    combination: Tensor<4>,
    image_hw: [usize; 2],
) -> Tensor<1> {
    #[expect(clippy::cast_precision_loss, reason = "image sizes are far below 2^24")]
    let size = (image_hw[0] * image_hw[1]) as f64;
    let norm = 4.0 * 9.0 * size * size;
    (style_gram - gram(combination))
        .square()
        .sum()
        .div_scalar(norm)
}

/// Total variation: Σ ((x[i,j] − x[i+1,j])² + (x[i,j] − x[i,j+1])²)^1.25 over
/// every channel, the last row and column left out as in the book.
pub fn total_variation_loss(image: Tensor<4>) -> Tensor<1> {
    let [_, _, h, w] = image.dims();
    let corner = image
        .clone()
        .slice(burn::tensor::s![.., .., 0..h - 1, 0..w - 1]);
    let below = image
        .clone()
        .slice(burn::tensor::s![.., .., 1..h, 0..w - 1]);
    let right = image.slice(burn::tensor::s![.., .., 0..h - 1, 1..w]);
    let a = (corner.clone() - below).square();
    let b = (corner - right).square();
    (a + b).powf_scalar(1.25).sum()
}

/// One evaluation of the objective, each term already weighted.
#[derive(Clone, Debug)]
pub struct Objective {
    pub total: Tensor<1>,
    pub content: Tensor<1>,
    pub style: Tensor<1>,
    pub total_variation: Tensor<1>,
}

/// The book's `compute_loss`: weighted content + style + TV loss of the
/// combination image [1, 3, H, W] (Caffe layout).
pub fn objective(
    net: &Vgg19,
    targets: &Targets,
    combination: Tensor<4>,
    weights: &LossWeights,
) -> Objective {
    let [_, _, h, w] = combination.dims();
    let mut wanted = style_layer_indices();
    wanted.push(targets.content_layer);
    let mut features = net.features(combination.clone(), &wanted);
    // The content layer was asked for last.
    let content_features = features.split_off(features.len() - 1).remove(0);
    let content =
        content_loss(targets.content.clone(), content_features).mul_scalar(weights.content);
    #[expect(clippy::cast_precision_loss, reason = "five layers")]
    let per_layer = weights.style / STYLE_LAYERS.len() as f64;
    let mut style = None;
    for ((gram, features), factor) in targets.grams.iter().zip(features).zip(weights.style_layers) {
        if factor == 0.0 {
            continue;
        }
        let term = style_loss(gram.clone(), features, [h, w]).mul_scalar(per_layer * factor);
        style = Some(match style {
            Some(sum) => sum + term,
            None => term,
        });
    }
    let style = style.unwrap_or_else(|| content.clone().mul_scalar(0.0));
    let total_variation = total_variation_loss(combination).mul_scalar(weights.total_variation);
    Objective {
        total: content.clone() + style.clone() + total_variation.clone(),
        content,
        style,
        total_variation,
    }
}

/// Bytes held per output pixel while one step runs: VGG19's activations up to
/// block 5, kept for the backward pass, and the gradient flowing back —
/// measured: peak RSS 0.73 GiB at 400×400 and 1.85 GiB at 800×800, about
/// 2.4 KB per pixel beyond a base of 0.4 GiB (`style --iterations 3`).
const BYTES_PER_PIXEL: u64 = 2600;
/// The weights, the pictures and the process itself.
const BASE_BYTES: u64 = 512 << 20;

/// The peak memory of a run at `width`×`height`, for the memory guard.
pub fn peak_bytes(width: u32, height: u32) -> u64 {
    BASE_BYTES + u64::from(width) * u64::from(height) * BYTES_PER_PIXEL
}
