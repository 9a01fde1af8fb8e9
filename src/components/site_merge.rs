//! Merging two places mapped twice: both shown side by side, field by field, and the
//! coordinator keeps either value or both (text joined). Nothing a worker typed disappears
//! without the coordinator seeing it.

use latarnia_core::sites::{default_keep, differing_fields, merged_site, Keep, SiteField};
use latarnia_core::Site;
use leptos::prelude::*;

use crate::i18n::{k, use_i18n, I18n};

/// A field's value as the coordinator reads it.
fn shown(i: I18n, field: SiteField, s: &Site) -> String {
    let text = match field {
        SiteField::Label => s.label.clone(),
        SiteField::Address => s.address.clone(),
        SiteField::AccessNotes => s.access_notes.clone(),
        SiteField::Dangers => s.dangers.clone(),
        SiteField::Kind => i.value("site_kind", s.kind.as_str()),
        SiteField::Status => i.value("site_status", s.status.as_str()),
        SiteField::Position => crate::components::coordinates::pair(s.position.lat, s.position.lon, 5),
        SiteField::UsualHeadcount => s.usual_headcount.map(|n| n.to_string()).unwrap_or_default(),
    };
    if text.trim().is_empty() {
        "—".into()
    } else {
        text
    }
}

/// The merge screen for `survivor` (the older place, which stays) and `other` (merged into
/// it). `on_merge` gets the coordinator's choice per differing field; `on_cancel` closes it.
#[component]
pub fn SiteMerge(
    survivor: Site,
    other: Site,
    on_merge: Callback<Vec<(SiteField, Keep)>>,
    on_cancel: Callback<()>,
) -> impl IntoView {
    let i = use_i18n();
    let fields = differing_fields(&survivor, &other);
    let choices: Vec<(SiteField, RwSignal<Keep>)> =
        fields.iter().map(|f| (*f, RwSignal::new(default_keep(*f, &survivor, &other)))).collect();
    let chosen = {
        let choices = choices.clone();
        move || choices.iter().map(|(f, c)| (*f, c.get())).collect::<Vec<_>>()
    };
    let preview = {
        let (survivor, other, chosen) = (survivor.clone(), other.clone(), chosen.clone());
        move || merged_site(&survivor, &other, &chosen())
    };
    let rows = choices
        .into_iter()
        .map(|(field, keep)| {
            let name = format!("merge-{}", field.as_str());
            let option = |which: Keep, value: String, testid: &'static str| {
                let name = name.clone();
                view! {
                    <label class="choice merge-choice">
                        <input type="radio" name=name data-testid=testid prop:checked=move || keep.get() == which
                            on:change=move |_| keep.set(which)/>
                        <span>{value}</span>
                    </label>
                }
            };
            view! {
                <fieldset class="merge-field" data-testid="site-merge-field" data-field=field.as_str()>
                    <legend>{i.sv("site", field.as_str())}</legend>
                    <div class="merge-options">
                        {option(Keep::Survivor, shown(i, field, &survivor), "site-merge-keep-survivor")}
                        {option(Keep::Other, shown(i, field, &other), "site-merge-keep-other")}
                        {field.is_text().then(|| option(Keep::Both, i.t(k::SITE_MERGE_BOTH).to_owned(), "site-merge-keep-both"))}
                    </div>
                </fieldset>
            }
        })
        .collect_view();
    let none_differ = fields.is_empty();
    view! {
        <section class="merge" data-testid="site-merge-dialog" aria-labelledby="site-merge-title">
            <h2 id="site-merge-title">{i.s(k::SITE_MERGE_TITLE)}</h2>
            <div class="merge-heads">
                <p><span class="meta">{i.s(k::SITE_MERGE_STAYS)}</span><br/><strong>{survivor.label.clone()}</strong></p>
                <p><span class="meta">{i.s(k::SITE_MERGE_GOES)}</span><br/><strong>{other.label.clone()}</strong></p>
            </div>
            <p class="hint">{move || if none_differ { i.t(k::SITE_MERGE_SAME) } else { i.t(k::SITE_MERGE_HELP) }}</p>
            {rows}
            <p class="hint" data-testid="site-merge-preview">
                {i.s(k::SITE_MERGE_RESULT)}" "<strong>{move || preview().label}</strong>
            </p>
            <div class="form-actions">
                <button type="button" class="primary big" data-testid="site-merge-confirm"
                    on:click=move |_| on_merge.run(chosen())>{i.s(k::SITES_MERGE)}</button>
                <button type="button" data-testid="site-merge-cancel" on:click=move |_| on_cancel.run(())>
                    {i.s(k::CANCEL)}
                </button>
            </div>
        </section>
    }
}
