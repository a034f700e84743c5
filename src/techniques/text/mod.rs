//! Chapter 12.1: text generation with a word Transformer or a character LSTM,
//! sampled with softmax temperature, live.

pub mod cli;
pub mod corpus;
pub mod job;
pub mod model;
pub mod panel;
pub mod sampling;
pub mod vectorize;
