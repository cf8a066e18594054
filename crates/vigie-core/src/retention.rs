//! When footage of a moment is erased, and how urgent a requisition is.
//!
//! Recordings are destroyed at the end of the holder's retention period, at most one month
//! (CSI L252-5). A camera whose retention nobody knows is assumed to keep the legal
//! maximum, 30 days — the latest possible erasure, so never a reason to relax: the app
//! shows such a camera's retention as assumed.

use chrono::Duration;

use crate::camera::Camera;
use crate::Timestamp;

/// The legal maximum retention (one month, CSI L252-5), used when a camera's is unknown.
pub const LEGAL_MAX_RETENTION_DAYS: u32 = 30;

/// How urgent it is to requisition footage before it is erased.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Already erased.
    Lost,
    /// Erased within 72 hours.
    Critical,
    /// Erased within 7 days.
    Soon,
    /// More than 7 days left.
    Later,
}

/// The retention of a camera's footage of one moment, seen from `now`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct RetentionStatus {
    /// When the footage of the moment is erased.
    pub erased_at: Timestamp,
    /// Time left from `now` (negative once erased).
    pub remaining: Duration,
    /// The urgency class of `remaining`.
    pub urgency: Urgency,
    /// Whether the retention period is the camera's own (`false`: the legal maximum was assumed).
    pub known: bool,
}

/// Retention of `camera`'s footage of `moment`, seen from `now`.
pub fn retention(camera: &Camera, moment: Timestamp, now: Timestamp) -> RetentionStatus {
    retention_for(camera.retention_days, moment, now)
}

/// Retention of footage of `moment` kept `retention_days` (unknown: the legal maximum),
/// seen from `now`.
pub fn retention_for(retention_days: Option<u32>, moment: Timestamp, now: Timestamp) -> RetentionStatus {
    let days = retention_days.unwrap_or(LEGAL_MAX_RETENTION_DAYS);
    let erased_at = moment + Duration::days(i64::from(days));
    let remaining = erased_at - now;
    RetentionStatus { erased_at, remaining, urgency: urgency(remaining), known: retention_days.is_some() }
}

/// The urgency class of a remaining time.
pub fn urgency(remaining: Duration) -> Urgency {
    if remaining <= Duration::zero() {
        Urgency::Lost
    } else if remaining < Duration::hours(72) {
        Urgency::Critical
    } else if remaining < Duration::days(7) {
        Urgency::Soon
    } else {
        Urgency::Later
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(y: i32, mo: u32, d: u32, h: u32) -> Timestamp {
        chrono::Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).unwrap()
    }

    /// One table, read as the officer would: incident, retention, now → erased at, urgency.
    #[test]
    fn retention_table() {
        let incident = t(2026, 11, 10, 22);
        let cases = [
            (Some(7), t(2026, 11, 12, 8), t(2026, 11, 17, 22), Urgency::Soon),
            (Some(7), t(2026, 11, 15, 8), t(2026, 11, 17, 22), Urgency::Critical),
            (Some(7), t(2026, 11, 17, 22), t(2026, 11, 17, 22), Urgency::Lost),
            (Some(15), t(2026, 11, 11, 0), t(2026, 11, 25, 22), Urgency::Later),
            (None, t(2026, 12, 8, 0), t(2026, 12, 10, 22), Urgency::Critical),
            (Some(0), t(2026, 11, 10, 23), t(2026, 11, 10, 22), Urgency::Lost),
        ];
        for (days, now, erased_at, urgency) in cases {
            let r = retention_for(days, incident, now);
            assert_eq!((r.erased_at, r.urgency, r.known), (erased_at, urgency, days.is_some()), "{days:?} at {now}");
            assert_eq!(r.remaining, erased_at - now);
        }
    }

    #[test]
    fn boundaries_of_the_urgency_classes() {
        assert_eq!(urgency(Duration::seconds(1)), Urgency::Critical);
        assert_eq!(urgency(Duration::hours(72) - Duration::seconds(1)), Urgency::Critical);
        assert_eq!(urgency(Duration::hours(72)), Urgency::Soon);
        assert_eq!(urgency(Duration::days(7)), Urgency::Later);
        assert_eq!(urgency(Duration::seconds(-5)), Urgency::Lost);
    }
}
