//! Prints the Sopot 2021 fixture (`latarnia_core::fixture`) as the mutations one client pushes,
//! one JSON array: the end-to-end test pushes it through the sync API.
//!
//! `cargo run -q -p latarnia-core --example sopot_fixture -- CLIENT_ID`

fn main() {
    let client =
        std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| uuid::Uuid::from_u128(0x50_7017));
    let mutations = latarnia_core::fixture::sopot_summer_2021().mutations(client, 1);
    println!("{}", serde_json::to_string(&mutations).expect("mutations serialize"));
}
