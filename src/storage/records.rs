//! What the store keeps beside the synced records: refused mutations, the sync state, the
//! session, the key ring and form drafts.

use super::*;

/// A mutation the server refused for good, kept to show (one per record: the latest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedRecord {
    /// `collection:id`.
    pub key: String,
    pub collection: String,
    pub id: Uuid,
    pub mid: u64,
    pub error: String,
    pub message: String,
}

impl From<Rejected> for RejectedRecord {
    fn from(r: Rejected) -> Self {
        RejectedRecord {
            key: format!("{}:{}", r.mutation.collection, r.mutation.id),
            collection: r.mutation.collection,
            id: r.mutation.id,
            mid: r.mutation.mid,
            error: r.error,
            message: r.message,
        }
    }
}

/// Where sync stands, stored with the data (meta `"sync"`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncState {
    pub key: String,
    pub cursor: String,
    /// When the last sync succeeded (ms since the epoch).
    #[serde(default)]
    pub last_sync_ms: Option<u64>,
    /// The field-sized window the last sync applied, in days (`0`: the whole history; `None`:
    /// no windowed sync yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
}

impl SyncState {
    pub const KEY: &'static str = "sync";

    /// A phone that has not synced yet.
    pub fn blank() -> Self {
        SyncState { key: Self::KEY.into(), ..Default::default() }
    }
}

/// The signed-in user's session, stored with the data (meta `"session"`): it survives reloads
/// and works offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub key: String,
    pub token: String,
    pub expires_at: String,
    pub user: User,
    /// The organisation's settings for its phones, as of the sign-in.
    #[serde(default)]
    pub phone: latarnia_core::sync::PhoneSettings,
}

impl Session {
    pub const KEY: &'static str = "session";
}

/// How the phone's data key is kept (meta `"keys"`, in clear: it holds no record data). The
/// data key itself is stored only wrapped: under the PIN, and under the recovery key the server
/// keeps for this phone (opened only by a password sign-in).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRing {
    pub key: String,
    /// `None` once the PIN was entered wrong too often: only the password opens the phone.
    pub pin: Option<crate::crypto::WrappedKey>,
    pub recovery: Option<crate::crypto::WrappedKey>,
    /// Wrong PINs in a row, and when the next try is allowed (ms since the epoch): kept here so
    /// that a reload does not reset them.
    #[serde(default)]
    pub failures: u32,
    #[serde(default)]
    pub next_try_ms: u64,
    /// Whose data this is: only they can open it again with their password.
    pub owner: Uuid,
}

impl KeyRing {
    pub const KEY: &'static str = "keys";
}

/// An unsaved form as the store keeps it (meta, under `"draft:" + form`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    pub key: String,
    pub text: String,
}

impl Draft {
    pub fn key(form: &str) -> String {
        format!("draft:{form}")
    }
}
