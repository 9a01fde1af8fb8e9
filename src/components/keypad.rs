//! A large on-screen keypad for the PIN: big targets, usable with gloves, in the dark. The
//! digits also come from the phone's own keyboard into the field it types into.

use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

/// Appends digits to `value` (up to `max`), erases the last one; `disabled` while busy.
#[component]
pub fn Keypad(value: RwSignal<String>, max: usize, #[prop(into)] disabled: Signal<bool>) -> impl IntoView {
    let i = use_i18n();
    let press = move |d: char| {
        value.update(|v| {
            if v.chars().count() < max {
                v.push(d)
            }
        })
    };
    let digit = move |d: char| {
        view! {
            <button type="button" class="key" data-testid=format!("key-{d}") disabled=move || disabled.get()
                on:click=move |_| press(d)>{d.to_string()}</button>
        }
    };
    view! {
        <div class="keypad" role="group" aria-label=i.s(k::KEYPAD)>
            {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map(digit)}
            <span></span>
            {digit('0')}
            <button type="button" class="key key-erase" data-testid="key-erase" aria-label=i.s(k::KEY_ERASE)
                disabled=move || disabled.get() on:click=move |_| value.update(|v| { v.pop(); })>"⌫"</button>
        </div>
    }
}
