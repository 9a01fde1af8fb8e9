//! The one wrapper over the browser's WebCrypto (`SubtleCrypto`) the app uses for encryption at
//! rest: a random AES-256-GCM data key, kept on the phone only wrapped by a key derived from the
//! worker's PIN (PBKDF2-SHA256), and in memory only as a non-extractable `CryptoKey` while the
//! app is unlocked. Nothing here is hand-made cryptography: every step is a WebCrypto call.

use js_sys::{Array, Object, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, AesKeyGenParams, CryptoKey, Pbkdf2Params, SubtleCrypto};

/// PBKDF2 rounds for a new PIN: what takes about a quarter of a second on the bench machine
/// (600,000, the OWASP figure for PBKDF2-HMAC-SHA256, measured 97 ms there: decision 77). A PIN
/// has few possible values, so this only slows a guess; the limit on tries lives on the phone,
/// and a lost phone is withdrawn (docs/privacy.md).
pub const PIN_ITERATIONS: u32 = 1_500_000;

const SALT_BYTES: usize = 16;
const IV_BYTES: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// No WebCrypto here (an old browser, or a page not served over HTTPS or from localhost).
    Unavailable,
    /// The PIN does not unwrap the data key.
    WrongPin,
    /// Sealed bytes that do not open with this key: damaged, or sealed under another key.
    Damaged,
}

/// The data key as the phone keeps it: wrapped (AES-GCM) under a key derived from the PIN.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WrappedKey {
    pub salt: Vec<u8>,
    pub iterations: u32,
    pub iv: Vec<u8>,
    pub wrapped: Vec<u8>,
}

/// The data key while the app is unlocked (non-extractable: script cannot read its bytes).
#[derive(Clone)]
pub struct DataKey(CryptoKey);

fn subtle() -> Result<SubtleCrypto, CryptoError> {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok()).ok_or(CryptoError::Unavailable)?;
    Ok(crypto.subtle())
}

fn random(n: usize) -> Result<Vec<u8>, CryptoError> {
    let crypto = web_sys::window().and_then(|w| w.crypto().ok()).ok_or(CryptoError::Unavailable)?;
    let mut bytes = vec![0u8; n];
    // The browser gives at most 65,536 bytes per call.
    for chunk in bytes.chunks_mut(65_536) {
        crypto.get_random_values_with_u8_array(chunk).map_err(|_| CryptoError::Unavailable)?;
    }
    Ok(bytes)
}

fn usages(names: &[&str]) -> Array {
    names.iter().map(|n| JsValue::from_str(n)).collect()
}

async fn call(p: Result<js_sys::Promise, JsValue>, fails: CryptoError) -> Result<JsValue, CryptoError> {
    JsFuture::from(p.map_err(|_| CryptoError::Unavailable)?).await.map_err(|_| fails)
}

fn key(v: JsValue) -> Result<CryptoKey, CryptoError> {
    v.dyn_into::<CryptoKey>().map_err(|_| CryptoError::Unavailable)
}

fn bytes(v: JsValue) -> Vec<u8> {
    Uint8Array::new(&v).to_vec()
}

fn gcm(iv: &Uint8Array) -> Object {
    AesGcmParams::new("AES-GCM", iv).into()
}

