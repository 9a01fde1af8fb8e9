//! The app lock's rules (docs/privacy.md, "On the phone"): what a PIN may be, how long a worker
//! waits after wrong ones, when the PIN stops opening the phone, and when an app left in the
//! background locks itself.

/// A PIN has at least this many digits (the rule: 6 or more) and at most `MAX_DIGITS`.
pub const MIN_DIGITS: usize = 6;
pub const MAX_DIGITS: usize = 12;
/// After this many wrong PINs in a row the PIN no longer opens the phone: only a password
/// sign-in (online) does.
pub const MAX_WRONG: u32 = 10;
/// Wrong PINs allowed without a wait (a glove, a cold hand, a dark street).
pub const FREE_TRIES: u32 = 3;
/// The first wait, doubled with each further wrong PIN.
pub const FIRST_WAIT_MS: u64 = 30_000;
/// Minutes in the background before the app locks itself, unless the organisation says
/// otherwise.
pub const DEFAULT_LOCK_AFTER_MINUTES: u32 = 5;
/// The longest an organisation may let an unattended app stay open.
pub const MAX_LOCK_AFTER_MINUTES: u32 = 60;

/// Why a new PIN is refused (each has a sentence in the UI: `pin_<code>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinProblem {
    TooShort,
    TooLong,
    NotDigits,
    /// All one digit or a straight run (`000000`, `123456`, `987654`): the first a thief tries.
    TooSimple,
    /// The two entries differ.
    Mismatch,
}

impl PinProblem {
    pub fn code(self) -> &'static str {
        match self {
            PinProblem::TooShort => "too_short",
            PinProblem::TooLong => "too_long",
            PinProblem::NotDigits => "not_digits",
            PinProblem::TooSimple => "too_simple",
            PinProblem::Mismatch => "mismatch",
        }
    }
}

/// Checks a new PIN and its repetition.
pub fn check_new_pin(pin: &str, again: &str) -> Result<(), PinProblem> {
    if !pin.chars().all(|c| c.is_ascii_digit()) {
        return Err(PinProblem::NotDigits);
    }
    if pin.len() < MIN_DIGITS {
        return Err(PinProblem::TooShort);
    }
    if pin.len() > MAX_DIGITS {
        return Err(PinProblem::TooLong);
    }
    let d: Vec<i8> = pin.bytes().map(|b| (b - b'0') as i8).collect();
    let steps: Vec<i8> = d.windows(2).map(|w| w[1] - w[0]).collect();
    if steps.iter().all(|s| *s == steps[0]) && steps[0].abs() <= 1 {
        return Err(PinProblem::TooSimple);
    }
    if pin != again {
        return Err(PinProblem::Mismatch);
    }
    Ok(())
}

/// How long to wait before the next try after `failures` wrong PINs in a row.
pub fn wait_after(failures: u32) -> u64 {
    match failures {
        0..=FREE_TRIES => 0,
        n => FIRST_WAIT_MS.saturating_mul(1u64 << (n - FREE_TRIES - 1).min(20)),
    }
}

/// Tries left before only the password opens the phone.
pub fn tries_left(failures: u32) -> u32 {
    MAX_WRONG.saturating_sub(failures)
}

/// Whether an app hidden since `hidden_ms` locks itself at `now_ms`.
pub fn locks_after_background(hidden_ms: u64, now_ms: u64, minutes: u32) -> bool {
    now_ms.saturating_sub(hidden_ms) >= u64::from(minutes) * 60_000
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_new_pin_has_six_to_twelve_digits_is_not_trivial_and_is_typed_twice() {
        assert_eq!(check_new_pin("482916", "482916"), Ok(()));
        assert_eq!(check_new_pin("4829160", "4829160"), Ok(()));
        assert_eq!(check_new_pin("48291", "48291"), Err(PinProblem::TooShort));
        assert_eq!(check_new_pin("4829164829164", "4829164829164"), Err(PinProblem::TooLong));
        assert_eq!(check_new_pin("48a916", "48a916"), Err(PinProblem::NotDigits));
        assert_eq!(check_new_pin("４８２９１６", "４８２９１６"), Err(PinProblem::NotDigits), "full-width digits");
        assert_eq!(check_new_pin("", ""), Err(PinProblem::TooShort));
        for simple in ["000000", "123456", "987654", "3456789", "111111111"] {
            assert_eq!(check_new_pin(simple, simple), Err(PinProblem::TooSimple), "{simple}");
        }
        assert_eq!(check_new_pin("135791", "135791"), Ok(()), "a run with a bigger step is allowed");
        assert_eq!(check_new_pin("482916", "482917"), Err(PinProblem::Mismatch));
    }

    #[test]
    fn the_wait_grows_after_three_free_tries_and_the_tenth_wrong_pin_ends_the_pin() {
        let waits: Vec<u64> = (0..=9).map(wait_after).collect();
        assert_eq!(waits, [0, 0, 0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 960_000]);
        assert_eq!((tries_left(0), tries_left(9), tries_left(10), tries_left(40)), (10, 1, 0, 0));
        assert!(!locks_after_background(1_000, 1_000 + 299_999, 5));
        assert!(locks_after_background(1_000, 1_000 + 300_000, 5));
        assert!(!locks_after_background(5_000, 1_000, 5), "a clock set back does not lock");
    }

    #[test]
    fn the_pages_own_lock_screen_takes_as_many_digits_as_the_app() {
        // `web/index.html` draws the lock screen before the app's code arrives (its keypad
        // stops at the field's `maxlength`); the app then takes the typed PIN over.
        let page = include_str!("../../../web/index.html");
        let field = page.split("id=\"lock-shell-pin\"").nth(1).expect("the page's PIN field");
        let field = field.split('>').next().unwrap_or_default();
        let max = field.split("maxlength=\"").nth(1).and_then(|m| m.split('"').next());
        assert_eq!(max, Some(MAX_DIGITS.to_string().as_str()), "the page's PIN field: {field}");
    }

    proptest! {
        #[test]
        fn the_wait_never_shrinks_and_never_overflows(n in 0u32..u32::MAX) {
            prop_assert!(wait_after(n) <= wait_after(n.saturating_add(1)));
        }

        #[test]
        fn no_string_takes_the_check_down_and_an_accepted_pin_is_digits_only(pin in "\\PC{0,20}") {
            if check_new_pin(&pin, &pin).is_ok() {
                prop_assert!(pin.len() >= MIN_DIGITS && pin.len() <= MAX_DIGITS);
                prop_assert!(pin.chars().all(|c| c.is_ascii_digit()));
            }
        }
    }
}
