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
        apt_install(&["chromium", "chromium-driver"])?;
    }
    Ok(())
}

/// The schemathesis release the API test is pinned to.
pub const SCHEMATHESIS: &str = "4.32.5";

/// Schemathesis from PyPI, in a virtualenv of its own under `target/` (Python's venv module
/// from Debian when it is missing).
pub fn schemathesis() -> Result<(), Fail> {
    let venv = root().join("target/schemathesis");
    let bin = venv.join("bin/schemathesis");
    let have = output(&bin.display().to_string(), &["--version"]).unwrap_or_default();
    if have.trim().ends_with(SCHEMATHESIS) {
        return Ok(());
    }
    println!("xtask: installing schemathesis {SCHEMATHESIS} into target/schemathesis (once)");
    let venv_arg = venv.display().to_string();
    if exec(command("python3").args(["-m", "venv", "--clear", &venv_arg])).is_err() {
        apt_install(&["python3-venv"])?;
        exec(command("python3").args(["-m", "venv", "--clear", &venv_arg]))?;
    }
    let pip = venv.join("bin/pip").display().to_string();
    exec(command(&pip).args(["install", "--quiet", &format!("schemathesis=={SCHEMATHESIS}")]))
}

fn apt_install(packages: &[&str]) -> Result<(), Fail> {
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
    let mut args = vec!["install", "-y"];
    args.extend_from_slice(packages);
    apt(&args)
}

/// The test database role and password (local, tests only).
const PG_URL: &str = "postgres://latarnia:latarnia@127.0.0.1:5432/postgres";

fn pg_reachable(url: &str) -> bool {
    output("psql", &[url, "-tAc", "SELECT 1"]).is_some_and(|o| o.trim() == "1")
}

/// A PostgreSQL for the tests: `LATARNIA_TEST_POSTGRES` when set; else the local one, installed
/// from Debian, started, and given a `latarnia` role that may create databases.
pub fn postgres() -> Result<String, Fail> {
    if let Ok(url) = std::env::var("LATARNIA_TEST_POSTGRES") {
        if !url.is_empty() {
            return Ok(url);
        }
    }
    if pg_reachable(PG_URL) {
        return Ok(PG_URL.into());
    }
    if output("pg_lsclusters", &["-h"]).is_none() {
        println!("xtask: installing PostgreSQL from Debian");
        apt_install(&["postgresql"])?;
    }
    let clusters = output("pg_lsclusters", &["-h"]).unwrap_or_default();
    let version = match clusters.lines().next().and_then(|l| l.split_whitespace().next()) {
        Some(v) => v.to_owned(),
        None => {
            let v = std::fs::read_dir("/usr/lib/postgresql")
                .ok()
                .and_then(|d| d.filter_map(|e| e.ok()?.file_name().into_string().ok()).max())
                .ok_or_else(|| Fail("PostgreSQL is installed but /usr/lib/postgresql is empty".into()))?;
            exec(command("pg_createcluster").args([&v, "main"]))?;
            v
        }
    };
    println!("xtask: starting PostgreSQL {version}");
    // Already running is fine; whether it answers is checked below.
    let _ = command("pg_ctlcluster").args([&version, "main", "start"]).status();
    let role = "DO $$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'latarnia') THEN \
                CREATE ROLE latarnia LOGIN PASSWORD 'latarnia' CREATEDB; END IF; END$$";
    exec(command("runuser").args(["-u", "postgres", "--", "psql", "-q", "-c", role]).current_dir("/tmp"))?;
    if pg_reachable(PG_URL) {
        Ok(PG_URL.into())
    } else {
        Err(Fail(format!("PostgreSQL started but {PG_URL} does not answer; set LATARNIA_TEST_POSTGRES")))
    }
}
