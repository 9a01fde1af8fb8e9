//! How values go to IndexedDB and back: JSON text over the boundary, and sealed under the data
//! key when the phone has a PIN (docs/privacy.md, "On the phone").

use super::*;

impl From<rexie::Error> for StoreError {
    fn from(e: rexie::Error) -> Self {
        // rexie's Display says only "idb error"; the Debug form carries the DOMException.
        let detail = format!("{e:?}");
        if detail.contains("QuotaExceeded") {
            StoreError::QuotaExceeded
        } else {
            StoreError::Failed(detail)
        }
    }
}

impl From<CryptoError> for StoreError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Unavailable => StoreError::Unavailable("WebCrypto".into()),
            CryptoError::WrongPin | CryptoError::Damaged => StoreError::Failed(format!("sealed value: {e:?}")),
        }
    }
}

pub(super) fn json_failed(e: serde_json::Error) -> StoreError {
    StoreError::Failed(e.to_string())
}

/// Values go to IndexedDB as JSON text parsed by the browser: one string over the boundary
/// instead of a call per property, and objects the browser clones faster (measured: a fresh
/// phone's first sync ~10 % quicker).
pub(super) fn to_js<T: Serialize>(v: &T) -> Result<JsValue, StoreError> {
    parse(&serde_json::to_string(v).map_err(json_failed)?)
}

pub(super) fn parse(text: &str) -> Result<JsValue, StoreError> {
    js_sys::JSON::parse(text).map_err(|_| StoreError::Failed("JSON.parse".into()))
}

pub(super) fn from_js<T: DeserializeOwned>(v: JsValue) -> Result<T, StoreError> {
    // The same way back: one JSON string over the boundary (measured: reading 2,000 places
    // for the map took ~5× longer property by property through serde-wasm-bindgen).
    let text = js_sys::JSON::stringify(&v).map_err(|_| StoreError::Failed("JSON.stringify".into()))?;
    serde_json::from_str(&String::from(text)).map_err(json_failed)
}

/// The property that holds a sealed value's bytes (IV, ciphertext and tag).
pub(super) const SEALED: &str = "sealed";

/// What stays in clear beside a sealed record: what the indexes and lists need, nothing typed.
#[derive(Serialize)]
pub(super) struct RecordIndex {
    id: Uuid,
    alive: u8,
    sort_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    parent: Option<Uuid>,
    deleted: bool,
}

impl RecordIndex {
    pub(super) fn of<T>(l: &Local<T>) -> Self {
        RecordIndex { id: l.id, alive: l.alive, sort_ms: l.sort_ms, parent: l.parent, deleted: l.deleted }
    }

    /// The same from a stored record read without its type.
    pub(super) fn of_value(v: &Value) -> Value {
        let mut out = serde_json::Map::new();
        for name in ["id", "alive", "sort_ms", "parent", "deleted"] {
            if let Some(x) = v.get(name).filter(|x| !x.is_null()) {
                out.insert(name.into(), x.clone());
            }
        }
        Value::Object(out)
    }
}

#[derive(Serialize)]
pub(super) struct ByKey<'a> {
    pub(super) key: &'a str,
}

#[derive(Serialize)]
pub(super) struct ByMid {
    pub(super) mid: u64,
}

/// A value as JSON text and what stays in clear beside it once sealed (not generic: one copy
/// of the sealing code serves every type).
pub(super) struct Plain {
    json: String,
    /// The clear index, as JSON text too: a batch's indexes cross to the browser in one parse.
    index: String,
}

pub(super) fn plain<T: Serialize>(value: &T, index: &impl Serialize) -> Result<Plain, StoreError> {
    plain_text(serde_json::to_string(value).map_err(json_failed)?, index)
}

/// [`plain`] of a value already written as JSON text.
pub(super) fn plain_text(json: String, index: &impl Serialize) -> Result<Plain, StoreError> {
    Ok(Plain { json, index: serde_json::to_string(index).map_err(json_failed)? })
}

