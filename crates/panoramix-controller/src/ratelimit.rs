//! Request-rate limits: token buckets keyed by the signing key (`meta.key_data`) and
//! by the target endpoint (`data.endpoint_id`) of every signed (non-GET) request. A
//! request over either limit gets 429 `rate_limited` (with a `Retry-After`) before
//! the controller sees it, so a flood costs one JSON peek per request.
//!
//! Pure: the caller passes the time and keeps the limiter (behind a mutex in the
//! native server, in the Durable Object's memory on a Worker).
//!
//! The key is read before the signature is verified: a flood under many made-up
//! keys escapes the per-key limit, but not the per-endpoint one, and each such
//! request is refused by the controller (401) after one signature check.
//!
//! Every request is also charged to the client's address (the peer socket address
//! natively, `CF-Connecting-IP` on a Worker): unsigned reads in one bucket per
//! address, signed requests in another. Behind a proxy every client has the
//! proxy's address; limit per client there.

use panoramix_core::time::Micros;
use std::collections::HashMap;

/// Rates in requests per second, bursts in requests; a rate of 0 turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    /// Sustained signed requests per second from one key.
    pub per_key: f64,
    /// Requests one key may make at once.
    pub key_burst: f64,
    /// Sustained signed requests per second to one endpoint.
    pub per_endpoint: f64,
    /// Requests one endpoint may receive at once.
    pub endpoint_burst: f64,
    /// Sustained unsigned reads (GET) per second from one client address.
    pub read_per_addr: f64,
    /// Reads one address may make at once.
    pub read_burst_per_addr: f64,
    /// Sustained signed requests per second from one client address (all keys).
    pub write_per_addr: f64,
    /// Signed requests one address may make at once.
    pub write_burst_per_addr: f64,
}

impl Default for RateLimits {
    /// Set above what one 2-core server sustains (about 4,000 posts/s), so that
    /// they only stop a runaway or hostile client; lower them for a public server.
    fn default() -> Self {
        RateLimits {
            per_key: 1000.0,
            key_burst: 2000.0,
            per_endpoint: 5000.0,
            endpoint_burst: 10000.0,
            read_per_addr: 1000.0,
            read_burst_per_addr: 4000.0,
            write_per_addr: 10000.0,
            write_burst_per_addr: 20000.0,
        }
    }
}

impl RateLimits {
    /// No limits at all.
    pub fn off() -> Self {
        RateLimits {
            per_key: 0.0,
            key_burst: 0.0,
            per_endpoint: 0.0,
            endpoint_burst: 0.0,
            read_per_addr: 0.0,
            read_burst_per_addr: 0.0,
            write_per_addr: 0.0,
            write_burst_per_addr: 0.0,
        }
    }
}

/// Buckets kept before idle (full) ones are dropped.
const MAX_TRACKED: usize = 100_000;

fn secs_between(from: Micros, to: Micros) -> f64 {
    // a clock that steps back refills nothing (and never drains)
    (to.0.saturating_sub(from.0)).max(0) as f64 / 1e6
}

struct Buckets {
    rate: f64,
    burst: f64,
    map: HashMap<String, (f64, Micros)>,
}

impl Buckets {
    fn new(rate: f64, burst: f64) -> Self {
        Buckets {
            rate,
            burst: burst.max(1.0),
            map: HashMap::new(),
        }
    }

    /// Take one token for `id`; when the bucket is empty, the whole seconds until
    /// it holds one again.
    fn take(&mut self, id: &str, now: Micros) -> Result<(), u32> {
        if self.rate <= 0.0 {
            return Ok(());
        }
        if self.map.len() >= MAX_TRACKED && !self.map.contains_key(id) {
            let (rate, burst) = (self.rate, self.burst);
            self.map
                .retain(|_, (tokens, last)| *tokens + secs_between(*last, now) * rate < burst);
        }
        let (tokens, last) = self.map.entry(id.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + secs_between(*last, now) * self.rate).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - *tokens) / self.rate).ceil();
            Err(wait.clamp(1.0, 86_400.0) as u32)
        }
    }
}

