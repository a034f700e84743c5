//! How the GAN trains: the book's settings and the Quick (CPU) preset.

use crate::documented::documented;

documented! {
    /// How training runs; [`GanSettings::book`] gives the book's.
    #[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    pub struct GanSettings, docs GanSettingsDocs {
        /// Passes over the images (the book: 100).
        pub epochs: usize,
        /// Images per step (the book: 32).
        pub batch_size: usize,
        /// The discriminator's Adam learning rate (the book: 1e-4). Acts on the running job.
        pub d_learning_rate: f64,
        /// The generator's Adam learning rate (the book: 1e-4). Acts on the running job.
        pub g_learning_rate: f64,
        /// Scale of the uniform noise added to the labels (the book: 0.05). Acts on the
        /// running job.
        pub label_noise: f32,
        /// Steps between two sample grids during an epoch.
        pub sample_every: usize,
        /// Seed for initialisation, shuffling and the fixed latent points.
        pub seed: u64,
        /// Generated and real images compared by FID after each epoch (0 = off).
        [serde(default)]
        pub fid_samples: usize,
        /// Epochs between two FID and diversity measurements.
        [serde(default = "one")]
        pub fid_every: usize,
        /// Adam's first-moment decay for both players (the book, Keras' default:
        /// 0.9; the DCGAN paper: 0.5).
        [serde(default = "keras_beta_1")]
        pub beta_1: f32,
        /// Mirror each real image left-right with probability ½ (off in the book).
        [serde(default)]
        pub flip: bool,
        /// Decay of the generator's exponential moving average, which then draws
        /// the samples (0 = off, as in the book; 0.999 is usual).
        [serde(default)]
        pub ema: f32,
        /// End training after the epoch during which this many minutes have
        /// passed (0 = no limit).
        [serde(default)]
        pub minutes: f64,
    }
}

fn one() -> usize {
    1
}

fn keras_beta_1() -> f32 {
    0.9
}

impl GanSettings {
    pub fn book() -> Self {
        Self {
            epochs: 100,
            batch_size: 32,
            d_learning_rate: 1e-4,
            g_learning_rate: 1e-4,
            label_noise: 0.05,
            sample_every: 20,
            seed: 5,
            fid_samples: 0,
            fid_every: 1,
            beta_1: 0.9,
            flip: false,
            ema: 0.0,
            minutes: 0.0,
        }
    }

    /// The Quick (CPU) preset, with [`GanConfig::quick`](crate::techniques::gan::model::GanConfig::quick) (32×32) on the face
    /// emoji: Adam at 2e-4 with the DCGAN paper's β₁ 0.5, mirrored images, the
    /// generator's moving average for the samples, FID and diversity every 10
    /// epochs. (A two-time-scale rate is the two learning-rate sliders.)
    pub fn quick() -> Self {
        Self {
            epochs: 400,
            batch_size: 32,
            d_learning_rate: 2e-4,
            g_learning_rate: 2e-4,
            label_noise: 0.05,
            sample_every: 10,
            seed: 5,
            fid_samples: 64,
            fid_every: 10,
            beta_1: 0.5,
            flip: true,
            ema: 0.999,
            minutes: 0.0,
        }
    }
}
