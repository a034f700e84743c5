//! A parameter's validation, with the messages the space file and the tab
//! show, and how spaces differ, in words.

use super::{Kind, Param, Space, SpaceError};

impl Param {
    pub(super) fn validate(&self) -> Result<(), SpaceError> {
        let name = self.name.clone();
        if name.trim().is_empty() {
            return Err(SpaceError::NoName);
        }
        match &self.kind {
            Kind::Int {
                min,
                max,
                step,
                log,
            } => {
                if *step <= 0 {
                    return Err(SpaceError::BadStep { name, step: *step });
                }
                check_range(
                    name,
                    (*min as f64, *max as f64),
                    *log,
                    (min.to_string(), max.to_string()),
                )?;
            }
            Kind::Float { min, max, log } => {
                if !min.is_finite() || !max.is_finite() {
                    return Err(SpaceError::NotFinite { name });
                }
                check_range(name, (*min, *max), *log, (min.to_string(), max.to_string()))?;
            }
            Kind::Choice { values } if values.is_empty() => {
                return Err(SpaceError::EmptyChoice { name });
            }
            Kind::Choice { .. } | Kind::Bool | Kind::Fixed { .. } => {}
        }
        Ok(())
    }
}

/// min ≤ max, and min > 0 on a log scale; `shown` is how the bounds read.
fn check_range(
    name: String,
    (min, max): (f64, f64),
    log: bool,
    shown: (String, String),
) -> Result<(), SpaceError> {
    let (min_text, max_text) = shown;
    if min > max {
        return Err(SpaceError::MinAboveMax {
            name,
            min: min_text,
            max: max_text,
        });
    }
    if log && min <= 0.0 {
        return Err(SpaceError::LogNeedsPositive {
            name,
            min: min_text,
        });
    }
    Ok(())
}

impl Space {
    /// What differs between two spaces, in words (empty when they are equal).
    pub fn differences(&self, other: &Self) -> Vec<String> {
        let mut found = Vec::new();
        if self.direction != other.direction {
            found.push(format!(
                "direction {:?} here, {:?} in the study",
                self.direction, other.direction
            ));
        }
        for param in &self.params {
            match other.params.iter().find(|p| p.name == param.name) {
                None => found.push(format!("\"{}\" is not in the study", param.name)),
                Some(theirs) if theirs.kind != param.kind => found.push(format!(
                    "\"{}\": {} here, {} in the study",
                    param.name,
                    describe(&param.kind),
                    describe(&theirs.kind)
                )),
                Some(_) => {}
            }
        }
        for param in &other.params {
            if !self.params.iter().any(|p| p.name == param.name) {
                found.push(format!("the study's \"{}\" is not here", param.name));
            }
        }
        found
    }
}

/// A kind in a few words: "int 16…64 step 16", "float 0.0001…0.1 log".
pub fn describe(kind: &Kind) -> String {
    match kind {
        Kind::Int {
            min,
            max,
            step,
            log,
        } => {
            format!(
                "int {min}…{max} step {step}{}",
                if *log { " log" } else { "" }
            )
        }
        Kind::Float { min, max, log } => {
            format!("float {min}…{max}{}", if *log { " log" } else { "" })
        }
        Kind::Choice { values } => {
            let values: Vec<String> = values.iter().map(ToString::to_string).collect();
            format!("choice {{{}}}", values.join(", "))
        }
        Kind::Bool => "bool".to_owned(),
        Kind::Fixed { value } => format!("fixed {value}"),
    }
}