/// Many JSON texts as browser values, in one `JSON.parse` of them as an array (one call over
/// the boundary for a page of 2,000, not 2,000: measured, a tenth of a fresh phone's first sync
/// went into these calls).
fn parse_each<'a>(texts: impl ExactSizeIterator<Item = &'a str>) -> Result<Vec<JsValue>, StoreError> {
    let n = texts.len();
    let mut all = String::with_capacity(2 + n * 96);
    all.push('[');
    for (i, t) in texts.enumerate() {
        if i > 0 {
            all.push(',');
        }
        all.push_str(t);
    }
    all.push(']');
    let parsed: Array = parse(&all)?.unchecked_into();
    Ok((0..n as u32).map(|i| parsed.get(i)).collect())
}

/// The value as stored: sealed under `key` beside its clear index, or in clear without a key.
pub(super) async fn seal(key: Option<&DataKey>, p: Plain) -> Result<JsValue, StoreError> {
    Ok(seal_all_of(key, vec![p]).await?.pop().expect("one in, one out"))
}

/// `f` polled once now, which sends its IndexedDB requests (a future does nothing until polled),
/// and what is left of it to await.
pub(super) fn started<F: std::future::Future + Unpin>(
    mut f: F,
) -> futures::future::Either<futures::future::Ready<F::Output>, F> {
    use futures::FutureExt;
    match (&mut f).now_or_never() {
        Some(done) => futures::future::Either::Left(futures::future::ready(done)),
        None => futures::future::Either::Right(f),
    }
}

/// Many values sealed at once (WebCrypto works beside the page; one wait for all of them).
pub(super) async fn seal_all_of(key: Option<&DataKey>, plains: Vec<Plain>) -> Result<Vec<JsValue>, StoreError> {
    let Some(key) = key else { return parse_each(plains.iter().map(|p| p.json.as_str())) };
    let sealed = crypto::seal_many(key, &plains.iter().map(|p| p.json.as_bytes()).collect::<Vec<_>>()).await?;
    let indexes = parse_each(plains.iter().map(|p| p.index.as_str()))?;
    let sealed_key = JsValue::from_str(SEALED);
    indexes
        .into_iter()
        .zip(sealed)
        .map(|(index, bytes)| {
            js_sys::Reflect::set(&index, &sealed_key, &bytes).map_err(|_| StoreError::Failed("Reflect.set".into()))?;
            Ok(index)
        })
        .collect()
}

pub(super) async fn open<T: DeserializeOwned>(key: Option<&DataKey>, v: JsValue) -> Result<T, StoreError> {
    open_all(key, [v]).await?.pop().ok_or_else(|| StoreError::Failed("one in, none out".into()))
}

/// Many stored values read at once, in their order: those sealed opened together (one wait
/// for all), those in clear (a phone without a PIN) as they are.
pub(super) async fn open_all<T: DeserializeOwned>(
    key: Option<&DataKey>,
    rows: impl IntoIterator<Item = JsValue>,
) -> Result<Vec<T>, StoreError> {
    open_texts(key, rows.into_iter().collect())
        .await?
        .iter()
        .map(|t| serde_json::from_str(t).map_err(json_failed))
        .collect()
}

/// [`open_all`]'s JSON texts (not generic: one copy of this code serves every type).
pub(super) async fn open_texts(key: Option<&DataKey>, rows: Vec<JsValue>) -> Result<Vec<String>, StoreError> {
    let sealed_key = JsValue::from_str(SEALED);
    let rows: Vec<(JsValue, JsValue)> =
        rows.into_iter().map(|v| (js_sys::Reflect::get(&v, &sealed_key).unwrap_or(JsValue::UNDEFINED), v)).collect();
    let sealed: Vec<Uint8Array> =
        rows.iter().filter(|(s, _)| !s.is_undefined()).map(|(s, _)| s.clone().unchecked_into()).collect();
    let opened = match sealed.is_empty() {
        true => Array::new(),
        false => crypto::open_many(key.ok_or(StoreError::Locked)?, &sealed).await?,
    };
    let mut next = 0;
    rows.into_iter()
        .map(|(s, v)| {
            if s.is_undefined() {
                return Ok(js_sys::JSON::stringify(&v)
                    .map_err(|_| StoreError::Failed("JSON.stringify".into()))?
                    .into());
            }
            let plain = Uint8Array::new(&opened.get(next)).to_vec();
            next += 1;
            String::from_utf8(plain).map_err(|e| StoreError::Failed(e.to_string()))
        })
        .collect()
}

pub(super) fn is_sealed(v: &JsValue) -> bool {
    js_sys::Reflect::get(v, &SEALED.into()).is_ok_and(|s| !s.is_undefined())
}
