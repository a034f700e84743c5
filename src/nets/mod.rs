//! Pretrained networks loaded from the fetched weights, as frozen burn feature
//! extractors.

pub mod inception_v3;
pub mod matmul_conv;
pub mod taps;
pub mod vgg19;
