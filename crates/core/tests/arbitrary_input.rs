//! Arbitrary input never panics: any JSON value in any field of any collection, and every date
//! form chrono reads, go through decoding and validation (`sync::admit`), the merge
//! (`RecordState::apply`) and the indicators (`Dataset::add_stored` + `compute`) — the server's
//! path and the phone's. A record that slipped in before a rule existed (stored unvalidated) is
//! fed to the indicators too.

use latarnia_core::indicators::{compute, members, Dataset, Period};
use latarnia_core::sync::{admit, RecordState, Role};
use latarnia_core::{fixture, Mutation, Op};
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use uuid::Uuid;

/// One valid record of each collection, as (collection, fields).
fn bases() -> Vec<(&'static str, Map<String, Value>)> {
    let f = fixture::sopot_summer_2021();
    let count = fixture::count_example();
    use latarnia_core::protocol::*;
    vec![
        (COUNTS, fields_of(&count.count)),
        (COUNT_VISITS, fields_of(&count.visit)),
        (COUNT_PEOPLE, fields_of(&count.person)),
        (PATROLS, fields_of(&f.patrols[0])),
        (CONTACTS, fields_of(&f.contacts[0])),
        (SITES, fields_of(&f.sites[0])),
        (REPORTS, fields_of(&f.reports[0])),
        (MEAL_RUNS, fields_of(&f.runs[0])),
        (MEAL_RUN_STOPS, fields_of(&f.stops[0])),
        (FORECASTS, json!({"date": "2021-01-14", "min_c": -12.5}).as_object().unwrap().clone()),
        (ZIMA_SETTINGS, json!({"threshold_c": -5.0}).as_object().unwrap().clone()),
    ]
}

/// Dates in every form chrono parses, at and past its edges.
fn dates() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!("+262142-12-31T23:00:00Z")),
        Just(json!("-262143-01-01T00:00:00Z")),
        Just(json!("+262142-12-31")),
        Just(json!("0000-01-01T00:00:00Z")),
        Just(json!("1999-12-31T23:59:59.999999999Z")),
        Just(json!("2100-12-31T23:59:59+14:00")),
        Just(json!("2101-01-01T00:00:00-12:00")),
        Just(json!("2021-06-01T00:00:00.123456789+02:00")),
        Just(json!("2021-02-29")),
        (-300_000i32..300_000, 1u32..13, 1u32..32, 0u32..24)
            .prop_map(|(y, m, d, h)| json!(format!("{y:+05}-{m:02}-{d:02}T{h:02}:00:00Z"))),
        (-300_000i32..300_000, 1u32..13, 1u32..32).prop_map(|(y, m, d)| json!(format!("{y:04}-{m:02}-{d:02}"))),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("JSON numbers are finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        ".{0,50}".prop_map(Value::String),
        "[a-z_]{1,12}".prop_map(Value::String),
        Just(json!("\u{0}\u{202e}\u{fffd}")),
        dates(),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map("[a-z_]{1,10}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A record of a random collection with some fields replaced (or added) by arbitrary values.
fn arbitrary_record() -> impl Strategy<Value = (&'static str, Map<String, Value>)> {
    let n = bases().len();
    (0..n, proptest::collection::vec((any::<prop::sample::Index>(), "[a-z_]{1,12}", any_json()), 0..4)).prop_map(
        |(i, edits)| {
            let (collection, mut fields) = bases().swap_remove(i);
            let names: Vec<String> = fields.keys().cloned().collect();
            for (which, new_name, value) in edits {
                // Mostly an existing field (validation's business), sometimes an unknown one.
                let name = if which.index(4) == 0 { new_name } else { which.get(&names).clone() };
                fields.insert(name, value);
            }
            (collection, fields)
        },
    )
}

fn mutation(collection: &str, fields: Map<String, Value>, op: Op) -> Mutation {
    Mutation {
        mid: 1,
        collection: collection.into(),
        id: Uuid::from_u128(42),
        op,
        hlc: latarnia_core::hlc::Hlc { physical_ms: 1_622_505_600_000, counter: 0, client: Uuid::nil() }.to_string(),
        fields,
    }
}

fn year_2021() -> Period {
    Period::parse("2021-01-01", "2021-12-31", None).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// The server's path: admit, merge, store, then the indicators over what was stored.
    #[test]
    fn the_server_path_never_panics((collection, fields) in arbitrary_record(), op in prop_oneof![Just(Op::Upsert), Just(Op::Delete), Just(Op::Restore)]) {
        let m = mutation(collection, fields, op);
        let mut dataset = Dataset::default();
        for role in Role::ALL {
            if let Ok(admitted) = admit(*role, &m, None, true) {
                let mut state = RecordState::default();
                state.apply(m.op, &admitted, &m.hlc);
                let stored = Value::Object(state.fields.clone()).to_string();
                let _ = dataset.add_stored(collection, m.id, &stored, Some(&m.hlc));
            }
        }
        let _ = compute(&dataset, &year_2021());
        let _ = members(&dataset);
    }

    /// A record stored before a rule existed (never validated) reaches the indicators, on the
    /// server (stored text) and on the phone (the same `add_stored`).
    #[test]
    fn unvalidated_records_never_panic_the_indicators((collection, fields) in arbitrary_record(), status_hlc in ".{0,70}") {
        let mut dataset = Dataset::default();
        let _ = dataset.add_stored(collection, Uuid::from_u128(1), &Value::Object(fields).to_string(), Some(&status_hlc));
        for period in [year_2021(), Period::parse("2000-01-01", "2009-12-31", None).unwrap(), Period::parse("2100-12-01", "2100-12-31", Some("Ania".into())).unwrap()] {
            let _ = compute(&dataset, &period);
        }
    }

    /// The period's own input, as typed or as a query string carries it.
    #[test]
    fn any_period_text_is_read_or_refused(from in prop_oneof![".{0,30}".boxed(), dates().prop_map(|v| v.as_str().unwrap_or_default().to_owned()).boxed()], to in ".{0,30}") {
        if let Ok(p) = Period::parse(&from, &to, None) {
            let _ = compute(&Dataset::default(), &p);
        }
    }
}

/// The attack of the issue: a contact dated `+262142-12-31T23:00:00Z` is refused at the field.
#[test]
fn a_contact_from_year_262142_is_refused_with_its_field() {
    let (collection, mut fields) = bases().swap_remove(1);
    fields.insert("at".into(), json!("+262142-12-31T23:00:00Z"));
    let r = admit(Role::Streetworker, &mutation(collection, fields.clone(), Op::Upsert), None, true).unwrap_err();
    assert_eq!(r.code, "invalid");
    assert!(r.message.contains("at: date_range"), "{}", r.message);
    // Stored anyway (before this rule), it still cannot take the indicators down.
    let mut dataset = Dataset::default();
    dataset.add_stored(collection, Uuid::from_u128(1), &Value::Object(fields).to_string(), None).unwrap();
    assert_eq!(compute(&dataset, &year_2021()).contacts, 0);
}
