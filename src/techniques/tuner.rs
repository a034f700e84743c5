//! Hyper-parameter search (the source note's KerasTuner chapter) on the
//! `tuner` crate: `studies.rs` what can be tuned, `model.rs` the note's
//! classifier (burn only), `train.rs` and `job.rs` the trials' training and
//! the study's loop (the only code here that reads tensors back or spawns a
//! thread), `cli.rs` `tune …`, `bench.rs` the oracles on known functions.
//! Unlike the techniques, the tuner reaches into them: a study trains one of
//! their models.

pub mod bench;
pub mod cli;
pub mod finish;
pub mod job;
pub mod model;
pub mod panel;
pub mod rerun;
pub mod store;
pub mod studies;
pub mod train;
