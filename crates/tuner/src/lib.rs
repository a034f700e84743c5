//! Hyper-parameter search for latent-studio, with nothing of the studio in
//! it: search spaces (and their TOML form), oracles — random, grid,
//! Bayesian (a Gaussian process with EI, UCB or PI) and Hyperband — median
//! pruning, and a study kept as an append-only journal that the CLI's
//! ask/tell and the Tuner tab both drive.

pub mod acquisition;
pub mod bayesian;
pub mod functions;
pub mod gp;
pub mod grid;
pub mod hyperband;
pub mod importance;
pub mod insight;
pub mod journal;
mod lbfgs;
mod linalg;
pub mod oracle;
pub mod report;
pub mod rng;
pub mod space;
pub mod space_file;
pub mod study;

pub use acquisition::Acquisition;
pub use oracle::OracleConfig;
pub use space::{Direction, Kind, Param, Params, Space, Value};
pub use space_file::parse_space;
pub use study::{Ask, Outcome, Settings, Study, Trial, TrialState};
