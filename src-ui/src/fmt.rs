//! Numbers as the officer reads them (French conventions: decimal comma, "Mo").

/// A distance: metres under 1 km, then kilometres with one decimal.
pub fn distance(m: f64) -> String {
    if m < 1000.0 {
        format!("{} m", m.round() as i64)
    } else {
        format!("{:.1} km", m / 1000.0).replace('.', ",")
    }
}

/// A size in bytes: kB under 1 MB, then MB with one decimal (French units: ko, Mo).
pub fn bytes(n: u64) -> String {
    if n < 1_000_000 {
        format!("{} ko", n.div_ceil(1000))
    } else {
        format!("{:.1} Mo", n as f64 / 1e6).replace('.', ",")
    }
}

/// An age in minutes: "à l'instant", "il y a 12 min", "il y a 3 h", "il y a 2 j".
pub fn age_fr(minutes: i64) -> String {
    match minutes {
        i64::MIN..=0 => "à l'instant".into(),
        1..=59 => format!("il y a {minutes} min"),
        60..=2879 => format!("il y a {} h", minutes / 60),
        _ => format!("il y a {} j", minutes / 1440),
    }
}

/// The same in English.
pub fn age_en(minutes: i64) -> String {
    match minutes {
        i64::MIN..=0 => "just now".into(),
        1..=59 => format!("{minutes} min ago"),
        60..=2879 => format!("{} h ago", minutes / 60),
        _ => format!("{} days ago", minutes / 1440),
    }
}

/// A percentage of `done` over `total`, 0–100.
pub fn percent(done: u64, total: u64) -> u32 {
    if total == 0 {
        0
    } else {
        ((done.min(total) as f64 / total as f64) * 100.0).floor() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_a_french_reader_expects() {
        assert_eq!(distance(42.4), "42 m");
        assert_eq!(distance(1234.0), "1,2 km");
        assert_eq!(bytes(560_000), "560 ko");
        assert_eq!(bytes(12_345_678), "12,3 Mo");
        assert_eq!(age_fr(0), "à l'instant");
        assert_eq!(age_fr(125), "il y a 2 h");
        assert_eq!(age_en(3000), "2 days ago");
        assert_eq!(percent(40, 100), 40);
        assert_eq!(percent(5, 0), 0);
    }
}
