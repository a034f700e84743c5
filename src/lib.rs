//! latent-studio: a native desktop studio for the five generative techniques of
//! chapter 12 of *Deep Learning with Python*. The binary is a thin shell over
//! this library so integration tests can drive the same code.

pub mod animation;
pub mod app;
pub mod assets;
pub mod backend;
pub mod bench;
pub mod checkpoint;
pub mod cli;
pub mod demo;
mod documented;
pub mod files;
pub mod job;
pub mod layers;
pub mod nets;
pub mod picture;
pub mod priority;
pub mod rng;
pub mod settings;
pub mod soak;
pub mod techniques;
pub mod torch;
pub mod ui;
