//! A local edit planned as plain logic: the record and its outbox mutation, written by a
//! backend in one transaction; a pulled change merged with what is stored and pending; the
//! outbox rebuilt for a server that lost pushes.

use super::*;

/// The per-device sync state, stored under `meta/"clock"` and updated in every write.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClockState {
    pub key: String,
    pub client_id: Uuid,
    pub hlc: String,
    pub last_mid: u64,
}

impl ClockState {
    pub const KEY: &'static str = "clock";

    pub fn new(client_id: Uuid) -> Self {
        ClockState { key: Self::KEY.into(), client_id, hlc: Hlc::zero(client_id).to_string(), last_mid: 0 }
    }
}

/// A local edit.
#[derive(Debug, Clone)]
pub enum Edit<T> {
    /// Create or change a record (the whole new value; only changed fields are pushed).
    Save(T),
    /// Soft delete: the record stays, hidden, and can be restored.
    Delete(Uuid),
    Restore(Uuid),
}

impl<T: Record> Edit<T> {
    /// Deletes (`true`) or restores (`false`) the record `id`.
    pub fn deleted(id: Uuid, deleted: bool) -> Self {
        if deleted {
            Edit::Delete(id)
        } else {
            Edit::Restore(id)
        }
    }

    pub fn id(&self) -> Uuid {
        match self {
            Edit::Save(r) => r.id(),
            Edit::Delete(id) | Edit::Restore(id) => *id,
        }
    }
}

/// A local edit with its record type read off (`Edit::erase`): everything planning and
/// writing it needs, so that one copy of the store's write code serves every record type.
#[derive(Clone)]
pub struct AnyEdit {
    pub collection: &'static str,
    pub id: Uuid,
    pub change: AnyChange,
    /// Reads a stored record of this type (JSON text) as this app version has it: what the edit
    /// is compared with (a field an older version did not write comes with its default).
    pub stored: fn(&str) -> Result<Local<Value>, StoreError>,
}

#[derive(Clone)]
pub enum AnyChange {
    /// The record's whole new value (its JSON object), validated.
    Save {
        data: Value,
        sort_ms: f64,
        parent: Option<Uuid>,
    },
    Delete,
    Restore,
}

impl<T: Record> Edit<T> {
    /// The edit without its type; a record that fails validation is refused here.
    pub fn erase(self) -> Result<AnyEdit, StoreError> {
        let id = self.id();
        let change = match self {
            Edit::Save(new) => {
                new.validate()?;
                let data = latarnia_core::protocol::to_json(&new).map_err(failed)?;
                AnyChange::Save { data, sort_ms: new.sort_ms(), parent: new.parent() }
            }
            Edit::Delete(_) => AnyChange::Delete,
            Edit::Restore(_) => AnyChange::Restore,
        };
        Ok(AnyEdit { collection: T::COLLECTION, id, change, stored: stored_as::<T> })
    }
}

/// [`AnyEdit::stored`] for `T`: read as `T` and written again.
fn stored_as<T: Record>(text: &str) -> Result<Local<Value>, StoreError> {
    let l: Local<T> = serde_json::from_str(text).map_err(failed)?;
    let data = latarnia_core::protocol::to_json(&l.data).map_err(failed)?;
    Ok(Local {
        id: l.data.id(),
        sort_ms: l.data.sort_ms(),
        parent: l.data.parent(),
        data,
        deleted: l.deleted,
        alive: l.alive,
        hlc: l.hlc,
        field_hlcs: l.field_hlcs,
        deleted_hlc: l.deleted_hlc,
    })
}

/// What one write puts into the store, all in one transaction.
#[derive(Debug, Clone)]
pub struct Planned {
    pub record: Local<Value>,
    pub mutation: Mutation,
    pub clock: ClockState,
}

