use latarnia_core::model::StringEnum;
use leptos::prelude::*;

use crate::i18n::use_i18n;

/// A choice of one value of a closed set (a report's source, a place's type…): every value,
/// each labelled by its translation `<prefix>_<value>`. `id` is the element's id and test id
/// (a `<label for=id>` names it).
#[component]
pub fn EnumSelect<E: StringEnum + Send + Sync>(
    id: &'static str,
    prefix: &'static str,
    value: RwSignal<E>,
) -> impl IntoView {
    let i = use_i18n();
    view! {
        <select id=id data-testid=id on:change=move |ev| if let Some(v) = E::parse(&event_target_value(&ev)) { value.set(v) }>
            {E::all().iter().map(|&v| view! {
                <option value=v.as_str() selected=move || value.get() == v>{i.sv(prefix, v.as_str())}</option>
            }).collect_view()}
        </select>
    }
}
