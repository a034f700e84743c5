//! Pictures in and out of the network's layout, on the job thread: resizing,
//! Caffe preprocessing, noise, reading the combination image back.

use burn::tensor::{Device, Tensor};
use image::RgbImage;

use crate::job::{JobError, images};
use crate::nets::vgg19;
use crate::rng::Rng;

/// An RGB image as a [1, 3, h, w] Caffe-layout tensor.
pub fn to_tensor(rgb: &RgbImage, device: &Device) -> Tensor<4> {
    images::to_tensor(rgb, vgg19::to_caffe, device)
}

/// Reads a [1, 3, h, w] Caffe-layout tensor back as RGB (clipped, as the book's
/// `deprocess_image`).
pub fn to_rgb(tensor: Tensor<4>) -> Result<RgbImage, JobError> {
    images::to_rgb(
        tensor,
        vgg19::from_caffe,
        "the image diverged (NaN or infinity): lower the learning rate or pick Adam / L-BFGS",
    )
}

/// Resized to exactly `width`×`height` (the book resizes the style image to
/// the content's size, aspect ratio and all).
pub fn resize_exact(rgb: &RgbImage, width: u32, height: u32) -> RgbImage {
    if rgb.dimensions() == (width, height) {
        return rgb.clone();
    }
    image::imageops::resize(rgb, width, height, image::imageops::FilterType::Lanczos3)
}

/// Uniform noise over the pixel range, from a fixed seed (no dependency on
/// the backend's random generator, so runs repeat exactly).
pub fn noise(width: u32, height: u32, seed: u64) -> RgbImage {
    let mut rng = Rng(seed);
    RgbImage::from_fn(width, height, |_, _| {
        image::Rgb([rng.byte(), rng.byte(), rng.byte()])
    })
}
