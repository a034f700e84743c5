//! Chapter 12.3: neural style transfer on VGG19 (Gatys et al.), live.

pub mod cli;
pub mod colors;
pub mod job;
pub mod model;

pub mod panel;
