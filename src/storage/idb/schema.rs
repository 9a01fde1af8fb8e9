//! The IndexedDB schema: its stores and indexes, version by version.

use rexie::{Index, ObjectStore};

use super::*;

pub const OUTBOX: &str = "outbox";
pub const META: &str = "meta";
pub const REJECTED: &str = "rejected";
pub(super) const BY_ALIVE_SORT: &str = "by_alive_sort";
pub(super) const SCHEMA_KEY: &str = "schema";

/// The schema version the data was last opened at (meta `"schema"`).
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct SchemaMark {
    pub(super) key: String,
    pub(super) version: u32,
}
pub(super) const BY_PARENT_SORT: &str = "by_parent_sort";

/// The IndexedDB schema versions, oldest first. A new version appends a variant, lists every
/// store in `stores()`, and moves data in `migrate_after_open` (rexie has no upgrade hook).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum SchemaVersion {
    V1 = 1,
    /// Sync: the `rejected` store.
    V2 = 2,
    /// Places and reports: the `sites` and `reports` stores. Pulls before it skipped them, so
    /// the upgrade starts the pull cursor again (decision 30).
    V3 = 3,
    /// Akcja ZIMA: `zima_settings`, `forecasts`, `meal_runs`, `meal_run_stops` (cursor reset
    /// like V3).
    V4 = 4,
    /// Count night: `counts`, `count_visits`, `count_people` (cursor reset like V3).
    V5 = 5,
    /// Aid facilities: `facilities`, `bed_holds` (cursor reset like V3).
    V6 = 6,
}

impl SchemaVersion {
    pub const LATEST: SchemaVersion = SchemaVersion::V6;
    /// The versions that add synced collections: upgrading past one pulls everything again.
    pub(super) const ADD_COLLECTIONS: [SchemaVersion; 4] =
        [SchemaVersion::V3, SchemaVersion::V4, SchemaVersion::V5, SchemaVersion::V6];

    pub fn stores(self) -> Vec<ObjectStore> {
        let mut stores = match self {
            SchemaVersion::V1
            | SchemaVersion::V2
            | SchemaVersion::V3
            | SchemaVersion::V4
            | SchemaVersion::V5
            | SchemaVersion::V6 => vec![
                ObjectStore::new(PATROLS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
                ObjectStore::new(CONTACTS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"]))
                    .add_index(Index::new_array(BY_PARENT_SORT, ["parent", "sort_ms"])),
                ObjectStore::new(OUTBOX).key_path("mid"),
                ObjectStore::new(META).key_path("key"),
            ],
        };
        if self >= SchemaVersion::V2 {
            stores.push(ObjectStore::new(REJECTED).key_path("key"));
        }
        if self >= SchemaVersion::V3 {
            for name in [SITES, REPORTS] {
                stores.push(
                    ObjectStore::new(name)
                        .key_path("id")
                        .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
                );
            }
        }
        if self >= SchemaVersion::V4 {
            for name in [ZIMA_SETTINGS, FORECASTS, MEAL_RUNS] {
                stores.push(
                    ObjectStore::new(name)
                        .key_path("id")
                        .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
                );
            }
            stores.push(
                ObjectStore::new(MEAL_RUN_STOPS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"]))
                    .add_index(Index::new_array(BY_PARENT_SORT, ["parent", "sort_ms"])),
            );
        }
        if self >= SchemaVersion::V5 {
            stores.push(
                ObjectStore::new(COUNTS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
            );
            for name in [COUNT_VISITS, COUNT_PEOPLE] {
                stores.push(
                    ObjectStore::new(name)
                        .key_path("id")
                        .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"]))
                        .add_index(Index::new_array(BY_PARENT_SORT, ["parent", "sort_ms"])),
                );
            }
        }
        if self >= SchemaVersion::V6 {
            stores.push(
                ObjectStore::new(FACILITIES)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"])),
            );
            stores.push(
                ObjectStore::new(BED_HOLDS)
                    .key_path("id")
                    .add_index(Index::new_array(BY_ALIVE_SORT, ["alive", "sort_ms"]))
                    .add_index(Index::new_array(BY_PARENT_SORT, ["parent", "sort_ms"])),
            );
        }
        stores
    }
}
