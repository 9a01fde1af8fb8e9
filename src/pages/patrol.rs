//! The home screen: start a patrol, or — during one — record contacts in one tap and end it.

use latarnia_core::shown::Shown;
use latarnia_core::validate::split_team;
use latarnia_core::{Contact, FieldError, PartnerAgency, Patrol, PatrolKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::components::contact_item::{local_time, ContactItem};
use crate::components::field_error::FieldErrorText;
use crate::components::optional_enum_select::OptionalEnumSelect;
use crate::components::store_error::StoreErrorBanner;
use crate::components::task_list::TaskList;
use crate::i18n::{k, use_i18n};
use crate::platform::{self, Gps};
use crate::routes::AppRoute;
use crate::state::{AppState, Undo};
use crate::storage::{Edit, Local, Query, Store, StoreError};

#[component]
pub fn PatrolPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let loaded = state.resource(move || {
        state.session.track();
        async move { state.open_patrols().await }
    });
    // Re-render only when the open patrol itself changes, not on every contact saved.
    let open = Memo::new(move |_| loaded.get());
    move || {
        match open.get() {
        // A partner agency's account has no patrols: its work is the reports.
        _ if state.session.with(Option::is_some) && !state.may_write(latarnia_core::protocol::PATROLS) => view! {
            <section class="page" data-testid="patrol-not-yours">
                <p>{use_i18n().s(k::PATROL_NOT_FOR_ROLE)}</p>
                <a class="button primary big" href=crate::routes::AppRoute::Reports.href()>{use_i18n().s(k::NAV_REPORTS)}</a>
            </section>
        }
        .into_any(),
        None => view! { <p class="loading" aria-busy="true">"…"</p> }.into_any(),
        Some(Ok((Some(patrol), _))) => view! { <ActivePatrol patrol/> }.into_any(),
        Some(Ok((None, joinable))) => view! { <StartPatrol joinable/> }.into_any(),
        Some(Err(e)) => view! { <StoreErrorBanner error=e/> }.into_any(),
    }
    }
}

