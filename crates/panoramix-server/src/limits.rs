//! Request-rate limits of the native server: token buckets keyed by the signing key
//! (`meta.key_data`) and by the target endpoint (`data.endpoint_id`) of every
//! signed (non-GET) request. A request over either limit gets 429 `rate_limited`
//! before the controller sees it, so a flood costs one JSON peek per request.
//!
//! The key is read before the signature is verified: a flood under many made-up
//! keys escapes the per-key limit, but not the per-endpoint one, and each such
//! request is refused by the controller (401) after one signature check. Unsigned
//! reads are not limited here (put a proxy in front for per-address limits).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

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
        }
    }
}

/// Buckets kept before idle (full) ones are dropped.
const MAX_TRACKED: usize = 100_000;

struct Buckets {
    rate: f64,
    burst: f64,
    map: HashMap<String, (f64, Instant)>,
}

impl Buckets {
    fn new(rate: f64, burst: f64) -> Self {
        Buckets {
            rate,
            burst: burst.max(1.0),
            map: HashMap::new(),
        }
    }

    /// Take one token for `id`; false when the bucket is empty.
    fn take(&mut self, id: &str, now: Instant) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        if self.map.len() >= MAX_TRACKED && !self.map.contains_key(id) {
            let (rate, burst) = (self.rate, self.burst);
            self.map.retain(|_, (tokens, last)| {
                *tokens + now.duration_since(*last).as_secs_f64() * rate < burst
            });
        }
        let (tokens, last) = self.map.entry(id.to_owned()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * self.rate).min(self.burst);
        *last = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What a request was refused for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Limited {
    /// The signing key is over its rate.
    Key,
    /// The endpoint is over its rate.
    Endpoint,
}

/// The limiter shared by all requests.
pub struct Limiter {
    keys: Mutex<Buckets>,
    endpoints: Mutex<Buckets>,
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

impl Limiter {
    /// A limiter with these limits.
    pub fn new(l: RateLimits) -> Self {
        Limiter {
            keys: Mutex::new(Buckets::new(l.per_key, l.key_burst)),
            endpoints: Mutex::new(Buckets::new(l.per_endpoint, l.endpoint_burst)),
        }
    }

    /// The `Retry-After` (whole seconds, at least 1) of a request refused for
    /// `which`: the time an empty bucket takes to refill one token, `1 / rate`.
    pub fn retry_after_secs(&self, which: &Limited) -> u64 {
        let b = match which {
            Limited::Key => &self.keys,
            Limited::Endpoint => &self.endpoints,
        };
        let rate = b.lock().unwrap_or_else(|e| e.into_inner()).rate;
        if rate > 0.0 {
            (1.0 / rate).ceil().clamp(1.0, 3600.0) as u64
        } else {
            1
        }
    }

    /// Charge a signed request body to its key and endpoint. A body that does not
    /// parse is not charged (the controller refuses it anyway).
    pub fn check(&self, body: &[u8]) -> Result<(), Limited> {
        let Ok(p) = serde_json::from_slice::<Peek>(body) else {
            return Ok(());
        };
        let now = Instant::now();
        let key = p
            .meta
            .and_then(|m| m.key_data)
            .and_then(|k| k.as_str().map(str::to_owned));
        let ep = p
            .data
            .and_then(|d| d.endpoint_id)
            .and_then(|e| e.as_str().map(str::to_owned));
        if let Some(k) = key {
            let mut b = self.keys.lock().unwrap_or_else(|e| e.into_inner());
            if !b.take(&k, now) {
                return Err(Limited::Key);
            }
        }
        if let Some(e) = ep {
            let mut b = self.endpoints.lock().unwrap_or_else(|e| e.into_inner());
            if !b.take(&e, now) {
                return Err(Limited::Endpoint);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_the_rate() {
        let mut b = Buckets::new(10.0, 3.0);
        let t0 = Instant::now();
        assert!(b.take("k", t0) && b.take("k", t0) && b.take("k", t0));
        assert!(!b.take("k", t0));
        assert!(b.take("other", t0));
        assert!(b.take("k", t0 + std::time::Duration::from_millis(110)));
        assert!(!b.take("k", t0 + std::time::Duration::from_millis(110)));
        let mut off = Buckets::new(0.0, 0.0);
        assert!((0..10_000).all(|_| off.take("k", t0)));
    }

    #[test]
    fn limiter_charges_key_and_endpoint() {
        let l = Limiter::new(RateLimits {
            per_key: 1.0,
            key_burst: 1.0,
            per_endpoint: 1.0,
            endpoint_burst: 2.0,
        });
        let body = |k: &str, e: &str| {
            format!(r#"{{"data":{{"endpoint_id":"{e}"}},"info":{{}},"meta":{{"key_data":"{k}"}}}}"#)
        };
        assert_eq!(l.check(body("a", "e").as_bytes()), Ok(()));
        assert_eq!(l.check(body("a", "f").as_bytes()), Err(Limited::Key));
        assert_eq!(l.check(body("b", "e").as_bytes()), Ok(()));
        assert_eq!(l.check(body("c", "e").as_bytes()), Err(Limited::Endpoint));
        assert_eq!(l.check(b"not json"), Ok(()));
        assert_eq!(l.retry_after_secs(&Limited::Key), 1);
        let slow = Limiter::new(RateLimits {
            per_key: 0.4,
            key_burst: 1.0,
            per_endpoint: 1000.0,
            endpoint_burst: 1.0,
        });
        assert_eq!(slow.retry_after_secs(&Limited::Key), 3);
        assert_eq!(slow.retry_after_secs(&Limited::Endpoint), 1);
    }
}
