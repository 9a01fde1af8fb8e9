//! Latarnia, the field app: `App`, the router and the modules, in a library so that the
//! browser tests can use them.

pub mod api;
pub mod components;
pub mod crypto;
pub mod i18n;
pub mod loaded;
pub mod pages;
pub mod platform;
pub mod routes;
pub mod session;
pub mod split;
pub mod state;
pub mod storage;
pub mod sync;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::{
    frame::Frame, lazy_screen::LazyScreenView, nav::Nav, sync_status::SyncStatus, zima_banner::ZimaBanner,
};
use crate::pages::{
    contact_form::ContactFormPage, history::HistoryPage, lock::LockPage, login::LoginPage, not_found::NotFound,
    patrol::PatrolPage, patrol_summary::PatrolSummaryPage, settings::SettingsPage, site_form::SiteFormPage,
    sites::SitesPage, sync::SyncPage,
};
use crate::session::Access;
use crate::state::AppState;

/// Which screen the app shows: one of the first screens (drawn by the first part, in the
/// app's frame) or the signed-in app (the field part, with its router).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Screen {
    /// The store is opening.
    Opening,
    Lock,
    SetPin,
    SignIn,
    SignedIn,
}

/// Runs `action` once, the first time `condition` holds (then reads nothing more).
fn once_when(condition: impl Fn() -> bool + 'static, action: impl FnOnce() + 'static) {
    let mut action = Some(action);
    Effect::new(move || {
        if action.is_some() && condition() {
            if let Some(act) = action.take() {
                act();
            }
        }
    });
}

/// What waits until the first screen is usable and the field part has come (a slow line is
/// all the first load's until then): the page's manifest and service worker, the map's settings.
fn after_first_load() {
    platform::started();
    leptos::task::spawn_local(api::fetch_map_config());
}

/// A screen loaded on demand (`split`), drawn once its chunk is there.
fn lazy(screen: split::LazyScreen) -> impl IntoView {
    view! { <LazyScreenView screen/> }
}

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::start();
    session::open(state);
    sync::install_triggers(state);
    session::install_auto_lock(state);
    provide_context(state);
    provide_context(i18n::I18n(state.lang));

    // The flag the page's next first frame is drawn from (`boot.js`), and the page's own forms
    // gone where the app opens on another screen than theirs.
    Effect::new(move || {
        if state.ready.get() {
            let access = state.access.get();
            let flag = match access {
                Access::Locked => Some("locked"),
                Access::NeedsPin => Some("pin"),
                // Signed in: the next start is locked.
                _ if state.session.with(Option::is_some) => Some("locked"),
                _ => None,
            };
            platform::keep_start_flag(flag);
            if flag.is_some() {
                platform::take_shell("sign-in-shell", &[]);
            }
            if access != Access::Locked {
                platform::take_shell("lock-shell", &[]);
            }
        }
    });

    // The public list of free beds (`/public/…`): no sign-in, no lock, no router.
    let public = platform::pathname().strip_prefix("/public/").map(str::to_owned);

    // The field screens and the sync engine, fetched once the first screen is drawn, while it
    // waits for a password or a PIN (not on the public pages, which need neither); then the
    // page's manifest and service worker, whose precache would have shared the line.
    let on_public = public.is_some();
    once_when(
        move || state.ready.get(),
        move || {
            if on_public {
                platform::started();
            } else {
                set_timeout(move || split::preload_field(state.lang, after_first_load), std::time::Duration::ZERO);
            }
        },
    );

    // A coordinator's screens, fetched once a coordinator is signed in.
    once_when(
        move || state.ready.get() && state.session.with(Option::is_some) && state.is_coordinator(),
        split::preload_more,
    );

    // Its one address: `/public/facilities/<org>`.
    if let Some(public) = public {
        let known = public.strip_prefix("facilities/").is_some_and(|org| !org.is_empty() && !org.contains('/'));
        return view! {
            <Frame>{if known { lazy(split::public_facilities::screen()).into_any() } else { view! { <NotFound/> }.into_any() }}</Frame>
        }
        .into_any();
    }

    // A phone the page drew its own sign-in form for (no session and no lock, by the flag the
    // app keeps) gets the app's form at once: the store opens meanwhile, and a sign-in waits
    // for it. Should the store say otherwise, its own screen follows.
    let drawn_before_store = platform::start_screen() == "sign-in";
    // A memo: the screen is made again only when it changes (not when the store opens under
    // a sign-in form being typed in).
    let screen = Memo::new(move |_| {
        if !drawn_before_store && !state.ready.get() {
            return Screen::Opening;
        }
        match state.access.get() {
            // Locked or without a PIN yet, nothing of the app is there: only its own screen.
            Access::Locked => Screen::Lock,
            Access::NeedsPin => Screen::SetPin,
            _ if state.session.with(Option::is_some) => Screen::SignedIn,
            _ => Screen::SignIn,
        }
    });
    (move || match screen.get() {
        Screen::SignedIn => view! { <LazyScreenView screen=split::signed_in_app::screen() framed=true/> }.into_any(),
        Screen::Opening => view! { <Frame><p class="loading" aria-busy="true">"…"</p></Frame> }.into_any(),
        Screen::Lock => view! { <Frame><LockPage/></Frame> }.into_any(),
        Screen::SetPin => view! { <Frame>{lazy(split::pin_setup::screen())}</Frame> }.into_any(),
        Screen::SignIn => view! { <Frame><LoginPage/></Frame> }.into_any(),
    })
    .into_any()
}

