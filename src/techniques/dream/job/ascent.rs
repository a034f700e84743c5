//! The loss gradient at the image: whole, or tile by tile after a random
//! roll (jitter) so tile seams never stay in one place.

use burn::tensor::Tensor;

use super::super::model::dream_loss;
use super::{DreamJob, JobError};
use crate::job::read_f32;
use crate::nets::inception_v3::{self, InceptionV3};

impl DreamJob {
    /// Loss and gradient at `image`, whole or tile by tile (jittered).
    pub(super) fn gradient(
        &mut self,
        net: &InceptionV3,
        image: &Tensor<4>,
    ) -> Result<(f32, Tensor<4>), JobError> {
        let [_, _, h, w] = image.dims();
        let tile = self.settings.tile.map(|t| t.max(inception_v3::MIN_SIDE));
        let Some(tile) = tile.filter(|&t| h > t || w > t) else {
            let tracked = image.clone().autodiff().require_grad();
            let loss = dream_loss(net, tracked.clone(), &self.settings);
            let value = read_f32(loss.clone().detach().inner())?[0];
            let grads = loss.backward();
            let gradient = tracked
                .grad(&grads)
                .ok_or_else(|| anyhow::anyhow!("no gradient reached the image"))?;
            return Ok((value, gradient));
        };
        let shift = [self.next_random() % h, self.next_random() % w];
        let rolled = image.clone().roll(&[shift[0], shift[1]], &[2, 3]);
        let mut gradient = rolled.zeros_like();
        let mut weighted = 0.0f64;
        for (ys, xs) in tiles(h, tile)
            .into_iter()
            .flat_map(|y| tiles(w, tile).into_iter().map(move |x| (y.clone(), x)))
        {
            let part = rolled.clone().slice([0..1, 0..3, ys.clone(), xs.clone()]);
            let tracked = part.autodiff().require_grad();
            let loss = dream_loss(net, tracked.clone(), &self.settings);
            let value = read_f32(loss.clone().detach().inner())?[0];
            let grads = loss.backward();
            let part_gradient = tracked
                .grad(&grads)
                .ok_or_else(|| anyhow::anyhow!("no gradient reached the tile"))?;
            let region = [0..1, 0..3, ys.clone(), xs.clone()];
            let sum = gradient.clone().slice(region.clone()) + part_gradient;
            gradient = gradient.slice_assign(region, sum);
            #[expect(clippy::cast_precision_loss, reason = "tile areas")]
            let area = (ys.len() * xs.len()) as f64;
            weighted += f64::from(value) * area;
        }
        let back = [h - shift[0], w - shift[1]];
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_precision_loss,
            reason = "a mean loss"
        )]
        let loss = (weighted / (h * w) as f64) as f32;
        Ok((loss, gradient.roll(&[back[0] % h, back[1] % w], &[2, 3])))
    }

    fn next_random(&mut self) -> usize {
        usize::try_from(self.rng.next_u64() >> 33).unwrap_or(0)
    }
}

/// Start..end ranges of tiles of at most `tile` covering `len`; the last one is
/// moved back so that no tile is smaller than the network's minimum.
#[expect(
    clippy::single_range_in_vec_init,
    reason = "a list of ranges, here of one"
)]
pub fn tiles(len: usize, tile: usize) -> Vec<std::ops::Range<usize>> {
    let tile = tile.max(inception_v3::MIN_SIDE);
    if len <= tile {
        return vec![0..len];
    }
    let mut out = Vec::new();
    let mut start = 0;
    while start < len {
        let end = (start + tile).min(len);
        let begin = if end - start < inception_v3::MIN_SIDE {
            end.saturating_sub(inception_v3::MIN_SIDE)
        } else {
            start
        };
        out.push(begin..end);
        start = end;
    }
    out
}
