//! A place on the map, new (`/sites/new`) or edited (`/sites/<id>`): at the current GPS position
//! (accuracy shown, worse than 100 m flagged) or at coordinates typed in; a place already
//! mapped within 30 m is offered instead.

use latarnia_core::shown::Shown;
use latarnia_core::sites::{near_duplicates, visits, Visit};
use latarnia_core::validate::{self, ACCURACY_FLAG_M};
use latarnia_core::{Contact, FieldError, Position, Site, SiteKind};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use uuid::Uuid;

use crate::components::contact_item::local_time;
use crate::components::coordinates::{coordinate, shown, Coordinates};
use crate::components::enum_select::EnumSelect;
use crate::components::from_store::FromStore;
use crate::components::map_view::{duplicate_radius, map_points, MapView};
use crate::components::older_contacts::OlderContacts;
use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform::{self, Gps};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::{Edit, Query, Store, StoreError};

#[component]
pub fn SiteFormPage() -> impl IntoView {
    let state = expect_context::<AppState>();
    let params = use_params_map();
    let query = use_query_map();
    let initial = crate::loaded::Loaded::new(move || {
        let id = params.with(|p| p.get("id")).unwrap_or_default();
        // `?lat=…&lon=…`: a place started by a tap on the map.
        let tapped = query.with(|q| Some((coordinate(&q.get("lat")?), coordinate(&q.get("lon")?))));
        async move {
            let others: Vec<Site> = state.live::<Site>().await?;
            if id == "new" {
                let at = match tapped {
                    Some((lat, lon)) => Position { lat, lon, accuracy_m: 0.0 },
                    None => Position { lat: f64::NAN, lon: f64::NAN, accuracy_m: 0.0 },
                };
                let site = Site::new(platform::new_uuid(), String::new(), SiteKind::Other, at, platform::now());
                Ok((site, true, others, Vec::new()))
            } else {
                let id = Uuid::parse_str(&id).map_err(|_| StoreError::NotFound)?;
                match state.store().get::<Site>(id).await? {
                    Some(r) if !r.deleted => {
                        let contacts: Vec<Contact> = state
                            .store()
                            .list::<Contact>(&Query::default())
                            .await?
                            .into_iter()
                            .map(|c| c.data)
                            .collect();
                        Ok((r.data, false, others, visits(id, &contacts, &[])))
                    }
                    _ => Err(StoreError::NotFound),
                }
            }
        }
    });
    view! {
        <FromStore resource=initial page=true
            children=|(site, is_new, others, visits)| view! { <SiteForm site is_new others visits/> }/>
    }
}

