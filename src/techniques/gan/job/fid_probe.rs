//! FID and diversity after an epoch: InceptionV3 (the DeepDream network)
//! pools its mixed10 features over generated and real images; the distance is
//! computed on the host. Images are resized to 139 px (not the usual 299) so
//! that a CPU can afford it every few epochs; numbers are comparable within a
//! run. The real images are spread evenly over the whole data set (the data
//! is ordered by category, so its first files are a few emoji in five skin
//! tones). Diversity is the mean pairwise feature distance between the 16
//! fixed-latent samples, relative to the same figure for 16 real images.

use burn::tensor::{Distribution, Tensor};

use super::super::data::Images;
use super::super::fid::{self, fid};
use super::{GRID, GanJob, JobError, batch_tensor};
use crate::job::read_f32;
use crate::nets::inception_v3::InceptionV3;
use crate::nets::resize;

/// Side the images are resized to before InceptionV3.
const SIDE: usize = 139;
/// Pooled mixed10 features.
const FEATURES: usize = 2048;
/// Images per InceptionV3 forward pass.
const CHUNK: usize = 32;

pub(super) struct Probe {
    net: InceptionV3,
    real: Vec<f32>,
    count: usize,
    /// Mean pairwise distance of [`GRID`] real images' features.
    real_spread: f64,
}

/// One measurement.
#[derive(Clone, Copy, Debug)]
pub(super) struct Quality {
    pub(super) fid: f32,
    /// The samples' spread relative to real images' (1 ≈ as varied as the data, 0 = one image).
    pub(super) diversity: f32,
}

/// Below this diversity the samples are (nearly) one image.
pub const COLLAPSED_DIVERSITY: f32 = 0.25;

impl Quality {
    /// A warning when diversity has fallen below [`COLLAPSED_DIVERSITY`] from
    /// at least twice that (`peak`: the highest so far). An untrained
    /// generator draws near-identical grey images, so a low figure alone is
    /// no sign of collapse.
    pub(super) fn collapse_warning(self, peak: f32) -> Option<String> {
        (self.diversity < COLLAPSED_DIVERSITY && peak >= 2.0 * COLLAPSED_DIVERSITY).then(|| {
            format!(
                "The samples are collapsing onto one image: diversity {:.0} % of the real images'. The book's advice: lower the discriminator's learning rate, raise dropout.",
                self.diversity * 100.0
            )
        })
    }
}

impl Probe {
    /// Loads InceptionV3 and the features of the first images of the data.
    pub(super) fn new(session: &GanJob, images: &Images) -> Result<Self, JobError> {
        let net = InceptionV3::load_cached(&session.device).map_err(anyhow::Error::from)?;
        let count = session
            .settings
            .fid_samples
            .clamp(2, images.count.max(2))
            .min(images.count);
        let indices = fid::reference_indices(images.count, count);
        let mut real = Vec::with_capacity(count * FEATURES);
        for chunk in indices.chunks(CHUNK) {
            let batch = batch_tensor(images, chunk, session.config.side, None, &session.device);
            real.extend(features(&net, batch)?);
        }
        let spread_rows = GRID.min(count);
        let real_spread = fid::mean_pairwise_distance(&real[..spread_rows * FEATURES], FEATURES);
        Ok(Self {
            net,
            real,
            count,
            real_spread,
        })
    }

    /// FID between as many generated images and the real ones, and the fixed
    /// samples' diversity.
    pub(super) fn measure(&mut self, session: &GanJob) -> Result<Quality, JobError> {
        let generator = session.sampler();
        let mut fake = Vec::with_capacity(self.count * FEATURES);
        let mut left = self.count;
        while left > 0 {
            let n = left.min(CHUNK);
            let latent = Tensor::<2>::random(
                [n, session.config.latent_dim],
                Distribution::Normal(0.0, 1.0),
                &session.device,
            );
            fake.extend(features(&self.net, generator.forward(latent))?);
            left -= n;
        }
        let fixed = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(session.fixed.clone(), [GRID, session.config.latent_dim]),
            &session.device,
        );
        let samples = features(&self.net, generator.forward(fixed))?;
        let spread = fid::mean_pairwise_distance(&samples, FEATURES);
        #[expect(clippy::cast_possible_truncation, reason = "figures for display")]
        Ok(Quality {
            fid: fid(&self.real, &fake, FEATURES) as f32,
            diversity: (spread / self.real_spread.max(1e-12)) as f32,
        })
    }
}

/// Pooled mixed10 features of images [n, 3, side, side] in [0, 1].
fn features(net: &InceptionV3, images: Tensor<4>) -> Result<Vec<f32>, JobError> {
    let [n, ..] = images.dims();
    let input = resize(images, [SIDE, SIDE]).mul_scalar(2.0).sub_scalar(1.0);
    let mixed10 = net.features(input, &[10]).remove(0);
    let pooled: Tensor<2> = mixed10.mean_dim(3).mean_dim(2).reshape([n, FEATURES]);
    read_f32(pooled)
}
