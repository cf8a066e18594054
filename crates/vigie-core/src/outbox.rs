//! The device's outbox: signed documents waiting to reach the platform, and what each
//! push attempt does to them. The device store persists a [`Delivery`] per document; the
//! sync worker asks [`Delivery::is_due`], records [`Delivery::begin`] **before** sending
//! (so a kill mid-request is remembered as "may have left"), then [`Delivery::after`].
//!
//! Idempotency is the platform's: a document is identified by the id chosen when it was
//! signed, and pushing it again answers "already received". So the outbox can always
//! retry; what it must never do is let the officer cancel a document that may already
//! be on the platform.

use chrono::Duration;

use crate::Timestamp;

/// Where a document stands on the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutboxState {
    /// Waits to be pushed (again).
    Queued,
    /// The platform has it.
    Sent,
    /// Cancelled by the officer before it left.
    Cancelled,
    /// The platform refused it (signature, unit, id): it will not be retried.
    Refused,
}

impl OutboxState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sent => "sent",
            OutboxState::Cancelled => "cancelled",
            OutboxState::Refused => "refused",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<OutboxState> {
        use OutboxState::*;
        [Queued, Sent, Cancelled, Refused].into_iter().find(|x| x.as_str() == s)
    }
}

/// What one push attempt gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushResult {
    /// The platform has the document (new or already received).
    Accepted,
    /// The request surely did not leave (connection refused, no route): nothing changed.
    NotSent(String),
    /// The request may have reached the platform (reset, timeout, 5xx): retry later.
    Transient(String),
    /// The platform refused the document for good (4xx): say why.
    Refused(String),
}

/// A document's delivery state on the device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    /// Where it stands.
    pub state: OutboxState,
    /// Push attempts begun.
    pub attempts: u32,
    /// Not before this moment (automatic sync; "sync now" ignores it).
    pub next_attempt_at: Option<Timestamp>,
    /// The last failure, as the officer reads it.
    pub last_error: Option<String>,
    /// A request carrying it may have reached the platform: it can no longer be cancelled.
    pub may_have_left: bool,
}

/// Why a document cannot be cancelled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CancelError {
    /// Already on the platform.
    #[error("déjà reçue par la plateforme : elle ne peut plus être annulée / already on the platform")]
    Sent,
    /// A push may have delivered it.
    #[error("un envoi a peut-être abouti : elle ne peut plus être annulée / it may already have left the device")]
    MayHaveLeft,
    /// Nothing to cancel.
    #[error("elle n'est plus en attente / it is no longer queued")]
    NotQueued,
}

/// First retry delay; doubles per attempt.
pub const FIRST_RETRY: Duration = Duration::seconds(5);
/// Longest retry delay.
pub const MAX_RETRY: Duration = Duration::minutes(5);

/// The delay before retry number `attempts` (≥ 1), with `jitter` in [0, 1) spreading it
/// over its upper half so devices coming back together do not push in step.
pub fn backoff(attempts: u32, jitter: f64) -> Duration {
    let base = FIRST_RETRY.num_milliseconds().saturating_mul(1_i64 << attempts.saturating_sub(1).min(20));
    let capped = base.min(MAX_RETRY.num_milliseconds());
    let j = jitter.clamp(0.0, 1.0);
    Duration::milliseconds((capped as f64 * (0.5 + j / 2.0)) as i64)
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery::new()
    }
}

impl Delivery {
    /// A document just signed: queued, due at once.
    pub fn new() -> Delivery {
        Delivery {
            state: OutboxState::Queued,
            attempts: 0,
            next_attempt_at: None,
            last_error: None,
            may_have_left: false,
        }
    }

    /// Whether to push it now (`on_demand`: the officer asked, backoff is skipped).
    pub fn is_due(&self, now: Timestamp, on_demand: bool) -> bool {
        self.state == OutboxState::Queued && (on_demand || self.next_attempt_at.is_none_or(|t| t <= now))
    }

    /// Recorded before the request is sent; returns whether it may have left before this
    /// attempt (what [`Delivery::after`] restores if this one surely carried nothing).
    pub fn begin(&mut self) -> bool {
        self.attempts += 1;
        std::mem::replace(&mut self.may_have_left, true)
    }

