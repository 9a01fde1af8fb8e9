//! Real parts for the sync tests: the server binary as a child process (killed with SIGKILL),
//! a fault-injecting HTTP proxy in front of it, an HTTP transport, and a simulated phone that
//! runs the app's sync engine (`latarnia_core::engine`) over an in-memory replica.
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use latarnia_core::engine::{self, merge_pulled, newest_hlc, pending, Rejected, Replica, Transport, TransportError};
use latarnia_core::sync::{Change, PullResponse, PushRequest, PushResponse};
use latarnia_core::{Hlc, Mutation, Op};
use serde_json::{Map, Value};
use uuid::Uuid;

mod phone;
mod proxy;
mod server;

// Each test binary uses some of these.
#[allow(unused_imports)]
pub use phone::*;
#[allow(unused_imports)]
pub use proxy::*;
#[allow(unused_imports)]
pub use server::*;

/// A deterministic random source (xorshift), so a failing run is repeated from its seed.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}
