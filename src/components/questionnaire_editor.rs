//! A count's questionnaire, which is data: its questions in the user's language, kept as a JSON
//! file (downloaded, edited or replaced by next edition's, loaded again) so the next edition's
//! changes need no new release of the app. A file that is not a valid questionnaire is named
//! as such and changes nothing.

use latarnia_core::count::{default_questionnaire, validate_questionnaire, QuestionKind, Questionnaire};
use latarnia_core::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::field_error::FieldErrorText;
use crate::i18n::{k, use_i18n, Lang};
use crate::platform;
use crate::state::AppState;

/// A questionnaire read from a file's text; the errors to show when it is not one.
pub fn read_questionnaire(text: &str) -> Result<Questionnaire, Vec<FieldError>> {
    let q: Questionnaire = serde_json::from_str(text)
        .map_err(|_| vec![FieldError { field: "questionnaire", code: "questionnaire_unreadable" }])?;
    validate_questionnaire(&q).map_err(|e| {
        let mut errs: Vec<FieldError> = e.0.into_iter().map(|e| FieldError { field: "questionnaire", ..e }).collect();
        errs.dedup();
        errs
    })?;
    Ok(q)
}

#[component]
pub fn QuestionnaireEditor(questionnaire: RwSignal<Questionnaire>, errors: RwSignal<Vec<FieldError>>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let english = move || i.lang() == Lang::En;
    let download = move |_| {
        let text = questionnaire.with_untracked(|q| serde_json::to_string_pretty(q).unwrap_or_default());
        if platform::download("kwestionariusz.json", "application/json", &text).is_err() {
            state.notify_error(k::IND_EXPORT_FAILED);
        }
    };
    let load = move |ev: leptos::ev::Event| {
        let Some(target) = ev.target() else { return };
        spawn_local(async move {
            let Some(text) = platform::chosen_text(target).await else { return };
            let read = text.map_err(|code| vec![FieldError { field: "questionnaire", code }]);
            match read.and_then(|text| read_questionnaire(&text)) {
                Ok(q) => {
                    questionnaire.set(q);
                    errors.update(|e| e.retain(|e| e.field != "questionnaire"));
                    state.notify(k::COUNT_QUESTIONNAIRE_LOADED, None);
                }
                Err(e) => errors.update(|all| {
                    all.retain(|x| x.field != "questionnaire");
                    all.extend(e);
                }),
            }
        });
    };
    let kind = move |k: QuestionKind| match k {
        QuestionKind::Single => i.t(k::COUNT_KIND_SINGLE),
        QuestionKind::Multiple => i.t(k::COUNT_KIND_MULTIPLE),
        QuestionKind::Number => i.t(k::COUNT_KIND_NUMBER),
        QuestionKind::YesNo => i.t(k::COUNT_KIND_YES_NO),
    };
    view! {
        <details class="questionnaire" data-testid="count-questionnaire">
            <summary>{i.s(k::COUNT_QUESTIONNAIRE)}</summary>
            <ol>
                {move || questionnaire.with(|q| q.questions.iter().map(|x| {
                    let text = if english() { x.en.clone() } else { x.pl.clone() };
                    let answers = x.choices.len();
                    view! {
                        <li data-question=x.code.clone()>
                            {text}" "<span class="hint">{format!("({}{})", kind(x.kind),
                                if answers > 0 { format!(", {answers}") } else { String::new() })}</span>
                        </li>
                    }
                }).collect_view())}
            </ol>
            <p class="hint">{i.s(k::COUNT_QUESTIONNAIRE_HOW)}</p>
            <div class="actions">
                <button type="button" data-testid="count-questionnaire-download" on:click=download>
                    {i.s(k::COUNT_QUESTIONNAIRE_DOWNLOAD)}
                </button>
                <button type="button" data-testid="count-questionnaire-default"
                    on:click=move |_| questionnaire.set(default_questionnaire())>
                    {i.s(k::COUNT_QUESTIONNAIRE_DEFAULT)}
                </button>
            </div>
            <label class="field">
                <span>{i.s(k::COUNT_QUESTIONNAIRE_LOAD)}</span>
                <input type="file" accept="application/json,.json" data-testid="count-questionnaire-file"
                    aria-describedby="err-questionnaire" on:change=load/>
            </label>
            <FieldErrorText errors field="questionnaire"/>
            <FieldErrorText errors field="questions"/>
        </details>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_a_questionnaire_or_named_as_not_one() {
        let text = serde_json::to_string(&default_questionnaire()).unwrap();
        assert_eq!(read_questionnaire(&text), Ok(default_questionnaire()));
        assert_eq!(read_questionnaire("not json").unwrap_err()[0].code, "questionnaire_unreadable");
        assert_eq!(read_questionnaire(r#"{"questions": []}"#).unwrap_err()[0].code, "question_incomplete");
    }
}
