//! Images out of the generator, on the job thread: the fixed-latent grid and
//! the latent walk between two of its points.

use burn::tensor::{Tensor, TensorData};

use super::{GRID, GanJob, JobError};
use crate::job::read_f32;

impl GanJob {
    /// Generated images for latent points (row after row), as RGB bytes.
    fn generate(&self, latents: Vec<f32>, count: usize) -> Result<Vec<u8>, JobError> {
        let latent = Tensor::<2>::from_data(
            TensorData::new(latents, [count, self.config.latent_dim]),
            &self.device,
        );
        let images = self.sampler().forward(latent);
        let values = read_f32(images)?;
        let side = self.config.side;
        let plane = side * side;
        let mut bytes = vec![0u8; count * plane * 3];
        for b in 0..count {
            for p in 0..plane {
                for c in 0..3 {
                    #[expect(
                        clippy::cast_possible_truncation,
                        clippy::cast_sign_loss,
                        reason = "clamped to 0..=255"
                    )]
                    let byte = (values[(b * 3 + c) * plane + p] * 255.0)
                        .round()
                        .clamp(0.0, 255.0) as u8;
                    bytes[(b * plane + p) * 3 + c] = byte;
                }
            }
        }
        Ok(bytes)
    }

    /// The 4×4 grid from the fixed latent points.
    pub(crate) fn sample_grid(&self) -> Result<egui::ColorImage, JobError> {
        let bytes = self.generate(self.fixed.clone(), GRID)?;
        Ok(tile_rgb(&bytes, GRID, 4, self.config.side))
    }

    /// `steps` images from fixed point `from` to fixed point `to`, in a row.
    pub(super) fn walk(
        &self,
        from: usize,
        to: usize,
        steps: usize,
    ) -> Result<egui::ColorImage, JobError> {
        let steps = steps.clamp(2, 32);
        let bytes = self.generate(self.path(from, to, steps, |t| t), steps)?;
        Ok(tile_rgb(&bytes, steps, steps, self.config.side))
    }

    /// `count` latent points from fixed point `from` to `to`, at `along(t)`
    /// of the way for t evenly from 0 to 1.
    fn path(&self, from: usize, to: usize, count: usize, along: fn(f32) -> f32) -> Vec<f32> {
        let dim = self.config.latent_dim;
        let (from, to) = (from.min(GRID - 1), to.min(GRID - 1));
        let a = &self.fixed[from * dim..(from + 1) * dim];
        let b = &self.fixed[to * dim..(to + 1) * dim];
        #[expect(clippy::cast_precision_loss, reason = "interpolation weights")]
        (0..count)
            .flat_map(|i| {
                let t = along(i as f32 / (count.max(2) - 1) as f32);
                a.iter().zip(b).map(move |(x, y)| x + t * (y - x))
            })
            .collect()
    }

    /// An animated walk: `frames` images from fixed point `from` to `to`
    /// (eased, so it lingers on the ends) and back, each shown at least 128 px.
    pub(super) fn walk_frames(
        &self,
        from: usize,
        to: usize,
        frames: usize,
    ) -> Result<Vec<image::RgbImage>, JobError> {
        let frames = frames.clamp(2, 240);
        let eased = |t: f32| 0.5 - 0.5 * (std::f32::consts::PI * t).cos();
        let latents = self.path(from, to, frames, eased);
        let side = self.config.side;
        let bytes = self.generate(latents, frames)?;
        let scale = u32::try_from(128usize.div_ceil(side).max(1)).unwrap_or(1);
        let native = u32::try_from(side).unwrap_or(1);
        let mut out = Vec::with_capacity(2 * frames);
        for pixels in bytes.chunks_exact(side * side * 3) {
            let image = image::RgbImage::from_raw(native, native, pixels.to_vec())
                .ok_or_else(|| anyhow::anyhow!("a generated image is not {side}×{side} RGB"))?;
            out.push(image::imageops::resize(
                &image,
                native * scale,
                native * scale,
                image::imageops::FilterType::Nearest,
            ));
        }
        let back: Vec<image::RgbImage> = out[1..out.len() - 1].iter().rev().cloned().collect();
        out.extend(back);
        Ok(out)
    }
}

/// `count` square RGB images of `side` px tiled `columns` wide into one image.
pub fn tile_rgb(bytes: &[u8], count: usize, columns: usize, side: usize) -> egui::ColorImage {
    let columns = columns.max(1);
    let rows = count.div_ceil(columns).max(1);
    let (w, h) = (columns * side, rows * side);
    let mut out = egui::ColorImage::filled([w, h], egui::Color32::BLACK);
    for i in 0..count {
        let (ox, oy) = ((i % columns) * side, (i / columns) * side);
        for y in 0..side {
            for x in 0..side {
                let p = ((i * side + y) * side + x) * 3;
                out.pixels[(oy + y) * w + ox + x] =
                    egui::Color32::from_rgb(bytes[p], bytes[p + 1], bytes[p + 2]);
            }
        }
    }
    out
}
