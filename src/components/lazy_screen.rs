use leptos::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::split::LazyScreen;
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Chunk {
    Loading,
    Ready,
    Failed,
}

/// A screen whose code loads on demand: its chunk is fetched (from the service worker's cache
/// once precached), then the screen is drawn. A chunk that cannot be fetched shows what
/// happened and a retry, never a blank page. While the chunk comes, the places and reports
/// those screens list are read into memory (`AppState::warm_lists`), so the data does not wait
/// for the code.
#[component]
pub fn LazyScreenView(screen: LazyScreen) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let chunk = RwSignal::new(Chunk::Loading);
    leptos::task::spawn_local(async move { state.warm_lists().await });
    let load = move || {
        chunk.set(Chunk::Loading);
        leptos::task::spawn_local(async move {
            let next = match (screen.preload)().await {
                Ok(()) => Chunk::Ready,
                Err(_) => Chunk::Failed,
            };
            chunk.set(next);
        });
    };
    load();
    move || match chunk.get() {
        Chunk::Loading => view! { <p class="loading" aria-busy="true">{i.s(k::LOADING_SCREEN)}</p> }.into_any(),
        Chunk::Ready => match (screen.view)() {
            Some(Ok(view)) => view,
            _ => failed(i, load).into_any(),
        },
        Chunk::Failed => failed(i, load).into_any(),
    }
}

fn failed(i: crate::i18n::I18n, retry: impl Fn() + Copy + 'static) -> impl IntoView {
    view! {
        <div class="banner banner-error" role="alert" data-testid="chunk-error">
            <p>{i.s(k::CHUNK_FAILED)}</p>
            <button type="button" data-testid="chunk-retry" on:click=move |_| retry()>{i.s(k::CHUNK_RETRY)}</button>
        </div>
    }
}