#[component]
fn SiteForm(site: Site, is_new: bool, others: Vec<Site>, visits: Vec<Visit>) -> impl IntoView {
    let i = use_i18n();
    let last_visit = site.last_visit_at;
    let state = expect_context::<AppState>();
    let navigate = use_navigate();

    let watch = platform::watch_position(move |g| state.gps.set(g));
    on_cleanup(move || {
        if let Some(id) = watch {
            platform::stop_watching(id);
        }
    });

    let label = RwSignal::new(site.label.clone());
    let kind = RwSignal::new(site.kind);
    let status = RwSignal::new(site.status);
    let address = RwSignal::new(site.address.clone());
    let access_notes = RwSignal::new(site.access_notes.clone());
    let dangers = RwSignal::new(site.dangers.clone());
    let headcount = RwSignal::new(site.usual_headcount.map(|n| n.to_string()).unwrap_or_default());
    let lat = RwSignal::new(shown(site.position.lat));
    let lon = RwSignal::new(shown(site.position.lon));
    let accuracy = RwSignal::new(site.position.accuracy_m);
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let busy = RwSignal::new(false);

    // A new place starts where the phone is, as soon as there is a fix.
    let use_gps = move || {
        if let Gps::Fix { position, .. } = state.gps.get_untracked() {
            lat.set(shown(position.lat));
            lon.set(shown(position.lon));
            accuracy.set(position.accuracy_m);
        }
    };
    if is_new {
        Effect::new(move |_| {
            if matches!(state.gps.get(), Gps::Fix { .. }) && lat.with_untracked(String::is_empty) {
                use_gps();
            }
        });
    }

    let position =
        move || Position { lat: coordinate(&lat.get()), lon: coordinate(&lon.get()), accuracy_m: accuracy.get() };
    let neighbours = map_points(&others.iter().filter(|s| s.id != site.id).cloned().collect::<Vec<_>>(), &[], &[]);
    let id = site.id;
    let duplicates = move || {
        let p = position();
        if !(p.lat.is_finite() && p.lon.is_finite()) {
            return Vec::new();
        }
        near_duplicates(&others, &p, duplicate_radius(), id)
            .into_iter()
            .map(|(s, d)| (s.id, s.label.clone(), d))
            .collect::<Vec<_>>()
    };

    // The map under the coordinates: the pin follows them, and dragging it (or a tap) sets them.
    let pin = Signal::derive(move || {
        let p = position();
        (p.lat.is_finite() && p.lon.is_finite()).then_some((p.lat, p.lon))
    });
    let on_pin = Callback::new(move |(la, lo): (f64, f64)| {
        lat.set(shown(la));
        lon.set(shown(lo));
        accuracy.set(0.0);
    });
    let here = Signal::derive(move || match state.gps.get() {
        Gps::Fix { position, .. } => Some(position),
        _ => None,
    });

    let build = {
        let base = site.clone();
        move || -> Result<Site, Vec<FieldError>> {
            let usual = headcount.get_untracked();
            let s = Site {
                label: label.get_untracked().trim().to_owned(),
                kind: kind.get_untracked(),
                status: status.get_untracked(),
                position: position(),
                address: address.get_untracked().trim().to_owned(),
                access_notes: access_notes.get_untracked(),
                dangers: dangers.get_untracked(),
                usual_headcount: usual.trim().parse().ok(),
                ..base.clone()
            };
            let mut errs = validate::site(&s).err().map(|e| e.0).unwrap_or_default();
            if !usual.trim().is_empty() && s.usual_headcount.is_none() {
                errs.push(FieldError { field: "usual_headcount", code: "headcount_range" });
            }
            if errs.is_empty() {
                Ok(s)
            } else {
                Err(errs)
            }
        }
    };

    let original = site.clone();
    // `?back=/count/…`: a place added during a count returns to the team's sector (a path of
    // this app only, never another site).
    let back = use_query_map().with_untracked(|q| q.get("back")).filter(|b| b.starts_with("/count/"));
    let save = {
        let navigate = navigate.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let navigate = navigate.clone();
            let to = back.clone().unwrap_or_else(|| AppRoute::Sites.href());
            state.submit_form(build(), &original, errors, busy, move || {
                state.notify(k::SITE_SAVED, None);
                navigate(&to, Default::default());
            });
        }
    };

    let may_delete = move || !is_new && state.is_coordinator();
    let delete = move |_| {
        let navigate = navigate.clone();
        spawn_local(async move {
            if let Ok(Some(_)) = state.write(Edit::<Site>::Delete(id)).await {
                state.notify(k::SITE_DELETED, None);
                navigate(&AppRoute::Sites.href(), Default::default());
            }
        });
    };

    view! {
        <form class="page site-form" on:submit=save novalidate autocomplete="off">
            <h1>{move || if is_new { i.t(k::SITE_NEW_TITLE) } else { i.t(k::SITE_EDIT_TITLE) }}</h1>
            {move || {
                let near = duplicates();
                (!near.is_empty()).then(|| view! {
                    <div class="warning" role="alert" data-testid="site-duplicate-warning">
                        <p>{i.t(k::SITE_DUPLICATE_WARNING).replace("{r}", &crate::platform::fixed(duplicate_radius(), 0))}</p>
                        <ul>
                            {near.into_iter().map(|(id, label, d)| view! {
                                <li><a href=AppRoute::Site(id).href() data-testid="site-duplicate">{format!("{label} ({} m)", crate::platform::fixed(d, 0))}</a></li>
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}


            <TextField id="site-label" field="label" label=k::SITE_LABEL value=label errors/>

            <label for="site-type">{i.s(k::SITE_KIND)}</label>
            <EnumSelect id="site-type" prefix="site_kind" value=kind/>

            <label for="site-status">{i.s(k::SITE_STATUS)}</label>
            <EnumSelect id="site-status" prefix="site_status" value=status/>

            <fieldset class="position">
                <legend>{i.s(k::SITE_POSITION)}</legend>
                <Coordinates lat lon prefix="site" errors on_edit=Callback::new(move |_| accuracy.set(0.0))/>
                <MapView points=neighbours here pin on_pin testid="site-map"/>
                <p class="hint">{i.s(k::SITE_MAP_HINT)}</p>
                <button type="button" class="big" data-testid="site-use-gps" on:click=move |_| use_gps()
                    disabled=move || !matches!(state.gps.get(), Gps::Fix { .. })>
                    {i.s(k::SITE_USE_GPS)}
                </button>
                <p data-testid="site-accuracy" class={move || if accuracy.get() > ACCURACY_FLAG_M { "hint over" } else { "hint" }}>
                    {move || {
                        let a = accuracy.get();
                        if a > ACCURACY_FLAG_M {
                            format!("±{} m — {}", crate::platform::fixed(a, 0), i.t(k::SITE_ACCURACY_POOR))
                        } else if a > 0.0 {
                            format!("±{} m", crate::platform::fixed(a, 0))
                        } else {
                            i.t(k::SITE_POSITION_TYPED).to_owned()
                        }
                    }}
                </p>
            </fieldset>

            <TextField id="site-address" field="address" label=k::SITE_ADDRESS value=address errors input=Input::Lines(2)/>
            <TextField id="site-access-notes" field="access_notes" label=k::SITE_ACCESS_NOTES value=access_notes errors
                input=Input::Lines(2)/>
            <TextField id="site-dangers" field="dangers" label=k::SITE_DANGERS value=dangers errors input=Input::Lines(2)/>
            <TextField id="site-headcount" field="usual_headcount" label=k::SITE_USUAL_HEADCOUNT value=headcount errors
                input=Input::Count/>

            {(!is_new).then(|| view! { <h2>{i.s(k::SITE_VISITS)}</h2><VisitList visits last_visit/><OlderContacts site=id/> })}

            <div class="form-actions">
                <button type="submit" class="primary big" data-testid="site-save" disabled=move || busy.get()>
                    {i.s(k::SAVE)}
                </button>
                <Show when=may_delete>
                    <button type="button" class="danger big" data-testid="site-delete" on:click=delete.clone()>
                        {i.s(k::DELETE)}
                    </button>
                </Show>
            </div>
        </form>
    }
}

/// The history of a place: every contact there (and, with Akcja ZIMA, every meal-run stop),
/// newest first; the first line is the last visit and what it found.
#[component]
fn VisitList(visits: Vec<Visit>, last_visit: Option<chrono::DateTime<chrono::Utc>>) -> impl IntoView {
    let i = use_i18n();
    match (visits.is_empty(), last_visit) {
        // The visits have left this phone's window; the place still knows the last one.
        (true, Some(at)) => {
            return view! {
                <p class="empty" data-testid="site-last-visit">
                    {move || format!("{} {}", i.t(k::SITE_LAST_VISIT), local_time(at, Shown::DateTime))}
                </p>
            }
            .into_any()
        }
        (true, None) => {
            return view! { <p class="empty" data-testid="site-visits-empty">{i.s(k::SITE_NO_VISITS)}</p> }.into_any()
        }
        (false, _) => {}
    }
    view! {
        <ul class="plain-list" data-testid="site-visits">
            {visits.into_iter().map(|v| view! {
                <li data-testid="site-visit">
                    <a class="row-link" href=v.contact.map(|c| AppRoute::Contact(c).href())>
                        <span>{local_time(v.at, Shown::DateTime)}</span>
                        <span>{move || format!("{} {}", v.people, i.t(k::SITE_VISIT_PEOPLE))}</span>
                    </a>
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}
