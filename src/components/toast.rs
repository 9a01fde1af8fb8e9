use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{k, use_i18n};
use crate::state::AppState;

/// How long a message stays; errors stay until closed.
const SHOWN_FOR: std::time::Duration = std::time::Duration::from_secs(6);

/// A short message above the navigation, with "undo" where an action can be undone.
#[component]
pub fn Toast() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    Effect::new(move |_| {
        if let Some(n) = state.notice.get().filter(|n| !n.error) {
            set_timeout(
                move || {
                    if state.notice.get_untracked() == Some(n) {
                        state.notice.set(None);
                    }
                },
                SHOWN_FOR,
            );
        }
    });
    move || {
        state.notice.get().map(|n| {
            let undo = n.undo.map(|u| {
                view! {
                    <button data-testid="toast-undo" on:click=move |_| spawn_local(async move {
                        let _ = crate::split::run(crate::split::undo::undo(state, u)).await;
                    })>
                        {i.s(k::UNDO)}
                    </button>
                }
            });
            view! {
                <div class="toast" class:toast-error=n.error role=if n.error { "alert" } else { "status" } data-testid="toast">
                    <span>{i.s(n.text)}</span>
                    {undo}
                    <button class="toast-close" aria-label=i.s(k::CLOSE) on:click=move |_| state.notice.set(None)>"×"</button>
                </div>
            }
        })
    }
}
