//! Chapter 12.5: the DCGAN, trained live with samples from fixed latent points.

pub mod cli;
pub mod data;
pub mod fid;
pub mod job;
pub mod model;
pub mod panel;
pub mod step;
