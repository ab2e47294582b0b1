//! Cycles that close by time as well as by count ([`MixnetSpec::close_after`]).
//!
//! Without `close_after`, a cycle's public entry endpoint closes as soon as it
//! holds `size_min` admissible messages. With `close_after = d`, it closes as
//! soon as it holds `size_max` admissible messages, or once it has been open
//! `d` seconds (counted from the timestamp of the consensus that created it,
//! as the controller recorded it) and holds at least `size_min`: a chat room
//! does not wait forever for its sixth message, and a busy one still closes
//! full. Only the coordinator proposes; a co-signer accepts a close below
//! `size_max` only once its own clock is within [`CLOCK_SKEW`] seconds of
//! the deadline, so the owners' clocks must agree that closely.

use panoramix_core::model::EndpointStatus;
use panoramix_core::time::Micros;
use panoramix_core::wire::Endpoint;

use crate::spec::MixnetSpec;

/// How far (seconds) a co-signer's clock may lag the coordinator's: a close
/// by deadline is accepted this much before the co-signer's own clock says
/// the deadline has come.
pub const CLOCK_SKEW: i64 = 30;

/// When an entry endpoint may close.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// At `size_min` admissible messages.
    Count,
    /// At `size_max`, or at this time (seconds since the epoch) with
    /// `size_min`; `None`: the endpoint's opening time is not known, so only
    /// a full endpoint closes.
    Deadline(Option<i64>),
}

impl Rule {
    /// The rule of `ep` under `spec`: the deadline applies to the public
    /// entry endpoints (where clients post), never to a key generation's.
    pub(crate) fn of(spec: &MixnetSpec, ep: &Endpoint) -> Rule {
        match spec.close_after {
            Some(d) if ep.public => Rule::Deadline(
                opened_at(ep).map(|t| t.saturating_add(i64::try_from(d).unwrap_or(i64::MAX))),
            ),
            _ => Rule::Count,
        }
    }

    /// Whether the coordinator closes now, with `n` admissible messages
    /// (already at most `size_max`).
    pub(crate) fn closes(self, n: usize, size_min: i64, size_max: i64, now: i64) -> bool {
        let n = n as i64;
        match self {
            Rule::Count => n >= size_min,
            Rule::Deadline(at) => {
                n >= size_max || (n >= size_min && at.is_some_and(|at| now >= at))
            }
        }
    }

    /// A co-signer's check of a close that takes `n` messages.
    pub(crate) fn accepts(
        self,
        n: usize,
        size_min: i64,
        size_max: i64,
        now: i64,
    ) -> Result<(), String> {
        let n = n as i64;
        if n < size_min {
            return Err(format!(
                "the close takes {n} messages, fewer than size_min {size_min}"
            ));
        }
        match self {
            Rule::Count => Ok(()),
            Rule::Deadline(_) if n >= size_max => Ok(()),
            Rule::Deadline(Some(at)) if now >= at - CLOCK_SKEW => Ok(()),
            Rule::Deadline(Some(at)) => Err(format!(
                "the close takes {n} of {size_max} messages {} s before the deadline",
                at - now
            )),
            Rule::Deadline(None) => Err(format!(
                "the close takes {n} of {size_max} messages and the opening time is unknown"
            )),
        }
    }
}

/// When `ep` was created (seconds since the epoch): the timestamp of its
/// first consensus log entry, the one that opened it.
pub(crate) fn opened_at(ep: &Endpoint) -> Option<i64> {
    let first = ep.consensus_logs.first()?;
    if first.status != EndpointStatus::Open {
        return None;
    }
    Micros::parse_iso(&first.timestamp).map(Micros::secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_deadline_size_min_closes() {
        assert!(!Rule::Count.closes(2, 3, 10, 0));
        assert!(Rule::Count.closes(3, 3, 10, 0));
        assert!(Rule::Count.accepts(3, 3, 10, 0).is_ok());
        assert!(Rule::Count.accepts(2, 3, 10, 0).is_err());
    }

    #[test]
    fn with_a_deadline_full_closes_at_once_and_size_min_only_at_the_deadline() {
        let r = Rule::Deadline(Some(1000));
        // full: at once
        assert!(r.closes(10, 3, 10, 0));
        assert!(r.accepts(10, 3, 10, 0).is_ok());
        // size_min reached, before the deadline: wait
        assert!(!r.closes(5, 3, 10, 999));
        // at the deadline
        assert!(r.closes(5, 3, 10, 1000));
        // below size_min, even long after: wait
        assert!(!r.closes(2, 3, 10, 5000));
        assert!(r.accepts(2, 3, 10, 5000).is_err());
    }

    #[test]
    fn a_co_signer_allows_for_clock_skew_and_no_more() {
        let r = Rule::Deadline(Some(1000));
        assert!(r.accepts(5, 3, 10, 1000 - CLOCK_SKEW).is_ok());
        let e = r.accepts(5, 3, 10, 1000 - CLOCK_SKEW - 1).unwrap_err();
        assert!(e.contains("31 s before the deadline"), "{e}");
    }

    #[test]
    fn an_unknown_opening_time_closes_only_full() {
        let r = Rule::Deadline(None);
        assert!(!r.closes(5, 3, 10, i64::MAX));
        assert!(r.closes(10, 3, 10, 0));
        assert!(r.accepts(5, 3, 10, i64::MAX).is_err());
    }
}
