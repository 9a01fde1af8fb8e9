//! The screens that load on demand (issue 18): each is a split point, built into its own wasm
//! chunk by `cargo xtask build` (wasm-split), fetched the first time it is opened and
//! precached by the service worker after the first screen is up. Everything else — sign-in,
//! lock, the field screens — is the first load.
//!
//! `wasm_split` writes an import/export pair per split point (its expansion needs `unsafe`:
//! the only module of the app that does); a build without the split step links the same
//! functions directly (native tests).

use leptos::prelude::*;
use wasm_split_helpers::{wasm_split, SplitLoaderError};

/// A chunk that could not be fetched or instantiated (offline before it was precached, a
/// server that no longer has this build's chunk).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkError;

impl From<SplitLoaderError> for ChunkError {
    fn from(_: SplitLoaderError) -> Self {
        ChunkError
    }
}

/// Fetching and instantiating a chunk (once; a failed load is tried again on the next call).
pub type ChunkLoad = std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), ChunkError>>>>;

/// One part of the app loaded on demand — a screen, or a coordinators' form inside a field
/// screen: its chunk's preload and the view it draws once loaded (at once: the split
/// function's wrapper completes on its first poll once the chunk is there, so the view is
/// made under the caller's owner and context).
#[derive(Clone)]
pub struct LazyScreen {
    pub preload: fn() -> ChunkLoad,
    pub view: std::rc::Rc<dyn Fn() -> Option<Result<AnyView, ChunkError>>>,
}

impl LazyScreen {
    /// `preload` fetches the chunk; `view` is the split function called with its arguments.
    fn new<F: std::future::Future<Output = Result<AnyView, ChunkError>>>(
        preload: fn() -> ChunkLoad,
        view: impl Fn() -> F + 'static,
    ) -> Self {
        LazyScreen { preload, view: std::rc::Rc::new(move || futures::FutureExt::now_or_never(view())) }
    }
}

/// A split point's generated `load()`, as a [`ChunkLoad`].
fn chunk(load: impl std::future::Future<Output = Result<(), SplitLoaderError>> + 'static) -> ChunkLoad {
    Box::pin(async { load.await.map_err(ChunkError::from) })
}

macro_rules! screens {
    // The split function is named after its module: wasm-split tells split points apart by
    // name and place, and every one here comes from the same place in this macro.
    ($($chunk:ident :: $name:ident => $page:path;)*) => {
        $(
            pub mod $name {
                use super::*;

                #[wasm_split($chunk, fallible, preload(load))]
                fn $name() -> Result<AnyView, ChunkError> {
                    Ok(view! { <$page/> }.into_any())
                }

                pub fn screen() -> LazyScreen {
                    LazyScreen::new(|| chunk(load()), $name)
                }
            }
        )*
    };
}

// One chunk per group of screens a worker opens together; code two groups share goes into a
// shared chunk that wasm-split makes itself.
screens! {
    indicators::indicators => crate::pages::indicators::IndicatorsPage;
    zima::zima => crate::pages::zima::ZimaPage;
    zima::run => crate::pages::run::RunPage;
    zima::run_stop => crate::pages::run_stop::RunStopPage;
    reports::reports => crate::pages::reports::ReportsPage;
    reports::report => crate::pages::report_form::ReportFormPage;
    map::map => crate::pages::map::MapPage;
    count::counts => crate::pages::counts::CountsPage;
    count::count => crate::pages::count::CountPage;
    count::count_sector => crate::pages::count_sector::CountSectorPage;
    facilities::facilities => crate::pages::facilities::FacilitiesPage;
    facilities::facility => crate::pages::facility_form::FacilityFormPage;
    reception::reception => crate::pages::reception::ReceptionPage;
    public::public_facilities => crate::pages::public_facilities::PublicFacilitiesPage;
    // Screens a worker opens seldom; Settings holds the coordinators' erasure of a person
    // (GDPR art. 17). A split screen never opens another split point (a test build, which
    // is not split, could not link it).
    settings::settings => crate::pages::settings::SettingsPage;
    settings::sync => crate::pages::sync::SyncPage;
}

/// Merging two places that are one (coordinators), inside the places list.
pub mod site_merge {
    use latarnia_core::sites::{Keep, SiteField};
    use latarnia_core::Site;

    use super::*;

    #[wasm_split(coordinators_forms, fallible, preload(load))]
    fn site_merge(
        survivor: Site,
        other: Site,
        on_merge: Callback<Vec<(SiteField, Keep)>>,
        on_cancel: Callback<()>,
    ) -> Result<AnyView, ChunkError> {
        Ok(view! { <crate::components::site_merge::SiteMerge survivor other on_merge on_cancel/> }.into_any())
    }

    pub fn screen(
        survivor: Site,
        other: Site,
        on_merge: Callback<Vec<(SiteField, Keep)>>,
        on_cancel: Callback<()>,
    ) -> LazyScreen {
        LazyScreen::new(|| chunk(load()), move || site_merge(survivor.clone(), other.clone(), on_merge, on_cancel))
    }
}
