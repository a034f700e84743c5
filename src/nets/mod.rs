//! The frozen pretrained networks, loaded from the fetched weights: VGG19
//! (style transfer) and InceptionV3 (DeepDream, and the GAN's FID), with the
//! pre- and post-processing their weights expect.

pub mod inception_v3;
pub mod vgg19;

use std::path::PathBuf;

use burn::tensor::Tensor;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

/// Why a pretrained network did not load.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error("reading {net} weights from {}: {source}", path.display())]
    Read {
        net: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("reading InceptionV3 layouts: {0}")]
    Layouts(#[from] crate::torch::TorchError),
    /// The file is readable but does not hold the network as expected.
    #[error("{0}")]
    Weights(String),
    #[error(transparent)]
    Asset(#[from] crate::assets::AssetError),
}

impl NetError {
    pub(crate) fn weights(problem: String) -> Self {
        Self::Weights(problem)
    }
}

/// Bilinear resize of a `[b, c, h, w]` picture with half-pixel centres
/// (TensorFlow's `tf.image.resize`), for fitting a network's input: the
/// DeepDream octaves, the FID's 139 px.
pub fn resize(image: Tensor<4>, shape: [usize; 2]) -> Tensor<4> {
    let [_, _, h, w] = image.dims();
    if [h, w] == shape {
        return image;
    }
    interpolate(
        image,
        InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size(shape),
    )
}
