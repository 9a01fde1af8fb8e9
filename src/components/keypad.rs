//! A large on-screen keypad for the PIN: big targets, usable with gloves, in the dark. The
//! digits also come from the phone's own keyboard into the field it types into.

use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

/// A key pressed: a digit, or `None` for "erase the last one".
pub type Key = Option<char>;

/// Applies a key to a PIN typed so far (at most `max` digits).
pub fn press(value: RwSignal<String>, key: Key, max: usize) {
    value.update(|v| match key {
        Some(d) if v.chars().count() < max => v.push(d),
        Some(_) => {}
        None => {
            v.pop();
        }
    });
}

/// The keys; `on_key` gets each press; `disabled` while busy.
#[component]
pub fn Keypad(on_key: Callback<Key>, #[prop(into)] disabled: Signal<bool>) -> impl IntoView {
    let i = use_i18n();
    let digit = move |d: char| {
        view! {
            <button type="button" class="key" data-testid=format!("key-{d}") disabled=move || disabled.get()
                on:click=move |_| on_key.run(Some(d))>{d.to_string()}</button>
        }
    };
    view! {
        <div class="keypad" role="group" aria-label=i.s(k::KEYPAD)>
            {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(digit)}
            <span></span>
            {digit('0')}
            <button type="button" class="key key-erase" data-testid="key-erase" aria-label=i.s(k::KEY_ERASE)
                disabled=move || disabled.get() on:click=move |_| on_key.run(None)>"⌫"</button>
        </div>
    }
}

/// A PIN field: digits only, shown as dots, never remembered by the browser.
#[component]
pub fn PinInput(
    id: &'static str,
    value: RwSignal<String>,
    #[prop(into)] invalid: Signal<bool>,
    /// The field the keypad types into (marked).
    #[prop(optional, into)]
    active: Signal<bool>,
    #[prop(optional)] on_focus: Option<Callback<()>>,
) -> impl IntoView {
    view! {
        <input id=id data-testid=id class="pin" type="password" inputmode="numeric" autocomplete="off"
            maxlength=latarnia_core::lock::MAX_DIGITS.to_string() prop:value=value
            class:active=move || active.get()
            aria-invalid=move || invalid.get().to_string()
            on:focus=move |_| if let Some(f) = on_focus { f.run(()) }
            on:input=move |ev| value.set(event_target_value(&ev).chars().filter(char::is_ascii_digit).collect())/>
    }
}
