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
    lazy_screen::LazyScreenView, status_bar::StatusBar, sync_status::SyncStatus, toast::Toast, zima_banner::ZimaBanner,
};
use crate::pages::{
    contact_form::ContactFormPage, history::HistoryPage, lock::LockPage, login::LoginPage, not_found::NotFound,
    patrol::PatrolPage, patrol_summary::PatrolSummaryPage, settings::SettingsPage, site_form::SiteFormPage,
    sites::SitesPage, sync::SyncPage,
};
use crate::session::Access;
use crate::state::AppState;

/// The public pages (no sign-in, no lock: the aid facilities' list, when the organisation
/// shows it) or else the app (`children`).
#[component]
fn PublicOr(children: ChildrenFn) -> impl IntoView {
    let path = leptos_router::hooks::use_location().pathname;
    let public = Memo::new(move |_| path.with(|p| p.starts_with("/public/")));
    view! {
        <Show when=move || !public.get() fallback=|| view! {
            <Routes fallback=NotFound>
                <Route path=path!("/public/facilities/:org") view=|| lazy(split::public_facilities::screen())/>
            </Routes>
        }>
            {children()}
        </Show>
    }
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

/// A part of the app's frame loaded on demand: nothing until its chunk is there (the screen
/// under it says when a chunk cannot be fetched).
fn quiet(screen: split::LazyScreen) -> impl IntoView {
    view! { <LazyScreenView screen quiet=true/> }
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

    // The field screens and the sync engine, fetched once the first screen is drawn, while it
    // waits for a password or a PIN (not on the public pages, which need neither); then the
    // page's manifest and service worker, whose precache would have shared the line.
    once_when(
        move || state.ready.get(),
        || {
            if platform::pathname().starts_with("/public/") {
                platform::started();
            } else {
                set_timeout(|| split::preload_field(after_first_load), std::time::Duration::ZERO);
            }
        },
    );

    // A coordinator's screens, fetched once a coordinator is signed in.
    once_when(
        move || state.ready.get() && state.session.with(Option::is_some) && state.is_coordinator(),
        split::preload_more,
    );

    let signed_in = move || state.session.with(Option::is_some);
    view! {
        <Router>
            // Online/offline, what waits to be sent and the last sync: at the top, scrolling away
            // with the page (only the bottom navigation stays fixed on a small screen).
            <div class="top-bars">
                <StatusBar/>
                <Show when=signed_in>{quiet(split::signed_in_bars::screen())}</Show>
            </div>
            <main id="main">
                <PublicOr>
                <Show when=move || state.ready.get() fallback=|| view! { <p class="loading" aria-busy="true">"…"</p> }>
                    // Locked or without a PIN yet, nothing of the app is there: only its own screen.
                    <Show when=move || state.access.get() != Access::Locked fallback=LockPage>
                    <Show when=move || state.access.get() != Access::NeedsPin fallback=|| lazy(split::pin_setup::screen())>
                    <Show when=signed_in fallback=LoginPage>
                        {lazy(split::app_routes::screen())}
                    </Show>
                    </Show>
                    </Show>
                </Show>
                </PublicOr>
            </main>
            <Toast/>
            <Show when=signed_in>{quiet(split::nav::screen())}</Show>
        </Router>
    }
}

/// The signed-in app's screens. Drawn from the field part (`split::app_routes`): the field
/// screens, Settings and the sync page are in it, the others are parts of their own.
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

/// What a signed-in worker sees above every screen: the sync line and the Akcja ZIMA banner
/// (from the field part, `split::signed_in_bars`).
#[component]
pub fn SignedInBars() -> impl IntoView {
    view! {
        <SyncStatus/>
        <ZimaBanner/>
    }
}
