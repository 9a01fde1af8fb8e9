//! The detailed contact form: new (`/contacts/new`) or edit (`/contacts/<id>`).

use latarnia_core::validate::{self, NOTES_MAX_CHARS};
use latarnia_core::{
    AgeBand, Condition, Contact, FieldError, Gender, Item, Referral, ReferralKind, ReferralOutcome, Report,
    ReportStatus, Site,
};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

use crate::components::bed_finder::BedFinder;
use crate::components::contact_item::{local_input, parse_local_input};
use crate::components::coordinates::pair;
use crate::components::field_error::FieldErrorText;
use crate::components::from_store::FromStore;
use crate::components::optional_enum_select::OptionalEnumSelect;
use crate::components::place_select::{place_options, PlaceSelect};
use crate::components::stepper::Stepper;
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n, I18n};
use crate::platform;
use crate::routes::AppRoute;
use crate::state::{AppState, Undo};
use crate::storage::{Edit, Store, StoreError};

#[component]
pub fn ContactFormPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let query = use_query_map();
    // Loaded once per address: later writes must not reset what the user is typing.
    let initial = crate::loaded::Loaded::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        // `?report=<id>`: the contact made while checking a report from the 24 h line.
        let report = query.with(|q| q.get("report")).and_then(|r| Uuid::parse_str(&r).ok());
        async move {
            if id == "new" {
                let patrol = state.open_patrol().await?;
                let gps = state.gps.get_untracked().for_contact(platform::now_ms());
                let mut c = Contact::quick(platform::new_uuid(), patrol.map(|p| p.id), platform::now(), gps);
                let report = match report {
                    Some(rid) => state.store().get::<Report>(rid).await?.filter(|r| !r.deleted).map(|r| r.data),
                    None => None,
                };
                if let Some(r) = &report {
                    c.site_id = r.site_id;
                }
                let draft = ContactDraft::read(&state, &draft_key(None, report.as_ref())).await;
                Ok((c, true, places(&state).await?, report, draft))
            } else {
                let id = Uuid::parse_str(&id).map_err(|_| StoreError::NotFound)?;
                match state.store().get::<Contact>(id).await? {
                    Some(r) if !r.deleted => {
                        let draft = ContactDraft::read(&state, &draft_key(Some(id), None)).await;
                        let contact = with_arrivals(&state, r.data).await?;
                        Ok((contact, false, places(&state).await?, None, draft))
                    }
                    _ => Err(StoreError::NotFound),
                }
            }
        }
    });
    view! {
        <FromStore resource=initial page=true
            children=|(contact, is_new, sites, report, draft)| view! { <ContactForm contact is_new sites report draft/> }/>
    }
}

/// The contact with the referrals its person has arrived at accepted: a facility's reception
/// said so (its hold's answer), and the form shows it as the indicators count it; saving the
/// form keeps it.
async fn with_arrivals(state: &AppState, mut c: Contact) -> Result<Contact, StoreError> {
    use latarnia_core::facilities::{arrived_referrals, BedHold, Facility, HoldStatus};
    let holds = state.store().list_data::<BedHold>(&crate::storage::Query::default()).await?;
    let arrived: Vec<BedHold> =
        holds.into_iter().filter(|h| h.contact_id == Some(c.id) && h.status == HoldStatus::Arrived).collect();
    if arrived.is_empty() {
        return Ok(c);
    }
    let facilities = state.live::<Facility>().await?;
    for kind in arrived_referrals(&arrived, &facilities).remove(&c.id).unwrap_or_default() {
        c.accept_referral(kind);
    }
    Ok(c)
}

/// A contact form's unsaved state, kept on the phone while the user is elsewhere (a tap on the
/// bottom bar by mistake, the settings, a reload) until it is saved or discarded.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
struct ContactDraft {
    contact: Contact,
    /// The time field as typed (it may not parse yet).
    at: String,
}

impl ContactDraft {
    /// The draft kept under `key`, if any (one that no longer reads is dropped).
    async fn read(state: &AppState, key: &str) -> Option<ContactDraft> {
        let text = state.store().draft(key).await.ok()??;
        serde_json::from_str(&text).ok()
    }
}

/// Which draft a form keeps: a new contact's (one per report it checks), or an edit's.
fn draft_key(editing: Option<Uuid>, report: Option<&Report>) -> String {
    match (editing, report) {
        (Some(id), _) => format!("contact:{id}"),
        (None, Some(r)) => format!("contact:new:{}", r.id),
        (None, None) => "contact:new".into(),
    }
}

/// The places on this phone that a contact can be linked to.
async fn places(state: &AppState) -> Result<Vec<Site>, StoreError> {
    state.live::<Site>().await
}

