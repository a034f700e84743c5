//! Which oracle a study uses and its settings.

use serde::{Deserialize, Serialize};

use crate::acquisition::Acquisition;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum OracleConfig {
    Random,
    Grid,
    Bayesian {
        acquisition: Acquisition,
        /// Random trials before the surrogate is used (KerasTuner's default:
        /// 3 × the number of parameters, at least 3).
        #[serde(default)]
        initial_points: Option<usize>,
    },
    Hyperband {
        max_epochs: usize,
        factor: usize,
    },
}

impl OracleConfig {
    pub fn bayesian() -> Self {
        Self::Bayesian {
            acquisition: Acquisition::Ei,
            initial_points: None,
        }
    }

    /// `random`, `grid`, `bayesian` (EI), `bayesian-ucb`, `bayesian-pi`,
    /// `hyperband` (with `max_epochs`, factor 3).
    pub fn parse(name: &str, max_epochs: usize) -> Option<Self> {
        Some(match name {
            "random" => Self::Random,
            "grid" => Self::Grid,
            "bayesian" | "bayesian-ei" => Self::bayesian(),
            "bayesian-ucb" => Self::Bayesian {
                acquisition: Acquisition::Ucb {
                    beta: Acquisition::KERAS_BETA,
                },
                initial_points: None,
            },
            "bayesian-pi" => Self::Bayesian {
                acquisition: Acquisition::Pi,
                initial_points: None,
            },
            "hyperband" => Self::Hyperband {
                max_epochs,
                factor: 3,
            },
            _ => return None,
        })
    }

    pub fn name(&self) -> String {
        match self {
            Self::Random => "random".to_owned(),
            Self::Grid => "grid".to_owned(),
            Self::Bayesian { acquisition, .. } => format!("bayesian ({})", acquisition.name()),
            Self::Hyperband { max_epochs, factor } => {
                format!("hyperband (max {max_epochs} epochs, factor {factor})")
            }
        }
    }
}
