//! The PIN rule: which PINs may seal a key.
//!
//! A PIN is refused when it has fewer than [`MIN_PIN_CHARS`] characters, or when every
//! character is the previous one plus 0, plus 1 or minus 1 (Unicode code points): `000000`,
//! `aaaaaa`, `123456`, `987654`, `abcdef`. Anything else is accepted, digits or not. The
//! rule is deliberately simple: the PIN's strength comes from Argon2id's cost and from the
//! sealed key staying on the device, not from the PIN alone; the rule only removes the
//! first guesses anyone would try. It applies when sealing (a new PIN), never when
//! opening, so tightening it later never locks an officer out.
//!
//! The PIN is used as its UTF-8 bytes, without normalisation: the UI should offer digits.

use std::fmt;

/// The fewest characters a PIN may have.
pub const MIN_PIN_CHARS: usize = 6;

/// Why a PIN is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PinProblem {
    /// Fewer than [`MIN_PIN_CHARS`] characters.
    TooShort,
    /// One character repeated (`000000`).
    Repeated,
    /// An ascending or descending run (`123456`, `654321`, `abcdef`).
    Sequence,
}

impl fmt::Display for PinProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinProblem::TooShort => write!(f, "fewer than {MIN_PIN_CHARS} characters"),
            PinProblem::Repeated => write!(f, "one character repeated"),
            PinProblem::Sequence => write!(f, "an ascending or descending sequence"),
        }
    }
}

/// Checks a new PIN against the rule (see the module documentation). Cheap: call it as the
/// officer types, before the expensive [`seal`](crate::seal).
pub fn check_pin(pin: &str) -> Result<(), crate::KeyError> {
    let problem = pin_problem(pin);
    problem.map_or(Ok(()), |p| Err(crate::KeyError::WeakPin(p)))
}

fn pin_problem(pin: &str) -> Option<PinProblem> {
    if pin.chars().count() < MIN_PIN_CHARS {
        return Some(PinProblem::TooShort);
    }
    let mut steps =
        pin.chars().zip(pin.chars().skip(1)).map(|(a, b)| i64::from(u32::from(b)) - i64::from(u32::from(a)));
    let first = steps.next()?;
    if !(-1..=1).contains(&first) || !steps.all(|s| s == first) {
        return None;
    }
    Some(if first == 0 { PinProblem::Repeated } else { PinProblem::Sequence })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule() {
        for (pin, expected) in [
            ("", Some(PinProblem::TooShort)),
            ("48291", Some(PinProblem::TooShort)),
            ("ééééé", Some(PinProblem::TooShort)),
            ("000000", Some(PinProblem::Repeated)),
            ("99999999", Some(PinProblem::Repeated)),
            ("éééééé", Some(PinProblem::Repeated)),
            ("123456", Some(PinProblem::Sequence)),
            ("0123456789", Some(PinProblem::Sequence)),
            ("654321", Some(PinProblem::Sequence)),
            ("abcdef", Some(PinProblem::Sequence)),
            ("482915", None),
            ("135791", None),
            ("123457", None),
            ("112233", None),
            ("890123", None),
            ("000001", None),
            ("mot de passe", None),
        ] {
            assert_eq!(pin_problem(pin), expected, "{pin:?}");
        }
    }
}
