use latarnia_core::zima::RunSummary;
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

/// A run's progress as every screen shows it (`RunSummary::progress`): "4 / 5 stops, 1 skipped".
#[component]
pub fn RunProgress(summary: RunSummary) -> impl IntoView {
    let i = use_i18n();
    let p = summary.progress();
    let text = move || {
        let main =
            i.t(k::RUN_PROGRESS).replace("{done}", &p.handled.to_string()).replace("{all}", &p.total.to_string());
        if p.skipped == 0 {
            main
        } else {
            format!("{main}, {}", i.t(k::RUN_PROGRESS_SKIPPED).replace("{n}", &p.skipped.to_string()))
        }
    };
    view! {
        <span class="run-progress" data-testid="run-progress" data-handled=p.handled data-skipped=p.skipped
            data-total=p.total>{text}</span>
    }
}
