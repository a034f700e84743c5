//! Tensor read-backs of the VAE job: decoding points and grids to images,
//! encoding digits for the map, and writing PNGs. Job thread only.

use burn::module::Module;
use burn::tensor::{Device, Tensor, TensorData};

use super::super::data::{Digits, PIXELS};
use super::super::model::IMAGE_SIDE;
use super::{LatentPoint, VaeJob};
use crate::job::{JobError, read_f32};
use crate::ui::unit_byte;

/// The digits at `indices` as a [batch, 1, 28, 28] tensor.
pub fn batch_tensor(digits: &Digits, indices: &[usize], device: &Device) -> Tensor<4> {
    let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
    for &i in indices {
        pixels.extend_from_slice(digits.image(i));
    }
    Tensor::from_data(
        TensorData::new(pixels, [indices.len(), 1, IMAGE_SIDE, IMAGE_SIDE]),
        device,
    )
}

/// Grid cells decoded in one batch.
const GRID_CHUNK: usize = 1024;

/// Floats the decoder holds per point (its widest activations, 64×14×14 and
/// 32×28×28 twice, and the output), for the memory estimate.
const DECODER_FLOATS: usize = 64 * 7 * 7 + 2 * 64 * 14 * 14 + 2 * 32 * 28 * 28 + PIXELS;

/// Whether an `n`×`n` grid fits in the free memory: its figure (grey bytes),
/// the colour image and the copies made to show or encode it, and one
/// chunk's decoding; the reason when it does not. Measured: `vae grid --n
/// 1000` (28 000² px) peaks at 9.1 GiB resident, about 12 bytes a pixel.
pub fn grid_fits(n: usize) -> Result<(), String> {
    let side = n.max(2) * IMAGE_SIDE;
    let estimate = u64::try_from(side * side)
        .unwrap_or(u64::MAX)
        .saturating_mul(13)
        .saturating_add(crate::job::memory::f32_bytes(GRID_CHUNK * DECODER_FLOATS));
    crate::job::memory::check(
        &format!("A {n}×{n} grid ({side}×{side} px)"),
        estimate,
        "Choose fewer digits per side.",
    )
    .map_err(|err| err.to_string())
}

impl VaeJob {
    /// Decodes points of the shown plane in one batch; returns their pixels,
    /// image after image.
    fn decode_points(&self, points: &[[f32; 2]]) -> Result<Vec<f32>, JobError> {
        let latent = self.slice.base.len();
        let flat: Vec<f32> = points.iter().flat_map(|&p| self.slice.embed(p)).collect();
        self.decode_latents(flat, points.len(), latent)
    }

    /// Decodes `count` full latent points of `latent` numbers each.
    fn decode_latents(
        &self,
        flat: Vec<f32>,
        count: usize,
        latent: usize,
    ) -> Result<Vec<f32>, JobError> {
        let decoder = self.model.valid().decoder;
        let latent = Tensor::<2>::from_data(TensorData::new(flat, [count, latent]), &self.device);
        read_f32(decoder.forward(latent).flatten::<1>(0, 3))
    }

    /// One full latent point, which must have the model's size.
    pub(super) fn decode_full(&self, z: &[f32]) -> Result<egui::ColorImage, JobError> {
        let latent = self.slice.base.len();
        if z.len() != latent {
            return Err(anyhow::anyhow!(
                "this model's latent space has {latent} dimensions: give {latent} numbers, not {}",
                z.len()
            )
            .into());
        }
        let pixels = self.decode_latents(z.to_vec(), 1, latent)?;
        Ok(grey_image(&pixels, IMAGE_SIDE, IMAGE_SIDE))
    }

    pub(super) fn decode_point(&self, z: [f32; 2]) -> Result<egui::ColorImage, JobError> {
        let pixels = self.decode_points(&[z])?;
        Ok(grey_image(&pixels, IMAGE_SIDE, IMAGE_SIDE))
    }