/// The signed-in app, the field part's (`split::signed_in_app`): its router, the sync line and
/// the Akcja ZIMA banner under the status bar, its screens, the bottom navigation.
#[component]
pub fn SignedInApp() -> impl IntoView {
    view! {
        <Router>
            <Frame bars=|| view! { <SyncStatus/><ZimaBanner/> }>
                <AppRoutes/>
            </Frame>
            <Nav/>
        </Router>
    }
}

/// The signed-in app's screens (in the field part): the field screens, Settings and the sync
/// page are in it, the others are parts of their own.
#[component]
pub fn AppRoutes() -> impl IntoView {
    let state = expect_context::<AppState>();
    view! {
        <Routes fallback=NotFound>
            <Route path=path!("/") view=move || if state.is_facility() {
                lazy(split::reception::screen()).into_any()
            } else {
                view! { <PatrolPage/> }.into_any()
            }/>
            <Route path=path!("/facility") view=|| lazy(split::reception::screen())/>
            <Route path=path!("/facilities") view=|| lazy(split::facilities::screen())/>
            <Route path=path!("/facilities/:id") view=|| lazy(split::facility::screen())/>
            <Route path=path!("/patrols/:id") view=PatrolSummaryPage/>
            <Route path=path!("/contacts") view=HistoryPage/>
            <Route path=path!("/contacts/:id") view=ContactFormPage/>
            <Route path=path!("/settings") view=SettingsPage/>
            <Route path=path!("/sync") view=SyncPage/>
            <Route path=path!("/sites") view=SitesPage/>
            <Route path=path!("/sites/:id") view=SiteFormPage/>
            <Route path=path!("/map") view=|| lazy(split::map::screen())/>
            <Route path=path!("/reports") view=|| lazy(split::reports::screen())/>
            <Route path=path!("/reports/:id") view=|| lazy(split::report::screen())/>
            <Route path=path!("/zima") view=|| lazy(split::zima::screen())/>
            <Route path=path!("/zima/runs/:id") view=|| lazy(split::run::screen())/>
            <Route path=path!("/zima/stops/:id") view=|| lazy(split::run_stop::screen())/>
            <Route path=path!("/indicators") view=|| lazy(split::indicators::screen())/>
            <Route path=path!("/count") view=|| lazy(split::counts::screen())/>
            <Route path=path!("/count/:id") view=|| lazy(split::count::screen())/>
            <Route path=path!("/count/:id/sectors/:sector") view=|| lazy(split::count_sector::screen())/>
        </Routes>
    }
}
