use leptos::prelude::*;

use crate::components::frame::Frame;
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
///
/// `framed`: the part draws the app's frame itself (the signed-in app): what is shown while it
/// comes, or why it cannot come, is drawn in the first part's frame.
#[component]
pub fn LazyScreenView(screen: LazyScreen, #[prop(optional)] framed: bool) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let chunk = RwSignal::new(Chunk::Loading);
    let LazyScreen { preload, view } = screen;
    let view = StoredValue::new_local(view);
    crate::split::warm_lists::start(state);
    let frame = move |v: AnyView| if framed { view! { <Frame>{v}</Frame> }.into_any() } else { v };
    let load = move || {
        chunk.set(Chunk::Loading);
        leptos::task::spawn_local(async move {
            // The screen's code and all the texts (the first load holds only its own screens').
            let next = match futures::join!(preload(), crate::i18n::complete(state.lang)) {
                (Ok(()), Ok(())) => Chunk::Ready,
                _ => Chunk::Failed,
            };
            chunk.set(next);
        });
    };
    load();
    // Offline when it failed: tried again by itself as soon as the phone is back online.
    Effect::new(move |_| {
        if state.online.get() && chunk.get_untracked() == Chunk::Failed {
            load();
        }
    });
    move || match chunk.get() {
        // Shown only when the part takes a moment (`.loading-later`): a part already there
        // draws its screen on the next tick, with no flash of this line.
        Chunk::Loading => {
            frame(view! { <p class="loading loading-later" aria-busy="true">{i.s(k::LOADING_SCREEN)}</p> }.into_any())
        }
        Chunk::Ready => match view.with_value(|v| v()) {
            Some(Ok(view)) => view,
            _ => frame(failed(i, state, load).into_any()),
        },
        Chunk::Failed => frame(failed(i, state, load).into_any()),
    }
}

/// What went wrong, as the worker can act on it: offline (it opens once online) or the server
/// (try again), and that nothing saved is touched.
fn failed(i: crate::i18n::I18n, state: AppState, retry: impl Fn() + Copy + 'static) -> impl IntoView {
    let why = move || if state.online.get() { k::CHUNK_FAILED } else { k::CHUNK_FAILED_OFFLINE };
    view! {
        <div class="banner banner-error" role="alert" data-testid="chunk-error">
            <p>{move || i.t(why())}</p>
            <button type="button" data-testid="chunk-retry" on:click=move |_| retry()>{i.s(k::CHUNK_RETRY)}</button>
        </div>
    }
}
