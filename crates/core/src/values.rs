//! The closed sets of values of the domain (a patrol's kind, a place's type, a report's
//! urgency…): each travels as a string, the same on the wire and in its translation key.

use serde::{Deserialize, Serialize};

/// A closed set of values written as strings on the wire and in the UI's translation keys
/// (`<prefix>_<value>`): what a form's choice of one of them needs.
pub trait StringEnum: Copy + PartialEq + 'static {
    /// Every value, in the order a form offers them.
    fn all() -> &'static [Self];
    fn as_str(self) -> &'static str;
    fn parse(s: &str) -> Option<Self>;
}

/// Declares a closed set of values that travel as the given strings (the same on the wire, in
/// `as_str()` and as the suffix of the value's translation key), with `ALL` in UI order.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum $name { $(#[serde(rename = $text)] $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl StringEnum for $name {
            fn all() -> &'static [Self] {
                Self::ALL
            }
            fn as_str(self) -> &'static str {
                $name::as_str(self)
            }
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// What kind of outing a patrol is.
    PatrolKind {
        NightPatrol => "night_patrol",
        Streetworking => "streetworking",
        ZimaRun => "zima_run",
    }
);

string_enum!(
    /// The partner agency that went along, if any.
    PartnerAgency {
        CityGuard => "city_guard",
        Police => "police",
        Ambulance => "ambulance",
        Ngo => "ngo",
        Other => "other",
    }
);

string_enum!(
    /// Gender, only when known; `Mixed` is a group of several people.
    Gender {
        Female => "female",
        Male => "male",
        Mixed => "mixed",
    }
);

string_enum!(
    /// Age band, only when known.
    AgeBand {
        Child => "child",
        YoungAdult => "young_adult",
        Adult => "adult",
        Senior => "senior",
    }
);

string_enum!(
    /// The state the person was found in.
    Condition {
        Ok => "ok",
        HypothermiaRisk => "hypothermia_risk",
        Injured => "injured",
        Intoxicated => "intoxicated",
        Ill => "ill",
    }
);

string_enum!(
    /// Services and items given during a contact (counted).
    Item {
        PremedicalHelp => "premedical_help",
        HotMeal => "hot_meal",
        HotDrink => "hot_drink",
        Thermos => "thermos",
        Clothing => "clothing",
        Shoes => "shoes",
        Blanket => "blanket",
        SleepingBag => "sleeping_bag",
        HygieneKit => "hygiene_kit",
        Mask => "mask",
        Information => "information",
    }
);

string_enum!(
    /// Where a person was referred.
    ReferralKind {
        Shelter => "shelter",
        NightShelter => "night_shelter",
        WarmingCentre => "warming_centre",
        WinterPoint => "winter_point",
        Hospital => "hospital",
        AmbulanceCalled => "ambulance_called",
        CityGuardTransport => "city_guard_transport",
        MopsWorker => "mops_worker",
        AddictionTherapy => "addiction_therapy",
        SocialIntegrationCentre => "social_integration_centre",
    }
);

string_enum!(
    /// What came of a referral.
    ReferralOutcome {
        Pending => "pending",
        Accepted => "accepted",
        Refused => "refused",
        NotPossible => "not_possible",
    }
);

string_enum!(
    /// Whether a contact has a GPS position, and if not, why not.
    PositionStatus {
        Fixed => "fixed",
        Denied => "denied",
        Unavailable => "unavailable",
    }
);

string_enum!(
    /// What kind of non-residential place (miejsce niemieszkalne) a site is.
    SiteKind {
        AbandonedBuilding => "abandoned_building",
        AllotmentShed => "allotment_shed",
        Stairwell => "stairwell",
        Basement => "basement",
        Station => "station",
        HeatingChamber => "heating_chamber",
        TentCamp => "tent_camp",
        BridgeViaduct => "bridge_viaduct",
        ParkForest => "park_forest",
        Other => "other",
    }
);

string_enum!(
    /// Whether people stay at a place.
    SiteStatus {
        Active => "active",
        Empty => "empty",
        Closed => "closed",
        Unverified => "unverified",
    }
);

string_enum!(
    /// Who told the team about a place or a person (zgłoszenie).
    ReportSource {
        Phone24h => "phone_24h",
        CityGuard => "city_guard",
        Police => "police",
        Resident => "resident",
        Other => "other",
    }
);

string_enum!(
    /// How soon a report needs checking.
    Urgency {
        Low => "low",
        Normal => "normal",
        Urgent => "urgent",
    }
);

string_enum!(
    /// A report's way: new → assigned → checked → closed.
    ReportStatus {
        New => "new",
        Assigned => "assigned",
        Checked => "checked",
        Closed => "closed",
    }
);
