use latarnia_core::FieldError;
use leptos::prelude::*;

use crate::components::field_error::FieldErrorText;
use crate::i18n::use_i18n;

/// What a text field takes, and so which keyboard a phone shows.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub enum Input {
    /// One line of text.
    #[default]
    Line,
    /// Several lines (a textarea of this many rows).
    Lines(u32),
    /// A whole number, 0 or more (the digits keypad).
    Count,
    /// A number with decimals, maybe negative (a temperature).
    Decimal,
    /// A day.
    Date,
    /// A day and an hour.
    DateTime,
}

/// A labelled form field with its error under it: the label names it on screen (and is tied to
/// it, so a tap on the label focuses the field), the error in the user's language is tied to it
/// for screen readers (`aria-describedby`).
#[component]
pub fn TextField(
    /// The element's id, also its test id.
    id: &'static str,
    /// The field's name in the validation errors.
    field: &'static str,
    /// The label's translation key.
    label: usize,
    value: RwSignal<String>,
    errors: RwSignal<Vec<FieldError>>,
    #[prop(optional)] input: Input,
) -> impl IntoView {
    let i = use_i18n();
    let described = format!("err-{field}");
    let on_input = move |ev| value.set(event_target_value(&ev));
    let control = match input {
        Input::Lines(rows) => view! {
            <textarea id=id data-testid=id rows=rows autocomplete="off" aria-describedby=described
                prop:value=move || value.get() on:input=on_input></textarea>
        }
        .into_any(),
        _ => {
            let (kind, mode) = match input {
                Input::Count => ("number", Some("numeric")),
                Input::Decimal => ("text", Some("decimal")),
                Input::Date => ("date", None),
                Input::DateTime => ("datetime-local", None),
                _ => ("text", None),
            };
            view! {
                <input id=id data-testid=id type=kind inputmode=mode min=(input == Input::Count).then_some("0")
                    autocomplete="off" aria-describedby=described
                    prop:value=move || value.get() on:input=on_input/>
            }
            .into_any()
        }
    };
    view! {
        <label for=id>{i.s(label)}</label>
        {control}
        <FieldErrorText errors field/>
    }
}
