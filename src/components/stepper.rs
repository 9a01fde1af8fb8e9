use leptos::prelude::*;

/// A count with large − and + buttons (gloves), and the number itself editable, always with
/// its name on screen beside it: at −14 °C nobody reads meals from blankets by position.
#[component]
pub fn Stepper(
    value: RwSignal<u32>,
    #[prop(into)] label: Signal<String>,
    testid: String,
    #[prop(default = 0)] min: u32,
    #[prop(default = 999)] max: u32,
) -> impl IntoView {
    let input_id = format!("{testid}-input");
    view! {
        <div class="count-row" data-testid=format!("{testid}-row")>
            <label class="count-label" for=input_id.clone() data-testid=format!("{testid}-label")>{label}</label>
            <div class="stepper" role="group" aria-label=label>
                <button type="button" class="step" aria-label=move || format!("{} −", label.get())
                    data-testid=format!("{testid}-minus")
                    on:click=move |_| value.update(|v| *v = v.saturating_sub(1).max(min))>"−"</button>
                <input id=input_id type="number" inputmode="numeric" min=min max=max data-testid=testid.clone()
                    prop:value=move || value.get().to_string()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        // Out-of-range numbers are kept as typed so validation can name them.
                        value.set(text.trim().parse().unwrap_or(0));
                    }/>
                <button type="button" class="step" aria-label=move || format!("{} +", label.get())
                    data-testid=format!("{testid}-plus")
                    on:click=move |_| value.update(|v| *v = (*v + 1).min(max))>"+"</button>
            </div>
        </div>
    }
}
