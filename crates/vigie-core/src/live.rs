//! Live body-cam streams: who may watch which stream, and for how long a viewing token
//! lives. Sans-IO: the platform passes the stream's grants and the clock in.
//!
//! The law (CSI L241-1 and L241-2, décret 2022-1395; ../shared/NOTES-LEGAL.md) limits live
//! viewing to the command post and the personnel involved in the intervention. Here the
//! command post is the supervision centre's operator (`csu_operator`), who sees every
//! stream; anyone else sees a stream only while the operator has granted it to their unit,
//! for a motif that every join and leave of the audit log repeats.

use crate::Timestamp;

/// How long a viewing token may wait before its WebSocket opens, seconds. Short: it is
/// fetched just before connecting, and a reconnect fetches a new one.
pub const TOKEN_TTL_SECS: i64 = 60;

/// The shortest motif an operator may give (a word is not a motif).
pub const MIN_MOTIF_CHARS: usize = 8;
/// The longest motif.
pub const MAX_MOTIF_CHARS: usize = 500;

/// A unit's permission to watch a stream.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Grant {
    /// The unit's code.
    pub unit: String,
    /// Why (the intervention): repeated in the audit log of every view.
    pub motif: String,
    /// The operator who granted it (RIO).
    pub by: String,
    /// When.
    pub at: Timestamp,
}

/// Who asks to watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer<'a> {
    /// Their unit's code.
    pub unit: &'a str,
    /// The command post (the supervision centre's operator): sees every stream.
    pub command_post: bool,
}

/// Why a viewer is turned away.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The operator ended the relay.
    #[error("the relay of this stream has ended")]
    Ended,
    /// No grant for the viewer's unit.
    #[error("the stream is not relayed to unit {unit}: the supervision centre decides who views it")]
    NotGranted {
        /// The viewer's unit.
        unit: String,
    },
}

/// The motif under which the command post watches.
pub const COMMAND_POST_MOTIF: &str = "poste de commandement (CSU)";

/// Whether `viewer` may watch a stream with these grants: the motif of the view, or why
/// not.
pub fn may_view<'a>(viewer: Viewer<'_>, ended: bool, grants: &'a [Grant]) -> Result<&'a str, Refusal> {
    if ended {
        return Err(Refusal::Ended);
    }
    if viewer.command_post {
        return Ok(COMMAND_POST_MOTIF);
    }
    grants
        .iter()
        .find(|g| g.unit == viewer.unit)
        .map(|g| g.motif.as_str())
        .ok_or_else(|| Refusal::NotGranted { unit: viewer.unit.to_string() })
}

/// What is wrong with a grant an operator typed, naming the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantProblem {
    /// No unit.
    #[error("unit: which unit may view the stream?")]
    NoUnit,
    /// Motif too short.
    #[error("motif: at least {MIN_MOTIF_CHARS} characters (the intervention, why this unit views it)")]
    MotifTooShort,
    /// Motif too long.
    #[error("motif: at most {MAX_MOTIF_CHARS} characters")]
    MotifTooLong,
}

/// Checks a grant request; returns the unit and motif trimmed.
pub fn check_grant<'a>(unit: &'a str, motif: &'a str) -> Result<(&'a str, &'a str), GrantProblem> {
    let (unit, motif) = (unit.trim(), motif.trim());
    if unit.is_empty() {
        return Err(GrantProblem::NoUnit);
    }
    match motif.chars().count() {
        n if n < MIN_MOTIF_CHARS => Err(GrantProblem::MotifTooShort),
        n if n > MAX_MOTIF_CHARS => Err(GrantProblem::MotifTooLong),
        _ => Ok((unit, motif)),
    }
}

/// A short-lived permission to open one stream's WebSocket, held by the platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewingToken {
    /// The one stream it opens.
    pub stream: String,
    /// Who fetched it (RIO).
    pub rio: String,
    /// Their unit.
    pub unit: String,
    /// The view's motif (from [`may_view`]).
    pub motif: String,
    /// Unusable from then on.
    pub expires_at: Timestamp,
}

/// Why a viewing token does not open a stream.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefusal {
    /// Issued for another stream.
    #[error("this viewing token is for another stream")]
    OtherStream,
    /// Too old.
    #[error("this viewing token has expired: fetch a new one")]
    Expired,
}

impl ViewingToken {
    /// A token for `stream`, valid [`TOKEN_TTL_SECS`] from `now`.
    pub fn new(stream: &str, rio: &str, unit: &str, motif: &str, now: Timestamp) -> ViewingToken {
        ViewingToken {
            stream: stream.into(),
            rio: rio.into(),
            unit: unit.into(),
            motif: motif.into(),
            expires_at: now + chrono::Duration::seconds(TOKEN_TTL_SECS),
        }
    }

    /// Whether it opens `stream` at `now`.
    pub fn check(&self, stream: &str, now: Timestamp) -> Result<(), TokenRefusal> {
        if self.stream != stream {
            return Err(TokenRefusal::OtherStream);
        }
        if now >= self.expires_at {
            return Err(TokenRefusal::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn t(s: i64) -> Timestamp {
        chrono::Utc.timestamp_opt(1_790_000_000 + s, 0).unwrap()
    }

    fn grant(unit: &str, motif: &str) -> Grant {
        Grant { unit: unit.into(), motif: motif.into(), by: "CSU-1".into(), at: t(0) }
    }

    #[test]
    fn only_the_command_post_and_granted_units_view_and_nobody_once_ended() {
        let grants = [grant("BAC-NORD", "rixe place d'Armes, renfort")];
        let bac = Viewer { unit: "BAC-NORD", command_post: false };
        let other = Viewer { unit: "BT-SUD", command_post: false };
        let csu = Viewer { unit: "CSU", command_post: true };
        assert_eq!(may_view(bac, false, &grants), Ok("rixe place d'Armes, renfort"));
        assert_eq!(may_view(other, false, &grants), Err(Refusal::NotGranted { unit: "BT-SUD".into() }));
        assert_eq!(may_view(csu, false, &[]), Ok(COMMAND_POST_MOTIF));
        for v in [bac, other, csu] {
            assert_eq!(may_view(v, true, &grants), Err(Refusal::Ended));
        }
    }

    #[test]
    fn a_grant_needs_a_unit_and_a_real_motif() {
        assert_eq!(check_grant(" ", "rixe place d'Armes"), Err(GrantProblem::NoUnit));
        assert_eq!(check_grant("BAC", "  rixe  "), Err(GrantProblem::MotifTooShort));
        assert_eq!(check_grant("BAC", &"x".repeat(MAX_MOTIF_CHARS + 1)), Err(GrantProblem::MotifTooLong));
        assert_eq!(check_grant(" BAC ", " rixe place d'Armes "), Ok(("BAC", "rixe place d'Armes")));
    }

    #[test]
    fn a_token_opens_one_stream_until_it_expires() {
        let tok = ViewingToken::new("bc-1", "OFF-1", "BAC", "rixe", t(0));
        assert_eq!(tok.check("bc-1", t(TOKEN_TTL_SECS - 1)), Ok(()));
        assert_eq!(tok.check("bc-2", t(1)), Err(TokenRefusal::OtherStream));
        assert_eq!(tok.check("bc-1", t(TOKEN_TTL_SECS)), Err(TokenRefusal::Expired));
    }
}
