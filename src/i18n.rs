//! Polish (default) and English UI texts, compiled from `locales/*.json` by `build.rs`.

use leptos::prelude::*;

include!(concat!(env!("OUT_DIR"), "/i18n.rs"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Pl,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Pl, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Pl => "pl",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }
}

/// A table of texts (`build.rs`): all of them in one string, and where each one ends.
#[derive(Clone, Copy)]
pub struct Packed {
    text: &'static str,
    ends: &'static [u16],
}

impl Packed {
    fn get(self, i: usize) -> &'static str {
        let start = match i {
            0 => 0,
            _ => self.ends.get(i - 1).copied().unwrap_or_default(),
        };
        let end = self.ends.get(i).copied().unwrap_or_default();
        self.text.get(usize::from(start)..usize::from(end)).unwrap_or_default()
    }

    /// Where `key` is in this table (the keys' table is sorted).
    fn find(self, key: &str) -> Option<usize> {
        let (mut lo, mut hi) = (0, self.ends.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            match self.get(mid).cmp(key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }
}

// The English texts once their part is there (`split::english`; with the `split` feature only:
// the tests' builds have them at once).
#[cfg(feature = "split")]
thread_local! {
    static ENGLISH: std::cell::Cell<Option<Packed>> = const { std::cell::Cell::new(None) };
    // All the Polish texts once their part is there (`split::polish`).
    static POLISH: std::cell::Cell<Option<Packed>> = const { std::cell::Cell::new(None) };
}

/// Polish, the default: the first load holds the texts of its own screens (`PL_FIRST`, the
/// others empty there); all of them come in a part of their own, fetched before a screen
/// loaded on demand is drawn (`complete`).
#[cfg(feature = "split")]
fn polish() -> Packed {
    POLISH.with(std::cell::Cell::get).unwrap_or(PL_FIRST)
}

#[cfg(not(feature = "split"))]
fn polish() -> Packed {
    PL
}

/// Each language's table. English is a part of its own, fetched the first time it is chosen
/// (`load`), so a phone in Polish never downloads it. Until it is there, Polish.
fn table(lang: Lang) -> Packed {
    match lang {
        Lang::Pl => polish(),
        #[cfg(feature = "split")]
        Lang::En => ENGLISH.with(std::cell::Cell::get).unwrap_or_else(polish),
        #[cfg(not(feature = "split"))]
        Lang::En => EN,
    }
}

/// Makes every Polish text ready (their part fetched, from the service worker's cache once
/// precached): a screen loaded on demand waits for it. When they have just come, the texts on
/// the screen are read again (`lang` notified). `Err` when the part cannot be fetched.
pub async fn complete(lang: RwSignal<Lang>) -> Result<(), crate::split::ChunkError> {
    #[cfg(feature = "split")]
    if fetch_table(&POLISH, crate::split::polish::polish).await? {
        lang.update(|_| {});
    }
    #[cfg(not(feature = "split"))]
    let _ = lang;
    Ok(())
}

/// Makes `lang`'s texts ready (English: its part fetched, from the service worker's cache once
/// precached). Set the language only after this; where the part cannot be fetched the texts
/// stay Polish.
pub async fn load(lang: Lang) {
    #[cfg(feature = "split")]
    if lang == Lang::En {
        let _ = fetch_table(&ENGLISH, crate::split::english::english).await;
    }
    #[cfg(not(feature = "split"))]
    let _ = lang;
}

/// Puts a table of texts from its part (`split`) into `kept`, unless it is there already:
/// whether it has just come.
#[cfg(feature = "split")]
async fn fetch_table<F>(
    kept: &'static std::thread::LocalKey<std::cell::Cell<Option<Packed>>>,
    split: impl FnOnce() -> F,
) -> Result<bool, crate::split::ChunkError>
where
    F: std::future::Future<Output = Result<Packed, crate::split::ChunkError>>,
{
    if kept.with(std::cell::Cell::get).is_some() {
        return Ok(false);
    }
    let texts = split().await?;
    Ok(kept.with(|k| k.replace(Some(texts))).is_none())
}

/// The language this phone was set to (Polish when none).
pub fn preferred() -> Lang {
    crate::platform::pref("lang").and_then(|c| Lang::from_code(&c)).unwrap_or_default()
}

/// The key of a text, by its index (`k::PATROL_START` is the index of "patrol_start").
pub fn key_index(key: &str) -> Option<usize> {
    KEYS.find(key)
}

/// The text of a key known at compile time (`k::PATROL_START`).
pub fn text(lang: Lang, key: usize) -> &'static str {
    table(lang).get(key)
}

/// The text of a key built at run time (`item_hot_meal`); the key itself when unknown, so a
/// gap shows up in the UI and in the tests instead of an empty label.
pub fn lookup(lang: Lang, key: &str) -> &str {
    match key_index(key) {
        Some(i) => table(lang).get(i),
        None => key,
    }
}

/// The UI language as a reactive handle: read inside a closure to follow changes.
#[derive(Clone, Copy)]
pub struct I18n(pub RwSignal<Lang>);

