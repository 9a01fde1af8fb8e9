//! The Akcja ZIMA banner: on every device of the organisation when tonight's forecast minimum
//! (entered by a coordinator, synced) is at or below the organisation's threshold.

use chrono::NaiveDate;
use latarnia_core::zima::zima_night;
use latarnia_core::{Forecast, ZimaSettings};
use leptos::prelude::*;

use crate::i18n::{k, use_i18n};
use crate::routes::AppRoute;
use crate::state::AppState;
use crate::storage::Store;

/// Tonight, dated by its evening (before 06:00, the night that began last evening).
pub fn tonight() -> NaiveDate {
    latarnia_core::zima::night_of(chrono::Local::now().naive_local())
}

/// The organisation's settings as synced, or the defaults.
pub async fn zima_settings(state: AppState) -> ZimaSettings {
    match state.store().get::<ZimaSettings>(ZimaSettings::ID).await {
        Ok(Some(r)) if !r.deleted => r.data,
        _ => ZimaSettings::default_for_org(),
    }
}

#[component]
pub fn ZimaBanner() -> impl IntoView {
    let i = use_i18n();
    let state = expect_context::<AppState>();
    let night = state.resource(move || {
        async move {
            // Read after every write: tonight's one record (its id is the date's), not all of them.
            let settings = zima_settings(state).await;
            let night = tonight();
            let forecast = state.store().get::<Forecast>(Forecast::id_for(night)).await.ok()??;
            (!forecast.deleted).then_some(())?;
            zima_night(&[forecast.data], night, settings.threshold_c).map(|f| f.min_c)
        }
    });
    move || {
        night.get().flatten().map(|min_c| {
            view! {
                <a class="banner banner-zima" data-testid="zima-banner" href=AppRoute::Zima.href()>
                    <strong>"Akcja ZIMA"</strong>
                    <span>{move || format!("{} {}", i.t(k::ZIMA_BANNER),
                        latarnia_core::validate::celsius(min_c, i.lang() == crate::i18n::Lang::Pl))}</span>
                </a>
            }
        })
    }
}
