//! How the built app names the files that never change: the one rule the build (`xtask`, which
//! gives those files their compressed copies) and the server (which caches them for good and
//! serves those copies) share.

use std::path::Path;

/// Trunk names built assets `name-<hash>.ext` (12 to 16 hex digits: leading zeros are
/// dropped), and the split app lives in `app-<hash>/`, one hash over all its files, whatever
/// their own names. `rel` is the path under `dist/`.
pub fn is_content_hashed(rel: &Path) -> bool {
    let hashed = |name: &str| {
        let stem = name.split('.').next().unwrap_or("");
        let stem = stem.strip_suffix("_bg").unwrap_or(stem);
        stem.rsplit_once('-')
            .is_some_and(|(_, hash)| (12..=16).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit()))
    };
    let mut parts = rel.iter().filter_map(|p| p.to_str());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(name), None, None) => hashed(name),
        (Some(dir), Some(_), None) => dir.starts_with("app-") && hashed(dir),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_assets_are_recognised() {
        let hashed = |p: &str| is_content_hashed(Path::new(p));
        assert!(hashed("latarnia-3f2a9c0d1e4b5a6f_bg.wasm"));
        assert!(hashed("latarnia-3f2a9c0d1e4b5a6f.js"));
        assert!(hashed("main-0123456789abcdef.css"));
        assert!(hashed("main-22474a42fbfad2b.css"));
        // The split app: every file of a build's directory, whatever its own name.
        assert!(hashed("app-0c80d36c2dcaa2fb/latarnia_bg.wasm"));
        assert!(hashed("app-0c80d36c2dcaa2fb/__wasm_split.js"));
        assert!(hashed("app-0c80d36c2dcaa2fb/split_zima.wasm"));
        assert!(!hashed("app-notahash/latarnia.js"));
        assert!(!hashed("main-0123456789abcdefg.css"), "not hex");
        assert!(!hashed("main-0123456789a.css"), "too short for a hash");
        assert!(!hashed("vendor-0c80d36c2dcaa2fb/leaflet.js"), "only the app's directory");
        assert!(!hashed("app-0c80d36c2dcaa2fb/a/b.wasm"), "one level only");
        assert!(!hashed("sw.js"));
        assert!(!hashed("icon-192.png"));
        assert!(!hashed("vendor/leaflet.js"));
    }
}
