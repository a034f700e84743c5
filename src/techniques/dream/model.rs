//! DeepDream (chapter 12.2) on burn tensors: the presets, the octave shapes,
//! the activation loss, resizing and the normalised gradient step. No
//! threads, no read-backs.

use burn::tensor::{Tensor, s};

use crate::documented::documented;
use crate::nets::inception_v3::{InceptionV3, MIN_SIDE, TAPS};
use crate::nets::resize;

/// How activations become the loss.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LossKind {
    /// 2nd edition: Σ coeff · mean(act[:, 2:-2, 2:-2]²).
    #[default]
    Mean,
    /// Seed notebook: Σ coeff · sum(act[:, 2:-2, 2:-2]²) / size(act).
    SizeNormalised,
}

/// How the gradient is scaled before the step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum GradientNorm {
    /// 2nd edition: g / ‖g‖₂.
    #[default]
    L2,
    /// Seed notebook: g / RMS(g).
    Rms,
}

/// A named starting point for the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// 2nd edition: mixed4..7 = 1, 1.5, 2, 2.5; step 20; 30 iterations; max loss 15.
    Book,
    /// Seed notebook: mixed2..5 = 0.2, 3, 2, 1.5; step 0.01; 20 iterations.
    Seed,
    /// Low layers: fine textures.
    FineTextures,
    /// High layers: abstract shapes.
    AbstractShapes,
}

impl Preset {
    pub const ALL: [Self; 4] = [
        Self::Book,
        Self::Seed,
        Self::FineTextures,
        Self::AbstractShapes,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Book => "Book",
            Self::Seed => "Seed notebook",
            Self::FineTextures => "Fine textures",
            Self::AbstractShapes => "Abstract shapes",
        }
    }
}

documented! {
    /// Everything that shapes a dream; [`DreamSettings::preset`] gives the book's.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct DreamSettings, docs DreamSettingsDocs {
        /// Weight of each tap mixed0…mixed10 in the loss (0 = off; the book: mixed4 1,
        /// mixed5 1.5, mixed6 2, mixed7 2.5). Acts on the running job.
        pub layers: [f32; 11],
        /// How each layer's activations become its loss: their mean square over the
        /// border-cropped map (the book), or normalised by the map's size (the seed notebook).
        pub loss: LossKind,
        /// How the gradient is scaled before each step: by its L2 norm (the book) or its RMS.
        pub norm: GradientNorm,
        /// Gradient-ascent step size (the book: 20). Acts on the running job.
        pub step: f32,
        /// Number of scales the picture is dreamed at, smallest first (the book: 3).
        pub octaves: usize,
        /// Size ratio between successive octaves (the book: 1.4).
        pub octave_scale: f32,
        /// Ascent steps per octave (the book: 30).
        pub iterations: usize,
        /// Stop an octave early once the loss passes this (the book: 15).
        pub max_loss: Option<f32>,
        /// Dream in tiles of this side (with random jitter) instead of the whole image.
        pub tile: Option<usize>,
        /// Seed of the tile jitter.
        pub seed: u64,
    }
}

impl DreamSettings {
    /// The settings of a preset. The two weight-only presets keep the book's
    /// algorithm and change the layers.
    pub fn preset(preset: Preset) -> Self {
        let mut layers = [0.0; 11];
        let book = Self {
            layers,
            loss: LossKind::Mean,
            norm: GradientNorm::L2,
            step: 20.0,
            octaves: 3,
            octave_scale: 1.4,
            iterations: 30,
            max_loss: Some(15.0),
            tile: None,
            seed: 1,
        };
        let weights: &[(usize, f32)] = match preset {
            Preset::Book => &[(4, 1.0), (5, 1.5), (6, 2.0), (7, 2.5)],
            Preset::Seed => &[(2, 0.2), (3, 3.0), (4, 2.0), (5, 1.5)],
            Preset::FineTextures => &[(0, 1.0), (1, 1.5), (2, 1.0)],
            Preset::AbstractShapes => &[(7, 1.0), (8, 1.5), (9, 2.0), (10, 2.5)],
        };
        for &(index, weight) in weights {
            layers[index] = weight;
        }
        match preset {
            Preset::Seed => Self {
                layers,
                loss: LossKind::SizeNormalised,
                norm: GradientNorm::Rms,
                step: 0.01,
                iterations: 20,
                max_loss: Some(10.0),
                ..book
            },
            _ => Self { layers, ..book },
        }
    }
}

