//! Grid search: every combination of each parameter's levels, in order (the
//! last parameter fastest). An int takes every step up to [`MAX_LEVELS`]
//! values (evenly spread beyond), a float [`FLOAT_LEVELS`] (log-spaced where
//! its scale is), a choice each value, a boolean both.

use crate::space::{Kind, Param, Params, Space, Value};

pub const MAX_LEVELS: usize = 10;
pub const FLOAT_LEVELS: usize = 5;

/// A parameter's levels; `cap` bounds an int's.
pub fn levels(param: &Param, cap: usize) -> Vec<Value> {
    let spread = |count: usize| -> Vec<f64> {
        if count <= 1 {
            vec![0.5]
        } else {
            (0..count).map(|i| i as f64 / (count - 1) as f64).collect()
        }
    };
    let mut values = match &param.kind {
        Kind::Int { .. } => {
            let count = param.cardinality().unwrap_or(cap).min(cap);
            spread(count)
                .into_iter()
                .map(|u| decode_one(param, u))
                .collect()
        }
        Kind::Float { min, max, .. } => {
            let count = if max <= min { 1 } else { FLOAT_LEVELS };
            spread(count)
                .into_iter()
                .map(|u| decode_one(param, u))
                .collect()
        }
        Kind::Choice { values } => values.clone(),
        Kind::Bool => vec![Value::Bool(false), Value::Bool(true)],
        Kind::Fixed { value } => vec![value.clone()],
    };
    values.dedup();
    values
}

fn decode_one(param: &Param, u: f64) -> Value {
    let space = Space {
        direction: crate::space::Direction::Minimize,
        params: vec![param.clone()],
    };
    space
        .decode(&[u])
        .remove(&param.name)
        .unwrap_or(Value::Int(0))
}

/// How many configurations the grid has (saturating).
pub fn size(space: &Space, cap: usize) -> u64 {
    space.params.iter().fold(1u64, |total, p| {
        total.saturating_mul(levels(p, cap).len() as u64)
    })
}

/// The `index`-th configuration of the grid (wrapping past its end).
pub fn configuration(space: &Space, index: u64, cap: usize) -> Params {
    let mut rest = index;
    let mut params = Params::new();
    for param in space.params.iter().rev() {
        let values = levels(param, cap);
        let count = values.len() as u64;
        let pick = usize::try_from(rest % count).unwrap_or(0);
        rest /= count;
        params.insert(param.name.clone(), values[pick].clone());
    }
    params
}

/// The first grid configuration not tried yet.
pub fn next(space: &Space, tried: &[Params]) -> Option<Params> {
    let total = size(space, MAX_LEVELS);
    (0..total)
        .map(|i| configuration(space, i, MAX_LEVELS))
        .find(|p| !tried.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::space::Direction;

    #[test]
    fn walks_every_combination_once() {
        let space = Space::new(
            Direction::Minimize,
            vec![
                Param::int("units", 16, 64, 16),
                Param::choice("opt", &["rmsprop", "adam"]),
            ],
        )
        .unwrap();
        assert_eq!(size(&space, MAX_LEVELS), 8);
        let mut tried = Vec::new();
        while let Some(params) = next(&space, &tried) {
            tried.push(params);
        }
        assert_eq!(tried.len(), 8);
        assert_eq!(tried[0]["units"], Value::Int(16));
        assert_eq!(tried[1]["opt"], Value::Text("adam".into()));
        let lr = Param::float("lr", 1e-4, 1e-0, true);
        let values: Vec<f64> = levels(&lr, MAX_LEVELS)
            .iter()
            .filter_map(Value::as_f64)
            .collect();
        assert_eq!(values.len(), 5);
        assert!((values[1] - 1e-3).abs() < 1e-12, "{values:?}");
    }
}
