//! Pictures to and from the pretrained networks' planar `[1, 3, h, w]`
//! layout, on the job thread: each network supplies its own normalisation
//! (`vgg19::to_caffe` / `from_caffe`, `inception_v3::to_input` / `from_input`).

use burn::tensor::{Device, Tensor, TensorData};
use image::RgbImage;

use super::{JobError, read_f32};

/// Interleaved RGB bytes, `width`, `height` → planar values.
pub type Normalise = fn(&[u8], usize, usize) -> Vec<f32>;
/// Planar values, `width`, `height` → interleaved RGB bytes (clipped).
pub type Denormalise = fn(&[f32], usize, usize) -> Vec<u8>;

/// An RGB image as a `[1, 3, h, w]` tensor through `normalise`.
pub fn to_tensor(rgb: &RgbImage, normalise: Normalise, device: &Device) -> Tensor<4> {
    let (w, h) = (rgb.width() as usize, rgb.height() as usize);
    Tensor::from_data(
        TensorData::new(normalise(rgb.as_raw(), w, h), [1, 3, h, w]),
        device,
    )
}

/// A `[1, 3, h, w]` tensor back to RGB through `denormalise`; a NaN or an
/// infinity anywhere is the error `diverged`.
pub fn to_rgb(
    tensor: Tensor<4>,
    denormalise: Denormalise,
    diverged: &str,
) -> Result<RgbImage, JobError> {
    let [_, _, h, w] = tensor.dims();
    let planar = read_f32(tensor)?;
    if planar.iter().any(|v| !v.is_finite()) {
        return Err(anyhow::anyhow!("{diverged}").into());
    }
    let bytes = denormalise(&planar, w, h);
    match (u32::try_from(w), u32::try_from(h)) {
        (Ok(w), Ok(h)) => RgbImage::from_raw(w, h, bytes)
            .ok_or_else(|| anyhow::anyhow!("image size mismatch").into()),
        _ => Err(anyhow::anyhow!("image too large").into()),
    }
}
