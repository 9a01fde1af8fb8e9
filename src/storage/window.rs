//! The phone's side of the field-sized window (`latarnia_core::window`, docs/protocol.md "The
//! window"): after a sync, the records that have left the window are dropped — only once the
//! server holds them (nothing pending, nothing refused is ever dropped) — and a meal run's stops
//! go with it. Plain logic over [`Store`], so both backends do the same.

use std::collections::BTreeSet;

use latarnia_core::engine::WindowKept;
use latarnia_core::protocol::{Record, MEAL_RUN_STOPS};
use latarnia_core::sync::PullWindow;
use uuid::Uuid;

use super::{Query, Store, StoreError};

/// Applies `window`, as the last pull gave it, to what `store` holds. A window longer than the
/// last one is `grew` (the caller pulls everything again).
pub async fn keep_window(store: &impl Store, window: PullWindow) -> Result<WindowKept, StoreError> {
    let before = store.sync_state().await?.window_days;
    let grew = before.is_some_and(|old| old != 0 && (window.days == 0 || window.days > old));
    if before != Some(window.days) {
        store.set_window_days(window.days).await?;
    }
    let Some(from) = window.from_ms else { return Ok(WindowKept { dropped: 0, grew }) };
    // Pending or refused: the worker's, not yet the server's.
    let mut held: BTreeSet<(String, Uuid)> = store.outbox().await?.into_iter().map(|m| (m.collection, m.id)).collect();
    held.extend(store.rejected().await?.into_iter().map(|r| (r.collection, r.id)));
    let mut dropped = 0;
    dropped += drop_old::<latarnia_core::Patrol>(store, from, &held).await?.len();
    dropped += drop_old::<latarnia_core::Contact>(store, from, &held).await?.len();
    dropped += drop_old::<latarnia_core::Report>(store, from, &held).await?.len();
    dropped += drop_old::<latarnia_core::Forecast>(store, from, &held).await?.len();
    let runs = drop_old::<latarnia_core::MealRun>(store, from, &held).await?;
    dropped += runs.len();
    for run in runs {
        for deleted in [false, true] {
            let q = Query { parent: Some(run), deleted, ..Query::default() };
            let stops: Vec<Uuid> = store
                .list::<latarnia_core::MealRunStop>(&q)
                .await?
                .into_iter()
                .map(|s| s.id)
                .filter(|id| !held.contains(&(MEAL_RUN_STOPS.to_owned(), *id)))
                .collect();
            store.forget(MEAL_RUN_STOPS, &stops).await?;
            dropped += stops.len();
        }
    }
    Ok(WindowKept { dropped, grew })
}

/// Drops the records of `T` whose window moment is before `from` and that are not `held`; their
/// ids. Only records listed before `from` can be (a record's moment is never before its time).
async fn drop_old<T: Record>(
    store: &impl Store,
    from: i64,
    held: &BTreeSet<(String, Uuid)>,
) -> Result<Vec<Uuid>, StoreError> {
    let mut gone = Vec::new();
    for deleted in [false, true] {
        let q = Query { to_ms: Some(from as f64 - 1.0), deleted, ..Query::default() };
        gone.extend(
            store
                .list::<T>(&q)
                .await?
                .into_iter()
                .filter(|r| r.data.window_ms().is_some_and(|at| at < from))
                .map(|r| r.id)
                .filter(|id| !held.contains(&(T::COLLECTION.to_owned(), *id))),
        );
    }
    store.forget(T::COLLECTION, &gone).await?;
    Ok(gone)
}

/// The user's role changed: what the phone holds was pulled under the old one (a partner must
/// not keep the contacts it read as a streetworker, nor the descriptions of reports it did not
/// file). Every record the server holds is forgotten and the cursor reset, so the next pull
/// brings exactly what the new role reads; records not yet sent or refused stay, as the
/// worker's. The number of records forgotten.
pub async fn start_over(store: &impl Store) -> Result<usize, StoreError> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Uuid,
    }
    let mut held: BTreeSet<(String, Uuid)> = store.outbox().await?.into_iter().map(|m| (m.collection, m.id)).collect();
    held.extend(store.rejected().await?.into_iter().map(|r| (r.collection, r.id)));
    let mut forgotten = 0;
    for c in latarnia_core::rules::COLLECTIONS {
        let mut gone = Vec::new();
        for deleted in [false, true] {
            let texts = store.texts(c.name, &Query { deleted, ..Query::default() }).await?;
            gone.extend(
                texts
                    .iter()
                    .filter_map(|t| serde_json::from_str::<Id>(t).ok())
                    .map(|r| r.id)
                    .filter(|id| !held.contains(&(c.name.to_owned(), *id))),
            );
        }
        store.forget(c.name, &gone).await?;
        forgotten += gone.len();
    }
    store.apply_pull(&[], "", 0).await?;
    Ok(forgotten)
}
