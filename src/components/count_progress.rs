//! A count's live progress, as the teams' phones sync: per sector its team, the places visited
//! of its places, the people counted, and whether the team has sent anything yet; the places
//! that fall in no sector.

use latarnia_core::count::{Sector, SectorProgress};
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};

#[component]
pub fn CountProgress(sectors: Vec<Sector>, progress: Vec<SectorProgress>, outside: Vec<String>) -> impl IntoView {
    let i = use_i18n();
    let of = |id| progress.iter().find(|p| p.sector_id == id).cloned().unwrap_or_default();
    let total_places: u32 = progress.iter().map(|p| p.places).sum();
    let total_visited: u32 = progress.iter().map(|p| p.visited).sum();
    let total_people: u32 = progress.iter().map(|p| p.people).sum();
    let rows = sectors
        .into_iter()
        .map(|s| {
            let p = of(s.id);
            let silent = p.visited == 0 && p.people == 0;
            let team = s.team.members.join(", ");
            view! {
                <tr data-testid="count-progress-sector" data-sector=s.name.clone() data-silent=silent.to_string()>
                    <th scope="row">{s.name.clone()}<span class="hint">{team}</span></th>
                    <td data-testid="count-progress-visited">{format!("{}/{}", p.visited, p.places)}</td>
                    <td data-testid="count-progress-people">{p.people}</td>
                    <td>{silent.then(|| view! { <span class="badge warn">{i.s(k::COUNT_NOT_SYNCED)}</span> })}</td>
                </tr>
            }
        })
        .collect_view();
    let outside_count = outside.len();
    view! {
        <section class="count-progress" data-testid="count-progress">
            <h2>{i.s(k::COUNT_PROGRESS)}</h2>
            <div class="table-scroll" tabindex="0" role="region" aria-label=i.s(k::COUNT_PROGRESS)>
            <table class="indicators">
                <thead>
                    <tr>
                        <th scope="col">{i.s(k::COUNT_SECTORS)}</th>
                        <th scope="col">{i.s(k::COUNT_VISITED)}</th>
                        <th scope="col">{i.s(k::COUNT_PEOPLE)}</th>
                        <th scope="col"><span class="visually-hidden">{i.s(k::COUNT_NOT_SYNCED)}</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <th scope="row">{i.s(k::COUNT_W_TOTAL)}</th>
                        <td data-testid="count-progress-visited-total">{format!("{total_visited}/{total_places}")}</td>
                        <td data-testid="count-progress-people-total">{total_people}</td>
                        <td></td>
                    </tr>
                </tfoot>
            </table>
            </div>
            {(outside_count > 0).then(|| view! {
                <details class="count-outside" data-testid="count-outside">
                    <summary>{i.s(k::COUNT_OUTSIDE)}": "{outside_count}</summary>
                    <ul>{outside.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                </details>
            })}
        </section>
    }
}