/// Decides what an edit writes. `Ok(None)`: nothing changed, nothing to write.
pub fn plan(
    clock: &ClockState,
    existing: Option<Local<Value>>,
    edit: AnyEdit,
    now_ms: u64,
) -> Result<Option<Planned>, StoreError> {
    let (record, op, fields) = match (edit.change, existing) {
        (AnyChange::Save { data, sort_ms, parent }, existing) => {
            let new_fields = fields_of_value(data.clone());
            let (fields, deleted) = match &existing {
                Some(old) => (changed_fields(&fields_of_value(old.data.clone()), &new_fields), old.deleted),
                None => (new_fields, false),
            };
            if fields.is_empty() {
                return Ok(None);
            }
            let (field_hlcs, deleted_hlc) = existing.map(|o| (o.field_hlcs, o.deleted_hlc)).unwrap_or_default();
            let record = Local {
                id: edit.id,
                data,
                deleted,
                alive: u8::from(!deleted),
                hlc: String::new(),
                sort_ms,
                parent,
                field_hlcs,
                deleted_hlc,
            };
            (record, Op::Upsert, fields)
        }
        (AnyChange::Delete, Some(old)) if !old.deleted => {
            (Local { deleted: true, alive: 0, deleted_hlc: String::new(), ..old }, Op::Delete, Default::default())
        }
        (AnyChange::Restore, Some(old)) if old.deleted => {
            (Local { deleted: false, alive: 1, deleted_hlc: String::new(), ..old }, Op::Restore, Default::default())
        }
        (AnyChange::Delete | AnyChange::Restore, Some(_)) => return Ok(None),
        (AnyChange::Delete | AnyChange::Restore, None) => return Err(StoreError::NotFound),
    };
    let hlc = clock
        .hlc
        .parse::<Hlc>()
        .map_err(|e| StoreError::Failed(format!("stored clock: {e}")))?
        .tick(now_ms)
        .map_err(|e| StoreError::Failed(e.to_string()))?
        .to_string();
    let mid = clock.last_mid + 1;
    let mut record = Local { hlc: hlc.clone(), ..record };
    match op {
        Op::Upsert => record.field_hlcs.extend(fields.keys().map(|k| (k.clone(), hlc.clone()))),
        Op::Delete | Op::Restore => record.deleted_hlc = hlc.clone(),
    }
    let id = record.id;
    Ok(Some(Planned {
        record,
        mutation: Mutation { mid, collection: edit.collection.into(), id, op, hlc: hlc.clone(), fields },
        clock: ClockState { hlc, last_mid: mid, ..clock.clone() },
    }))
}

impl<T: Record> Local<T> {
    /// The stored form of `data`, last written at `hlc`.
    pub fn new(data: T, deleted: bool, hlc: String) -> Self {
        Local {
            id: data.id(),
            sort_ms: data.sort_ms(),
            parent: data.parent(),
            deleted,
            alive: u8::from(!deleted),
            hlc,
            data,
            field_hlcs: BTreeMap::new(),
            deleted_hlc: String::new(),
        }
    }
}

/// The local record after a pulled change: the server's state, except fields (and the deleted
/// flag) with pending local mutations. `None` when the server's record is not a valid `T` for
/// this app version (it is skipped and kept on the server).
pub fn merge_change<T: Record>(
    existing: Option<Local<T>>,
    change: &RawChange,
    pending: Option<&Pending>,
) -> Option<Local<T>> {
    // Only a pending local edit of a record held keeps anything of the phone's own: otherwise
    // the server's record is read straight from the text that came (a first sync's every one).
    let (data, deleted) = match existing.as_ref().zip(pending) {
        Some((old, _)) => {
            let local_fields = fields_of(&old.data);
            let (fields, deleted) = merge_pulled(Some((&local_fields, old.deleted)), change, pending);
            (latarnia_core::protocol::record_of::<T>(fields, change.id), deleted)
        }
        None => (change.record::<T>(), change.deleted),
    };
    let (data, kept_old): (T, bool) = match data {
        Some(d) => (d, false),
        // A deleted record arrives as its tombstone (no fields): a phone that holds it keeps
        // what it has, deleted (restorable from here while the server's trash keeps it); a
        // phone that never had it has nothing to keep.
        None if change.deleted => (existing.as_ref()?.data.clone(), true),
        None => return None,
    };
    let old = existing.as_ref().map(|o| (&o.field_hlcs, o.deleted_hlc.as_str()));
    let (field_hlcs, deleted_hlc, hlc) = merged_hlcs(old, kept_old, change, pending);
    Some(Local { field_hlcs, deleted_hlc, ..Local::new(data, deleted, hlc) })
}

