use std::path::PathBuf;
use std::process::{Command, Stdio};

/// A step failed; the message says what and what to do.
#[derive(Debug)]
pub struct Fail(pub String);

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// PATH with the project's npm tools (wasm-opt) and cargo's bin directory first.
pub fn path_env() -> String {
    let mut parts = vec![root().join("node_modules/.bin").display().to_string()];
    if let Some(home) = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
    {
        parts.push(home.join("bin").display().to_string());
    }
    parts.push(std::env::var("PATH").unwrap_or_default());
    parts.join(":")
}

pub fn command(program: &str) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root()).env("PATH", path_env());
    // A CI run builds once from scratch: incremental caches would only take disk (gigabytes).
    if std::env::var_os("CI").is_some() {
        c.env("CARGO_INCREMENTAL", "0");
    }
    c
}

/// Runs to completion with inherited output.
pub fn exec(cmd: &mut Command) -> Result<(), Fail> {
    let shown = format!("{cmd:?}");
    match cmd.status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(Fail(format!("{shown} exited with {s}"))),
        Err(e) => Err(Fail(format!("{shown}: {e}"))),
    }
}

/// The cargo that runs this xtask (`$CARGO`: the same toolchain), else the one on the PATH.
pub fn cargo_program() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

pub fn cargo(args: &[&str]) -> Result<(), Fail> {
    exec(command(&cargo_program()).args(args))
}

/// Runs and returns stdout, or None when the program is missing or fails.
pub fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = command(program).args(args).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}
