//! Installs what is missing, and only that: a second run installs nothing.

use crate::util::{cargo, command, exec, output, root, Fail};

pub const TRUNK: &str = "0.21.14";

/// The wasm-bindgen version the app is locked to; the CLI must match it exactly.
pub fn wasm_bindgen_version() -> Result<String, Fail> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| Fail(format!("Cargo.lock: {e}")))?;
    let mut lines = lock.lines();
    while let Some(l) = lines.next() {
        if l == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|v| v.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_owned());
            }
        }
    }
    Err(Fail("wasm-bindgen is not in Cargo.lock".into()))
}

/// What building the app needs: the wasm target, trunk, wasm-bindgen-cli, wasm-opt.
pub fn app_tools() -> Result<(), Fail> {
    let targets = output("rustup", &["target", "list", "--installed"]).unwrap_or_default();
    if !targets.lines().any(|t| t.trim() == "wasm32-unknown-unknown") {
        println!("xtask: installing the wasm32 target");
        exec(command("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let trunk = output("trunk", &["--version"]).unwrap_or_default();
    if trunk.trim() != format!("trunk {TRUNK}") {
        println!("xtask: installing trunk {TRUNK} (about 7 minutes, once)");
        cargo(&["install", "--locked", &format!("trunk@{TRUNK}")])?;
    }
    let wb = wasm_bindgen_version()?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) != Some(wb.as_str()) {
        println!("xtask: installing wasm-bindgen-cli {wb} (about 3 minutes, once)");
        // Not --locked: a locked dependency of the CLI is missing from the registry.
        cargo(&["install", "--force", &format!("wasm-bindgen-cli@{wb}")])?;
    }
    npm_tools()
}

/// wasm-opt (npm's binaryen: Debian's breaks the wasm) and playwright-core, from the lock file.
fn npm_tools() -> Result<(), Fail> {
    let stamp = root().join("node_modules/.package-lock.json");
    let lock = root().join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => s.modified().ok() >= l.modified().ok() && root().join("node_modules/.bin/wasm-opt").exists(),
        _ => false,
    };
    if !fresh {
        println!("xtask: npm ci (wasm-opt, playwright-core)");
        exec(command("npm").args(["ci", "--no-audit", "--no-fund"]))?;
    }
    Ok(())
}

/// What the tests need beyond the build: Debian's Chromium and its driver.
pub fn test_tools() -> Result<(), Fail> {
    let have = |p: &str| std::path::Path::new(p).exists();
    if !have("/usr/bin/chromium") || !have("/usr/bin/chromedriver") {
        println!("xtask: installing chromium and chromium-driver from Debian");
        let sudo = output("id", &["-u"]).map(|u| u.trim() != "0").unwrap_or(true);
        let apt = |args: &[&str]| {
            let mut c = if sudo { command("sudo") } else { command("apt-get") };
            if sudo {
                c.arg("apt-get");
            }
            c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
            exec(&mut c)
        };
        apt(&["update"])?;
        apt(&["install", "-y", "chromium", "chromium-driver"])?;
    }
    Ok(())
}
