//! Pretrained networks loaded from the fetched weights, as frozen burn feature
//! extractors.

pub mod vgg19;
