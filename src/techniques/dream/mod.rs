//! Chapter 12.2: DeepDream on InceptionV3, octave by octave, live.

pub mod cli;
pub mod job;
pub mod model;
pub mod panel;
