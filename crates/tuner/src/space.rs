//! Search spaces (KerasTuner's `hp.Int`, `hp.Float`, `hp.Choice`,
//! `hp.Boolean`, `hp.Fixed`), their validation, and the map to and from the
//! unit cube the oracles work in: numbers to [0, 1] (log-warped where asked),
//! a choice one-hot, a boolean one coordinate, a fixed value none.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One parameter's value, as a trial gets it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Bool(value) => write!(f, "{value}"),
            Self::Int(value) => write!(f, "{value}"),
            Self::Float(value) => write!(f, "{value:.6}"),
            Self::Text(value) => write!(f, "{value}"),
        }
    }
}

impl Value {
    /// The value as a number (an int, a float, a boolean as 0 or 1).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Self::Bool(value) => Some(f64::from(u8::from(*value))),
            Self::Int(value) => Some(*value as f64),
            Self::Float(value) => Some(*value),
            Self::Text(_) => None,
        }
    }
}

/// A configuration: each parameter's name and value.
pub type Params = BTreeMap<String, Value>;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Minimize,
    Maximize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Kind {
    /// `min..=max` in steps of `step` from `min`.
    Int {
        min: i64,
        max: i64,
        step: i64,
        log: bool,
    },
    Float {
        min: f64,
        max: f64,
        log: bool,
    },
    Choice {
        values: Vec<Value>,
    },
    Bool,
    Fixed {
        value: Value,
    },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    #[serde(flatten)]
    pub kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Space {
    pub direction: Direction,
    pub params: Vec<Param>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SpaceError {
    #[error("\"{name}\": min {min} is above max {max}")]
    MinAboveMax {
        name: String,
        min: String,
        max: String,
    },
    #[error("\"{name}\": a log scale needs min > 0 (min is {min})")]
    LogNeedsPositive { name: String, min: String },
    #[error("\"{name}\": a choice needs at least one value")]
    EmptyChoice { name: String },
    #[error("\"{name}\": step must be positive (is {step})")]
    BadStep { name: String, step: i64 },
    #[error("\"{name}\" is defined twice")]
    Duplicate { name: String },
    #[error("\"{name}\": min and max must be finite numbers")]
    NotFinite { name: String },
    #[error("a parameter needs a name")]
    NoName,
    #[error("the space has no parameters")]
    Empty,
}

impl Param {
    pub fn int(name: &str, min: i64, max: i64, step: i64) -> Self {
        let kind = Kind::Int {
            min,
            max,
            step,
            log: false,
        };
        Self {
            name: name.to_owned(),
            kind,
        }
    }

    pub fn float(name: &str, min: f64, max: f64, log: bool) -> Self {
        let kind = Kind::Float { min, max, log };
        Self {
            name: name.to_owned(),
            kind,
        }
    }

    pub fn choice(name: &str, values: &[&str]) -> Self {
        let values = values
            .iter()
            .map(|v| Value::Text((*v).to_owned()))
            .collect();
        Self {
            name: name.to_owned(),
            kind: Kind::Choice { values },
        }
    }

    pub fn boolean(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            kind: Kind::Bool,
        }
    }

    pub fn fixed(name: &str, value: Value) -> Self {
        Self {
            name: name.to_owned(),
            kind: Kind::Fixed { value },
        }
    }

    /// Coordinates in the unit cube.
    pub fn width(&self) -> usize {
        match &self.kind {
            Kind::Int { .. } | Kind::Float { .. } | Kind::Bool => 1,
            Kind::Choice { values } => values.len(),
            Kind::Fixed { .. } => 0,
        }
    }

    /// How many values it takes, when that is finite.
    pub fn cardinality(&self) -> Option<usize> {
        match &self.kind {
            Kind::Int { min, max, step, .. } => usize::try_from((max - min) / step + 1).ok(),
            Kind::Float { min, max, .. } => (max <= min).then_some(1),
            Kind::Choice { values } => Some(values.len()),
            Kind::Bool => Some(2),
            Kind::Fixed { .. } => Some(1),
        }
    }

    /// The unit-cube position `u` ∈ [0, 1] as a legal value (rounded to the
    /// step, clamped to the range).
    fn number_at(&self, u: f64) -> Value {
        let u = u.clamp(0.0, 1.0);
        match &self.kind {
            Kind::Int {
                min,
                max,
                step,
                log,
            } => {
                let (lo, hi) = (*min as f64, *max as f64);
                let x = warp_inverse(u, lo, hi, *log);
                #[expect(clippy::cast_possible_truncation, reason = "within [min, max]")]
                let steps = ((x - lo) / *step as f64).round() as i64;
                Value::Int((min + steps * step).min(*max - (*max - min) % step))
            }
            Kind::Float { min, max, log } => Value::Float(warp_inverse(u, *min, *max, *log)),
            _ => unreachable!("number_at is for numbers"),
        }
    }
}

/// [lo, hi] → [0, 1], through ln where `log`.
fn warp(x: f64, lo: f64, hi: f64, log: bool) -> f64 {
    let (x, lo, hi) = if log {
        (x.ln(), lo.ln(), hi.ln())
    } else {
        (x, lo, hi)
    };
    if hi > lo {
        ((x - lo) / (hi - lo)).clamp(0.0, 1.0)
    } else {
        0.5
    }
}

fn warp_inverse(u: f64, lo: f64, hi: f64, log: bool) -> f64 {
    if log {
        (lo.ln() + u * (hi.ln() - lo.ln())).exp().clamp(lo, hi)
    } else {
        (lo + u * (hi - lo)).clamp(lo, hi)
    }
}

impl Space {
    pub fn new(direction: Direction, params: Vec<Param>) -> Result<Self, SpaceError> {
        let space = Self { direction, params };
        space.validate()?;
        Ok(space)
    }

    pub fn validate(&self) -> Result<(), SpaceError> {
        if self.params.is_empty() {
            return Err(SpaceError::Empty);
        }
        for (i, param) in self.params.iter().enumerate() {
            param.validate()?;
            if self.params[..i].iter().any(|p| p.name == param.name) {
                return Err(SpaceError::Duplicate {
                    name: param.name.clone(),
                });
            }
        }
        Ok(())
    }

    /// Parameters that vary (KerasTuner's dimensionality of the space).
    pub fn varying(&self) -> usize {
        self.params.iter().filter(|p| p.width() > 0).count()
    }

    /// Coordinates of the unit cube.
    pub fn dimensions(&self) -> usize {
        self.params.iter().map(Param::width).sum()
    }

    /// How many configurations there are, when finite and below `u64`.
    pub fn cardinality(&self) -> Option<u64> {
        self.params.iter().try_fold(1u64, |total, param| {
            total.checked_mul(u64::try_from(param.cardinality()?).ok()?)
        })
    }

    /// A configuration's point in the unit cube.
    pub fn encode(&self, params: &Params) -> Vec<f64> {
        let mut point = Vec::with_capacity(self.dimensions());
        for param in &self.params {
            let value = params.get(&param.name);
            match &param.kind {
                Kind::Int { min, max, log, .. } => {
                    let x = value.and_then(Value::as_f64).unwrap_or(*min as f64);
                    point.push(warp(x, *min as f64, *max as f64, *log));
                }
                Kind::Float { min, max, log } => {
                    let x = value.and_then(Value::as_f64).unwrap_or(*min);
                    point.push(warp(x, *min, *max, *log));
                }
                Kind::Choice { values } => {
                    point.extend(values.iter().map(|v| f64::from(u8::from(Some(v) == value))));
                }
                Kind::Bool => point.push(value.and_then(Value::as_f64).unwrap_or(0.0)),
                Kind::Fixed { .. } => {}
            }
        }
        point
    }

    /// The configuration nearest a point of the unit cube: numbers rounded to
    /// their step, a choice its largest coordinate, a boolean above ½.
    pub fn decode(&self, point: &[f64]) -> Params {
        let mut params = Params::new();
        let mut at = 0;
        for param in &self.params {
            let coordinates = &point[at..at + param.width()];
            at += param.width();
            let value = match &param.kind {
                Kind::Int { .. } | Kind::Float { .. } => param.number_at(coordinates[0]),
                Kind::Choice { values } => {
                    let best = coordinates
                        .iter()
                        .enumerate()
                        .max_by(|a, b| a.1.total_cmp(b.1))
                        .map_or(0, |(i, _)| i);
                    values[best].clone()
                }
                Kind::Bool => Value::Bool(coordinates[0] > 0.5),
                Kind::Fixed { value } => value.clone(),
            };
            params.insert(param.name.clone(), value);
        }
        params
    }

    /// A point drawn uniformly (each choice equally likely).
    pub fn random_point(&self, rng: &mut crate::rng::Rng) -> Vec<f64> {
        let mut point = Vec::with_capacity(self.dimensions());
        for param in &self.params {
            match &param.kind {
                Kind::Choice { values } => {
                    let pick = rng.below(values.len());
                    point.extend((0..values.len()).map(|i| f64::from(u8::from(i == pick))));
                }
                Kind::Fixed { .. } => {}
                _ => point.push(rng.uniform()),
            }
        }
        point
    }

    /// Which coordinates are continuous (a number's), the others being
    /// one-hot or boolean.
    pub fn continuous(&self) -> Vec<bool> {
        let mut mask = Vec::with_capacity(self.dimensions());
        for param in &self.params {
            let numeric = matches!(param.kind, Kind::Int { .. } | Kind::Float { .. });
            mask.extend(std::iter::repeat_n(numeric, param.width()));
        }
        mask
    }
}

#[path = "space_check.rs"]
mod check;
pub use check::describe;

#[cfg(test)]
#[path = "space_tests.rs"]
mod tests;
