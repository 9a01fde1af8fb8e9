//! The app's paths, in one place.

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRoute {
    Patrol,
    PatrolSummary(Uuid),
    History,
    NewContact,
    Contact(Uuid),
    Settings,
    Sync,
    Sites,
    NewSite,
    Site(Uuid),
    Map,
    Reports,
    NewReport,
    Report(Uuid),
    Zima,
    NewRun,
    Run(Uuid),
    RunStop(Uuid),
    Indicators,
    Counts,
    Facilities,
    Reception,
}

impl AppRoute {
    pub fn href(self) -> String {
        match self {
            AppRoute::Patrol => "/".into(),
            AppRoute::PatrolSummary(id) => format!("/patrols/{id}"),
            AppRoute::History => "/contacts".into(),
            AppRoute::NewContact => "/contacts/new".into(),
            AppRoute::Contact(id) => format!("/contacts/{id}"),
            AppRoute::Settings => "/settings".into(),
            AppRoute::Sync => "/sync".into(),
            AppRoute::Sites => "/sites".into(),
            AppRoute::NewSite => "/sites/new".into(),
            AppRoute::Site(id) => format!("/sites/{id}"),
            AppRoute::Map => "/map".into(),
            AppRoute::Reports => "/reports".into(),
            AppRoute::NewReport => "/reports/new".into(),
            AppRoute::Report(id) => format!("/reports/{id}"),
            AppRoute::Zima => "/zima".into(),
            AppRoute::NewRun => "/zima/runs/new".into(),
            AppRoute::Run(id) => format!("/zima/runs/{id}"),
            AppRoute::RunStop(id) => format!("/zima/stops/{id}"),
            AppRoute::Indicators => "/indicators".into(),
            AppRoute::Counts => "/count".into(),
            AppRoute::Facilities => "/facilities".into(),
            AppRoute::Reception => "/facility".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_the_router() {
        assert_eq!(AppRoute::NewContact.href(), "/contacts/new");
        assert_eq!(AppRoute::Contact(Uuid::nil()).href(), "/contacts/00000000-0000-0000-0000-000000000000");
    }
}
