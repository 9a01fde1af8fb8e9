//! Contacts from before the phone's field-sized window, read from the server when online: the
//! history screen's "show older" and a place's older visits. Read only (the phone does not
//! keep them); offline, a sentence says where they are.

use latarnia_core::Contact;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::components::contact_item::ContactItem;
use crate::i18n::{k, use_i18n};
use crate::state::AppState;
use crate::storage::Store;

const PAGE: u32 = 50;
const DAY_MS: i64 = 86_400_000;

/// The part of a list past the window; nothing when this phone keeps the whole history.
#[component]
pub fn OlderContacts(
    /// Only the contacts at this place.
    #[prop(optional)]
    site: Option<Uuid>,
) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    // Only for those who read contacts (partners never do), and only past a window.
    let days = crate::loaded::Loaded::new(move || {
        let reads_contacts = state.may_write(latarnia_core::protocol::CONTACTS);
        async move {
            if !reads_contacts {
                return None;
            }
            state.store().sync_state().await.ok().and_then(|s| s.window_days).filter(|d| *d > 0)
        }
    });
    let shown = RwSignal::new(Vec::<Contact>::new());
    let more = RwSignal::new(true);
    let busy = RwSignal::new(false);
    let error = RwSignal::new(None::<usize>);
    let fetch = move |days: u32| {
        let Some(session) = state.session.get_untracked() else { return };
        let before = shown
            .with_untracked(|v| v.last().map(|c| c.at.timestamp_millis()))
            .unwrap_or_else(|| chrono::Utc::now().timestamp_millis() - i64::from(days) * DAY_MS);
        busy.set(true);
        error.set(None);
        spawn_local(async move {
            match crate::api::older::<Contact>(&session.token, before, site, PAGE).await {
                Ok((found, has_more)) => {
                    shown.update(|v| v.extend(found));
                    more.set(has_more);
                }
                Err(key) => error.set(Some(key)),
            }
            busy.set(false);
        });
    };
    move || {
        days.get().flatten().map(|d| {
            view! {
                <section class="older" data-testid="older">
                    <p class="hint" data-testid="older-hint">{move || i.t(k::OLDER_HINT).replace("{n}", &d.to_string())}</p>
                    <Show when=move || !shown.with(Vec::is_empty)>
                        <h2>{i.s(k::OLDER_TITLE)}</h2>
                        <ul class="contact-list" data-testid="older-list">
                            <For each=move || shown.get() key=|c| c.id
                                children=|c| view! { <ContactItem contact=c with_date=true linked=false/> }/>
                        </ul>
                    </Show>
                    {move || error.get().map(|e| view! { <p class="error" role="alert" data-testid="older-error">{i.t(e)}</p> })}
                    <Show when=move || !more.get() && shown.with(Vec::is_empty)>
                        <p class="empty" data-testid="older-none">{i.s(k::OLDER_NONE)}</p>
                    </Show>
                    <Show when=move || more.get()>
                        <button type="button" class="big" data-testid="older-show" disabled=move || busy.get()
                            on:click=move |_| fetch(d)>
                            {i.s(k::OLDER_SHOW)}
                        </button>
                    </Show>
                </section>
            }
        })
    }
}