/// The HLCs of a merged record ([`merge_change`], not generic: one copy for every type): the
/// server's, in the form it sent (the shared one: written as it is, `shared_hlcs`), or the
/// phone's own when it kept its own record (`kept_old`), with the phone's own for the fields
/// and the deleted flag it has pending; and the record's HLC, the latest of them.
fn merged_hlcs(
    old: Option<(&BTreeMap<String, String>, &str)>,
    kept_old: bool,
    change: &RawChange,
    pending: Option<&Pending>,
) -> (BTreeMap<String, String>, String, String) {
    let mut field_hlcs = match (kept_old, old) {
        (true, Some((hlcs, _))) => hlcs.clone(),
        _ => change.field_hlcs.clone(),
    };
    let mut deleted_hlc = change.deleted_hlc.clone();
    if let (Some((old_hlcs, old_deleted_hlc)), Some(p)) = (old, pending) {
        for name in &p.fields {
            match old_hlcs.get(name) {
                Some(h) => field_hlcs.insert(name.clone(), h.clone()),
                None => field_hlcs.remove(name),
            };
        }
        if p.deleted.is_some() {
            deleted_hlc = old_deleted_hlc.to_owned();
        }
    }
    let hlc = field_hlcs.values().chain(std::iter::once(&deleted_hlc)).max().cloned().unwrap_or_default();
    (field_hlcs, deleted_hlc, hlc)
}

/// [`merge_change`] on stored values, by collection: `Ok(None)` for a collection this app
/// version does not know or a record it cannot read (left alone).
pub fn merge_stored(
    existing: Option<Value>,
    change: &RawChange,
    pending: Option<&Pending>,
) -> Result<Option<Value>, StoreError> {
    fn go<T: Record>(
        existing: Option<Value>,
        change: &RawChange,
        pending: Option<&Pending>,
    ) -> Result<Option<Value>, StoreError> {
        let existing =
            existing.as_ref().map(latarnia_core::protocol::from_json::<Local<T>>).transpose().map_err(failed)?;
        merge_change(existing, change, pending)
            .map(|r| latarnia_core::protocol::to_json(&r))
            .transpose()
            .map_err(failed)
    }
    by_collection!(change.collection.as_str(), go(existing, change, pending))
}

/// Everything held (stored values of each collection), as mutations numbered after
/// `after_mid` for a restored server (`engine::resend_plan`). A record stored before fields
/// had their own HLCs sends every field at the record's HLC.
pub fn resend_values(stored: &[(&'static str, Value)], after_mid: u64) -> Vec<Mutation> {
    struct Owned {
        collection: &'static str,
        id: Uuid,
        fields: serde_json::Map<String, Value>,
        field_hlcs: BTreeMap<String, String>,
        deleted: bool,
        deleted_hlc: String,
    }
    let held: Vec<Owned> = stored
        .iter()
        .filter_map(|(collection, v)| {
            let id = v.get("id")?.as_str()?.parse().ok()?;
            let mut fields = v.get("data")?.as_object()?.clone();
            fields.remove("id");
            let mut hlcs: BTreeMap<String, String> = v
                .get("field_hlcs")
                .and_then(|h| latarnia_core::sync::shared_hlcs::deserialize(h.clone()).ok())
                .unwrap_or_default();
            let record_hlc = v.get("hlc").and_then(Value::as_str).unwrap_or_default();
            for name in fields.keys() {
                hlcs.entry(name.clone()).or_insert_with(|| record_hlc.to_owned());
            }
            let deleted = v.get("deleted").and_then(Value::as_bool).unwrap_or(false);
            let mut deleted_hlc = v.get("deleted_hlc").and_then(Value::as_str).unwrap_or_default().to_owned();
            if deleted && deleted_hlc.is_empty() {
                deleted_hlc = record_hlc.to_owned();
            }
            Some(Owned { collection, id, fields, field_hlcs: hlcs, deleted, deleted_hlc })
        })
        .collect();
    latarnia_core::engine::resend_plan(
        held.iter().map(|h| latarnia_core::engine::Held {
            collection: h.collection,
            id: h.id,
            fields: &h.fields,
            field_hlcs: &h.field_hlcs,
            deleted: h.deleted,
            deleted_hlc: &h.deleted_hlc,
        }),
        after_mid,
    )
}

/// The clock after observing pulled changes.
pub fn observed(clock: &ClockState, changes: &[RawChange], now_ms: u64) -> ClockState {
    match (latarnia_core::engine::newest_hlc(changes), clock.hlc.parse::<Hlc>()) {
        (Some(remote), Ok(local)) => match local.observe(remote, now_ms) {
            Ok(h) => ClockState { hlc: h.to_string(), ..clock.clone() },
            Err(_) => clock.clone(),
        },
        _ => clock.clone(),
    }
}
