//! Builds the app (Trunk, release) and the server, skipping the app build when none of its
//! inputs changed, so a second `cargo xtask run` starts in seconds.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use crate::util::{cargo, command, exec, root, Fail};

const APP_INPUTS: &[&str] = &[
    "src",
    "crates/core/src",
    "crates/core/Cargo.toml",
    "public",
    "style",
    "locales",
    "index.html",
    "Cargo.toml",
    "Cargo.lock",
    "package-lock.json",
    "Trunk.toml",
    "build.rs",
];

fn files_under(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        if let Ok(entries) = std::fs::read_dir(path) {
            for e in entries.flatten() {
                files_under(&e.path(), out);
            }
        }
    } else if path.is_file() {
        out.push(path.to_owned());
    }
}

fn sorted_files(base: &Path, inputs: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for i in inputs {
        files_under(&base.join(i), &mut files);
    }
    files.sort();
    files
}

/// A fingerprint of the files' names and contents.
fn content_hash(base: &Path, files: &[PathBuf]) -> String {
    let mut h = DefaultHasher::new();
    for f in files {
        f.strip_prefix(base).unwrap_or(f).hash(&mut h);
        std::fs::read(f).unwrap_or_default().hash(&mut h);
    }
    format!("{:016x}", h.finish())
}

pub fn app() -> Result<(), Fail> {
    let root = root();
    let stamp = root.join("target/xtask-app.stamp");
    let inputs = content_hash(&root, &sorted_files(&root, APP_INPUTS));
    let dist = root.join("dist");
    if dist.join("index.html").is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(inputs.as_str()) {
        println!("xtask: the app is up to date in dist/");
        return Ok(());
    }
    println!("xtask: building the app (trunk build --release)");
    exec(command("trunk").args(["build", "--release", "--offline"]))?;
    write_service_worker(&dist)?;
    std::fs::create_dir_all(root.join("target")).map_err(|e| Fail(e.to_string()))?;
    std::fs::write(&stamp, inputs).map_err(|e| Fail(format!("{}: {e}", stamp.display())))
}

/// Fills the service worker's placeholders: this build's version and every file of the shell.
fn write_service_worker(dist: &Path) -> Result<(), Fail> {
    let sw = dist.join("sw.js");
    let template = std::fs::read_to_string(&sw).map_err(|e| Fail(format!("{}: {e}", sw.display())))?;
    let files: Vec<PathBuf> = sorted_files(dist, &["."]).into_iter().filter(|f| *f != sw).collect();
    let list: Vec<String> = files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(dist).unwrap_or(f).to_string_lossy().replace('\\', "/");
            format!("'/{}'", rel.trim_start_matches("./"))
        })
        .collect();
    let version = content_hash(dist, &files);
    let out = template
        .replace("['__LATARNIA_PRECACHE__']", &format!("[\n  {}\n]", list.join(",\n  ")))
        .replace("__LATARNIA_VERSION__", &version);
    if out == template {
        return Err(Fail("public/sw.js has no placeholders to fill".into()));
    }
    std::fs::write(&sw, out).map_err(|e| Fail(format!("{}: {e}", sw.display())))
}

pub fn server() -> Result<(), Fail> {
    cargo(&["build", "--release", "-p", "latarnia-server"])
}
