//! The book's DCGAN (chapter 12.5) in burn: discriminator and generator for
//! 64×64×3 images, TensorFlow "same" padding, Keras Glorot initialisation, and
//! the binary cross-entropy both are trained with. No threads, no read-backs.

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Linear};
use burn::tensor::activation::sigmoid;
use burn::tensor::{Device, Tensor};

use crate::documented::documented;
use crate::layers::conv::{Activation, Conv2dNhwc, ConvTranspose2dNhwc, Padding};
use crate::layers::dense::dense;
use crate::layers::spectral::spectral_normalized;

documented! {
    /// Sizes and rates; [`GanConfig::book`] gives the book's.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct GanConfig, docs GanConfigDocs {
        /// Size of the generator's input noise (the book: 128).
        pub latent_dim: usize,
        /// Channels of the discriminator's convs (the book: 64, 128, 128).
        pub d_channels: [usize; 3],
        /// Channels of the generator's transposed convs (the book: 128, 256, 512); the
        /// dense layer makes an 8×8×`g_channels[0]` map.
        pub g_channels: [usize; 3],
        /// Dropout before the discriminator's last layer (the book: 0.2). Acts on the
        /// running job.
        pub dropout: f64,
        /// Side of the images in pixels, a multiple of 8 (the book: 64): the
        /// generator starts from a side/8 map, the discriminator ends at one.
        [serde(default = "book_side")]
        pub side: usize,
        /// Spectral normalisation of the discriminator's weights (Miyato et al.,
        /// 2018; off in the book).
        [serde(default)]
        pub spectral_norm: bool,
        /// The spread of each group of 4 images as one more channel before the
        /// discriminator's dense layer (Karras et al., 2018's minibatch standard
        /// deviation; off in the book): a batch of one image repeated is told
        /// from a varied real one, which counters mode collapse.
        [serde(default)]
        pub minibatch_std: bool,
    }
}

fn book_side() -> usize {
    64
}

impl GanConfig {
    pub fn book() -> Self {
        Self {
            latent_dim: 128,
            d_channels: [64, 128, 128],
            g_channels: [128, 256, 512],
            dropout: 0.2,
            side: 64,
            spectral_norm: false,
            minibatch_std: false,
        }
    }

    /// The Quick (CPU) model: the book's layers at 32×32 with 64 channels
    /// throughout the generator, which learns recognisable emoji in minutes.
    pub fn quick() -> Self {
        Self {
            latent_dim: 64,
            d_channels: [32, 64, 64],
            g_channels: [64, 64, 64],
            side: 32,
            ..Self::book()
        }
    }

    /// A narrow model for tests and quick CPU runs: same layers, fewer channels.
    pub fn small() -> Self {
        Self {
            latent_dim: 32,
            d_channels: [8, 16, 16],
            g_channels: [16, 16, 16],
            ..Self::book()
        }
    }

    /// Side of the generator's first map and the discriminator's last.
    pub fn base_side(&self) -> usize {
        (self.side / 8).max(1)
    }

    pub fn discriminator(&self, device: &Device) -> Discriminator {
        let [a, b, c] = self.d_channels;
        let base = self.base_side();
        // TensorFlow's "same" for k4 s2 on an even side: one pixel each side.
        let conv =
            |from: usize, to: usize| Conv2dNhwc::new([from, to], 4, 2, Padding::uniform(1), device);
        Discriminator {
            conv1: conv(3, a),
            conv2: conv(a, b),
            conv3: conv(b, c),
            dropout: DropoutConfig::new(self.dropout).init(),
            dense: dense(
                (c + usize::from(self.minibatch_std)) * base * base,
                1,
                true,
                device,
            ),
            spectral: self.spectral_norm,
            minibatch_std: self.minibatch_std,
        }
    }

    pub fn generator(&self, device: &Device) -> Generator {
        let [a, b, c] = self.g_channels;
        let base = self.base_side();
        // TensorFlow's "same" for k4 s2 crops one pixel before (and one after).
        let deconv = |from: usize, to: usize| ConvTranspose2dNhwc::new([from, to], 4, 2, 1, device);
        Generator {
            dense: dense(self.latent_dim, a * base * base, true, device),
            deconv1: deconv(a, a),
            deconv2: deconv(a, b),
            deconv3: deconv(b, c),
            out: Conv2dNhwc::new([c, 3], 5, 1, Padding::uniform(2), device),
            channels: a,
            base,
        }
    }
}

/// Conv 64 k4 s2 → LeakyReLU → Conv 128 → LeakyReLU → Conv 128 → LeakyReLU →
/// Flatten → Dropout → Dense 1 (logit; the sigmoid is in the loss).
#[derive(Module, Debug)]
pub struct Discriminator {
    conv1: Conv2dNhwc,
    conv2: Conv2dNhwc,
    conv3: Conv2dNhwc,
    dropout: Dropout,
    dense: Linear,
    /// Weights divided by their largest singular value in each forward pass.
    spectral: bool,
    /// One more channel: the spread within each group of [`STD_GROUP`] images.
    minibatch_std: bool,
}

