//! FID after each epoch: InceptionV3 (the DeepDream network) pools its mixed10
//! features over generated and real images; the distance is computed on the
//! host. Images are resized from 64 to 139 px (not the usual 299) so that a
//! CPU can afford it every epoch; numbers are comparable within a run.

use burn::module::Module;
use burn::tensor::{Distribution, Tensor};

use super::super::data::Images;
use super::super::fid::fid;
use super::{GanJob, JobError, batch_tensor};
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
        let indices: Vec<usize> = (0..count).collect();
        let mut real = Vec::with_capacity(count * FEATURES);
        for chunk in indices.chunks(CHUNK) {
            real.extend(features(
                &net,
                batch_tensor(images, chunk, &session.device),
            )?);
        }
        Ok(Self { net, real, count })
    }

    /// FID between as many generated images and the real ones.
    pub(super) fn measure(&mut self, session: &GanJob) -> Result<f32, JobError> {
        let generator = session.generator.valid();
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
        #[expect(clippy::cast_possible_truncation, reason = "a distance for display")]
        let value = fid(&self.real, &fake, FEATURES) as f32;
        Ok(value)
    }
}

/// Pooled mixed10 features of images [n, 3, 64, 64] in [0, 1].
fn features(net: &InceptionV3, images: Tensor<4>) -> Result<Vec<f32>, JobError> {
    let [n, ..] = images.dims();
    let input = resize(images, [SIDE, SIDE]).mul_scalar(2.0).sub_scalar(1.0);
    let mixed10 = net.features(input, &[10]).remove(0);
    let pooled: Tensor<2> = mixed10.mean_dim(3).mean_dim(2).reshape([n, FEATURES]);
    read_f32(pooled)
}
