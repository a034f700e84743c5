//! Chapter 12.4: the variational autoencoder on MNIST, with a live 2-D latent map.

pub mod cli;
pub mod data;
pub mod job;
pub mod model;
pub mod panel;