/// Colleagues' open patrols (another phone of the same team): one tap joins, so both phones
/// record into one patrol.
#[component]
fn JoinPatrol(joinable: Vec<Patrol>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    (!joinable.is_empty()).then(|| {
        view! {
            <h2>{i.s(k::PATROL_JOIN_TITLE)}</h2>
            <ul class="plain-list" data-testid="patrol-join-list">
                {joinable.into_iter().map(|p| {
                    let id = p.id;
                    let when = local_time(p.started_at, Shown::Time);
                    let who = latarnia_core::shown::parts([p.team.join(", "), p.area]);
                    // The button says which patrol it joins to a screen reader, not only "Join".
                    let label = format!("join-{id}");
                    view! {
                        <li class="join-item" data-testid="patrol-join-item">
                            <span id=label.clone()>{when}" "{i.sv("patrol_kind", p.kind.as_str())}" "{who}</span>
                            <button data-testid="patrol-join" aria-describedby=label on:click=move |_| state.join_patrol(id)>
                                {i.s(k::PATROL_JOIN)}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn StartPatrol(joinable: Vec<Patrol>) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let kind = RwSignal::new(PatrolKind::NightPatrol);
    let team = RwSignal::new(platform::pref("last_team").unwrap_or_default());
    let partner = RwSignal::new(None::<PartnerAgency>);
    let area = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);

    let start = move |_| {
        let patrol = Patrol {
            id: platform::new_uuid(),
            kind: kind.get_untracked(),
            team: split_team(&team.get_untracked()),
            partner: partner.get_untracked(),
            area: area.get_untracked().trim().to_owned(),
            started_at: platform::now(),
            ended_at: None,
            notes: String::new(),
            started_by: state.me(),
        };
        busy.set(true);
        let last_team = team.get_untracked();
        // The saved patrol replaces this form at once: its signals may be gone by the time the
        // write answers, hence `try_set`.
        spawn_local(async move {
            match state.write(Edit::Save(patrol)).await {
                Ok(_) => {
                    platform::set_pref("last_team", &last_team);
                    errors.try_set(Vec::new());
                }
                Err(StoreError::Invalid(e)) => {
                    errors.try_set(e.0);
                }
                Err(_) => {}
            }
            busy.try_set(false);
        });
    };

    let recent = state.resource(move || async move {
        state.store().list::<Patrol>(&Query { limit: Some(5), ..Default::default() }).await
    });

    view! {
        <section class="page">
            <h1>{i.s(k::PATROL_NEW_TITLE)}</h1>
            // A teammate's patrol first: on a shared night the phone most likely joins it.
            <JoinPatrol joinable/>
            <fieldset class="choices">
                <legend>{i.s(k::PATROL_KIND)}</legend>
                {PatrolKind::ALL.iter().map(|&kd| view! {
                    <label class="choice">
                        <input type="radio" name="patrol-kind" data-testid=format!("patrol-kind-{}", kd.as_str())
                            prop:checked=move || kind.get() == kd on:change=move |_| kind.set(kd)/>
                        <span>{i.sv("patrol_kind", kd.as_str())}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <label for="patrol-team">{i.s(k::PATROL_TEAM)}</label>
            <input id="patrol-team" data-testid="patrol-team" autocomplete="off"
                placeholder=i.s(k::PATROL_TEAM_HINT)
                aria-describedby="err-team"
                prop:value=move || team.get() on:input=move |ev| team.set(event_target_value(&ev))/>
            <FieldErrorText errors field="team"/>
            <label for="patrol-partner">{i.s(k::PATROL_PARTNER)}</label>
            <OptionalEnumSelect id="patrol-partner" prefix="partner" value=partner none=k::NONE/>
            <label for="patrol-area">{i.s(k::PATROL_AREA)}</label>
            <input id="patrol-area" data-testid="patrol-area" autocomplete="off" aria-describedby="err-area"
                prop:value=move || area.get() on:input=move |ev| area.set(event_target_value(&ev))/>
            <FieldErrorText errors field="area"/>
            <button class="primary big" data-testid="patrol-start" on:click=start disabled=move || busy.get()>
                {i.s(k::PATROL_START)}
            </button>

            <h2>{i.s(k::PATROL_RECENT)}</h2>
            <ul class="plain-list" data-testid="patrol-history">
                {move || recent.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|r| {
                    let p = r.data;
                    let href = AppRoute::PatrolSummary(p.id).href();
                    let when = local_time(p.started_at, Shown::DateTime);
                    view! {
                        <li data-testid="patrol-history-item">
                            <a href=href class="row-link">
                                <span>{when}</span>
                                <span>{i.sv("patrol_kind", p.kind.as_str())}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
fn ActivePatrol(patrol: Patrol) -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let navigate = use_navigate();
    let pid = patrol.id;

    let watch = platform::watch_position(move |g| state.gps.set(g));
    on_cleanup(move || {
        if let Some(id) = watch {
            platform::stop_watching(id);
        }
    });

    let contacts = state.resource(move || async move {
        state.store().list::<Contact>(&Query { parent: Some(pid), ..Default::default() }).await
    });
    // What the list shows: the store's answer, and a new quick contact at once (before the
    // re-read), so the tap shows up in the same frame as the write.
    let shown = RwSignal::new(Vec::<Local<Contact>>::new());
    Effect::new(move |_| {
        if let Some(Ok(v)) = contacts.get() {
            shown.set(v);
        }
    });

    let quick = move |_| {
        let contact = Contact::quick(
            platform::new_uuid(),
            Some(pid),
            platform::now(),
            state.gps.get_untracked().for_contact(platform::now_ms()),
        );
        let id = contact.id;
        spawn_local(async move {
            if let Ok(Some(m)) = state.write(Edit::Save(contact.clone())).await {
                shown.update(|v| v.insert(0, Local::new(contact, false, m.hlc)));
                state.notify(k::CONTACT_SAVED, Some(Undo::DeleteContact(id)));
            }
        });
    };

    let end = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            let now = platform::now();
            if state.update::<Patrol>(pid, |p| p.ended_at = Some(now.max(p.started_at))).await.is_ok() {
                navigate(&AppRoute::PatrolSummary(pid).href(), Default::default());
            }
        });
    };

    // The patrol's notes: the team's shared words on the night, synced like everything else.
    let notes = RwSignal::new(patrol.notes.clone());
    let notes_errors = RwSignal::new(Vec::<latarnia_core::FieldError>::new());
    let save_notes = move |_| {
        let text = notes.get_untracked();
        spawn_local(async move {
            match state.update::<Patrol>(pid, |p| p.notes = text).await {
                Ok(_) => {
                    notes_errors.set(Vec::new());
                    state.notify(k::PATROL_NOTES_SAVED, None);
                }
                Err(StoreError::Invalid(e)) => notes_errors.set(e.0),
                Err(_) => {}
            }
        });
    };
    // A pulled edit of the notes shows up unless the user is typing different ones.
    let saved_notes = state
        .resource(move || async move { state.store().get::<Patrol>(pid).await.ok().flatten().map(|p| p.data.notes) });
    let last_saved = StoredValue::new(patrol.notes.clone());
    Effect::new(move |_| {
        if let Some(Some(n)) = saved_notes.get() {
            if notes.get_untracked() == last_saved.get_value() {
                notes.set(n.clone());
            }
            last_saved.set_value(n);
        }
    });

    let started = local_time(patrol.started_at, Shown::Time);
    let kind = patrol.kind;
    // Where and with whom, as entered at the start.
    let (area, partner, team) = (patrol.area.clone(), patrol.partner, patrol.team.join(", "));
    let where_with = move || {
        let partner = partner.map(|p| i.value("partner", p.as_str()));
        latarnia_core::shown::parts([Some(area.clone()), partner, Some(team.clone())].into_iter().flatten())
    };
    let gps_text = move || match state.gps.get() {
        Gps::Waiting => i.t(k::GPS_WAITING).to_owned(),
        Gps::Fix { position, .. } => format!("GPS ±{} m", crate::platform::fixed(position.accuracy_m, 0)),
        Gps::Failed(s) => i.value("position", s.as_str()),
    };

    view! {
        <section class="page">
            <h1 data-testid="patrol-active">
                {move || format!("{} · {} {started}", i.value("patrol_kind", kind.as_str()), i.t(k::SINCE))}
            </h1>
            <p class="meta" data-testid="patrol-where">{where_with}</p>
            <p class="gps" data-testid="gps-status">{gps_text}</p>
            <div class="actions">
                <button class="primary huge" data-testid="contact-quick" on:click=quick>
                    {i.s(k::CONTACT_QUICK)}
                </button>
                <a class="button big" href=AppRoute::NewContact.href() data-testid="contact-new">
                    {i.s(k::CONTACT_NEW)}
                </a>
            </div>
            <TaskList patrol_id=pid/>
            <h2>
                {i.s(k::PATROL_CONTACTS)}" "
                <span data-testid="contact-count">
                    {move || shown.with(Vec::len)}
                </span>
            </h2>
            <ul class="contact-list" data-testid="contact-list">
                <For
                    each=move || shown.get()
                    key=|r| (r.id, r.hlc.clone())
                    children=|r| view! { <ContactItem contact=r.data/> }
                />
            </ul>
            <label for="patrol-notes">{i.s(k::PATROL_NOTES)}</label>
            <textarea id="patrol-notes" data-testid="patrol-notes" autocomplete="off" rows="3" maxlength="2000"
                aria-describedby="err-notes"
                prop:value=notes on:input=move |ev| notes.set(event_target_value(&ev))></textarea>
            <FieldErrorText errors=notes_errors field="notes"/>
            <button class="secondary" data-testid="patrol-notes-save" on:click=save_notes>{i.s(k::PATROL_NOTES_SAVE)}</button>
            <button class="danger big" data-testid="patrol-end" on:click=end>{i.s(k::PATROL_END)}</button>
        </section>
    }
}
