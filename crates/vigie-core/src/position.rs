//! Where the officer is: fixes from any source, and the rule that decides whether a fix may
//! be used.
//!
//! Sources disagree on how they say "I don't know": gpsd reports a mode without a lock,
//! the mobile geolocation plugin answers (0, 0) on a desktop, a receiver may keep repeating
//! its last fix after losing the sky. None of these may ever reach a query silently:
//! [`assess`] turns a raw reading into a usable [`Fix`] or a [`FixProblem`] that the app
//! shows (and then asks for a pin).

use chrono::Duration;

use crate::geo::{LatLon, PositionError};
use crate::Timestamp;

/// Where a position comes from; the app shows it beside the position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixSource {
    /// A GNSS receiver through gpsd (patrol cars).
    Gpsd,
    /// The phone's location service (tauri-plugin-geolocation).
    Device,
    /// A pin the officer placed on the map.
    ManualPin,
}

/// A reading as a source gave it, before any judgement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawFix {
    /// The source.
    pub source: FixSource,
    /// Latitude, if the source gave one.
    pub lat: Option<f64>,
    /// Longitude, if the source gave one.
    pub lon: Option<f64>,
    /// Whether the source says it has a lock (gpsd mode ≥ 2; always true for a pin).
    pub locked: bool,
    /// Horizontal accuracy, metres (95 %), if known.
    pub accuracy_m: Option<f64>,
    /// When the reading was taken, by the source's clock.
    pub at: Option<Timestamp>,
}

/// A usable position.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Fix {
    /// The position.
    pub position: LatLon,
    /// Horizontal accuracy, metres, if known.
    pub accuracy_m: Option<f64>,
    /// When it was taken.
    pub at: Timestamp,
    /// Where it comes from.
    pub source: FixSource,
}

/// Why a reading cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error, serde::Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FixProblem {
    /// The source has no lock (gpsd mode 0 or 1), or gave no coordinates.
    #[error("pas de position : le récepteur n'a pas de fix / no fix from the receiver")]
    NoLock,
    /// Exactly (0, 0): what a source without a position answers.
    #[error("position (0, 0) refusée : la source n'a pas de position / (0, 0) refused: the source has no position")]
    NullIsland,
    /// Coordinates out of range or not numbers.
    #[error("position invalide / invalid position: {0}")]
    Invalid(String),
    /// Older than the policy allows.
    #[error("position trop ancienne ({seconds} s) / position too old ({seconds} s)")]
    Stale {
        /// Its age, seconds.
        seconds: i64,
    },
    /// Less precise than the policy allows.
    #[error("position trop imprécise (± {accuracy_m:.0} m) / position too imprecise (± {accuracy_m:.0} m)")]
    Imprecise {
        /// Its accuracy, metres.
        accuracy_m: f64,
    },
}

/// How fresh and precise a fix must be to be used without asking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixPolicy {
    /// Oldest acceptable reading.
    pub max_age: Duration,
    /// Worst acceptable accuracy, metres.
    pub max_accuracy_m: f64,
}

impl Default for FixPolicy {
    /// 30 s and 150 m: cameras see tens of metres; beyond that the list around the officer
    /// would be about another street.
    fn default() -> Self {
        FixPolicy { max_age: Duration::seconds(30), max_accuracy_m: 150.0 }
    }
}

/// Judges a reading at `now`. A manual pin is never stale nor imprecise (the officer put
/// it there), but it still may not be (0, 0).
pub fn assess(raw: RawFix, now: Timestamp, policy: &FixPolicy) -> Result<Fix, FixProblem> {
    let (Some(lat), Some(lon)) = (raw.lat, raw.lon) else { return Err(FixProblem::NoLock) };
    if !raw.locked {
        return Err(FixProblem::NoLock);
    }
    let position = LatLon::new(lat, lon).map_err(|e| match e {
        PositionError::NullIsland => FixProblem::NullIsland,
        other => FixProblem::Invalid(other.to_string()),
    })?;
    let at = raw.at.unwrap_or(now);
    if raw.source != FixSource::ManualPin {
        let age = now - at;
        if age > policy.max_age {
            return Err(FixProblem::Stale { seconds: age.num_seconds() });
        }
        if let Some(a) = raw.accuracy_m.filter(|a| *a > policy.max_accuracy_m) {
            return Err(FixProblem::Imprecise { accuracy_m: a });
        }
    }
    Ok(Fix { position, accuracy_m: raw.accuracy_m, at, source: raw.source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, 22, 21, 0, 0).unwrap()
    }

    fn raw(source: FixSource, lat: f64, lon: f64, locked: bool, acc: Option<f64>, age_s: i64) -> RawFix {
        RawFix {
            source,
            lat: Some(lat),
            lon: Some(lon),
            locked,
            accuracy_m: acc,
            at: Some(now() - Duration::seconds(age_s)),
        }
    }

    /// Every way a source says "I don't know" is refused, with a reason people can read.
    #[test]
    fn bad_fixes_are_never_used_silently() {
        let p = FixPolicy::default();
        let cases = [
            (raw(FixSource::Gpsd, 43.73, 7.42, true, Some(8.0), 2), Ok(())),
            (raw(FixSource::Gpsd, 43.73, 7.42, false, Some(8.0), 2), Err(FixProblem::NoLock)),
            (raw(FixSource::Device, 0.0, 0.0, true, None, 0), Err(FixProblem::NullIsland)),
            (raw(FixSource::Gpsd, 43.73, 7.42, true, Some(8.0), 45), Err(FixProblem::Stale { seconds: 45 })),
            (
                raw(FixSource::Device, 43.73, 7.42, true, Some(900.0), 1),
                Err(FixProblem::Imprecise { accuracy_m: 900.0 }),
            ),
            (raw(FixSource::ManualPin, 43.73, 7.42, true, None, 3600), Ok(())),
            (raw(FixSource::ManualPin, 0.0, 0.0, true, None, 0), Err(FixProblem::NullIsland)),
            (RawFix { lat: None, ..raw(FixSource::Gpsd, 0.0, 7.0, true, None, 0) }, Err(FixProblem::NoLock)),
        ];
        for (r, want) in cases {
            let got = assess(r, now(), &p).map(|_| ());
            assert_eq!(got, want, "{r:?}");
        }
        assert!(matches!(
            assess(raw(FixSource::Gpsd, 95.0, 7.0, true, None, 0), now(), &p),
            Err(FixProblem::Invalid(_))
        ));
        assert_eq!(
            FixProblem::NullIsland.to_string(),
            "position (0, 0) refusée : la source n'a pas de position / (0, 0) refused: the source has no position"
        );
    }
}
