use super::*;
use crate::rng::Rng;

fn space() -> Space {
    Space::new(
        Direction::Maximize,
        vec![
            Param::int("units", 16, 64, 16),
            Param::float("lr", 1e-4, 1e-1, true),
            Param::choice("optimizer", &["rmsprop", "adam"]),
            Param::boolean("bias"),
            Param::fixed("batch", Value::Int(128)),
        ],
    )
    .unwrap()
}

#[test]
fn validation_names_the_problem() {
    let bad = |param: Param| {
        Space::new(Direction::Minimize, vec![param])
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        bad(Param::float("x", 10.0, -5.0, false)),
        "\"x\": min 10 is above max -5"
    );
    assert_eq!(
        bad(Param::float("lr", 0.0, 1.0, true)),
        "\"lr\": a log scale needs min > 0 (min is 0)"
    );
    assert_eq!(
        bad(Param::choice("opt", &[])),
        "\"opt\": a choice needs at least one value"
    );
    assert_eq!(
        bad(Param::int("units", 16, 64, 0)),
        "\"units\": step must be positive (is 0)"
    );
    let twice = Space::new(
        Direction::Minimize,
        vec![Param::boolean("a"), Param::boolean("a")],
    );
    assert_eq!(twice.unwrap_err().to_string(), "\"a\" is defined twice");
    assert_eq!(
        Space::new(Direction::Minimize, vec![]).unwrap_err(),
        SpaceError::Empty
    );
}

#[test]
fn decoding_gives_legal_values_and_encoding_round_trips() {
    let space = space();
    assert_eq!(space.dimensions(), 1 + 1 + 2 + 1);
    let mut rng = Rng::new(3);
    for _ in 0..200 {
        let params = space.decode(&space.random_point(&mut rng));
        let Value::Int(units) = params["units"] else {
            panic!()
        };
        assert!([16, 32, 48, 64].contains(&units), "{units}");
        let Value::Float(lr) = params["lr"] else {
            panic!()
        };
        assert!((1e-4..=1e-1).contains(&lr));
        assert_eq!(params["batch"], Value::Int(128));
        assert_eq!(space.decode(&space.encode(&params)), params);
    }
    assert_eq!(space.cardinality(), None);
    let finite = Space::new(
        Direction::Minimize,
        vec![Param::int("u", 16, 64, 16), Param::boolean("b")],
    );
    assert_eq!(finite.unwrap().cardinality(), Some(8));
}

#[test]
fn log_scale_spreads_orders_of_magnitude_evenly() {
    let param = Param::float("lr", 1e-4, 1e-1, true);
    let Value::Float(middle) = param.number_at(0.5) else {
        panic!()
    };
    assert!((middle - 10f64.powf(-2.5)).abs() < 1e-12, "{middle}");
    let odd = Param::int("n", 1, 10, 4); // 1, 5, 9
    assert_eq!(odd.number_at(1.0), Value::Int(9));
    assert_eq!(odd.cardinality(), Some(3));
}

#[test]
fn differences_are_named() {
    let a = space();
    let mut b = space();
    b.params[0] = Param::int("units", 16, 128, 16);
    b.params.pop();
    let found = a.differences(&b);
    assert_eq!(
        found,
        vec![
            "\"units\": int 16…64 step 16 here, int 16…128 step 16 in the study".to_owned(),
            "\"batch\" is not in the study".to_owned()
        ]
    );
}
