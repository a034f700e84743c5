//! The book's variational autoencoder (chapter 12.4), in burn: encoder, sampler
//! and decoder exactly as Keras builds them, including TensorFlow's "same"
//! padding (all of the extra pixel goes after, none before), and the book's loss.

use burn::module::Module;
use burn::nn::Linear;
use burn::tensor::activation::relu;
use burn::tensor::{Device, Distribution, Tensor};

use crate::documented::documented;
use crate::layers::conv::{Activation, Conv2dNhwc, ConvTranspose2dNhwc, Padding};
use crate::layers::dense::dense;
use crate::layers::losses::bce_logits_rows;

/// Side of an MNIST image.
pub const IMAGE_SIDE: usize = 28;

documented! {
    /// Settings of the model and its training; the defaults are the book's.
    #[derive(burn::config::Config, Debug, PartialEq)]
    pub struct VaeSettings, docs VaeSettingsDocs {
        /// Size of the latent space (the book: 2, which is what the latent map needs;
        /// larger latents train but disable the map).
        [config(default = 2)]
        pub latent_dim: usize,
        /// Adam's learning rate (the book: Keras' default 1e-3). Acts on the running job.
        [config(default = 1e-3)]
        pub learning_rate: f64,
        /// Images per batch (the book: 128).
        [config(default = 128)]
        pub batch_size: usize,
        /// Passes over the data (the book: 30).
        [config(default = 30)]
        pub epochs: usize,
        /// Seed for initialisation, shuffling and sampling.
        [config(default = 42)]
        pub seed: u64,
    }
}

impl VaeSettings {
    /// The book's settings in one line (the Book button's hover text).
    pub fn book_summary() -> String {
        let b = Self::new();
        format!(
            "{} epochs, batch {}, latent {}, Adam {:e}, all 70 000 digits",
            b.epochs, b.batch_size, b.latent_dim, b.learning_rate
        )
    }
}

/// Conv2D 32 k3 s2 → Conv2D 64 k3 s2 → Flatten → Dense 16 → Dense latent ×2.
#[derive(Module, Debug)]
pub struct Encoder {
    conv1: Conv2dNhwc,
    conv2: Conv2dNhwc,
    dense: Linear,
    z_mean: Linear,
    z_log_var: Linear,
}

/// Dense 7·7·64 → Conv2DTranspose 64 k3 s2 → Conv2DTranspose 32 k3 s2 → Conv2D 1 k3.
#[derive(Module, Debug)]
pub struct Decoder {
    dense: Linear,
    deconv1: ConvTranspose2dNhwc,
    deconv2: ConvTranspose2dNhwc,
    conv: Conv2dNhwc,
}

/// The whole VAE.
#[derive(Module, Debug)]
pub struct Vae {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

impl VaeSettings {
    /// A freshly initialised model on `device`, initialised as Keras does.
    pub fn init(&self, device: &Device) -> Vae {
        // TensorFlow's "same" for k3 s2 on 28 and 14 pixels: the odd pixel after.
        let stride2 =
            |from, to| Conv2dNhwc::new([from, to], 3, 2, Padding::tf_same(28, 3, 2), device);
        // ... and for the transposed k3 s2: nothing cropped before.
        let deconv = |from, to| ConvTranspose2dNhwc::new([from, to], 3, 2, 0, device);
        Vae {
            encoder: Encoder {
                conv1: stride2(1, 32),
                conv2: stride2(32, 64),
                dense: dense(7 * 7 * 64, 16, true, device),
                z_mean: dense(16, self.latent_dim, true, device),
                z_log_var: dense(16, self.latent_dim, true, device),
            },
            decoder: Decoder {
                dense: dense(self.latent_dim, 7 * 7 * 64, true, device),
                deconv1: deconv(64, 64),
                deconv2: deconv(64, 32),
                conv: Conv2dNhwc::new([32, 1], 3, 1, Padding::uniform(1), device),
            },
        }
    }
}

impl Encoder {
    /// Images [batch, 1, 28, 28] in 0..1 → (z_mean, z_log_var), each [batch, latent].
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let x = images.permute([0, 2, 3, 1]); // channels last, as Keras
        // Each convolution with its ReLU as one operation on the CPU backend.
        let x = self.conv1.forward_act(x, Activation::Relu); // [batch, 14, 14, 32]
        let x = self.conv2.forward_act(x, Activation::Relu); // [batch, 7, 7, 64]
        let x = x.flatten::<2>(1, 3); // [batch, 3136]
        let x = relu(self.dense.forward(x)); // [batch, 16]
        (self.z_mean.forward(x.clone()), self.z_log_var.forward(x))
    }
}

impl Decoder {
    /// Latent points [batch, latent] → logits [batch, 1, 28, 28]; `sigmoid` gives pixels.
    pub fn forward_logits(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let x = relu(self.dense.forward(z)).reshape([batch, 7, 7, 64]);
        let x = self.deconv1.forward_act(x, Activation::Relu); // [batch, 14, 14, 64]
        let x = self.deconv2.forward_act(x, Activation::Relu); // [batch, 28, 28, 32]
        let logits = self.conv.forward_act(x, Activation::Identity); // [batch, 28, 28, 1]
        logits.permute([0, 3, 1, 2])
    }

    /// Latent points → images in 0..1.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        burn::tensor::activation::sigmoid(self.forward_logits(z))
    }
}

/// The sampler: `z = μ + exp(0.5·logσ²)·ε`, ε ~ N(0, 1).
pub fn sample(z_mean: Tensor<2>, z_log_var: Tensor<2>) -> Tensor<2> {
    let epsilon = z_mean.random_like(Distribution::Normal(0.0, 1.0));
    z_mean + (z_log_var * 0.5).exp() * epsilon
}

/// The three numbers the book prints.
pub struct VaeLoss {
    pub total: Tensor<1>,
    pub reconstruction: Tensor<1>,
    pub kl: Tensor<1>,
}

/// Per-image summed binary cross-entropy (averaged over the batch) plus the KL
/// term averaged over batch *and* latent dimensions, as the book's
/// `tf.reduce_mean` does. BCE is computed from logits (`softplus(l) − y·l`),
/// the same value as BCE on the sigmoid, without its overflow.
pub fn vae_loss(
    images: Tensor<4>,
    logits: Tensor<4>,
    z_mean: Tensor<2>,
    z_log_var: Tensor<2>,
) -> VaeLoss {
    let [batch, channels, height, width] = images.dims();
    let pixels = |t: Tensor<4>| t.reshape([batch, channels * height * width]);
    // Σ per image of softplus(l) − y·l, one fused operation on the CPU backend.
    let bce = bce_logits_rows(pixels(logits), pixels(images)); // [batch]
    #[expect(clippy::cast_precision_loss, reason = "batch sizes are small")]
    let reconstruction = bce.sum() / batch as f32;
    let kl = ((z_log_var.clone() + 1.0) - z_mean.powi_scalar(2) - z_log_var.exp()).mean() * -0.5;
    VaeLoss {
        total: reconstruction.clone() + kl.clone(),
        reconstruction,
        kl,
    }
}

impl Vae {
    /// One training forward pass: images → (reconstruction logits, z_mean, z_log_var).
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<4>, Tensor<2>, Tensor<2>) {
        let (z_mean, z_log_var) = self.encoder.forward(images);
        let z = sample(z_mean.clone(), z_log_var.clone());
        (self.decoder.forward_logits(z), z_mean, z_log_var)
    }
}