/// A group of large radio buttons for a value that may be unknown (`None`).
fn choice_group<T: Copy + PartialEq + Send + Sync + 'static>(
    i: I18n,
    name: &'static str,
    legend: usize,
    options: &'static [T],
    as_str: fn(T) -> &'static str,
    prefix: &'static str,
    value: RwSignal<Option<T>>,
) -> impl IntoView {
    let option = move |v: Option<T>| {
        let (text, id) = match v {
            Some(v) => (None, as_str(v)),
            None => (Some(k::UNKNOWN), "unknown"),
        };
        view! {
            <label class="choice">
                <input type="radio" name=name data-testid=format!("contact-{name}-{id}")
                    prop:checked=move || value.get() == v on:change=move |_| value.set(v)/>
                <span>{move || match text { Some(key) => i.t(key).to_owned(), None => i.value(prefix, id) }}</span>
            </label>
        }
    };
    view! {
        <fieldset class="choices">
            <legend>{i.s(legend)}</legend>
            {option(None)}
            {options.iter().map(|&v| option(Some(v))).collect_view()}
        </fieldset>
    }
}

#[component]
fn ContactForm(
    contact: Contact,
    is_new: bool,
    sites: Vec<Site>,
    report: Option<Report>,
    draft: Option<ContactDraft>,
) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let key = draft_key((!is_new).then_some(contact.id), report.as_ref());
    let start = draft.as_ref().map_or(&contact, |d| &d.contact);

    let headcount = RwSignal::new(start.headcount);
    let gender = RwSignal::new(start.gender);
    let age_band = RwSignal::new(start.age_band);
    let pseudonym = RwSignal::new(start.pseudonym.clone());
    let sleeping_rough = RwSignal::new(start.sleeping_rough);
    let condition = RwSignal::new(start.condition);
    let given: Vec<(Item, RwSignal<u32>)> =
        Item::ALL.iter().map(|&it| (it, RwSignal::new(start.given.get(&it).copied().unwrap_or(0)))).collect();
    let referrals: Vec<(ReferralKind, RwSignal<Option<ReferralOutcome>>)> = ReferralKind::ALL
        .iter()
        .map(|&kd| (kd, RwSignal::new(start.referrals.iter().find(|r| r.kind == kd).map(|r| r.outcome))))
        .collect();
    let help_refused = RwSignal::new(start.help_refused);
    let follow_up = RwSignal::new(start.follow_up);
    let notes = RwSignal::new(start.notes.clone());
    let site_id = RwSignal::new(start.site_id);
    platform::mark("nearest-start");
    let site_options = place_options(&sites, contact.position.as_ref(), 5);
    platform::measure("nearest-places", "nearest-start");
    let at_text = RwSignal::new(draft.as_ref().map_or_else(|| local_input(contact.at), |d| d.at.clone()));
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);
    let has_draft = RwSignal::new(draft.is_some());

    // Puts every field back as `c` has it (discarding a draft).
    let fill = {
        let (given, referrals) = (given.clone(), referrals.clone());
        move |c: &Contact| {
            headcount.set(c.headcount);
            gender.set(c.gender);
            age_band.set(c.age_band);
            pseudonym.set(c.pseudonym.clone());
            sleeping_rough.set(c.sleeping_rough);
            condition.set(c.condition);
            for (it, n) in &given {
                n.set(c.given.get(it).copied().unwrap_or(0));
            }
            for (kd, o) in &referrals {
                o.set(c.referrals.iter().find(|r| r.kind == *kd).map(|r| r.outcome));
            }
            help_refused.set(c.help_refused);
            follow_up.set(c.follow_up);
            notes.set(c.notes.clone());
            site_id.set(c.site_id);
            at_text.set(local_input(c.at));
        }
    };

    // The form as typed, valid or not.
    let typed = {
        let base = contact.clone();
        let given = given.clone();
        let referrals = referrals.clone();
        move || -> (Contact, String, Option<chrono::DateTime<chrono::Utc>>) {
            let at_typed = at_text.get_untracked();
            let at = parse_local_input(&at_typed);
            let c = Contact {
                at: at.unwrap_or(base.at),
                headcount: headcount.get_untracked(),
                gender: gender.get_untracked(),
                age_band: age_band.get_untracked(),
                pseudonym: pseudonym.get_untracked().trim().to_owned(),
                sleeping_rough: sleeping_rough.get_untracked(),
                condition: condition.get_untracked(),
                given: given.iter().map(|(it, n)| (*it, n.get_untracked())).filter(|(_, n)| *n > 0).collect(),
                referrals: referrals
                    .iter()
                    .filter_map(|(kind, o)| o.get_untracked().map(|outcome| Referral { kind: *kind, outcome }))
                    .collect(),
                help_refused: help_refused.get_untracked(),
                follow_up: follow_up.get_untracked(),
                notes: notes.get_untracked(),
                site_id: site_id.get_untracked(),
                ..base.clone()
            };
            (c, at_typed, at)
        }
    };

    // Every change is kept as the form's draft; back at what was loaded, there is none.
    {
        let (typed, given, referrals) = (typed.clone(), given.clone(), referrals.clone());
        let (original, key) = (contact.clone(), key.clone());
        Effect::new(move |first: Option<()>| {
            headcount.track();
            gender.track();
            age_band.track();
            pseudonym.track();
            sleeping_rough.track();
            condition.track();
            given.iter().for_each(|(_, n)| n.track());
            referrals.iter().for_each(|(_, o)| o.track());
            help_refused.track();
            follow_up.track();
            notes.track();
            site_id.track();
            at_text.track();
            if first.is_none() {
                return;
            }
            let (c, at, _) = typed();
            // The time field holds minutes: as loaded, it stands for the exact time loaded.
            let unchanged = at == local_input(original.at) && Contact { at: original.at, ..c.clone() } == original;
            let text = (!unchanged).then(|| serde_json::to_string(&ContactDraft { contact: c, at }).ok()).flatten();
            has_draft.set(text.is_some());
            let key = key.clone();
            spawn_local(async move {
                let _ = state.store().set_draft(&key, text).await;
            });
        });
    }

    let build = {
        let typed = typed.clone();
        move || -> Result<Contact, Vec<FieldError>> {
            let (c, _, at) = typed();
            let mut errs = validate::contact(&c).err().map(|e| e.0).unwrap_or_default();
            errs.extend(validate::no_national_ids(&[("pseudonym", &c.pseudonym), ("notes", &c.notes)]));
            if at.is_none() {
                errs.push(FieldError { field: "at", code: "at_invalid" });
            }
            if errs.is_empty() {
                Ok(c)
            } else {
                Err(errs)
            }
        }
    };

    let back = contact.patrol_id;
    let id = contact.id;
    let checked = report.as_ref().map(|r| r.id);
    let checking = report.map(|r| r.description);
    let original = contact.clone();
    let save = {
        let navigate = navigate.clone();
        let key = key.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let navigate = navigate.clone();
            let key = key.clone();
            state.submit_form(build(), &original, errors, busy, move || {
                spawn_local(async move {
                    let _ = state.store().set_draft(&key, None).await;
                });
                let to = if back.is_some() && is_new { AppRoute::Patrol } else { AppRoute::History };
                let Some(rid) = checked else {
                    state.notify(k::CONTACT_SAVED, None);
                    return navigate(&to.href(), Default::default());
                };
                // The report this contact checked: checked now, linked to the contact.
                spawn_local(async move {
                    let now = platform::now();
                    let linked = state
                        .update::<Report>(rid, |r| {
                            r.status = ReportStatus::Checked;
                            r.contact_id = Some(id);
                            r.checked_at = Some(now);
                        })
                        .await;
                    if linked.is_ok() {
                        state.notify(k::REPORT_CHECKED, None);
                    }
                    navigate(&to.href(), Default::default());
                });
            });
        }
    };

    let discard = {
        let original = contact.clone();
        move |_| {
            fill(&original);
            has_draft.set(false);
            state.notify(k::CONTACT_DRAFT_DISCARDED, None);
        }
    };

    let delete = move |_| {
        let navigate = navigate.clone();
        let key = key.clone();
        spawn_local(async move {
            let _ = state.store().set_draft(&key, None).await;
            if let Ok(Some(_)) = state.write(Edit::<Contact>::Delete(id)).await {
                state.notify(k::CONTACT_DELETED, Some(Undo::RestoreContact(id)));
                navigate(&AppRoute::History.href(), Default::default());
            }
        });
    };

    let position_text = match (contact.position, contact.position_status) {
        (Some(p), _) => format!("{} (±{} m)", pair(p.lat, p.lon, 5), crate::platform::fixed(p.accuracy_m, 0)),
        (None, s) => s.as_str().to_owned(),
    };
    let has_position = contact.position.is_some();
    let notes_len = move || notes.with(|n| n.chars().count());
    // A bed held from the finder is a referral of its facility's kind, pending until the
    // facility marks the person arrived.
    let on_held = {
        let referrals = referrals.clone();
        Callback::new(move |kind: ReferralKind| {
            if let Some((_, outcome)) = referrals.iter().find(|(k, _)| *k == kind) {
                if outcome.get_untracked().is_none() {
                    outcome.set(Some(ReferralOutcome::Pending));
                }
            }
        })
    };
    let finder_position = contact.position;

    view! {
        <form class="page contact-form" on:submit=save novalidate autocomplete="off">
            <h1>{move || if is_new { i.t(k::CONTACT_NEW_TITLE) } else { i.t(k::CONTACT_EDIT_TITLE) }}</h1>
            {checking.map(|d| view! {
                <p class="notice" data-testid="contact-report"><strong>{i.s(k::REPORT_CHECKING)}</strong>" "{d}</p>
            })}
            <Show when=move || has_draft.get()>
                <div class="notice draft" data-testid="contact-draft">
                    <p>{i.s(k::CONTACT_DRAFT)}</p>
                    <button type="button" data-testid="contact-draft-discard" on:click=discard.clone()>
                        {i.s(k::CONTACT_DRAFT_DISCARD)}
                    </button>
                </div>
            </Show>

            <Stepper value=headcount label=Signal::derive(move || i.t(k::CONTACT_HEADCOUNT).to_owned())
                testid="contact-headcount".into() min=1 max=validate::HEADCOUNT_MAX/>
            <FieldErrorText errors field="headcount"/>

            {choice_group(i, "gender", k::CONTACT_GENDER, Gender::ALL, Gender::as_str, "gender", gender)}
            {choice_group(i, "age", k::CONTACT_AGE, AgeBand::ALL, AgeBand::as_str, "age", age_band)}
            {choice_group(i, "sleeping", k::CONTACT_SLEEPING_ROUGH, &[true, false],
                |b| if b { "yes" } else { "no" }, "answer", sleeping_rough)}
            {choice_group(i, "condition", k::CONTACT_CONDITION, Condition::ALL, Condition::as_str, "condition", condition)}

            <fieldset class="counts">
                <legend>{i.s(k::CONTACT_GIVEN)}</legend>
                {given.iter().map(|&(it, n)| view! {
                    <Stepper value=n label=Signal::derive(move || i.value("item", it.as_str()))
                        testid=format!("contact-given-{}", it.as_str())/>
                }).collect_view()}
            </fieldset>
            <FieldErrorText errors field="given"/>

            <fieldset class="referrals">
                <legend>{i.s(k::CONTACT_REFERRALS)}</legend>
                {referrals.iter().map(|&(kd, outcome)| {
                    let sel_id = format!("referral-{}", kd.as_str());
                    view! {
                        <div class="referral-row">
                            <label for=sel_id.clone()>{i.sv("referral", kd.as_str())}</label>
                            <OptionalEnumSelect id=sel_id prefix="outcome" value=outcome none=k::REFERRAL_NONE/>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <FieldErrorText errors field="referrals"/>
            <BedFinder contact_id=id position=finder_position gender age_band on_held/>

            <label class="check">
                <input type="checkbox" data-testid="contact-help-refused" prop:checked=move || help_refused.get()
                    on:change=move |ev| help_refused.set(event_target_checked(&ev))/>
                <span>{i.s(k::CONTACT_HELP_REFUSED)}</span>
            </label>
            <label class="check">
                <input type="checkbox" data-testid="contact-follow-up" prop:checked=move || follow_up.get()
                    on:change=move |ev| follow_up.set(event_target_checked(&ev))/>
                <span>{i.s(k::CONTACT_FOLLOW_UP)}</span>
            </label>

            <label for="contact-pseudonym">{i.s(k::CONTACT_PSEUDONYM)}</label>
            <input id="contact-pseudonym" data-testid="contact-pseudonym" autocomplete="off" aria-describedby="err-pseudonym"
                prop:value=move || pseudonym.get() on:input=move |ev| pseudonym.set(event_target_value(&ev))/>
            <p class="hint">{i.s(k::CONTACT_PSEUDONYM_HINT)}</p>
            <FieldErrorText errors field="pseudonym"/>

            <label for="contact-notes">{i.s(k::CONTACT_NOTES)}</label>
            <textarea id="contact-notes" data-testid="contact-notes" rows="4" aria-describedby="err-notes notes-count"
                prop:value=move || notes.get() on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            <p id="notes-count" class={move || if notes_len() > NOTES_MAX_CHARS { "hint over" } else { "hint" }}>
                {move || format!("{} / {NOTES_MAX_CHARS}", notes_len())}
            </p>
            <FieldErrorText errors field="notes"/>

            <label for="contact-site">{i.s(k::CONTACT_SITE)}</label>
            <PlaceSelect id="contact-site" testid="contact-site" options=site_options value=site_id/>

            <TextField id="contact-at" field="at" label=k::CONTACT_AT value=at_text errors input=Input::DateTime/>

            <p class="position" data-testid="contact-position">
                {i.s(k::CONTACT_POSITION)}": "
                {move || if has_position { position_text.clone() } else { i.value("position", &position_text) }}
            </p>

            <div class="form-actions">
                <button type="submit" class="primary big" data-testid="contact-save" disabled=move || busy.get()>
                    {i.s(k::SAVE)}
                </button>
                {(!is_new).then(|| view! {
                    <button type="button" class="danger big" data-testid="contact-delete" on:click=delete.clone()>
                        {i.s(k::DELETE)}
                    </button>
                })}
            </div>
        </form>
    }
}