    /// Recorded after the attempt that [`Delivery::begin`] announced (`left_before`: what
    /// it returned).
    pub fn after(&mut self, result: PushResult, now: Timestamp, jitter: f64, left_before: bool) {
        match result {
            PushResult::Accepted => {
                self.state = OutboxState::Sent;
                self.next_attempt_at = None;
                self.last_error = None;
            }
            PushResult::NotSent(e) => {
                self.may_have_left = left_before;
                self.retry(e, now, jitter);
            }
            PushResult::Transient(e) => self.retry(e, now, jitter),
            PushResult::Refused(e) => {
                self.state = OutboxState::Refused;
                self.next_attempt_at = None;
                self.last_error = Some(e);
            }
        }
    }

    fn retry(&mut self, error: String, now: Timestamp, jitter: f64) {
        self.next_attempt_at = Some(now + backoff(self.attempts, jitter));
        self.last_error = Some(error);
    }

    /// The officer cancels it: only while it surely has not left the device.
    pub fn cancel(&mut self) -> Result<(), CancelError> {
        match self.state {
            OutboxState::Queued if self.may_have_left => Err(CancelError::MayHaveLeft),
            OutboxState::Queued => {
                self.state = OutboxState::Cancelled;
                Ok(())
            }
            OutboxState::Sent => Err(CancelError::Sent),
            _ => Err(CancelError::NotQueued),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> Timestamp {
        chrono::Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap()
    }

    #[test]
    fn backoff_doubles_is_capped_and_jittered_in_its_upper_half() {
        assert_eq!(backoff(1, 1.0), Duration::seconds(5));
        assert_eq!(backoff(1, 0.0), Duration::milliseconds(2500));
        assert_eq!(backoff(3, 1.0), Duration::seconds(20));
        assert_eq!(backoff(40, 1.0), MAX_RETRY);
        assert!(backoff(2, 0.3) > backoff(1, 0.3));
    }

    #[test]
    fn a_failed_push_waits_unless_the_officer_asks() {
        let mut d = Delivery::new();
        assert!(d.is_due(now(), false));
        let l = d.begin();
        d.after(PushResult::Transient("connexion coupée".into()), now(), 1.0, l);
        assert!(!d.is_due(now(), false));
        assert!(d.is_due(now() + Duration::seconds(5), false));
        assert!(d.is_due(now(), true), "sync now skips the backoff");
        assert_eq!(d.last_error.as_deref(), Some("connexion coupée"));
        let l = d.begin();
        d.after(PushResult::Accepted, now(), 0.0, l);
        assert_eq!(d.state, OutboxState::Sent);
        assert!(!d.is_due(now(), true));
    }

    #[test]
    fn only_a_document_that_surely_never_left_can_be_cancelled() {
        let mut fresh = Delivery::new();
        assert_eq!(fresh.cancel(), Ok(()));
        assert_eq!(fresh.state, OutboxState::Cancelled);
        assert!(!fresh.is_due(now(), true));
        assert_eq!(fresh.cancel(), Err(CancelError::NotQueued));

        let mut refused_connection = Delivery::new();
        let l = refused_connection.begin();
        refused_connection.after(PushResult::NotSent("connexion refusée".into()), now(), 0.5, l);
        assert_eq!(refused_connection.cancel(), Ok(()), "a refused connection carried nothing");

        let mut reset = Delivery::new();
        let l = reset.begin();
        reset.after(PushResult::Transient("connexion réinitialisée".into()), now(), 0.5, l);
        assert_eq!(reset.cancel(), Err(CancelError::MayHaveLeft));
        let l = reset.begin();
        reset.after(PushResult::NotSent("connexion refusée".into()), now(), 0.5, l);
        assert_eq!(reset.cancel(), Err(CancelError::MayHaveLeft), "an earlier attempt may have delivered it");

        let mut killed = Delivery::new();
        killed.begin(); // the app dies here: the stored state says it may have left
        assert_eq!(killed.cancel(), Err(CancelError::MayHaveLeft));

        let mut sent = Delivery::new();
        sent.begin();
        sent.after(PushResult::Accepted, now(), 0.0, false);
        assert_eq!(sent.cancel(), Err(CancelError::Sent));
    }

    #[test]
    fn a_refusal_is_final_and_explained() {
        let mut d = Delivery::new();
        let l = d.begin();
        d.after(PushResult::Refused("signature invalide".into()), now(), 0.0, l);
        assert_eq!(d.state, OutboxState::Refused);
        assert!(!d.is_due(now() + Duration::days(1), true));
        assert_eq!(OutboxState::parse("refused"), Some(OutboxState::Refused));
    }
}
