//! Hybrid logical clock (docs/protocol.md): `"{physical_ms:013}-{counter:04x}-{client_id}"`, whose string
//! order is its time order.

use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hlc {
    pub physical_ms: u64,
    pub counter: u16,
    pub client: Uuid,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HlcError {
    #[error("malformed HLC")]
    Malformed,
    #[error("HLC counter overflow")]
    CounterOverflow,
}

/// Largest physical part that still fits in 13 decimal digits (year 2286).
const MAX_PHYSICAL: u64 = 9_999_999_999_999;

impl Hlc {
    pub fn zero(client: Uuid) -> Self {
        Hlc { physical_ms: 0, counter: 0, client }
    }

    /// The next timestamp for a local write at wall-clock `now_ms`: strictly after `self`.
    pub fn tick(self, now_ms: u64) -> Result<Self, HlcError> {
        let now_ms = now_ms.min(MAX_PHYSICAL);
        if now_ms > self.physical_ms {
            Ok(Hlc { physical_ms: now_ms, counter: 0, ..self })
        } else {
            let counter = self.counter.checked_add(1).ok_or(HlcError::CounterOverflow)?;
            Ok(Hlc { counter, ..self })
        }
    }

    /// Advances past a timestamp received from elsewhere (a pull), keeping our client id.
    pub fn observe(self, remote: Hlc, now_ms: u64) -> Result<Self, HlcError> {
        let now_ms = now_ms.min(MAX_PHYSICAL);
        let physical = now_ms.max(self.physical_ms).max(remote.physical_ms);
        let counter = if physical == self.physical_ms && physical == remote.physical_ms {
            self.counter.max(remote.counter).checked_add(1)
        } else if physical == self.physical_ms {
            self.counter.checked_add(1)
        } else if physical == remote.physical_ms {
            remote.counter.checked_add(1)
        } else {
            Some(0)
        };
        Ok(Hlc { physical_ms: physical, counter: counter.ok_or(HlcError::CounterOverflow)?, client: self.client })
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:013}-{:04x}-{}", self.physical_ms, self.counter, self.client.hyphenated())
    }
}

impl FromStr for Hlc {
    type Err = HlcError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (physical, rest) = s.split_once('-').ok_or(HlcError::Malformed)?;
        let (counter, client) = rest.split_once('-').ok_or(HlcError::Malformed)?;
        if physical.len() != 13 || counter.len() != 4 || !physical.bytes().all(|b| b.is_ascii_digit()) {
            return Err(HlcError::Malformed);
        }
        Ok(Hlc {
            physical_ms: physical.parse().map_err(|_| HlcError::Malformed)?,
            counter: u16::from_str_radix(counter, 16).map_err(|_| HlcError::Malformed)?,
            client: Uuid::parse_str(client).map_err(|_| HlcError::Malformed)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn arb_hlc() -> impl Strategy<Value = Hlc> {
        (0u64..=MAX_PHYSICAL, any::<u16>(), any::<u128>()).prop_map(|(p, c, u)| Hlc {
            physical_ms: p,
            counter: c,
            client: Uuid::from_u128(u),
        })
    }

    #[test]
    fn format_matches_the_protocol() {
        let client = Uuid::parse_str("7d3c7a8e-2f0b-4a4e-9d0e-1b2c3d4e5f60").unwrap();
        let h = Hlc { physical_ms: 1_732_312_345_678, counter: 10, client };
        assert_eq!(h.to_string(), "1732312345678-000a-7d3c7a8e-2f0b-4a4e-9d0e-1b2c3d4e5f60");
        assert_eq!(h.to_string().parse::<Hlc>(), Ok(h));
        assert_eq!("12-0000-x".parse::<Hlc>(), Err(HlcError::Malformed));
    }

    #[test]
    fn a_stuck_clock_still_moves_forward() {
        let h = Hlc::zero(Uuid::nil()).tick(1000).unwrap();
        let h2 = h.tick(900).unwrap();
        assert!(h2 > h);
        assert_eq!((h2.physical_ms, h2.counter), (1000, 1));
    }

    proptest! {
        #[test]
        fn string_order_is_time_order(a in arb_hlc(), b in arb_hlc()) {
            prop_assert_eq!(a.cmp(&b), a.to_string().cmp(&b.to_string()));
            prop_assert_eq!(a.to_string().parse::<Hlc>(), Ok(a));
        }

        #[test]
        fn tick_and_observe_always_move_forward(a in arb_hlc(), r in arb_hlc(), now in 0u64..=MAX_PHYSICAL) {
            if let Ok(t) = a.tick(now) {
                prop_assert!(t > a);
            }
            if let Ok(o) = a.observe(r, now) {
                prop_assert!((o.physical_ms, o.counter) > (a.physical_ms, a.counter));
                prop_assert!((o.physical_ms, o.counter) > (r.physical_ms, r.counter));
                prop_assert_eq!(o.client, a.client);
            }
        }
    }
}
