//! Pictures in and out of the network's layout, on the job thread: resizing,
//! Caffe preprocessing, noise, reading the combination image back.

use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

use crate::job::JobError;
use crate::nets::vgg19;

/// An RGB image as a [1, 3, h, w] Caffe-layout tensor.
pub fn to_tensor(rgb: &RgbImage, device: &Device) -> Tensor<4> {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    let planar = vgg19::to_caffe(rgb.as_raw(), w, h);
    Tensor::from_data(TensorData::new(planar, [1, 3, h, w]), device)
}

/// Reads a [1, 3, h, w] Caffe-layout tensor back as RGB (clipped, as the book's
/// `deprocess_image`).
pub fn to_rgb(tensor: Tensor<4>) -> Result<RgbImage, JobError> {
    let [_, _, h, w] = tensor.dims();
    let data = tensor.into_data();
    let planar = data
        .as_slice::<f32>()
        .map_err(|e| anyhow::anyhow!("reading the image back: {e:?}"))?;
    if planar.iter().any(|v| !v.is_finite()) {
        return Err(anyhow::anyhow!(
            "the image diverged (NaN or infinity): lower the learning rate or pick Adam / L-BFGS"
        )
        .into());
    }
    let bytes = vgg19::from_caffe(planar, w, h);
    let (w, h) = (u32::try_from(w), u32::try_from(h));
    match (w, h) {
        (Ok(w), Ok(h)) => RgbImage::from_raw(w, h, bytes)
            .ok_or_else(|| anyhow::anyhow!("image size mismatch").into()),
        _ => Err(anyhow::anyhow!("image too large").into()),
    }
}

/// Resized to exactly `width`×`height` (the book resizes the style image to
/// the content's size, aspect ratio and all).
pub fn resize_exact(rgb: &RgbImage, width: u32, height: u32) -> RgbImage {
    if rgb.dimensions() == (width, height) {
        return rgb.clone();
    }
    image::imageops::resize(rgb, width, height, image::imageops::FilterType::Lanczos3)
}

/// Uniform noise over the pixel range, from a fixed seed (xorshift; no
/// dependency on the backend's random generator so runs repeat exactly).
pub fn noise(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    RgbImage::from_fn(width, height, |_, _| {
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 56) as u8
        };
        image::Rgb([next(), next(), next()])
    })
}
