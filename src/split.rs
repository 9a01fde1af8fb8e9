//! The parts of the app that load on demand (issue 18): each is a split point, built into its
//! own wasm chunk by `cargo xtask build` (wasm-split, the `split` feature), fetched the first
//! time it is needed and precached by the service worker after the first screen is up. The
//! first load holds only what a phone shows before anyone is signed in or unlocked: the
//! sign-in, the lock, setting the PIN, the app's frame, the store, the session and the crypto.
//! The field screens and the sync engine are fetched as soon as that first screen is drawn
//! (`preload_field`), while the worker types a password or a PIN.
//!
//! With the `split` feature `wasm_split` writes an import/export pair per split point (its
//! expansion needs `unsafe`: the only module of the app that does). Without it (the tests'
//! builds, native and in the browser, which are not split) the same functions are called
//! directly: a split part may then open another split point.

use leptos::prelude::*;
#[cfg(feature = "split")]
use wasm_split_helpers::wasm_split;
use wasm_split_helpers::SplitLoaderError;

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

/// One split point, in a module of its own: `pub async fn $name(args) -> Result<$ret,
/// ChunkError>` and `pub async fn load()`. With the `split` feature the function's code goes
/// into `$chunk` (wasm-split); without it, it is the plain function.
macro_rules! split_point {
    ($chunk:ident, fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty $body:block) => {
        #[cfg(feature = "split")]
        #[wasm_split($chunk, fallible, preload(load))]
        pub fn $name($($arg: $ty),*) -> Result<$ret, ChunkError> {
            let part = $body;
            Ok(part)
        }

        #[cfg(not(feature = "split"))]
        pub async fn $name($($arg: $ty),*) -> Result<$ret, ChunkError> {
            let part = $body;
            Ok(part)
        }

        #[cfg(not(feature = "split"))]
        pub async fn load() -> Result<(), SplitLoaderError> {
            Ok(())
        }
    };
}

macro_rules! screens {
    // The split function is named after its module: wasm-split tells split points apart by
    // name and place, and every one here comes from the same place in this macro.
    ($($chunk:ident :: $name:ident => $page:path;)*) => {
        $(
            pub mod $name {
                use super::*;

                split_point!($chunk, fn $name() -> AnyView { view! { <$page/> }.into_any() });

                pub fn screen() -> LazyScreen {
                    LazyScreen::new(|| chunk(load()), $name)
                }
            }
        )*
    };
}

// Few parts, each a group of screens opened together: wasm-split makes a shared chunk for
// every set of parts that share code, so every part more means many more small files to fetch
// (seventeen parts made 245 shared chunks; decision 140).
screens! {
    // Setting the PIN, once after a sign-in.
    pin::pin_setup => crate::pages::pin_setup::PinSetupPage;
    // The signed-in app: its router, its routes with the field screens (patrol, contacts,
    // places, Settings), the bars above them and the navigation; with the sync engine, fetched
    // as soon as the first screen is drawn.
    field::signed_in_app => crate::SignedInApp;
    // The screens behind "More": the coordinators' (the report, Akcja ZIMA planning, reports
    // from the 24 h line, the facility directory) and the count night's. Fetched as soon as a
    // coordinator is signed in (`preload_more`); on the others' phones when first opened.
    more::indicators => crate::pages::indicators::IndicatorsPage;
    more::zima => crate::pages::zima::ZimaPage;
    more::run => crate::pages::run::RunPage;
    more::run_stop => crate::pages::run_stop::RunStopPage;
    more::reports => crate::pages::reports::ReportsPage;
    more::report => crate::pages::report_form::ReportFormPage;
    more::counts => crate::pages::counts::CountsPage;
    more::count => crate::pages::count::CountPage;
    more::count_sector => crate::pages::count_sector::CountSectorPage;
    more::facilities => crate::pages::facilities::FacilitiesPage;
    more::facility => crate::pages::facility_form::FacilityFormPage;
    // The map, with Leaflet (`vendor/`, loaded with it).
    map::map => crate::pages::map::MapPage;
    // A facility's own screen (its staff's only one), and the public list of free beds.
    reception::reception => crate::pages::reception::ReceptionPage;
    public::public_facilities => crate::pages::public_facilities::PublicFacilitiesPage;
}