/// Octave shapes `original / scale^i`, smallest first, as the book computes
/// them (truncating). Shapes below the network's minimum side are clamped to
/// it (keeping the aspect ratio); repeats are merged. Returns the shapes and,
/// when something was clamped, why.
pub fn octave_shapes(
    original: [usize; 2],
    octaves: usize,
    scale: f32,
) -> (Vec<[usize; 2]>, Option<String>) {
    let mut shapes: Vec<[usize; 2]> = Vec::new();
    let mut clamped = false;
    for i in (0..octaves.max(1)).rev() {
        let divisor = f64::from(scale).powi(i32::try_from(i).unwrap_or(i32::MAX));
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "int(dim / scale**i) as the book"
        )]
        let mut shape = original.map(|d| (d as f64 / divisor) as usize);
        if shape[0].min(shape[1]) < MIN_SIDE {
            // Every clamped octave gets the same shape: the original scaled so
            // its short side is the minimum (merged below).
            clamped = true;
            let short = original[0].min(original[1]).max(1);
            shape = original.map(|d| (d * MIN_SIDE).div_ceil(short).max(MIN_SIDE));
        }
        if shapes.last() != Some(&shape) {
            shapes.push(shape);
        }
    }
    let note = clamped.then(|| {
        format!("small octaves clamped to {MIN_SIDE} px, the smallest InceptionV3 input ({} octave(s) run)", shapes.len())
    });
    (shapes, note)
}

/// Border cropped from an activation map before the loss: the book's 2 px,
/// or none when that would leave nothing (maps of 4 px or less).
pub fn crop_for(h: usize, w: usize) -> usize {
    if h.min(w) > 4 { 2 } else { 0 }
}

/// The dream loss of `image` [1, 3, h, w] in [−1, 1].
pub fn dream_loss(net: &InceptionV3, image: Tensor<4>, settings: &DreamSettings) -> Tensor<1> {
    let wanted: Vec<usize> = (0..TAPS.len())
        .filter(|&i| settings.layers[i] != 0.0)
        .collect();
    let device = image.device();
    let mut loss = Tensor::<1>::zeros([1], &device);
    for (tap, activation) in wanted.iter().zip(net.features(image, &wanted)) {
        let [_, c, h, w] = activation.dims();
        let crop = crop_for(h, w);
        let inner = activation
            .slice(s![.., .., crop..h - crop, crop..w - crop])
            .square();
        let term = match settings.loss {
            LossKind::Mean => inner.mean(),
            #[expect(clippy::cast_precision_loss, reason = "activation sizes")]
            LossKind::SizeNormalised => inner.sum().div_scalar((c * h * w) as f64),
        };
        loss = loss + term.mul_scalar(settings.layers[*tap]);
    }
    loss
}

/// The gradient scaled as the preset says.
pub fn normalise(gradient: Tensor<4>, norm: GradientNorm) -> Tensor<4> {
    let scale = match norm {
        GradientNorm::L2 => gradient.clone().square().sum().clamp_min(1e-12).sqrt(),
        GradientNorm::Rms => gradient.clone().square().mean().sqrt().clamp_min(1e-7),
    };
    gradient / scale.reshape([1, 1, 1, 1])
}

/// The detail lost by shrinking `original` to the previous octave's shape and
/// growing it back to `shape`: the book adds it back after each octave.
pub fn lost_detail(original: &Tensor<4>, previous: [usize; 2], shape: [usize; 2]) -> Tensor<4> {
    let same_size = resize(original.clone(), shape);
    let upscaled = resize(resize(original.clone(), previous), shape);
    same_size - upscaled
}

/// Floats InceptionV3 holds per input pixel while one ascent step runs: the
/// activations up to mixed7 with their branches, kept for the backward pass,
/// and the gradient flowing back.
const NET_FLOATS_PER_PIXEL: u64 = 180;
/// Floats per pixel of the whole picture held beside the net: the original,
/// the octave image, its roll, the gradient, the lost detail and previews.
/// Together about 800 bytes a pixel, as measured: peak RSS 0.65 GiB at 750²
/// and 1.93 GiB at 1500² (`dream --octaves 1 --iterations 1`).
const IMAGE_FLOATS_PER_PIXEL: u64 = 20;
/// The weights and the process itself.
const BASE_BYTES: u64 = 256 << 20;
/// Above this many pixels DeepDream works in tiles of [`AUTO_TILE`] by itself.
pub const AUTO_TILE_PIXELS: usize = 2048 * 2048;
/// The tile side chosen by itself for large pictures.
pub const AUTO_TILE: usize = 512;

/// The peak memory of dreaming on an `[h, w]` octave, whole or in tiles.
pub fn peak_bytes([h, w]: [usize; 2], tile: Option<usize>) -> u64 {
    let pixels = u64::try_from(h * w).unwrap_or(u64::MAX);
    let net_pixels = tile.map_or(pixels, |t| {
        pixels.min(u64::try_from(t * t).unwrap_or(u64::MAX))
    });
    BASE_BYTES + (net_pixels * NET_FLOATS_PER_PIXEL + pixels * IMAGE_FLOATS_PER_PIXEL) * 4
}

/// The tile side for a picture of `[h, w]` when none was asked for: tiles
/// above [`AUTO_TILE_PIXELS`].
pub fn auto_tile([h, w]: [usize; 2], asked: Option<usize>) -> Option<usize> {
    asked.or((h * w > AUTO_TILE_PIXELS).then_some(AUTO_TILE))
}