impl I18n {
    pub fn t(self, key: usize) -> &'static str {
        text(self.0.get(), key)
    }

    /// Translation of a domain value: `prefix_value`, e.g. `("item", "hot_meal")`.
    pub fn value(self, prefix: &str, value: &str) -> String {
        lookup(self.0.get(), &format!("{prefix}_{value}")).to_owned()
    }

    /// A key's text as a signal: every translated text in the views is this one type, so the
    /// wasm carries one copy of its rendering code instead of one per call site.
    pub fn s(self, key: usize) -> Signal<&'static str> {
        Signal::derive(move || text(self.0.get(), key))
    }

    /// A domain value's text as a signal (see `value`).
    pub fn sv(self, prefix: &'static str, value: &'static str) -> Signal<String> {
        Signal::derive(move || self.value(prefix, value))
    }

    pub fn lang(self) -> Lang {
        self.0.get()
    }
}

pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

#[cfg(test)]
mod tests {
    use super::*;
    use latarnia_core::*;

    #[test]
    fn every_domain_value_has_a_text_in_every_language() {
        let mut keys: Vec<String> = Vec::new();
        keys.extend(PatrolKind::ALL.iter().map(|v| format!("patrol_kind_{}", v.as_str())));
        keys.extend(PartnerAgency::ALL.iter().map(|v| format!("partner_{}", v.as_str())));
        keys.extend(Gender::ALL.iter().map(|v| format!("gender_{}", v.as_str())));
        keys.extend(AgeBand::ALL.iter().map(|v| format!("age_{}", v.as_str())));
        keys.extend(Condition::ALL.iter().map(|v| format!("condition_{}", v.as_str())));
        keys.extend(Item::ALL.iter().map(|v| format!("item_{}", v.as_str())));
        keys.extend(ReferralKind::ALL.iter().map(|v| format!("referral_{}", v.as_str())));
        keys.extend(ReferralOutcome::ALL.iter().map(|v| format!("outcome_{}", v.as_str())));
        keys.extend(PositionStatus::ALL.iter().map(|v| format!("position_{}", v.as_str())));
        keys.extend(SiteKind::ALL.iter().map(|v| format!("site_kind_{}", v.as_str())));
        keys.extend(SiteStatus::ALL.iter().map(|v| format!("site_status_{}", v.as_str())));
        keys.extend(ReportSource::ALL.iter().map(|v| format!("report_source_{}", v.as_str())));
        keys.extend(Urgency::ALL.iter().map(|v| format!("urgency_{}", v.as_str())));
        keys.extend(ReportStatus::ALL.iter().map(|v| format!("report_status_{}", v.as_str())));
        keys.extend(
            latarnia_core::facilities::FacilityKind::ALL.iter().map(|v| format!("facility_kind_{}", v.as_str())),
        );
        // A refused record is named by its collection (never the raw `collection_meal_runs`).
        keys.extend(latarnia_core::sync::COLLECTIONS.iter().map(|c| format!("collection_{}", c.name)));
        keys.extend(latarnia_core::sites::SiteField::ALL.iter().map(|f| format!("site_{}", f.as_str())));
        for key in &keys {
            assert!(key_index(key).is_some(), "no translation for {key}");
        }
    }

    #[test]
    fn every_validation_code_has_a_text() {
        for code in latarnia_core::validate::CODES {
            let key = format!("err_{code}");
            assert!(key_index(&key).is_some(), "no translation for {key}");
        }
    }

    #[test]
    fn polish_is_the_default_and_texts_differ_by_language() {
        assert_eq!(Lang::default(), Lang::Pl);
        assert_eq!(lookup(Lang::Pl, "item_blanket"), "Koc");
        assert_eq!(lookup(Lang::En, "item_blanket"), "Blanket");
        assert_eq!(lookup(Lang::En, "no_such_key"), "no_such_key");
    }

    #[test]
    fn every_key_is_found_at_its_own_index_with_its_texts_whole() {
        for lang in Lang::ALL {
            let file = format!("{}/locales/{}.json", env!("CARGO_MANIFEST_DIR"), lang.code());
            let texts: std::collections::BTreeMap<String, String> =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            assert_eq!(texts.len(), KEYS.ends.len());
            for (i, (key, want)) in texts.iter().enumerate() {
                assert_eq!(key_index(key), Some(i), "{key}");
                assert_eq!(text(lang, i), want, "{key} in {}", lang.code());
                assert_eq!(lookup(lang, key), want, "{key} in {}", lang.code());
            }
        }
        assert_eq!(text(Lang::Pl, k::ZIMA_SAVED), "Zapisane.");
        assert_eq!(text(Lang::Pl, KEYS.ends.len()), "", "past the end: nothing, not a panic");
    }

    #[test]
    fn the_first_load_holds_the_first_screens_polish_texts_and_not_the_others() {
        for i in 0..KEYS.ends.len() {
            let first = PL_FIRST.get(i);
            assert!(first.is_empty() || first == PL.get(i), "{}: {first}", KEYS.get(i));
        }
        // The sign-in, the lock, the frame, a part's error and "no such page".
        for key in [
            k::LOGIN_TITLE,
            k::LOGIN_BAD,
            k::LOCK_TITLE,
            k::LOCK_WRONG,
            k::CHUNK_RETRY,
            k::LOADING_SCREEN,
            k::NOT_FOUND,
        ] {
            assert_eq!(PL_FIRST.get(key), PL.get(key), "{}", KEYS.get(key));
        }
        // A screen loaded on demand's own: Akcja ZIMA planning's.
        assert_eq!(PL_FIRST.get(k::ZIMA_SAVED), "");
        let first: usize = (0..KEYS.ends.len()).map(|i| PL_FIRST.get(i).len()).sum();
        assert!(first * 2 < PL.text.len(), "the first load holds {first} of {} bytes of text", PL.text.len());
    }
}
