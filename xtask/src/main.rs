//! `cargo xtask run | test | bench | build`: set-up, build, serve and every test layer, from a
//! fresh machine.

mod bundle;
mod setup;
mod tally;
mod util;
mod wasm;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use util::{root, Fail};

/// Latarnia's project commands: `cargo xtask run` and `cargo xtask test` do all set-up.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", bin_name = "cargo xtask")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Install what is missing, build the app, start the server (SQLite) and print the URL.
    Run(RunArgs),
    /// Install what the tests need, then fmt, clippy, native, browser, API (schemathesis) and
    /// end-to-end tests.
    Test,
    /// Build in release and measure; writes docs/benchmarks.md.
    Bench,
    /// Build the app into dist/ (with the service worker's precache list).
    Build,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// Where the server listens.
    #[arg(long, env = "LATARNIA_ADDR", default_value = "127.0.0.1:8080")]
    addr: String,
    /// The server's data directory (its SQLite file).
    #[arg(long, env = "LATARNIA_DATA_DIR", default_value = "./latarnia-data")]
    data_dir: String,
    /// A PostgreSQL URL instead of SQLite.
    #[arg(long, env = "DATABASE_URL", default_value = "")]
    database_url: String,
}

fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Cmd::Run(args) => run(&args),
        Cmd::Test => test(),
        Cmd::Bench => bench(),
        Cmd::Build => setup::app_tools().and_then(|_| bundle::app()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail(msg)) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &RunArgs) -> Result<(), Fail> {
    setup::app_tools()?;
    bundle::app()?;
    bundle::server()?;
    let bin = root().join("target/release/latarnia-server");
    util::exec(
        std::process::Command::new(bin)
            .args(["--addr", &args.addr, "--data-dir", &args.data_dir, "--dist"])
            .arg(root().join("dist"))
            .env("DATABASE_URL", &args.database_url),
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
            "--features",
            "split",
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
        Ok(()) => {
            match setup::schemathesis() {
                Ok(()) => t.node_tests("API against its document (schemathesis)", "tests/api"),
                Err(Fail(msg)) => t.fail_step("install schemathesis", &msg),
            }
            t.node_tests("end-to-end (Playwright, Chromium)", "tests/e2e");
        }
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
    use clap::{CommandFactory, Parser};

    use super::{Cli, Cmd};

    #[test]
    fn the_commands_and_flags_are_declared_consistently() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_takes_both_flag_forms_and_refuses_unknown_ones() {
        let cli =
            Cli::try_parse_from(["xtask", "run", "--addr", "0.0.0.0:9000", "--data-dir=/var/lib/latarnia"]).unwrap();
        let Cmd::Run(args) = cli.command else { panic!("run") };
        assert_eq!(args.addr, "0.0.0.0:9000");
        assert_eq!(args.data_dir, "/var/lib/latarnia");
        assert!(Cli::try_parse_from(["xtask", "run", "--addr"]).is_err(), "a flag needs a value");
        assert!(Cli::try_parse_from(["xtask", "run", "--port", "1"]).is_err(), "an unknown flag is refused");
        assert!(Cli::try_parse_from(["xtask", "deploy"]).is_err(), "an unknown command is refused");
    }
}
