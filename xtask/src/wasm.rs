//! The app's wasm, split into the first load and chunks loaded on demand (issue 18, decision
//! 102). Trunk 0.21 cannot split (trunk-rs/trunk#1022), so the steps run here and Trunk keeps
//! the HTML, the styles and the static files:
//!
//! 1. `cargo rustc` with `--emit-relocs` (only for the final link: the dependencies' builds are
//!    shared with every other build),
//! 2. wasm-split (`wasm_split_cli_support`) cuts the module at `src/split.rs`'s split points
//!    into the main module, one module per screen group, shared chunks and `__wasm_split.js`,
//! 3. wasm-bindgen `--target web --keep-lld-exports` (the chunks link against the main
//!    module's linker exports),
//! 4. wasm-opt `-Oz` on every module,
//! 5. all of it into `dist/app-<hash>/`, one hash over every file: a build's modules are only
//!    ever loaded together, and a page of an older build can never fetch a newer chunk.

use std::path::Path;

use crate::util::{cargo, command, exec, root, Fail};

fn io(path: &Path) -> impl Fn(std::io::Error) -> Fail + '_ {
    move |e| Fail(format!("{}: {e}", path.display()))
}

/// Builds the split app into `dist/app-<hash>/`; returns that directory's name.
pub fn build(dist: &Path) -> Result<String, Fail> {
    let root = root();
    cargo(&[
        "rustc",
        "--profile",
        "wasm-release",
        "--target",
        "wasm32-unknown-unknown",
        "-p",
        "latarnia",
        "--bin",
        "latarnia",
        "--features",
        "split",
        "--",
        "-C",
        "link-args=--emit-relocs",
    ])?;
    let raw = root.join("target/wasm32-unknown-unknown/wasm-release/latarnia.wasm");
    let work = root.join("target/wasm-split");
    let split = work.join("split");
    let out = work.join("app");
    for dir in [&split, &out] {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }

    println!("xtask: splitting the wasm (wasm-split)");
    let input = std::fs::read(&raw).map_err(io(&raw))?;
    let main = split.join("main.wasm");
    let mut opts = wasm_split_cli_support::Options::new(&input);
    opts.output_dir = &split;
    opts.main_out_path = &main;
    opts.main_module = "./latarnia.js";
    let parts = wasm_split_cli_support::transform(opts).map_err(|e| Fail(format!("wasm-split: {e:#}")))?;
    drop(input);

    exec(
        command("wasm-bindgen")
            .args(["--target", "web", "--keep-lld-exports", "--no-typescript", "--out-name", "latarnia", "--out-dir"])
            .arg(&out)
            .arg(&main),
    )?;
    let link = split.join("__wasm_split.js");
    let loader = std::fs::read_to_string(&link).map_err(io(&link))?;
    let loader =
        low_priority_fetches(&loader).ok_or_else(|| Fail(format!("{}: no part's fetch found", link.display())))?;
    std::fs::write(out.join("__wasm_split.js"), loader).map_err(io(&out.join("__wasm_split.js")))?;
    let mut modules = vec![out.join("latarnia_bg.wasm")];
    for chunk in &parts.split_modules {
        let name = chunk.file_name().ok_or_else(|| Fail(format!("{}: no file name", chunk.display())))?;
        let to = out.join(name);
        std::fs::copy(chunk, &to).map_err(io(chunk))?;
        modules.push(to);
    }
    for module in &modules {
        exec(command("wasm-opt").arg("-Oz").arg(module).arg("-o").arg(module))?;
    }

    let files = crate::bundle::sorted_files(&out, &["."]);
    let name = format!("app-{}", crate::bundle::content_hash(&out, &files));
    let to = dist.join(&name);
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to).map_err(io(&to))?;
    for f in &files {
        let target = to.join(f.file_name().unwrap_or_default());
        std::fs::copy(f, &target).map_err(io(f))?;
    }
    Ok(name)
}

/// wasm-split's loader with every part's fetch asked at low priority (decision 144): the parts
/// a phone fetches ahead, while a password is typed, are many files, and on HTTP/1.1 they held
/// all six connections to the server, so the sign-in itself (a few hundred bytes) waited
/// seconds behind them on a slow line. `None` when the loader has no fetch of this shape (a
/// new wasm-split: the build then fails rather than ship without it).
fn low_priority_fetches(loader: &str) -> Option<String> {
    const CALL: &str = ", import.meta.url))";
    let found = loader.matches(CALL).count();
    (found > 0 && loader.matches("fetch(new URL(").count() == found)
        .then(|| loader.replace(CALL, ", import.meta.url), { priority: \"low\" })"))
}

/// Starts the app from `index.html`: the main module and its wasm fetched together once the
/// page has drawn its first whole frame (its own sign-in form, lock screen or splash: nothing
/// on it waits for the app's code, decision 129), or a quarter of a second after the page was
/// read where no frame comes (a hidden tab); where they cannot be fetched or started,
/// `boot.js` says so with a retry. "Whole": the script sits in `<head>`, and a frame drawn
/// before the body has been read holds no form — on a slow start the form's paint then came
/// after the fetch began, and Lighthouse counted the app's code before the largest paint
/// (decision 136). "Read" is the page parsed (`readyState` leaves "loading"), not
/// `DOMContentLoaded`, which also waits for the deferred `map.js` (a round trip more on slow
/// 4G). A classic script, not a module, for the same reason. The server allows this inline
/// script by its hash (CSP).
pub fn start_script(app_dir: &str) -> String {
    format!(
        concat!(
            "<script>(()=>{{let go=()=>{{go=null;const w=fetch('/{d}/latarnia_bg.wasm');",
            "import('/{d}/latarnia.js').then(m=>m.default({{module_or_path:w}}))",
            ".catch(e=>{{console.error(e);window.latarniaStartFailed()}})}};",
            "const read=()=>{{requestAnimationFrame(()=>setTimeout(()=>go&&go()));setTimeout(()=>go&&go(),250)}};",
            "if(document.readyState!=='loading')read();else document.addEventListener('readystatechange',read,{{once:true}})}})()</script>"
        ),
        d = app_dir
    )
}

#[cfg(test)]
mod tests {
    use super::low_priority_fetches;

    #[test]
    fn every_part_is_fetched_at_low_priority() {
        let loader = concat!(
            "const __chunk_8 = makeLoad(() => {\n",
            "    const src = fetch(new URL(\"./chunk_8.wasm\", import.meta.url));\n",
            "}, []);\n",
            "const __split_field = makeLoad(() => {\n",
            "    const src = fetch(new URL(\"./split_field.wasm\", import.meta.url));\n",
            "}, [__chunk_8]);\n",
        );
        let low = low_priority_fetches(loader).expect("two fetches");
        assert_eq!(low.matches("{ priority: \"low\" })").count(), 2);
        assert!(low.contains("fetch(new URL(\"./split_field.wasm\", import.meta.url), { priority: \"low\" });"));
        // A loader of another shape fails the build instead of shipping unchanged.
        assert_eq!(low_priority_fetches("const src = fetch(url);"), None);
        assert_eq!(low_priority_fetches(&format!("{loader}fetch(other);fetch(new URL(x))")), None);
    }
}