    /// `steps` digits evenly spaced from `from` to `to`, side by side.
    pub(super) fn decode_strip(
        &self,
        from: [f32; 2],
        to: [f32; 2],
        steps: usize,
    ) -> Result<egui::ColorImage, JobError> {
        let steps = steps.max(2);
        #[expect(clippy::cast_precision_loss, reason = "interpolation weights")]
        let points: Vec<[f32; 2]> = (0..steps)
            .map(|i| i as f32 / (steps - 1) as f32)
            .map(|t| {
                [
                    from[0] + t * (to[0] - from[0]),
                    from[1] + t * (to[1] - from[1]),
                ]
            })
            .collect();
        let digits = self.decode_points(&points)?;
        let width = steps * IMAGE_SIDE;
        let mut strip = vec![0.0; width * IMAGE_SIDE];
        for (k, digit) in digits.chunks_exact(PIXELS).enumerate() {
            for y in 0..IMAGE_SIDE {
                let start = y * width + k * IMAGE_SIDE;
                strip[start..start + IMAGE_SIDE]
                    .copy_from_slice(&digit[y * IMAGE_SIDE..(y + 1) * IMAGE_SIDE]);
            }
        }
        Ok(grey_image(&strip, width, IMAGE_SIDE))
    }

    /// The book's figure: n×n digits, x from −range to range left to right, y top to bottom from +range.
    pub(super) fn decode_grid(&self, n: usize, range: f32) -> Result<egui::ColorImage, JobError> {
        let n = n.max(2);
        let side = n * IMAGE_SIDE;
        let pixels = side * side;
        #[expect(clippy::cast_precision_loss, reason = "grid coordinates")]
        let coord = |i: usize| -range + 2.0 * range * i as f32 / (n - 1) as f32;
        let mut figure = vec![0u8; pixels];
        let cells: Vec<usize> = (0..n * n).collect();
        // In chunks, so a large grid never holds every digit's activations at once.
        for chunk in cells.chunks(GRID_CHUNK) {
            let points: Vec<[f32; 2]> = chunk
                .iter()
                .map(|&k| [coord(k % n), -coord(k / n)])
                .collect();
            let digits = self.decode_points(&points)?;
            for (&k, digit) in chunk.iter().zip(digits.chunks_exact(PIXELS)) {
                let (row, col) = (k / n, k % n);
                for y in 0..IMAGE_SIDE {
                    let start = (row * IMAGE_SIDE + y) * side + col * IMAGE_SIDE;
                    for (out, &v) in figure[start..start + IMAGE_SIDE]
                        .iter_mut()
                        .zip(&digit[y * IMAGE_SIDE..(y + 1) * IMAGE_SIDE])
                    {
                        *out = unit_byte(v);
                    }
                }
            }
        }
        let colors = figure.into_iter().map(egui::Color32::from_gray).collect();
        Ok(egui::ColorImage::new([side, side], colors))
    }

    pub(super) fn encode_shown(&self) -> Result<Vec<LatentPoint>, JobError> {
        let encoder = self.model.valid().encoder;
        let indices: Vec<usize> = (0..self.shown.len()).collect();
        let latent = self.slice.base.len();
        let mut points = Vec::with_capacity(indices.len());
        for chunk in indices.chunks(500) {
            let (z_mean, _) = encoder.forward(batch_tensor(&self.shown, chunk, &self.device));
            let values = read_f32(z_mean.flatten::<1>(0, 1))?;
            points.extend(
                values
                    .chunks_exact(latent)
                    .zip(chunk)
                    .map(|(z, &i)| LatentPoint {
                        z: self.slice.project(z),
                        label: self.shown.labels[i],
                    }),
            );
        }
        Ok(points)
    }
}

/// Pixels in 0..1 → a grey egui image.
pub fn grey_image(pixels: &[f32], width: usize, height: usize) -> egui::ColorImage {
    let colors = pixels
        .iter()
        .map(|&v| egui::Color32::from_gray(unit_byte(v)))
        .collect();
    egui::ColorImage::new([width, height], colors)
}

/// Writes an egui image as PNG (job thread only).
pub fn write_png(image: &egui::ColorImage, path: &std::path::Path) -> Result<(), JobError> {
    crate::ui::write_png(image, path)
        .map_err(|e| JobError::Failed(anyhow::anyhow!("writing {}: {e}", path.display())))
}
