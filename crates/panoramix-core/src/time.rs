//! Timestamps. The controller's clock is injected by its host; this module only
//! formats and parses. The consensus timestamp of the original is Python's naive
//! `datetime.utcnow().isoformat()`: `YYYY-MM-DDTHH:MM:SS.ffffff`, UTC, no zone.
//! panoramix always writes the six fraction digits.

/// Microseconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Micros(pub i64);

impl Micros {
    /// Whole seconds since the epoch.
    pub fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffff`.
    pub fn iso(self) -> String {
        let secs = self.0.div_euclid(1_000_000);
        let micros = self.0.rem_euclid(1_000_000);
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}",
            sod / 3600,
            (sod / 60) % 60,
            sod % 60
        )
    }

    /// Parse `YYYY-MM-DDTHH:MM:SS[.ffffff]`.
    pub fn parse_iso(s: &str) -> Option<Micros> {
        let b = s.as_bytes();
        if b.len() != 19 && b.len() != 26 {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<i64> {
            let t = s.get(r)?;
            if !t.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            t.parse().ok()
        };
        if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
        let frac = if b.len() == 26 {
            if b[19] != b'.' {
                return None;
            }
            num(20..26)?
        } else {
            0
        };
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 59 {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        if civil_from_days(days) != (y, mo, d) {
            return None;
        }
        Some(Micros(
            (days * 86_400 + h * 3600 + mi * 60 + se) * 1_000_000 + frac,
        ))
    }
}

// Howard Hinnant's civil calendar algorithms (public domain descriptions).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_python_isoformat() {
        assert_eq!(Micros(0).iso(), "1970-01-01T00:00:00.000000");
        // 2018-01-31T12:34:56.789012
        let t = Micros(1_517_402_096_789_012);
        assert_eq!(t.iso(), "2018-01-31T12:34:56.789012");
        assert_eq!(Micros::parse_iso(&t.iso()), Some(t));
        assert_eq!(
            Micros(951_782_400_000_000).iso(),
            "2000-02-29T00:00:00.000000"
        );
        assert_eq!(Micros::parse_iso("2001-02-29T00:00:00"), None);
        assert_eq!(
            Micros::parse_iso("2018-01-31T12:34:56"),
            Some(Micros(1_517_402_096_000_000))
        );
    }
}
