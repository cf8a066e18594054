//! When a frame was captured, from what its sender says: an RTCP sender report maps the
//! sender's RTP clock to its wall clock (NTP). Every ingest (RTSP pull, WHIP push) uses it
//! to stamp its frames; a sender that has not reported yet, or whose clock is far from
//! ours, is stamped with the frame's arrival instead.

/// A sender report: RTP time `rtp` was `unix_ms` on the sender's wall clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderClock {
    /// The report's RTP timestamp.
    pub rtp: u32,
    /// The report's wall-clock time, Unix milliseconds.
    pub unix_ms: u64,
}

/// How far a sender's clock may be from ours before its reports are ignored.
pub const MAX_SKEW_MS: u64 = 10_000;

/// The capture time (Unix ms) of a frame stamped `rtp` on a `rate` Hz clock that arrived
/// at `arrival_ms`. RTP timestamps wrap at 32 bits: the frame is taken to be within half
/// that range of the report, before or after it.
pub fn captured_ms(sender: Option<SenderClock>, rtp: u32, rate: u32, arrival_ms: u64) -> u64 {
    let Some(s) = sender.filter(|_| rate > 0) else { return arrival_ms };
    let ticks = i64::from(rtp.wrapping_sub(s.rtp) as i32);
    let captured = s.unix_ms as i64 + ticks * 1000 / i64::from(rate);
    match u64::try_from(captured) {
        Ok(c) if c.abs_diff(arrival_ms) < MAX_SKEW_MS => c,
        _ => arrival_ms,
    }
}

/// An NTP timestamp (seconds since 1900 . fraction of a second) as Unix milliseconds.
pub fn ntp_unix_ms(ntp: u64) -> Option<u64> {
    let secs = (ntp >> 32).checked_sub(2_208_988_800)?;
    Some(secs * 1000 + (((ntp & 0xffff_ffff) * 1000) >> 32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_is_stamped_from_the_last_sender_report() {
        let sr = SenderClock { rtp: 90_000, unix_ms: 1_790_000_000_000 };
        let arrival = 1_790_000_000_700;
        // 40 ms of 90 kHz after the report.
        assert_eq!(captured_ms(Some(sr), 93_600, 90_000, arrival), 1_790_000_000_040);
        // Before the report (a frame reordered behind it).
        assert_eq!(captured_ms(Some(sr), 86_400, 90_000, arrival), 1_789_999_999_960);
        // Across the 32-bit wrap.
        let late = SenderClock { rtp: u32::MAX - 899, unix_ms: 1_790_000_000_000 };
        assert_eq!(captured_ms(Some(late), 2_700, 90_000, arrival), 1_790_000_000_040);
    }

    #[test]
    fn without_a_report_or_with_a_wrong_clock_the_arrival_time_is_used() {
        let arrival = 1_790_000_000_700;
        assert_eq!(captured_ms(None, 1234, 90_000, arrival), arrival);
        let wrong = SenderClock { rtp: 0, unix_ms: 1_000 };
        assert_eq!(captured_ms(Some(wrong), 3600, 90_000, arrival), arrival);
        let sr = SenderClock { rtp: 0, unix_ms: arrival };
        assert_eq!(captured_ms(Some(sr), 3600, 0, arrival), arrival, "no clock rate");
    }

    #[test]
    fn ntp_times_convert_to_unix_milliseconds() {
        assert_eq!(ntp_unix_ms(2_208_988_800u64 << 32), Some(0));
        assert_eq!(ntp_unix_ms(((2_208_988_800u64 + 2) << 32) | (1 << 31)), Some(2_500));
        assert_eq!(ntp_unix_ms(5 << 32), None, "before 1970");
    }
}
