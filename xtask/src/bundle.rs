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
    "web",
    "Cargo.toml",
    "Cargo.lock",
    "package-lock.json",
    "Trunk.toml",
    "build.rs",
    // The split build's own steps (xtask/src/wasm.rs).
    "xtask/src/wasm.rs",
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

pub fn sorted_files(base: &Path, inputs: &[&str]) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for i in inputs {
        files_under(&base.join(i), &mut files);
    }
    files.sort();
    files
}

/// A fingerprint of the files' names and contents.
pub fn content_hash(base: &Path, files: &[PathBuf]) -> String {
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
    println!("xtask: building the app's page, styles and static files (trunk build --release)");
    exec(command("trunk").args(["build", "--release", "--offline"]))?;
    let app_dir = crate::wasm::build(&dist)?;
    start_app(&dist, &app_dir)?;
    write_service_worker(&dist)?;
    precompress(&dist)?;
    std::fs::create_dir_all(root.join("target")).map_err(|e| Fail(e.to_string()))?;
    std::fs::write(&stamp, inputs).map_err(|e| Fail(format!("{}: {e}", stamp.display())))
}

/// Finishes Trunk's `index.html`: its stylesheet and `boot.js` written into the page, so that
/// its first frame (the page's own sign-in form, lock screen or splash) waits for nothing but
/// the page (decision 130), and the start of the split app before `</head>`.
fn start_app(dist: &Path, app_dir: &str) -> Result<(), Fail> {
    let index = dist.join("index.html");
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| Fail(format!("{}: {e}", p.display())));
    let mut html = read(&index)?;
    let missing = |what: &str| Fail(format!("{}: {what}", index.display()));
    let link = html.find("<link rel=\"stylesheet\" href=\"/").ok_or_else(|| missing("no stylesheet"))?;
    let link_end = link + html[link..].find('>').ok_or_else(|| missing("an unclosed <link>"))? + 1;
    let href = html[link..link_end].split('"').nth(3).ok_or_else(|| missing("a stylesheet without href"))?;
    // Only the page uses them: not kept as files too (the service worker would fetch them).
    let css_file = dist.join(href.trim_start_matches('/'));
    let css = read(&css_file)?;
    let boot = read(&dist.join("boot.js"))?;
    const BOOT: &str = "<script src=\"/boot.js\"></script>";
    if css.contains("</style") || boot.contains("</script") || !html.contains(BOOT) || !html.contains("</head>") {
        return Err(missing("the styles or boot.js cannot be written into the page"));
    }
    html.replace_range(link..link_end, &format!("<style>{css}</style>"));
    let html = html.replacen(BOOT, &format!("<script>{boot}</script>"), 1).replacen(
        "</head>",
        &format!("{}</head>", crate::wasm::start_script(app_dir)),
        1,
    );
    std::fs::write(&index, html).map_err(|e| Fail(format!("{}: {e}", index.display())))?;
    for f in [css_file, dist.join("boot.js")] {
        std::fs::remove_file(&f).map_err(|e| Fail(format!("{}: {e}", f.display())))?;
    }
    Ok(())
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

/// Writes `<file>.br` (Brotli, best) and `<file>.gz` (gzip, best) beside each of Trunk's
/// content-hashed files (the wasm, its JavaScript, the styles). The server sends them as they
/// are (`Content-Encoding`) instead of compressing each request; Brotli makes the wasm a quarter
/// smaller than gzip on a phone's connection (decision 49). Only hashed files: their content
/// never changes under the same name, so a copy can never be older than its file. Written
/// after the service worker's list, which names the plain files only.
pub fn precompress(dist: &Path) -> Result<(), Fail> {
    for file in sorted_files(dist, &["."]) {
        if !latarnia_core::assets::is_content_hashed(file.strip_prefix(dist).unwrap_or(&file)) {
            continue;
        }
        let data = std::fs::read(&file).map_err(|e| Fail(format!("{}: {e}", file.display())))?;
        let (br, gz) = compressed(&data)?;
        for (ext, bytes) in [("br", br), ("gz", gz)] {
            let out = PathBuf::from(format!("{}.{ext}", file.display()));
            std::fs::write(&out, bytes).map_err(|e| Fail(format!("{}: {e}", out.display())))?;
        }
    }
    Ok(())
}

/// Brotli at its best quality and largest window, and gzip at level 9.
fn compressed(data: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Fail> {
    use std::io::Write as _;
    let params = brotli::enc::BrotliEncoderParams { quality: 11, lgwin: 24, ..Default::default() };
    let mut br = Vec::new();
    brotli::BrotliCompress(&mut &data[..], &mut br, &params).map_err(|e| Fail(format!("brotli: {e}")))?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(data).map_err(|e| Fail(format!("gzip: {e}")))?;
    let gz = gz.finish().map_err(|e| Fail(format!("gzip: {e}")))?;
    Ok((br, gz))
}

pub fn server() -> Result<(), Fail> {
    cargo(&["build", "--release", "-p", "latarnia-server"])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    #[test]
    fn both_compressed_copies_give_back_the_file_and_the_brotli_one_is_smaller() {
        let data: Vec<u8> =
            (0..20_000u32).flat_map(|i| format!("fn f{}() {{ {} }}\n", i % 977, i % 13).into_bytes()).collect();
        let (br, gz) = compressed(&data).unwrap();
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut &br[..], &mut back).unwrap();
        assert_eq!(back, data);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap();
        assert_eq!(back, data);
        assert!(br.len() < gz.len(), "brotli {} vs gzip {}", br.len(), gz.len());
    }

    #[test]
    fn only_content_hashed_files_get_compressed_copies() {
        let dir = std::env::temp_dir().join(format!("latarnia-precompress-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("icons")).unwrap();
        std::fs::create_dir_all(dir.join("app-0c80d36c2dcaa2fb")).unwrap();
        let hashed = [
            "app-0123456789abcdef_bg.wasm",
            "app-0123456789abcdef.js",
            "main-22474a42fbfad2b.css",
            "app-0c80d36c2dcaa2fb/latarnia_bg.wasm",
            "app-0c80d36c2dcaa2fb/__wasm_split.js",
        ];
        let plain = ["sw.js", "boot.js", "index.html", "icons/icon-192.png"];
        for f in hashed.iter().chain(&plain) {
            std::fs::write(dir.join(f), b"x".repeat(1000)).unwrap();
        }
        precompress(&dir).unwrap();
        for f in hashed {
            assert!(dir.join(format!("{f}.br")).is_file(), "{f}.br");
            assert!(dir.join(format!("{f}.gz")).is_file(), "{f}.gz");
        }
        // Files that change under the same name (a new service worker) never get a copy that
        // could be left behind, older than the file.
        for f in plain {
            assert!(!dir.join(format!("{f}.br")).exists(), "{f}.br");
            assert!(!dir.join(format!("{f}.gz")).exists(), "{f}.gz");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