impl Discriminator {
    /// Logits [batch, 1] that the images [batch, 3, side, side] are *generated*
    /// (the book labels generated 1, real 0).
    pub fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let x = images.permute([0, 2, 3, 1]); // channels last, as Keras
        // Each convolution with its LeakyReLU as one operation on the CPU backend.
        let leaky = Activation::Leaky(SLOPE);
        let kernel = |layer: &Conv2dNhwc| {
            let kernel = layer.kernel.val();
            if self.spectral {
                spectral_normalized(kernel)
            } else {
                kernel
            }
        };
        let x = self.conv1.forward_act_with(x, kernel(&self.conv1), leaky);
        let x = self.conv2.forward_act_with(x, kernel(&self.conv2), leaky);
        let x = self.conv3.forward_act_with(x, kernel(&self.conv3), leaky);
        let x = if self.minibatch_std {
            with_group_spread(x)
        } else {
            x
        };
        let x: Tensor<2> = self.dropout.forward(x.flatten(1, 3));
        if !self.spectral {
            return self.dense.forward(x);
        }
        let weight = spectral_normalized(self.dense.weight.val());
        let logits = x.matmul(weight);
        match &self.dense.bias {
            Some(bias) => logits + bias.val().unsqueeze_dim(0),
            None => logits,
        }
    }

    /// Sets the dropout rate (a live slider).
    pub fn set_dropout(&mut self, rate: f64) {
        self.dropout = DropoutConfig::new(rate.clamp(0.0, 0.9)).init();
    }
}

/// Images per group of the minibatch standard deviation. Groups are
/// consecutive images, so the book's discriminator batch (generated images,
/// then real ones, each a multiple of 4) never mixes the two in a group.
pub const STD_GROUP: usize = 4;

/// Features [n, h, w, c] with one more channel: the standard deviation over
/// each group of consecutive images, averaged over positions and channels
/// (one figure per group, the same for its images). A batch that is not a
/// multiple of [`STD_GROUP`] is one group.
pub fn with_group_spread(features: Tensor<4>) -> Tensor<4> {
    let [n, h, w, c] = features.dims();
    let group = if n % STD_GROUP == 0 { STD_GROUP } else { n };
    let grouped: Tensor<5> = features.clone().reshape([n / group, group, h, w, c]);
    let spread = grouped
        .var_bias(1)
        .add_scalar(1e-8)
        .sqrt()
        .reshape([n / group, h * w * c])
        .mean_dim(1); // [groups, 1]
    let channel = spread
        .reshape([n / group, 1, 1, 1, 1])
        .expand([n / group, group, h, w, 1])
        .reshape([n, h, w, 1]);
    Tensor::cat(vec![features, channel], 3)
}

/// Dense 8·8·128 → reshape → ConvT 128 k4 s2 → LeakyReLU → ConvT 256 →
/// LeakyReLU → ConvT 512 → LeakyReLU → Conv 3 k5 → sigmoid.
#[derive(Module, Debug)]
pub struct Generator {
    dense: Linear,
    deconv1: ConvTranspose2dNhwc,
    deconv2: ConvTranspose2dNhwc,
    deconv3: ConvTranspose2dNhwc,
    out: Conv2dNhwc,
    channels: usize,
    base: usize,
}

impl Generator {
    /// Images [batch, 3, side, side] in [0, 1] from latents [batch, latent].
    pub fn forward(&self, latent: Tensor<2>) -> Tensor<4> {
        let [batch, _] = latent.dims();
        let x: Tensor<4> =
            self.dense
                .forward(latent)
                .reshape([batch, self.base, self.base, self.channels]); // Keras' Reshape: channels last
        // Each transposed convolution with its LeakyReLU as one operation on
        // the CPU backend (see `ConvTranspose2dNhwc::forward_leaky`).
        let x = self.deconv1.forward_leaky(x, SLOPE);
        let x = self.deconv2.forward_leaky(x, SLOPE);
        let x = self.deconv3.forward_leaky(x, SLOPE);
        sigmoid(self.out.forward_act(x, Activation::Identity)).permute([0, 3, 1, 2])
    }
}

/// The book's LeakyReLU slope, in both networks.
const SLOPE: f32 = 0.2;

/// Binary cross-entropy of logits [n, 1] against labels [n, 1], averaged
/// (numerically stable: max(x, 0) − x·y + ln(1 + e^−|x|)).
pub fn bce_with_logits(logits: Tensor<2>, labels: Tensor<2>) -> Tensor<1> {
    let positive = logits.clone().clamp_min(0.0);
    let softplus = logits.clone().abs().neg().exp().add_scalar(1.0).log();
    (positive - logits * labels + softplus).mean()
}
