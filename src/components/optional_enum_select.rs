use latarnia_core::model::StringEnum;
use leptos::prelude::*;

use crate::i18n::use_i18n;

/// A choice of one value of a closed set or none (a patrol's partner, a person's condition, a
/// filter): `none` is the translation key of the empty choice ("none", "unknown", "all").
/// `id` is the element's id and test id.
#[component]
pub fn OptionalEnumSelect<E: StringEnum + Send + Sync>(
    #[prop(into)] id: Oco<'static, str>,
    prefix: &'static str,
    value: RwSignal<Option<E>>,
    none: usize,
) -> impl IntoView {
    let i = use_i18n();
    view! {
        <select id=id.clone() data-testid=id on:change=move |ev| value.set(E::parse(&event_target_value(&ev)))>
            <option value="" selected=move || value.get().is_none()>{i.s(none)}</option>
            {E::all().iter().map(|&v| view! {
                <option value=v.as_str() selected=move || value.get() == Some(v)>{i.sv(prefix, v.as_str())}</option>
            }).collect_view()}
        </select>
    }
}
