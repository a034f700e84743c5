//! The space as a TOML file, every error with its line and field:
//!
//! ```toml
//! direction = "minimize"            # or "maximize"
//! [[param]]
//! name = "x1"
//! kind = "float"                    # int | float | choice | bool | fixed
//! min = -5.0
//! max = 10.0
//! log = false                       # int/float only; step = N for int
//! ```

use serde::Deserialize;
use toml::Spanned;

use crate::space::{Direction, Kind, Param, Space, Value};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("line {line}{}: {message}", field.as_ref().map(|f| format!(", {f}")).unwrap_or_default())]
pub struct SpaceFileError {
    pub line: usize,
    pub field: Option<String>,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    direction: Option<Spanned<String>>,
    #[serde(default)]
    param: Vec<Spanned<RawParam>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: Option<Spanned<String>>,
    kind: Option<Spanned<String>>,
    min: Option<Spanned<toml::Value>>,
    max: Option<Spanned<toml::Value>>,
    step: Option<Spanned<i64>>,
    log: Option<Spanned<bool>>,
    values: Option<Spanned<Vec<toml::Value>>>,
    value: Option<Spanned<toml::Value>>,
}

/// Reads a space file's text.
pub fn parse_space(text: &str) -> Result<Space, SpaceFileError> {
    let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
    let at = |offset: usize, field: &str, message: String| SpaceFileError {
        line: line_of(offset),
        field: Some(field.to_owned()),
        message,
    };
    let file: File = toml::from_str(text).map_err(|error| SpaceFileError {
        line: error.span().map_or(1, |span| line_of(span.start)),
        field: None,
        message: error.message().trim().to_owned(),
    })?;
    let direction = match &file.direction {
        None => Direction::Minimize,
        Some(spanned) => match spanned.get_ref().as_str() {
            "minimize" => Direction::Minimize,
            "maximize" => Direction::Maximize,
            other => {
                let message = format!("\"{other}\" is neither \"minimize\" nor \"maximize\"");
                return Err(at(spanned.span().start, "direction", message));
            }
        },
    };
    if file.param.is_empty() {
        let message = "no [[param]] tables: the space has no parameters".to_owned();
        return Err(SpaceFileError {
            line: 1,
            field: None,
            message,
        });
    }
    let mut params: Vec<(Param, usize)> = Vec::new();
    for spanned in &file.param {
        let start = spanned.span().start;
        let raw = spanned.get_ref();
        let name = raw
            .name
            .as_ref()
            .ok_or_else(|| at(start, "name", "every [[param]] needs a name".to_owned()))?;
        let label = format!("\"{}\"", name.get_ref());
        let param = read_param(raw, name.get_ref(), start, &at)?;
        if let Some((_, first)) = params.iter().find(|(p, _)| p.name == param.name) {
            let message = format!(
                "{label} is defined twice (first on line {})",
                line_of(*first)
            );
            return Err(at(name.span().start, "name", message));
        }
        params.push((param, name.span().start));
    }
    let space = Space {
        direction,
        params: params.into_iter().map(|(p, _)| p).collect(),
    };
    Ok(space)
}

fn read_param(
    raw: &RawParam,
    name: &str,
    start: usize,
    at: &impl Fn(usize, &str, String) -> SpaceFileError,
) -> Result<Param, SpaceFileError> {
    let label = format!("\"{name}\"");
    let kind = raw.kind.as_ref().ok_or_else(|| {
        at(
            start,
            "kind",
            format!("{label} needs a kind: int, float, choice, bool or fixed"),
        )
    })?;
    let number =
        |field: &Option<Spanned<toml::Value>>, which: &str| -> Result<f64, SpaceFileError> {
            let spanned = field
                .as_ref()
                .ok_or_else(|| at(kind.span().start, which, format!("{label} needs {which}")))?;
            match spanned.get_ref() {
                toml::Value::Integer(value) => Ok(*value as f64),
                toml::Value::Float(value) => Ok(*value),
                other => Err(at(
                    spanned.span().start,
                    which,
                    format!(
                        "{label}: {which} must be a number, not {}",
                        other.type_str()
                    ),
                )),
            }
        };
    let log = raw.log.as_ref().is_some_and(|l| *l.get_ref());
    let built = match kind.get_ref().as_str() {
        "int" => {
            let (min, max) = (number(&raw.min, "min")?, number(&raw.max, "max")?);
            let integer = |x: f64, field: &Option<Spanned<toml::Value>>, which: &str| {
                #[expect(clippy::cast_possible_truncation, reason = "checked to be whole")]
                let whole = x as i64;
                if x.fract() == 0.0 {
                    Ok(whole)
                } else {
                    let offset = field.as_ref().map_or(start, |f| f.span().start);
                    Err(at(
                        offset,
                        which,
                        format!("{label}: an int's {which} must be whole (is {x})"),
                    ))
                }
            };
            Kind::Int {
                min: integer(min, &raw.min, "min")?,
                max: integer(max, &raw.max, "max")?,
                step: raw.step.as_ref().map_or(1, |s| *s.get_ref()),
                log,
            }
        }
        "float" => Kind::Float {
            min: number(&raw.min, "min")?,
            max: number(&raw.max, "max")?,
            log,
        },
        "choice" | "fixed" => read_values(raw, kind, &label, at)?,
        "bool" => Kind::Bool,
        other => {
            let message =
                format!("{label}: kind \"{other}\" is not one of int, float, choice, bool, fixed");
            return Err(at(kind.span().start, "kind", message));
        }
    };
    let param = Param {
        name: name.to_owned(),
        kind: built,
    };
    placed(param, raw, start, at)
}