/// Merging two places that are one (coordinators), inside the places list.
pub mod site_merge {
    use latarnia_core::sites::{Keep, SiteField};
    use latarnia_core::Site;

    use super::*;

    split_point!(
        more,
        fn site_merge(
            survivor: Site,
            other: Site,
            on_merge: Callback<Vec<(SiteField, Keep)>>,
            on_cancel: Callback<()>,
        ) -> AnyView {
            view! { <crate::components::site_merge::SiteMerge survivor other on_merge on_cancel/> }.into_any()
        }
    );

    pub fn screen(
        survivor: Site,
        other: Site,
        on_merge: Callback<Vec<(SiteField, Keep)>>,
        on_cancel: Callback<()>,
    ) -> LazyScreen {
        LazyScreen::new(|| chunk(load()), move || site_merge(survivor.clone(), other.clone(), on_merge, on_cancel))
    }
}

/// The English texts (`i18n::load`), a part of their own: a phone in Polish, the default,
/// never fetches them.
#[cfg(feature = "split")]
pub mod english {
    use super::*;

    split_point!(
        en,
        fn english() -> crate::i18n::Packed {
            crate::i18n::EN
        }
    );
}

/// All the Polish texts (`i18n::complete`), a part of their own: the first load holds only
/// the first screens'.
#[cfg(feature = "split")]
pub mod polish {
    use super::*;

    split_point!(
        pl,
        fn polish() -> crate::i18n::Packed {
            crate::i18n::PL
        }
    );
}

/// Work done by a part's code (a sync, an undo, reading lists ahead), boxed to cross the split.
pub type Task = std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>;

/// Does a part's work (`split`: the split point that hands the task over) once the part is
/// there; `Err` when the part could not be fetched.
pub async fn run(split: impl std::future::Future<Output = Result<Task, ChunkError>>) -> Result<(), ChunkError> {
    split.await?.await;
    Ok(())
}

/// The sync engine: the engine itself and the pull's reading and writing of every record type,
/// needed only once someone is signed in and unlocked.
pub mod sync_engine {
    use super::*;

    split_point!(
        field,
        fn run(state: crate::state::AppState) -> Task {
            Box::pin(crate::sync::run(state))
        }
    );
}

/// What the toast's "undo" does (`AppState::undo`): a write, whose code is the field part's.
pub mod undo {
    use super::*;

    split_point!(
        field,
        fn undo(state: crate::state::AppState, what: crate::state::Undo) -> Task {
            Box::pin(async move { state.undo(what).await })
        }
    );
}

/// The places and reports read into memory ahead (`AppState::warm_lists`): reading them as
/// their types is the field part's code.
pub mod warm_lists {
    use super::*;

    split_point!(
        field,
        fn warm_lists(state: crate::state::AppState) -> Task {
            Box::pin(async move { state.warm_lists().await })
        }
    );

    /// Reads them once the field part is there (at once when it is).
    pub fn start(state: crate::state::AppState) {
        leptos::task::spawn_local(async move {
            let _ = super::run(warm_lists(state)).await;
        });
    }
}

/// Fetches the parts of setting the PIN and of the signed-in app (once; a failed fetch is
/// tried again when a screen or a sync needs it), so that neither waits for its code after the
/// sign-in or the PIN, with all the Polish texts (`i18n::complete`); then `then`.
pub fn preload_field(lang: RwSignal<crate::i18n::Lang>, then: fn()) {
    leptos::task::spawn_local(async move {
        // In the order they are needed (the requests go out in this order): the texts and the
        // PIN screen right after a sign-in, then the signed-in app.
        let _ = futures::join!(crate::i18n::complete(lang), pin_setup::load(), signed_in_app::load());
        then();
    });
}

/// Fetches the screens behind "More" (a coordinator's phone, as soon as a coordinator is
/// signed in): beside the field part if it is still coming — a new phone asks for a PIN
/// first, and both arrive while it is typed. The chunks they share are fetched once.
pub fn preload_more() {
    leptos::task::spawn_local(async {
        let _ = indicators::load().await;
    });
}