/// What opens the data key: the worker's PIN, or the recovery key the server gives this phone
/// at a password sign-in (32 random bytes, never kept on the phone).
#[derive(Clone, Copy)]
pub enum Secret<'a> {
    Pin(&'a str),
    Recovery(&'a [u8]),
}

/// The key that wraps the data key: derived from the PIN (PBKDF2-SHA256 with `salt`), or the
/// recovery key itself.
async fn wrapping_key(secret: Secret<'_>, salt: &[u8], iterations: u32) -> Result<CryptoKey, CryptoError> {
    let s = subtle()?;
    let pin = match secret {
        Secret::Pin(pin) => pin,
        Secret::Recovery(bytes) => {
            if bytes.len() != 32 {
                return Err(CryptoError::WrongPin);
            }
            let algorithm = AesKeyGenParams::new("AES-GCM", 256);
            return key(call(
                s.import_key_with_object(
                    "raw",
                    &Uint8Array::from(bytes),
                    &algorithm,
                    false,
                    &usages(&["wrapKey", "unwrapKey"]),
                ),
                CryptoError::Unavailable,
            )
            .await?);
        }
    };
    let raw = Uint8Array::from(pin.as_bytes());
    let algorithm = Object::new();
    js_sys::Reflect::set(&algorithm, &"name".into(), &"PBKDF2".into()).map_err(|_| CryptoError::Unavailable)?;
    let base = key(call(
        s.import_key_with_object("raw", &raw, &algorithm, false, &usages(&["deriveKey"])),
        CryptoError::Unavailable,
    )
    .await?)?;
    let params = Pbkdf2Params::new_with_str("PBKDF2", "SHA-256", iterations, &Uint8Array::from(salt));
    let derived = AesDerivedKeyParams::new("AES-GCM", 256);
    key(call(
        s.derive_key_with_object_and_object(&params, &base, &derived, false, &usages(&["wrapKey", "unwrapKey"])),
        CryptoError::Unavailable,
    )
    .await?)
}

/// The data key out of `w`; `extractable` only for the one step of wrapping it again.
async fn unwrap_with(wrapping: &CryptoKey, w: &WrappedKey, extractable: bool) -> Result<CryptoKey, CryptoError> {
    let algorithm = AesKeyGenParams::new("AES-GCM", 256);
    key(call(
        subtle()?.unwrap_key_with_u8_array_and_object_and_object(
            "raw",
            &w.wrapped,
            wrapping,
            &gcm(&Uint8Array::from(&w.iv[..])),
            &algorithm,
            extractable,
            &usages(&["encrypt", "decrypt"]),
        ),
        CryptoError::WrongPin,
    )
    .await?)
}

/// `data` (extractable) wrapped under `secret`, with the wrapping key (to unwrap it again
/// without deriving it twice).
async fn wrap(data: &CryptoKey, secret: Secret<'_>, iterations: u32) -> Result<(WrappedKey, CryptoKey), CryptoError> {
    let (salt, iv) = match secret {
        Secret::Pin(_) => (random(SALT_BYTES)?, random(IV_BYTES)?),
        Secret::Recovery(_) => (Vec::new(), random(IV_BYTES)?),
    };
    let iterations = if matches!(secret, Secret::Pin(_)) { iterations } else { 0 };
    let wrapping = wrapping_key(secret, &salt, iterations).await?;
    let wrapped = bytes(
        call(
            subtle()?.wrap_key_with_object("raw", data, &wrapping, &gcm(&Uint8Array::from(&iv[..]))),
            CryptoError::Unavailable,
        )
        .await?,
    );
    Ok((WrappedKey { salt, iterations, iv, wrapped }, wrapping))
}

/// A new random data key: the key to use now, and what the phone keeps of it — wrapped under
/// the PIN, and under the recovery key when there is one.
pub async fn new_key(
    pin: &str,
    iterations: u32,
    recovery: Option<&[u8]>,
) -> Result<(DataKey, WrappedKey, Option<WrappedKey>), CryptoError> {
    // Extractable only so that it can be wrapped; the copy kept in memory is unwrapped below,
    // non-extractable, and this one is dropped.
    let fresh = key(call(
        subtle()?.generate_key_with_object(
            &AesKeyGenParams::new("AES-GCM", 256),
            true,
            &usages(&["encrypt", "decrypt"]),
        ),
        CryptoError::Unavailable,
    )
    .await?)?;
    let (by_pin, wrapping) = wrap(&fresh, Secret::Pin(pin), iterations).await?;
    let by_recovery = match recovery {
        Some(r) => Some(wrap(&fresh, Secret::Recovery(r), 0).await?.0),
        None => None,
    };
    let data = DataKey(unwrap_with(&wrapping, &by_pin, false).await?);
    Ok((data, by_pin, by_recovery))
}

/// The data key from what opens it; `WrongPin` when it is not what it was wrapped with.
pub async fn unlock(secret: Secret<'_>, w: &WrappedKey) -> Result<DataKey, CryptoError> {
    let wrapping = wrapping_key(secret, &w.salt, w.iterations).await?;
    Ok(DataKey(unwrap_with(&wrapping, w, false).await?))
}

/// The same data key wrapped under `to` (a new PIN: the records stay as they are), opened with
/// `from`. `iterations` for a PIN.
pub async fn rewrap(
    from: Secret<'_>,
    w: &WrappedKey,
    to: Secret<'_>,
    iterations: u32,
) -> Result<WrappedKey, CryptoError> {
    // WebCrypto wraps only an extractable key; the kept copy is not one, so `from` unwraps an
    // extractable copy for this one step.
    let wrapping = wrapping_key(from, &w.salt, w.iterations).await?;
    let k = unwrap_with(&wrapping, w, true).await?;
    Ok(wrap(&k, to, iterations).await?.0)
}

/// Encrypts `plain`: a fresh random IV, then the ciphertext with its tag.
pub async fn seal(k: &DataKey, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    Ok(seal_many(k, &[plain]).await?.pop().expect("one in, one out").to_vec())
}

/// Many values sealed at once, each as [`seal`] does (a fresh random IV, then the ciphertext
/// and its tag), the results left in the browser, where the store writes them. One promise
/// for all: the browser encrypts beside the page, and wasm waits once, not once per value.
pub async fn seal_many(k: &DataKey, plains: &[&[u8]]) -> Result<Vec<Uint8Array>, CryptoError> {
    let s = subtle()?;
    let ivs = Uint8Array::from(&random(plains.len() * IV_BYTES)?[..]);
    let iv = |i: usize| ivs.subarray((i * IV_BYTES) as u32, ((i + 1) * IV_BYTES) as u32);
    let promises = Array::new();
    for (i, plain) in plains.iter().enumerate() {
        let p = s.encrypt_with_object_and_u8_array(&gcm(&iv(i)), &k.0, plain).map_err(|_| CryptoError::Unavailable)?;
        promises.push(&p);
    }
    let bodies = call(Ok(js_sys::Promise::all(&promises)), CryptoError::Unavailable).await?;
    let bodies: Array = bodies.unchecked_into();
    Ok((0..plains.len())
        .map(|i| {
            let body = Uint8Array::new(&bodies.get(i as u32));
            let out = Uint8Array::new_with_length((IV_BYTES as u32) + body.length());
            out.set(&iv(i), 0);
            out.set(&body, IV_BYTES as u32);
            out
        })
        .collect())
}

/// Decrypts what [`seal`] made with the same key; `Damaged` for anything else.
pub async fn open(k: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let opened = open_many(k, &[Uint8Array::from(sealed)]).await?;
    Ok(Uint8Array::new(&opened.get(0)).to_vec())
}

/// Many sealed values, as they were read from the store (still in the browser), opened at
/// once: one promise for all, and nothing copied through wasm on the way in. The plain bytes
/// come back as `ArrayBuffer`s in the same order; `Damaged` when any one does not open.
pub async fn open_many(k: &DataKey, sealed: &[Uint8Array]) -> Result<Array, CryptoError> {
    let s = subtle()?;
    let promises = Array::new();
    for v in sealed {
        let n = v.length();
        if n < IV_BYTES as u32 {
            return Err(CryptoError::Damaged);
        }
        let body = v.subarray(IV_BYTES as u32, n);
        let p = s
            .decrypt_with_object_and_js_u8_array(&gcm(&v.subarray(0, IV_BYTES as u32)), &k.0, &body)
            .map_err(|_| CryptoError::Unavailable)?;
        promises.push(&p);
    }
    Ok(call(Ok(js_sys::Promise::all(&promises)), CryptoError::Damaged).await?.unchecked_into())
}