/// `Space::validate`'s range checks for one parameter, each error placed on
/// its field's line.
fn placed(
    param: Param,
    raw: &RawParam,
    start: usize,
    at: &impl Fn(usize, &str, String) -> SpaceFileError,
) -> Result<Param, SpaceFileError> {
    let checked = Space {
        direction: Direction::Minimize,
        params: vec![param.clone()],
    };
    if let Err(error) = checked.validate() {
        let (offset, field) = match error {
            crate::space::SpaceError::BadStep { .. } => {
                (raw.step.as_ref().map(|s| s.span().start), "step")
            }
            crate::space::SpaceError::EmptyChoice { .. } => {
                (raw.values.as_ref().map(|v| v.span().start), "values")
            }
            _ => (raw.min.as_ref().map(|m| m.span().start), "min"),
        };
        return Err(at(offset.unwrap_or(start), field, error.to_string()));
    }
    Ok(param)
}

/// A choice's values or a fixed value.
fn read_values(
    raw: &RawParam,
    kind: &Spanned<String>,
    label: &str,
    at: &impl Fn(usize, &str, String) -> SpaceFileError,
) -> Result<Kind, SpaceFileError> {
    if kind.get_ref() == "fixed" {
        let spanned = raw.value.as_ref().ok_or_else(|| {
            at(
                kind.span().start,
                "value",
                format!("{label} needs value = ..."),
            )
        })?;
        let fixed = value(spanned.get_ref()).ok_or_else(|| {
            let message = format!("{label}: a fixed value is a number, a string or a boolean");
            at(spanned.span().start, "value", message)
        })?;
        return Ok(Kind::Fixed { value: fixed });
    }
    let values = raw.values.as_ref().ok_or_else(|| {
        at(
            kind.span().start,
            "values",
            format!("{label} needs values = [...]"),
        )
    })?;
    let read: Result<Vec<Value>, _> = values
        .get_ref()
        .iter()
        .map(|v| {
            value(v).ok_or_else(|| {
                let message = format!("{label}: a choice takes numbers, strings or booleans");
                at(values.span().start, "values", message)
            })
        })
        .collect();
    Ok(Kind::Choice { values: read? })
}

fn value(value: &toml::Value) -> Option<Value> {
    Some(match value {
        toml::Value::Integer(v) => Value::Int(*v),
        toml::Value::Float(v) => Value::Float(*v),
        toml::Value::String(v) => Value::Text(v.clone()),
        toml::Value::Boolean(v) => Value::Bool(*v),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_example_reads() {
        let text = r#"
direction = "minimize"
[[param]]
name = "x1"
kind = "float"
min = -5.0
max = 10.0
log = false

[[param]]
name = "optimizer"
kind = "choice"
values = ["rmsprop", "adam"]

[[param]]
name = "units"
kind = "int"
min = 16
max = 64
step = 16
"#;
        let space = parse_space(text).unwrap();
        assert_eq!(space.params.len(), 3);
        assert_eq!(
            space.params[0].kind,
            Kind::Float {
                min: -5.0,
                max: 10.0,
                log: false
            }
        );
        assert_eq!(
            space.params[2].kind,
            Kind::Int {
                min: 16,
                max: 64,
                step: 16,
                log: false
            }
        );
    }

    #[test]
    fn errors_carry_line_and_field() {
        let error = |text: &str| parse_space(text).unwrap_err().to_string();
        let min_above = "[[param]]\nname = \"x\"\nkind = \"float\"\nmin = 3.0\nmax = 1.0\n";
        assert_eq!(error(min_above), "line 4, min: \"x\": min 3 is above max 1");
        let log = "[[param]]\nname = \"lr\"\nkind = \"float\"\nmin = 0\nmax = 1\nlog = true\n";
        assert_eq!(
            error(log),
            "line 4, min: \"lr\": a log scale needs min > 0 (min is 0)"
        );
        let step = "[[param]]\nname = \"u\"\nkind = \"int\"\nmin = 1\nmax = 4\nstep = 0\n";
        assert_eq!(
            error(step),
            "line 6, step: \"u\": step must be positive (is 0)"
        );
        let empty = "[[param]]\nname = \"o\"\nkind = \"choice\"\nvalues = []\n";
        assert_eq!(
            error(empty),
            "line 4, values: \"o\": a choice needs at least one value"
        );
        let twice =
            "[[param]]\nname = \"a\"\nkind = \"bool\"\n[[param]]\nname = \"a\"\nkind = \"bool\"\n";
        assert_eq!(
            error(twice),
            "line 5, name: \"a\" is defined twice (first on line 2)"
        );
        let kind = "[[param]]\nname = \"a\"\nkind = \"integer\"\n";
        assert_eq!(
            error(kind),
            "line 3, kind: \"a\": kind \"integer\" is not one of int, float, choice, bool, fixed"
        );
        let direction = "direction = \"up\"\n[[param]]\nname = \"a\"\nkind = \"bool\"\n";
        assert_eq!(
            error(direction),
            "line 1, direction: \"up\" is neither \"minimize\" nor \"maximize\""
        );
        assert!(
            error("[[param]]\nname = \"a\"\nkind = \"bool\"\ncolour = 1\n")
                .starts_with("line 4: unknown field `colour`")
        );
        assert!(error("[[param]\n").starts_with("line 1: "));
    }
}
