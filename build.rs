//! Compiles the translation files (`locales/*.json`) into static tables, so the app ships no
//! parser and a missing translation is a build error, not a blank label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::{env, fs, path::Path};

const LANGS: &[&str] = &["pl", "en"];

fn load(lang: &str) -> BTreeMap<String, String> {
    let path = format!("locales/{lang}.json");
    println!("cargo:rerun-if-changed={path}");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn main() {
    let tables: Vec<_> = LANGS.iter().map(|l| load(l)).collect();
    let keys: Vec<&String> = tables[0].keys().collect();
    for (lang, table) in LANGS.iter().zip(&tables).skip(1) {
        let missing: Vec<_> = keys.iter().filter(|k| !table.contains_key(k.as_str())).collect();
        let extra: Vec<_> = table.keys().filter(|k| !tables[0].contains_key(k.as_str())).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "locales/{lang}.json differs from pl.json: missing {missing:?}, extra {extra:?}"
        );
    }
    for (lang, table) in LANGS.iter().zip(&tables) {
        for (k, v) in table {
            assert!(!v.trim().is_empty(), "locales/{lang}.json: empty text for {k}");
        }
    }

    check_page_texts(&tables);

    // Each table is one string and the end of each text in it (two bytes a text, where a
    // table of `&str` takes eight, and the texts lie next to each other for the compressor).
    let mut out = String::new();
    out.push_str("pub mod k {\n");
    for (i, k) in keys.iter().enumerate() {
        writeln!(out, "    pub const {}: usize = {i};", k.to_uppercase()).unwrap();
    }
    out.push_str("}\n\n");
    packed(&mut out, "KEYS", keys.iter().map(|k| k.as_str()));
    for (lang, table) in LANGS.iter().zip(&tables) {
        packed(&mut out, &lang.to_uppercase(), keys.iter().map(|k| table[k.as_str()].as_str()));
    }
    // The Polish texts the first load holds (decision 145): those of every key the code names
    // outside the screens loaded on demand; the others are empty there and come with all the
    // texts in a part of their own (`split::polish`) before such a screen is drawn.
    // (A name that is no key, `Chunk::Loading`'s, only finds no text.)
    let first = first_screens_keys(Path::new("src"));
    packed(
        &mut out,
        "PL_FIRST",
        keys.iter().map(|k| if first.contains(k.as_str()) { tables[0][k.as_str()].as_str() } else { "" }),
    );
    let dest = Path::new(&env::var("OUT_DIR").unwrap()).join("i18n.rs");
    fs::write(dest, out).unwrap();
}

/// The screens loaded on demand: every page but the sign-in, the lock and "no such page".
const FIRST_PAGES: &[&str] = &["login.rs", "lock.rs", "not_found.rs", "mod.rs"];

/// Every key named as `k::NAME` in the app's code outside the screens loaded on demand
/// (`src/pages/`, but `FIRST_PAGES`), lower-cased as in the translation files. Components are
/// all counted, though some are drawn only by those screens: a text too many costs bytes, a
/// text too few an empty label.
fn first_screens_keys(dir: &Path) -> std::collections::BTreeSet<String> {
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut keys = std::collections::BTreeSet::new();
    let mut entries: Vec<_> =
        fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten().collect();
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            keys.extend(first_screens_keys(&path));
            continue;
        }
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let on_demand = path.parent().is_some_and(|p| p.ends_with("pages")) && !FIRST_PAGES.contains(&name);
        if !name.ends_with(".rs") || on_demand {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // A module's tests (at its end) are not the app's.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (at, _) in text.match_indices("k::") {
            let key: String = text[at + 3..]
                .chars()
                .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                .collect();
            if !key.is_empty() {
                keys.insert(key.to_lowercase());
            }
        }
    }
    keys
}

/// `static NAME: Packed`: the texts one after another in one string, with where each ends.
fn packed<'a>(out: &mut String, name: &str, texts: impl Iterator<Item = &'a str>) {
    let mut all = String::new();
    let mut ends = Vec::new();
    for t in texts {
        all.push_str(t);
        ends.push(u16::try_from(all.len()).expect("a table's texts together take at most 64 KB"));
    }
    // Not every table is read in every build (the tests' builds are not split).
    writeln!(
        out,
        "#[allow(dead_code)]\npub(crate) static {name}: Packed = Packed {{ text: {all:?}, ends: &{ends:?} }};\n"
    )
    .unwrap();
}

/// The page's own sign-in form and lock screen (`web/index.html`, drawn before the app's code
/// arrives) say what the app's say: each `<span lang="xx" data-text="key">` holds the text of `key` in xx.
fn check_page_texts(tables: &[BTreeMap<String, String>]) {
    let path = "web/index.html";
    println!("cargo:rerun-if-changed={path}");
    let page = fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut checked = 0;
    for piece in page.split("<span lang=\"").skip(1) {
        let Some((lang, rest)) = piece.split_once("\" data-text=\"") else { continue };
        let (key, rest) = rest.split_once("\">").unwrap_or_else(|| panic!("{path}: a malformed data-text span"));
        let text = rest.split_once("</span>").unwrap_or_else(|| panic!("{path}: an unclosed span")).0;
        let table = LANGS.iter().position(|l| *l == lang).unwrap_or_else(|| panic!("{path}: unknown language {lang}"));
        let want = tables[table].get(key).unwrap_or_else(|| panic!("{path}: no text {key} in locales/{lang}.json"));
        assert_eq!(text, want, "{path}: the text of {key} in {lang} differs from locales/{lang}.json");
        checked += 1;
    }
    // Labels: `aria-label="pl text" data-label="key" data-label-en="en text"`.
    for piece in page.split("aria-label=\"").skip(1) {
        let Some((pl, rest)) = piece.split_once("\" data-label=\"") else { continue };
        let (key, rest) = rest
            .split_once("\" data-label-en=\"")
            .unwrap_or_else(|| panic!("{path}: a data-label has no data-label-en"));
        let en = rest.split_once('"').unwrap_or_else(|| panic!("{path}: an unclosed label")).0;
        for (lang, (table, text)) in LANGS.iter().zip(tables.iter().zip([pl, en])) {
            let want = table.get(key).unwrap_or_else(|| panic!("{path}: no text {key} in locales/{lang}.json"));
            assert_eq!(text, want, "{path}: the label {key} in {lang} differs from locales/{lang}.json");
        }
        checked += 1;
    }
    assert!(checked > 0, "{path}: no translated texts found (the page's forms' texts are checked)");
}
