use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

/// A count with large − and + buttons (gloves), and the number itself editable, always with
/// its name on screen beside it: at −14 °C nobody reads meals from blankets by position. What
/// a count cannot be (−5, "dużo") is never changed silently: the counter says so, and what it
/// keeps; a count out of range is kept for the form's validation to name.
#[component]
pub fn Stepper(
    value: RwSignal<u32>,
    #[prop(into)] label: Signal<String>,
    testid: String,
    #[prop(default = 0)] min: u32,
    #[prop(default = 999)] max: u32,
) -> impl IntoView {
    let i = use_i18n();
    let input_id = format!("{testid}-input");
    let error_id = format!("{testid}-error");
    let error_testid = error_id.clone();
    // What was typed, while it is not a count this field can hold.
    let wrong = RwSignal::new(None::<String>);
    let step = move |by: i64| {
        wrong.set(None);
        value.update(|v| *v = (*v as i64 + by).clamp(min as i64, max as i64) as u32);
    };
    view! {
        <div class="count-row" data-testid=format!("{testid}-row")>
            <label class="count-label" for=input_id.clone() data-testid=format!("{testid}-label")>{label}</label>
            <div class="stepper" role="group" aria-label=label>
                <button type="button" class="step" aria-label=move || format!("{} −", label.get())
                    data-testid=format!("{testid}-minus") on:click=move |_| step(-1)>"−"</button>
                <input id=input_id type="number" inputmode="numeric" min=min max=max data-testid=testid.clone()
                    aria-invalid=move || wrong.with(Option::is_some).to_string() aria-describedby=error_id.clone()
                    prop:value=move || wrong.get().unwrap_or_else(|| value.get().to_string())
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        match text.trim().parse::<i64>() {
                            // Out-of-range counts are kept as typed so the form's validation
                            // names them at the field when saving.
                            Ok(n) if n >= 0 => {
                                wrong.set(None);
                                value.set(n.min(u32::MAX as i64) as u32);
                            }
                            // Half typed ("" before a digit): nothing to say yet.
                            _ if text.trim().is_empty() => wrong.set(Some(String::new())),
                            _ => wrong.set(Some(text)),
                        }
                    }
                    on:blur=move |_| {
                        if wrong.with(|w| w.as_deref() == Some("")) {
                            wrong.set(None);
                        }
                    }/>
                <button type="button" class="step" aria-label=move || format!("{} +", label.get())
                    data-testid=format!("{testid}-plus") on:click=move |_| step(1)>"+"</button>
            </div>
            <Show when=move || wrong.with(|w| w.as_deref().is_some_and(|t| !t.is_empty()))>
                <p class="field-error" id=error_id.clone() role="alert" data-testid=error_testid.clone()>
                    {move || i.t(k::STEPPER_INVALID)
                        .replace("{typed}", wrong.get().unwrap_or_default().trim())
                        .replace("{min}", &min.to_string())
                        .replace("{max}", &max.to_string())
                        .replace("{kept}", &value.get().to_string())}
                </p>
            </Show>
        </div>
    }
}
