//! Prints the count night's default questionnaire as JSON (the ministry's categories, Polish and
//! English): what `cargo xtask bench` gives its seeded count, so the bench and the app ask the
//! same questions.

fn main() {
    let q = latarnia_core::count::default_questionnaire();
    println!("{}", serde_json::to_string(&q).expect("a questionnaire is JSON"));
}
