//! Passwords (argon2id), session tokens (256 random bits, stored as their SHA-256), the login
//! attempt limiter and the `Authed` extractor that every protected endpoint takes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine;
use latarnia_core::sync::User;
use sha2::{Digest, Sha256};

use crate::{AppError, AppState};

/// How long a session lasts: a phone must keep working through weeks of patrols offline.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the operating system's random source");
    b
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::encode_b64(&random_bytes::<16>()).expect("16 bytes is a valid salt");
    Argon2::default().hash_password(password.as_bytes(), &salt).expect("argon2 with default parameters").to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash to verify against when the login does not exist, so both cases take the same time.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("no such user"))
}

/// A new session token (what the client holds) and its hash (what the database holds).
pub fn new_token() -> (String, String) {
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A readable random password for a new account (printed once).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    random_bytes::<20>().iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect()
}

/// The longest login (`user add` refuses longer ones; a login request with one is refused before
/// anything is counted or looked up).
pub const MAX_LOGIN_CHARS: usize = 64;
/// Argon2 reads the whole password: a longer one is refused unhashed.
pub const MAX_PASSWORD_BYTES: usize = 1_024;

/// Limits login attempts per login name and per address within a window, in bounded memory.
pub struct LoginLimiter {
    attempts: Mutex<HashMap<String, (Instant, u32)>>,
    pub max: u32,
    pub window: Duration,
    /// At most this many logins and addresses are tracked; past it the oldest window goes.
    pub capacity: usize,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        LoginLimiter {
            attempts: Mutex::new(HashMap::new()),
            max: 10,
            window: Duration::from_secs(300),
            capacity: 20_000,
        }
    }
}

impl LoginLimiter {
    /// How many logins and addresses are tracked now.
    pub fn tracked(&self) -> usize {
        self.attempts.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Counts an attempt; `false` when the login or the address has used up its attempts.
    /// The login is counted as it is looked up: trimmed, in lower case.
    pub fn allow(&self, login: &str, ip: Option<IpAddr>) -> bool {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if map.len() + 2 > self.capacity {
            map.retain(|_, (start, _)| now.duration_since(*start) < self.window);
            while map.len() + 2 > self.capacity {
                let oldest = map.iter().min_by_key(|(_, (start, _))| *start).map(|(k, _)| k.clone());
                match oldest {
                    Some(k) => map.remove(&k),
                    None => break,
                };
            }
        }
        let mut ok = true;
        let keys = [Some(format!("login:{}", login.trim().to_lowercase())), ip.map(|ip| format!("ip:{ip}"))];
        for key in keys.into_iter().flatten() {
            // An address may be a whole team behind one router: it gets more attempts.
            let max = if key.starts_with("ip:") { self.max * 5 } else { self.max };
            let e = map.entry(key).or_insert((now, 0));
            if now.duration_since(e.0) >= self.window {
                *e = (now, 0);
            }
            e.1 += 1;
            ok &= e.1 <= max;
        }
        ok
    }

    /// A successful login clears the login's count.
    pub fn reset(&self, login: &str) {
        self.attempts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&format!("login:{}", login.trim().to_lowercase()));
    }
}

/// The user behind a valid `Authorization: Bearer` token, and the token's hash.
pub struct Authed {
    pub user: User,
    pub token_hash: String,
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(AppError::Unauthorized)?;
        let token_hash = token_hash(token.trim());
        match state.db.token_user(&token_hash, chrono::Utc::now().timestamp_millis()).await? {
            Some(user) => Ok(Authed { user, token_hash }),
            None if state.db.token_wiped(&token_hash).await? => Err(AppError::Revoked),
            None => Err(AppError::Unauthorized),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let h = hash_password("zupa");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("zupa", &h));
        assert!(!verify_password("Zupa", &h));
        assert!(!verify_password("zupa", "not a hash"));
    }

    #[test]
    fn tokens_are_long_random_and_stored_hashed() {
        let (t1, h1) = new_token();
        let (t2, _) = new_token();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), 43, "256 bits in base64url");
        assert_eq!(h1, token_hash(&t1));
        assert_ne!(h1, t1);
        assert_eq!(generate_password().len(), 20);
    }

    #[test]
    fn the_limiter_counts_per_login_and_resets() {
        let l = LoginLimiter { max: 3, ..Default::default() };
        assert!((0..3).all(|_| l.allow("ala", None)));
        assert!(!l.allow("ALA", None), "case does not dodge the limit");
        assert!(!l.allow(" ala\t", None), "nor do spaces around it");
        assert!(l.allow("ola", None));
        l.reset("ala");
        assert!(l.allow("ala", None));
    }

    #[test]
    fn the_limiter_holds_bounded_memory() {
        let l = LoginLimiter { capacity: 100, ..Default::default() };
        for i in 0..10_000u32 {
            l.allow(&format!("user{i}"), Some(IpAddr::from(i.to_be_bytes())));
            assert!(l.tracked() <= 100);
        }
        // The newest are still counted.
        let l = LoginLimiter { capacity: 100, max: 2, ..Default::default() };
        for i in 0..500 {
            l.allow(&format!("x{i}"), None);
        }
        assert!(l.allow("ola", None) && l.allow("ola", None) && !l.allow("ola", None));
    }
}