/// What a request was refused for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limited {
    /// The signing key is over its rate.
    Key {
        /// Seconds until the key may send again.
        retry_after: u32,
    },
    /// The endpoint is over its rate.
    Endpoint {
        /// Seconds until the endpoint accepts again.
        retry_after: u32,
    },
    /// The client address is over its read rate.
    AddressReads {
        /// Seconds until the address may read again.
        retry_after: u32,
    },
    /// The client address is over its rate of signed requests.
    AddressWrites {
        /// Seconds until the address may send again.
        retry_after: u32,
    },
}

impl Limited {
    /// Seconds the client should wait (the `Retry-After` header).
    pub fn retry_after(&self) -> u32 {
        match self {
            Limited::Key { retry_after }
            | Limited::Endpoint { retry_after }
            | Limited::AddressReads { retry_after }
            | Limited::AddressWrites { retry_after } => *retry_after,
        }
    }

    /// The human message of the 429.
    pub fn message(&self) -> String {
        match self {
            Limited::Key { .. } => "too many requests from this key; slow down".into(),
            Limited::Endpoint { .. } => "too many requests to this endpoint; slow down".into(),
            Limited::AddressReads { .. } => "too many reads from this address; slow down".into(),
            Limited::AddressWrites { .. } => {
                "too many signed requests from this address; slow down".into()
            }
        }
    }
}

/// The limiter of one server (or one Durable Object).
pub struct RateLimiter {
    keys: Buckets,
    endpoints: Buckets,
    reads: Buckets,
    writes: Buckets,
}

#[derive(serde::Deserialize)]
struct Peek {
    #[serde(default)]
    meta: Option<PeekMeta>,
    #[serde(default)]
    data: Option<PeekData>,
}

#[derive(serde::Deserialize)]
struct PeekMeta {
    #[serde(default)]
    key_data: Option<serde_json::Value>,
}

#[derive(serde::Deserialize)]
struct PeekData {
    #[serde(default)]
    endpoint_id: Option<serde_json::Value>,
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(l: RateLimits) -> Self {
        RateLimiter {
            keys: Buckets::new(l.per_key, l.key_burst),
            endpoints: Buckets::new(l.per_endpoint, l.endpoint_burst),
            reads: Buckets::new(l.read_per_addr, l.read_burst_per_addr),
            writes: Buckets::new(l.write_per_addr, l.write_burst_per_addr),
        }
    }

    /// Charge an unsigned read to the client address `addr` at time `now`.
    pub fn check_read(&mut self, addr: &str, now: Micros) -> Result<(), Limited> {
        self.reads
            .take(addr, now)
            .map_err(|retry_after| Limited::AddressReads { retry_after })
    }

    /// Charge a signed request to the client address `addr`, then (see
    /// [`RateLimiter::check`]) to its key and endpoint.
    pub fn check_write(&mut self, addr: &str, body: &[u8], now: Micros) -> Result<(), Limited> {
        self.writes
            .take(addr, now)
            .map_err(|retry_after| Limited::AddressWrites { retry_after })?;
        self.check(body, now)
    }

