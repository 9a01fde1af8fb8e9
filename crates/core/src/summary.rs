//! The end-of-patrol summary: duration, contacts, people met, what was given, referrals.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::{Contact, Item, Patrol, ReferralKind, ReferralOutcome};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatrolSummary {
    pub duration_minutes: i64,
    pub contacts: u32,
    /// People met, counted cumulatively as the yearly reports do (sum of headcounts).
    pub people_met: u32,
    pub with_women: u32,
    pub with_children: u32,
    pub help_refused: u32,
    pub follow_up: u32,
    pub given: BTreeMap<Item, u32>,
    pub referrals: BTreeMap<ReferralKind, BTreeMap<ReferralOutcome, u32>>,
}

impl PatrolSummary {
    /// Sums up a patrol from its contacts. Contacts of other patrols are ignored; a patrol
    /// still open is measured up to `now`.
    pub fn of<'a>(patrol: &Patrol, contacts: impl IntoIterator<Item = &'a Contact>, now: DateTime<Utc>) -> Self {
        let end = patrol.ended_at.unwrap_or(now);
        let mut s =
            PatrolSummary { duration_minutes: (end - patrol.started_at).num_minutes().max(0), ..Default::default() };
        for c in contacts.into_iter().filter(|c| c.patrol_id == Some(patrol.id)) {
            s.add(c);
        }
        s
    }

    /// Counts one more contact (the indicators sum contacts up the same way).
    pub fn add(&mut self, c: &Contact) {
        self.contacts += 1;
        self.people_met += c.headcount;
        self.with_women += u32::from(c.with_women());
        self.with_children += u32::from(c.with_children());
        self.help_refused += u32::from(c.help_refused);
        self.follow_up += u32::from(c.follow_up);
        for (item, n) in &c.given {
            *self.given.entry(*item).or_default() += n;
        }
        for r in &c.referrals {
            *self.referrals.entry(r.kind).or_default().entry(r.outcome).or_default() += 1;
        }
    }

    pub fn referral_count(&self) -> u32 {
        self.referrals.values().flat_map(|m| m.values()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;
    use chrono::{Duration, TimeZone};
    use uuid::Uuid;

    #[test]
    fn a_patrol_across_midnight_sums_its_own_contacts() {
        let start = Utc.with_ymd_and_hms(2026, 1, 10, 21, 30, 0).unwrap();
        let patrol = Patrol {
            id: Uuid::from_u128(1),
            kind: PatrolKind::NightPatrol,
            team: vec!["Ania".into()],
            partner: None,
            area: String::new(),
            started_at: start,
            ended_at: Some(start + Duration::minutes(270)),
            notes: String::new(),
            started_by: None,
        };
        let at = start + Duration::hours(3); // 00:30 the next day
        let mut a = Contact::quick(Uuid::from_u128(2), Some(patrol.id), at, Err(PositionStatus::Denied));
        a.headcount = 3;
        a.gender = Some(Gender::Mixed);
        a.given.insert(Item::HotDrink, 3);
        a.referrals.push(Referral { kind: ReferralKind::WarmingCentre, outcome: ReferralOutcome::Accepted });
        let mut b = Contact::quick(Uuid::from_u128(3), Some(patrol.id), at, Err(PositionStatus::Denied));
        b.age_band = Some(AgeBand::Child);
        b.given.insert(Item::HotDrink, 1);
        b.help_refused = true;
        let other = Contact::quick(Uuid::from_u128(4), Some(Uuid::from_u128(9)), at, Err(PositionStatus::Denied));

        let s = PatrolSummary::of(&patrol, [&a, &b, &other], at);
        assert_eq!(s.duration_minutes, 270);
        assert_eq!((s.contacts, s.people_met, s.with_women, s.with_children, s.help_refused), (2, 4, 1, 1, 1));
        assert_eq!(s.given.get(&Item::HotDrink), Some(&4));
        assert_eq!(s.referral_count(), 1);
    }

    #[test]
    fn an_open_patrol_is_measured_up_to_now() {
        let start = Utc.with_ymd_and_hms(2026, 1, 10, 23, 0, 0).unwrap();
        let patrol = Patrol {
            id: Uuid::nil(),
            kind: PatrolKind::Streetworking,
            team: vec![],
            partner: None,
            area: String::new(),
            started_at: start,
            ended_at: None,
            notes: String::new(),
            started_by: None,
        };
        let s = PatrolSummary::of(&patrol, [], start + Duration::minutes(45));
        assert_eq!(s.duration_minutes, 45);
        assert_eq!(s.contacts, 0);
    }
}
