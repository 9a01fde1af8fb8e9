//! Runs the test layers, counts what passed and failed over all of them, and prints the one
//! closing line `N passed, N failed`.

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use crate::util::{command, Fail};

#[derive(Default)]
pub struct Tally {
    passed: u64,
    failed: u64,
    report: Vec<String>,
}

/// Numbers from a test runner's summary lines: cargo/wasm-bindgen-test
/// (`test result: ok. 5 passed; 1 failed; …`) and node's runner (`# pass 5`, `ℹ fail 1`).
pub fn parse_counts(line: &str) -> Option<(u64, u64)> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("test result:") {
        let num = |word: &str| {
            rest.split(';')
                .find_map(|part| {
                    part.trim().trim_start_matches("ok.").trim_start_matches("FAILED.").trim().strip_suffix(word)
                })
                .and_then(|n| n.trim().parse::<u64>().ok())
        };
        return Some((num(" passed")?, num(" failed")?));
    }
    let rest = line.strip_prefix("# ").or_else(|| line.strip_prefix("ℹ "))?;
    let (word, n) = rest.split_once(' ')?;
    let n: u64 = n.trim().parse().ok()?;
    match word {
        "pass" => Some((n, 0)),
        "fail" => Some((0, n)),
        _ => None,
    }
}

impl Tally {
    pub fn check(&mut self, name: &str, result: Result<(), Fail>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                self.report.push(format!("ok      {name}"));
            }
            Err(Fail(msg)) => self.fail_step(name, &msg),
        }
    }

    pub fn fail_step(&mut self, name: &str, msg: &str) {
        self.failed += 1;
        self.report.push(format!("FAILED  {name}: {msg}"));
    }

    fn counted(&mut self, name: &str, mut cmd: std::process::Command) {
        println!("\n==== {name}");
        let mut child = match cmd.stdout(Stdio::piped()).spawn() {
            Ok(c) => c,
            Err(e) => return self.fail_step(name, &e.to_string()),
        };
        let (mut passed, mut failed) = (0, 0);
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                println!("{line}");
                if let Some((p, f)) = parse_counts(&line) {
                    passed += p;
                    failed += f;
                }
            }
        }
        let ok = child.wait().map(|s| s.success()).unwrap_or(false);
        self.passed += passed;
        self.failed += failed;
        if ok && failed == 0 && passed > 0 {
            self.report.push(format!("ok      {name}: {passed} passed"));
        } else if ok && passed == 0 {
            self.fail_step(name, "ran no test");
        } else {
            if failed == 0 {
                // It failed before any test could (a build error, a crash): count the layer.
                self.failed += 1;
            }
            self.report.push(format!("FAILED  {name}: {passed} passed, {failed} failed"));
        }
    }

    pub fn cargo_tests(&mut self, name: &str, args: &[&str], envs: &[(&str, &str)]) {
        let mut cmd = command(&crate::util::cargo_program());
        cmd.args(args).envs(envs.iter().copied());
        self.counted(name, cmd);
    }

    /// Node's test runner over every `*.test.mjs` file in `dir`, one file at a time.
    pub fn node_tests(&mut self, name: &str, dir: &str) {
        let mut files: Vec<String> = std::fs::read_dir(crate::util::root().join(dir))
            .map(|rd| {
                rd.flatten().map(|e| e.path().display().to_string()).filter(|p| p.ends_with(".test.mjs")).collect()
            })
            .unwrap_or_default();
        files.sort();
        let mut cmd = command("node");
        cmd.args(["--test", "--test-concurrency=1", "--test-reporter=tap"]).args(files);
        self.counted(name, cmd);
    }

    pub fn finish(self) -> Result<(), Fail> {
        println!("\n==== summary");
        for line in &self.report {
            println!("{line}");
        }
        println!("{} passed, {} failed", self.passed, self.failed);
        if self.failed == 0 {
            Ok(())
        } else {
            Err(Fail("some checks failed".into()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_counts;

    #[test]
    fn reads_every_runner_summary() {
        assert_eq!(
            parse_counts(
                "test result: ok. 18 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.05s"
            ),
            Some((18, 0))
        );
        assert_eq!(parse_counts("test result: FAILED. 3 passed; 2 failed; 0 ignored"), Some((3, 2)));
        assert_eq!(parse_counts("# pass 4"), Some((4, 0)));
        assert_eq!(parse_counts("# fail 1"), Some((0, 1)));
        assert_eq!(parse_counts("ℹ pass 2"), Some((2, 0)));
        assert_eq!(parse_counts("# tests 5"), None);
        assert_eq!(parse_counts("running 3 tests"), None);
    }
}
