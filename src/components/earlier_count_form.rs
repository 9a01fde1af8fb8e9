//! An earlier count of the gmina entered by hand (coordinators): its year and total, for the
//! history beside this year's count (e.g. Częstochowa's 2013–2019 series).

use chrono::TimeZone;
use latarnia_core::count::{default_questionnaire, Count};
use latarnia_core::FieldError;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::components::text_field::{Input, TextField};
use crate::i18n::{k, use_i18n};
use crate::platform;
use crate::state::AppState;
use crate::storage::{Edit, StoreError};

/// An earlier count entered by hand: its year and total, or what is wrong with them.
pub fn earlier_count(id: uuid::Uuid, year: &str, total: &str, name: &str) -> Result<Count, Vec<FieldError>> {
    let year: i32 = year.trim().parse().map_err(|_| vec![FieldError { field: "year", code: "date_invalid" }])?;
    let total: u32 =
        total.trim().parse().map_err(|_| vec![FieldError { field: "entered_total", code: "headcount_range" }])?;
    let starts_at = chrono::Utc
        .with_ymd_and_hms(year.clamp(-9999, 9999), 2, 1, 18, 0, 0)
        .single()
        .ok_or_else(|| vec![FieldError { field: "year", code: "date_range" }])?;
    let c = Count {
        id,
        name: format!("{name} {year}"),
        starts_at,
        ends_at: starts_at + chrono::Duration::hours(12),
        sectors: Vec::new(),
        questionnaire: default_questionnaire(),
        entered_total: Some(total),
    };
    latarnia_core::count::validate_count(&c).map_err(|e| {
        e.0.into_iter()
            .map(|e| if e.field == "starts_at" { FieldError { field: "year", ..e } } else { e })
            .collect::<Vec<_>>()
    })?;
    Ok(c)
}

#[component]
pub fn EarlierCountForm() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let year = RwSignal::new(String::new());
    let total = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let add = move |_| match earlier_count(
        platform::new_uuid(),
        &year.get_untracked(),
        &total.get_untracked(),
        i.t(k::COUNT_HISTORY_NAME),
    ) {
        Err(e) => errors.set(e),
        Ok(c) => spawn_local(async move {
            match state.write(Edit::Save(c)).await {
                Ok(_) => {
                    errors.set(Vec::new());
                    year.set(String::new());
                    total.set(String::new());
                    state.notify(k::COUNT_SAVED, None);
                }
                Err(StoreError::Invalid(e)) => errors.set(e.0),
                Err(_) => {}
            }
        }),
    };
    view! {
        <fieldset class="no-print">
            <legend>{i.s(k::COUNT_HISTORY_ADD)}</legend>
            <TextField id="count-history-year" field="year" label=k::COUNT_HISTORY_YEAR value=year errors input=Input::Count/>
            <TextField id="count-history-total" field="entered_total" label=k::COUNT_HISTORY_TOTAL value=total errors
                input=Input::Count/>
            <button type="button" data-testid="count-history-add" on:click=add>{i.s(k::COUNT_HISTORY_ADD)}</button>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_earlier_count_needs_a_year_of_the_work_and_a_whole_total() {
        let c = earlier_count(uuid::Uuid::nil(), "2019", "351", "Badanie").unwrap();
        assert_eq!((c.name.as_str(), c.entered_total), ("Badanie 2019", Some(351)));
        let code = |y: &str, t: &str| earlier_count(uuid::Uuid::nil(), y, t, "B").unwrap_err()[0].code;
        assert_eq!(code("dwa tysiące", "351"), "date_invalid");
        assert_eq!(code("1800", "351"), "date_range");
        assert_eq!(code("2019", "-3"), "headcount_range");
        assert_eq!(code("2019", "2000000"), "headcount_range");
    }
}
