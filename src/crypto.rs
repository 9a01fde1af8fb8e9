//! The one wrapper over the browser's WebCrypto (`SubtleCrypto`) the app uses for encryption at
//! rest: a random AES-256-GCM data key, kept on the phone only wrapped by a key derived from the
//! worker's PIN (PBKDF2-SHA256), and in memory only as a non-extractable `CryptoKey` while the
//! app is unlocked. Nothing here is hand-made cryptography: every step is a WebCrypto call.

use js_sys::{Array, Object, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AesDerivedKeyParams, AesGcmParams, AesKeyGenParams, CryptoKey, Pbkdf2Params, SubtleCrypto};

/// PBKDF2 rounds for a new PIN: the OWASP figure for PBKDF2-HMAC-SHA256 (2023). A PIN has few
/// possible values, so this slows a guess on the phone itself; the real protection against a
/// stolen profile is that the number of tries on the phone is limited and the data key is
/// random (docs/decisions.md).
pub const PIN_ITERATIONS: u32 = 600_000;

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
    crypto.get_random_values_with_u8_array(&mut bytes).map_err(|_| CryptoError::Unavailable)?;
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

fn gcm(iv: &[u8]) -> Object {
    AesGcmParams::new("AES-GCM", &Uint8Array::from(iv)).into()
}

/// The key that wraps the data key, derived from the PIN.
async fn pin_key(pin: &str, salt: &[u8], iterations: u32) -> Result<CryptoKey, CryptoError> {
    let s = subtle()?;
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

async fn unwrap_with(wrapping: &CryptoKey, w: &WrappedKey) -> Result<DataKey, CryptoError> {
    let s = subtle()?;
    let algorithm = AesKeyGenParams::new("AES-GCM", 256);
    let k = call(
        s.unwrap_key_with_u8_array_and_object_and_object(
            "raw",
            &w.wrapped,
            wrapping,
            &gcm(&w.iv),
            &algorithm,
            false,
            &usages(&["encrypt", "decrypt"]),
        ),
        CryptoError::WrongPin,
    )
    .await?;
    Ok(DataKey(key(k)?))
}

/// A new random data key for a new PIN: the key to use now, and what the phone keeps.
pub async fn new_key(pin: &str, iterations: u32) -> Result<(DataKey, WrappedKey), CryptoError> {
    let s = subtle()?;
    // Extractable only so that it can be wrapped; the copy kept in memory is unwrapped below,
    // non-extractable, and this one is dropped.
    let fresh = key(call(
        s.generate_key_with_object(&AesKeyGenParams::new("AES-GCM", 256), true, &usages(&["encrypt", "decrypt"])),
        CryptoError::Unavailable,
    )
    .await?)?;
    let (salt, iv) = (random(SALT_BYTES)?, random(IV_BYTES)?);
    let wrapping = pin_key(pin, &salt, iterations).await?;
    let wrapped =
        bytes(call(s.wrap_key_with_object("raw", &fresh, &wrapping, &gcm(&iv)), CryptoError::Unavailable).await?);
    let kept = WrappedKey { salt, iterations, iv, wrapped };
    let data = unwrap_with(&wrapping, &kept).await?;
    Ok((data, kept))
}

/// The data key from the PIN; `WrongPin` when it is not the PIN it was wrapped with.
pub async fn unlock(pin: &str, w: &WrappedKey) -> Result<DataKey, CryptoError> {
    let wrapping = pin_key(pin, &w.salt, w.iterations).await?;
    unwrap_with(&wrapping, w).await
}

/// The same data key wrapped under a new PIN (the records stay as they are).
pub async fn rewrap(old_pin: &str, w: &WrappedKey, new_pin: &str) -> Result<WrappedKey, CryptoError> {
    // WebCrypto wraps only an extractable key; the kept copy is not one, so the old PIN's
    // wrapping key unwraps an extractable copy for this one step.
    let s = subtle()?;
    let old = pin_key(old_pin, &w.salt, w.iterations).await?;
    let algorithm = AesKeyGenParams::new("AES-GCM", 256);
    let k = key(call(
        s.unwrap_key_with_u8_array_and_object_and_object(
            "raw",
            &w.wrapped,
            &old,
            &gcm(&w.iv),
            &algorithm,
            true,
            &usages(&["encrypt", "decrypt"]),
        ),
        CryptoError::WrongPin,
    )
    .await?)?;
    let (salt, iv) = (random(SALT_BYTES)?, random(IV_BYTES)?);
    let wrapping = pin_key(new_pin, &salt, w.iterations).await?;
    let wrapped = bytes(call(s.wrap_key_with_object("raw", &k, &wrapping, &gcm(&iv)), CryptoError::Unavailable).await?);
    Ok(WrappedKey { salt, iterations: w.iterations, iv, wrapped })
}

/// Encrypts `plain`: a fresh random IV, then the ciphertext with its tag.
pub async fn seal(k: &DataKey, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
    let iv = random(IV_BYTES)?;
    let sealed = bytes(
        call(subtle()?.encrypt_with_object_and_u8_array(&gcm(&iv), &k.0, plain), CryptoError::Unavailable).await?,
    );
    Ok([iv, sealed].concat())
}

/// Decrypts what [`seal`] made with the same key; `Damaged` for anything else.
pub async fn open(k: &DataKey, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < IV_BYTES {
        return Err(CryptoError::Damaged);
    }
    let (iv, body) = sealed.split_at(IV_BYTES);
    Ok(bytes(call(subtle()?.decrypt_with_object_and_u8_array(&gcm(iv), &k.0, body), CryptoError::Damaged).await?))
}
