//! One person counted at a place: the count's questionnaire, drawn from its data (one choice,
//! several, a number, yes/no) in the user's language with large tap targets; or a person who
//! declines or sleeps, counted by observation (only what can be seen: sex and age group).
//! Anonymous: nothing here names or locates the person.

use std::collections::BTreeMap;

use latarnia_core::count::{validate_person, Answer, CountPerson, Question, QuestionKind, Questionnaire};
use latarnia_core::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;
use uuid::Uuid;

use crate::components::field_error::FieldErrorText;
use crate::i18n::{k, use_i18n, Lang};
use crate::platform;
use crate::state::AppState;
use crate::storage::{Edit, StoreError};

type Answers = RwSignal<BTreeMap<String, Answer>>;

#[component]
fn QuestionField(question: Question, answers: Answers) -> impl IntoView {
    let i = use_i18n();
    let text = move |pl: &str, en: &str| if i.lang() == Lang::En { en.to_owned() } else { pl.to_owned() };
    let code = question.code.clone();
    let name = format!("q-{code}");
    let (pl, en) = (question.pl.clone(), question.en.clone());
    let set = {
        let code = code.clone();
        move |a: Option<Answer>| {
            answers.update(|m| match a {
                Some(a) => {
                    m.insert(code.clone(), a);
                }
                None => {
                    m.remove(&code);
                }
            })
        }
    };
    let current = {
        let code = code.clone();
        move || answers.with(|m| m.get(&code).cloned())
    };
    let options: Vec<(String, String, String)> = match question.kind {
        QuestionKind::YesNo => vec![
            ("yes".into(), i.t(k::COUNT_YES).into(), i.t(k::COUNT_YES).into()),
            ("no".into(), i.t(k::COUNT_NO).into(), i.t(k::COUNT_NO).into()),
        ],
        _ => question.choices.iter().map(|c| (c.code.clone(), c.pl.clone(), c.en.clone())).collect(),
    };
    let control = match question.kind {
        QuestionKind::Number => {
            let set = set.clone();
            let current = current.clone();
            view! {
                <input type="number" inputmode="numeric" min="0" max="200" aria-label=move || text(&pl, &en)
                    prop:value=move || match current() { Some(Answer::Number(n)) => n.to_string(), _ => String::new() }
                    on:input=move |ev| set(event_target_value(&ev).trim().parse().ok().map(Answer::Number))/>
            }
            .into_any()
        }
        kind => options
            .into_iter()
            .map(|(value, opl, oen)| {
                let set = set.clone();
                let (current, current2) = (current.clone(), current.clone());
                let v = value.clone();
                let checked = move || match (current(), kind) {
                    (Some(Answer::One(c)), QuestionKind::Single) => c == v,
                    (Some(Answer::Many(cs)), QuestionKind::Multiple) => cs.contains(&v),
                    (Some(Answer::YesNo(b)), QuestionKind::YesNo) => b == (v == "yes"),
                    _ => false,
                };
                let input_kind = if kind == QuestionKind::Multiple { "checkbox" } else { "radio" };
                let v = value.clone();
                let toggle = move |_| {
                    let next = match kind {
                        QuestionKind::Single => Some(Answer::One(v.clone())),
                        QuestionKind::YesNo => Some(Answer::YesNo(v == "yes")),
                        _ => {
                            let mut cs = match current2() {
                                Some(Answer::Many(cs)) => cs,
                                _ => Vec::new(),
                            };
                            match cs.iter().position(|c| *c == v) {
                                Some(at) => {
                                    cs.remove(at);
                                }
                                None => cs.push(v.clone()),
                            }
                            (!cs.is_empty()).then_some(Answer::Many(cs))
                        }
                    };
                    set(next);
                };
                view! {
                    <label class="choice">
                        <input type=input_kind name=name.clone() value=value prop:checked=checked on:change=toggle/>
                        <span>{move || text(&opl, &oen)}</span>
                    </label>
                }
            })
            .collect_view()
            .into_any(),
    };
    let (pl, en) = (question.pl.clone(), question.en.clone());
    view! {
        <fieldset class="question" data-testid=format!("count-answer-{code}")>
            <legend>{move || text(&pl, &en)}</legend>
            <div class="choices">{control}</div>
        </fieldset>
    }
}

#[component]
pub fn CountPersonForm(
    questionnaire: Questionnaire,
    count_id: Uuid,
    sector_id: Option<Uuid>,
    site_id: Option<Uuid>,
    on_done: Callback<()>,
) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let answers: Answers = RwSignal::new(BTreeMap::new());
    let observed = RwSignal::new(false);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);
    let q = StoredValue::new(questionnaire.clone());

    let save = move |_| {
        let observed = observed.get_untracked();
        // What cannot be seen is not kept for a person counted by observation.
        let kept: BTreeMap<String, Answer> = q.with_value(|q| {
            answers
                .get_untracked()
                .into_iter()
                .filter(|(code, _)| !observed || q.questions.iter().any(|x| &x.code == code && x.observed))
                .collect()
        });
        let person = CountPerson {
            id: platform::new_uuid(),
            count_id,
            sector_id,
            site_id,
            at: platform::now(),
            observed,
            answers: kept,
        };
        if let Err(e) = q.with_value(|q| validate_person(q, &person)) {
            errors.set(e.0);
            state.notify_error(k::FORM_HAS_ERRORS);
            return;
        }
        busy.set(true);
        spawn_local(async move {
            let result = state.write(Edit::Save(person)).await;
            busy.set(false);
            match result {
                Ok(_) => {
                    errors.set(Vec::new());
                    state.notify(k::COUNT_PERSON_SAVED, None);
                    on_done.run(());
                }
                Err(StoreError::Invalid(e)) => errors.set(e.0),
                Err(_) => {}
            }
        });
    };
    let questions = questionnaire.questions;
    view! {
        <form class="count-person" data-testid="count-person-form" on:submit=|ev| ev.prevent_default()>
            <label class="check">
                <input type="checkbox" data-testid="count-person-observed" prop:checked=move || observed.get()
                    on:change=move |ev| observed.set(event_target_checked(&ev))/>
                <span>{i.s(k::COUNT_PERSON_OBSERVED)}</span>
            </label>
            {questions.into_iter().map(|question| {
                let seen = question.observed;
                view! {
                    <Show when=move || seen || !observed.get()>
                        <QuestionField question=question.clone() answers/>
                    </Show>
                }
            }).collect_view()}
            <FieldErrorText errors field="answers"/>
            <div class="actions">
                <button type="button" class="primary big" data-testid="count-person-save" disabled=move || busy.get()
                    on:click=save>{i.s(k::COUNT_PERSON_SAVE)}</button>
                <button type="button" data-testid="count-person-cancel" on:click=move |_| on_done.run(())>
                    {i.s(k::COUNT_PERSON_CANCEL)}
                </button>
            </div>
        </form>
    }
}
