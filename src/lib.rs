//! Latarnia, the field app: `App`, the router and the modules, in a library so that the
//! browser tests can use them.

pub mod components;
pub mod i18n;
pub mod pages;
pub mod platform;
pub mod routes;
pub mod state;
pub mod storage;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::components::{nav::Nav, status_bar::StatusBar, toast::Toast};
use crate::pages::{
    contact_form::ContactFormPage, history::HistoryPage, not_found::NotFound, patrol::PatrolPage,
    patrol_summary::PatrolSummaryPage, settings::SettingsPage,
};
use crate::state::AppState;

#[component]
pub fn App() -> impl IntoView {
    let state = AppState::start();
    provide_context(state);
    provide_context(i18n::I18n(state.lang));

    view! {
        <Router>
            <StatusBar/>
            <main id="main">
                <Show when=move || state.ready.get() fallback=|| view! { <p class="loading" aria-busy="true">"…"</p> }>
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=PatrolPage/>
                        <Route path=path!("/patrols/:id") view=PatrolSummaryPage/>
                        <Route path=path!("/contacts") view=HistoryPage/>
                        <Route path=path!("/contacts/:id") view=ContactFormPage/>
                        <Route path=path!("/settings") view=SettingsPage/>
                    </Routes>
                </Show>
            </main>
            <Toast/>
            <Nav/>
        </Router>
    }
}
