//! `cargo xtask run | test | bench | build`: set-up, build, serve and every test layer, from a
//! fresh machine. Only the standard library, so this compiles in seconds.

mod bundle;
mod setup;
mod tally;
mod util;

use std::process::ExitCode;

use util::{root, Fail};

const USAGE: &str = "usage: cargo xtask <command>

  run    install what is missing, build the app, start the server (SQLite) and print the URL
         flags (env fallback): --addr (LATARNIA_ADDR, default 127.0.0.1:8080)
                               --data-dir (LATARNIA_DATA_DIR, default ./latarnia-data)
                               --database-url (DATABASE_URL)
  test   install what the tests need, then fmt, clippy, native, browser and end-to-end tests
  bench  build in release and measure; writes docs/benchmarks.md
  build  build the app into dist/ (with the service worker's precache list)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(),
        Some("bench") => bench(),
        Some("build") => setup::app_tools().and_then(|_| bundle::app()),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg)) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// `--flag value` or `--flag=value` from the arguments, else the environment, else `default`.
fn flag(args: &[String], name: &str, env: &str, default: &str) -> Result<String, Fail> {
    let long = format!("--{name}");
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == long {
            return it.next().cloned().ok_or_else(|| Fail(format!("{long} needs a value")));
        }
        if let Some(v) = a.strip_prefix(&format!("{long}=")) {
            return Ok(v.to_owned());
        }
    }
    Ok(std::env::var(env).unwrap_or_else(|_| default.to_owned()))
}

fn run(args: &[String]) -> Result<(), Fail> {
    for a in args.iter().filter(|a| a.starts_with("--") && *a != "--") {
        let name = a.trim_start_matches("--").split('=').next().unwrap_or("");
        if !["addr", "data-dir", "database-url"].contains(&name) {
            return Err(Fail(format!("unknown flag {a}\n\n{USAGE}")));
        }
    }
    let addr = flag(args, "addr", "LATARNIA_ADDR", "127.0.0.1:8080")?;
    let data_dir = flag(args, "data-dir", "LATARNIA_DATA_DIR", "./latarnia-data")?;
    let database_url = flag(args, "database-url", "DATABASE_URL", "")?;
    setup::app_tools()?;
    bundle::app()?;
    bundle::server()?;
    let bin = root().join("target/release/latarnia-server");
    util::exec(
        std::process::Command::new(bin)
            .args(["--addr", &addr, "--data-dir", &data_dir, "--dist"])
            .arg(root().join("dist"))
            .env("DATABASE_URL", database_url),
    )
}

fn test() -> Result<(), Fail> {
    setup::app_tools()?;
    setup::test_tools()?;
    let postgres = setup::postgres()?;
    let mut t = tally::Tally::default();
    t.check("cargo fmt --check", util::cargo(&["fmt", "--all", "--", "--check"]));
    t.check("clippy (native)", util::cargo(&["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]));
    t.check(
        "clippy (wasm)",
        util::cargo(&[
            "clippy",
            "-p",
            "latarnia",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    );
    t.cargo_tests(
        "native tests (SQLite and PostgreSQL)",
        &["test", "--workspace"],
        &[("LATARNIA_TEST_POSTGRES", postgres.as_str())],
    );
    t.cargo_tests(
        "browser tests (Chromium)",
        &["test", "-p", "latarnia", "--target", "wasm32-unknown-unknown"],
        &[("CHROMEDRIVER", "/usr/bin/chromedriver"), ("WASM_BINDGEN_TEST_TIMEOUT", "120")],
    );
    match bundle::app().and_then(|_| bundle::server()) {
        Ok(()) => t.node_tests("end-to-end (Playwright, Chromium)", "tests/e2e"),
        Err(Fail(msg)) => t.fail_step("build for end-to-end", &msg),
    }
    t.finish()
}

fn bench() -> Result<(), Fail> {
    setup::app_tools()?;
    setup::test_tools()?;
    let postgres = setup::postgres()?;
    bundle::app()?;
    bundle::server()?;
    util::cargo(&["build", "--release", "-p", "latarnia-server", "--example", "load"])?;
    util::exec(
        std::process::Command::new("node")
            .arg("tests/bench/bench.mjs")
            .env("LATARNIA_TEST_POSTGRES", postgres)
            .current_dir(root()),
    )
}

#[cfg(test)]
mod tests {
    use super::flag;

    #[test]
    fn flags_take_both_forms_and_fall_back_to_the_default() {
        let args: Vec<String> = ["--addr", "0.0.0.0:9000", "--data-dir=/var/lib/latarnia"].map(String::from).to_vec();
        assert_eq!(flag(&args, "addr", "LATARNIA_TEST_UNSET_1", "x").unwrap(), "0.0.0.0:9000");
        assert_eq!(flag(&args, "data-dir", "LATARNIA_TEST_UNSET_2", "x").unwrap(), "/var/lib/latarnia");
        assert_eq!(flag(&args, "database-url", "LATARNIA_TEST_UNSET_3", "dflt").unwrap(), "dflt");
        assert!(flag(&["--addr".to_owned()], "addr", "LATARNIA_TEST_UNSET_4", "x").is_err(), "a flag needs a value");
    }
}
