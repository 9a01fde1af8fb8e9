//! Latarnia's domain in plain Rust: no browser, no server.
//!
//! Both the app (compiled to wasm) and the server depend on this crate, so the rules written
//! here — what a valid contact is, how a patrol is summed up, how the hybrid logical clock
//! orders edits — are the same on the phone and on the server.

pub mod access;
pub mod assets;
pub mod count;
pub mod csv;
pub mod engine;
pub mod facilities;
#[cfg(any(test, feature = "test-support"))]
pub mod fixture;
pub mod hlc;
pub mod indicators;
pub mod lock;
pub mod map;
pub mod model;
pub mod order;
pub mod position;
pub mod protocol;
pub mod reports;
pub mod retention;
pub mod route;
pub mod rules;
pub mod shown;
pub mod sites;
pub mod summary;
pub mod sync;
pub mod validate;
pub mod values;
pub mod window;
pub mod zima;

pub use hlc::Hlc;
pub use model::*;
pub use protocol::{Mutation, Op};
pub use summary::PatrolSummary;
pub use validate::{FieldError, Invalid};
