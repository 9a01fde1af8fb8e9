use leptos::prelude::*;

use crate::i18n::use_i18n;

/// A yes/no choice as a large checkbox with its label beside it (a tap on the words ticks it).
#[component]
pub fn CheckBox(testid: &'static str, label: usize, value: RwSignal<bool>) -> impl IntoView {
    let i = use_i18n();
    view! {
        <label class="check">
            <input type="checkbox" data-testid=testid prop:checked=move || value.get()
                on:change=move |ev| value.set(event_target_checked(&ev))/>
            <span>{i.s(label)}</span>
        </label>
    }
}