    /// Charge a signed request body to its key and endpoint at time `now`. A body
    /// that does not parse is not charged (the controller refuses it anyway).
    pub fn check(&mut self, body: &[u8], now: Micros) -> Result<(), Limited> {
        let Ok(p) = serde_json::from_slice::<Peek>(body) else {
            return Ok(());
        };
        let key = p
            .meta
            .and_then(|m| m.key_data)
            .and_then(|k| k.as_str().map(str::to_owned));
        let ep = p
            .data
            .and_then(|d| d.endpoint_id)
            .and_then(|e| e.as_str().map(str::to_owned));
        if let Some(k) = key {
            self.keys
                .take(&k, now)
                .map_err(|retry_after| Limited::Key { retry_after })?;
        }
        if let Some(e) = ep {
            self.endpoints
                .take(&e, now)
                .map_err(|retry_after| Limited::Endpoint { retry_after })?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1000;

    #[test]
    fn buckets_refill_at_the_rate() {
        let mut b = Buckets::new(10.0, 3.0);
        let t0 = Micros(1_000_000);
        assert!(b.take("k", t0).is_ok() && b.take("k", t0).is_ok() && b.take("k", t0).is_ok());
        assert_eq!(b.take("k", t0), Err(1));
        assert!(b.take("other", t0).is_ok());
        assert!(b.take("k", Micros(t0.0 + 110 * MS)).is_ok());
        assert!(b.take("k", Micros(t0.0 + 110 * MS)).is_err());
        // a clock stepping back neither refills nor panics
        assert!(b.take("k", Micros(0)).is_err());
        let mut off = Buckets::new(0.0, 0.0);
        assert!((0..10_000).all(|_| off.take("k", t0).is_ok()));
    }

    #[test]
    fn retry_after_is_the_time_to_the_next_token() {
        let mut slow = Buckets::new(0.1, 1.0);
        let t0 = Micros(0);
        assert!(slow.take("k", t0).is_ok());
        assert_eq!(slow.take("k", t0), Err(10));
        assert_eq!(slow.take("k", Micros(4_000 * MS)), Err(6));
    }

    #[test]
    fn limiter_charges_key_and_endpoint() {
        let mut l = RateLimiter::new(RateLimits {
            per_key: 1.0,
            key_burst: 1.0,
            per_endpoint: 1.0,
            endpoint_burst: 2.0,
            ..RateLimits::off()
        });
        let body = |k: &str, e: &str| {
            format!(r#"{{"data":{{"endpoint_id":"{e}"}},"info":{{}},"meta":{{"key_data":"{k}"}}}}"#)
        };
        let t = Micros(5);
        assert_eq!(l.check(body("a", "e").as_bytes(), t), Ok(()));
        assert_eq!(
            l.check(body("a", "f").as_bytes(), t),
            Err(Limited::Key { retry_after: 1 })
        );
        assert_eq!(l.check(body("b", "e").as_bytes(), t), Ok(()));
        assert_eq!(
            l.check(body("c", "e").as_bytes(), t),
            Err(Limited::Endpoint { retry_after: 1 })
        );
        assert_eq!(l.check(b"not json", t), Ok(()));
    }

    #[test]
    fn idle_buckets_are_dropped_when_the_table_is_full() {
        let mut b = Buckets::new(1.0, 1.0);
        for i in 0..MAX_TRACKED {
            assert!(b.take(&i.to_string(), Micros(0)).is_ok());
        }
        // all of them refilled after 2 s: the next new key evicts them
        assert!(b.take("new", Micros(2_000_000)).is_ok());
        assert_eq!(b.map.len(), 1);
    }

    #[test]
    fn reads_and_writes_are_charged_per_address() {
        let mut l = RateLimiter::new(RateLimits {
            read_per_addr: 0.5,
            read_burst_per_addr: 2.0,
            write_per_addr: 1.0,
            write_burst_per_addr: 1.0,
            ..RateLimits::off()
        });
        let t = Micros(0);
        assert_eq!(l.check_read("1.2.3.4", t), Ok(()));
        assert_eq!(l.check_read("1.2.3.4", t), Ok(()));
        assert_eq!(
            l.check_read("1.2.3.4", t),
            Err(Limited::AddressReads { retry_after: 2 })
        );
        assert_eq!(l.check_read("5.6.7.8", t), Ok(()));
        assert_eq!(l.check_read("1.2.3.4", Micros(2_000_000)), Ok(()));
        // writes have their own bucket, whatever the key
        assert_eq!(l.check_write("1.2.3.4", b"{}", t), Ok(()));
        assert_eq!(
            l.check_write("1.2.3.4", b"{}", t),
            Err(Limited::AddressWrites { retry_after: 1 })
        );
        assert!(RateLimits::default().read_per_addr > 0.0);
    }
}
