//! The voivode's register of aid facilities imported from a CSV (name, address, type, number
//! of places, operator): the file is read on the phone and shown row by row — what each good
//! row becomes, and why each other one is refused — before anything is saved.

use latarnia_core::facilities::{import_register, Facility, ImportRow};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::Edit;

#[component]
pub fn FacilityImport() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let rows: RwSignal<Vec<ImportRow>> = RwSignal::new(Vec::new());
    let file_error: RwSignal<Option<&'static str>> = RwSignal::new(None);
    let busy = RwSignal::new(false);
    let load = move |ev: leptos::ev::Event| {
        let Some(target) = ev.target() else { return };
        spawn_local(async move {
            let Some(text) = platform::chosen_text(target).await else { return };
            match text.and_then(|text| import_register(&text, platform::new_uuid)) {
                Ok(r) => {
                    file_error.set(None);
                    rows.set(r);
                }
                Err(code) => {
                    rows.set(Vec::new());
                    file_error.set(Some(code));
                }
            }
        });
    };
    let good =
        move || rows.with(|r| r.iter().filter_map(|r| r.result.as_ref().ok().cloned()).collect::<Vec<Facility>>());
    let save = move |_| {
        let facilities = good();
        busy.set(true);
        spawn_local(async move {
            let mut saved = std::collections::HashSet::new();
            for f in facilities {
                let id = f.id;
                // A failure (a full disk) is shown by `write`; what was not saved stays in the
                // preview, to be saved again once there is room.
                if state.write(Edit::Save(f)).await.is_err() {
                    break;
                }
                saved.insert(id);
            }
            busy.set(false);
            rows.update(|r| r.retain(|r| r.result.as_ref().is_ok_and(|f| !saved.contains(&f.id))));
            if rows.with(Vec::is_empty) {
                state.notify(k::FAC_IMPORTED, None);
            }
        });
    };
    view! {
        <details class="facility-import no-print">
            <summary>{i.s(k::FAC_IMPORT)}</summary>
            <p class="hint">{i.s(k::FAC_IMPORT_HOW)}</p>
            <label class="field">
                <span>{i.s(k::FAC_IMPORT_FILE)}</span>
                <input type="file" accept="text/csv,.csv,text/plain" data-testid="facility-import"
                    aria-describedby="facility-import-error" on:change=load/>
            </label>
            <p id="facility-import-error" class="field-error" role="alert" data-testid="facility-import-error">
                {move || file_error.get().map(|c| i.value("err", c))}
            </p>
            <Show when=move || rows.with(|r| !r.is_empty())>
                <table class="import-preview" data-testid="facility-import-preview">
                    <thead>
                        <tr><th>{i.s(k::FAC_IMPORT_LINE)}</th><th>{i.s(k::FAC_NAME)}</th><th>{i.s(k::FAC_IMPORT_RESULT)}</th></tr>
                    </thead>
                    <tbody>
                        {move || rows.get().into_iter().map(|r| {
                            let ok = r.result.is_ok();
                            let result = match &r.result {
                                Ok(f) => {
                                    let places = f.capacity.map(|n| format!(" · {n}")).unwrap_or_default();
                                    format!("{}{places}", i.value("facility_kind", f.kind.as_str()))
                                }
                                Err(code) => i.value("err", code),
                            };
                            view! {
                                <tr data-testid="facility-import-row" data-ok=ok.to_string() class=if ok { "" } else { "refused" }>
                                    <td>{r.line}</td>
                                    <td>{r.name.clone()}</td>
                                    <td>{result}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
                <button type="button" class="primary big" data-testid="facility-import-save"
                    disabled=move || busy.get() || good().is_empty() on:click=save>
                    {move || i.t(k::FAC_IMPORT_SAVE).replace("{n}", &good().len().to_string())}
                </button>
            </Show>
        </details>
    }
}
