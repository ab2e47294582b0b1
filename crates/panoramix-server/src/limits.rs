//! Request-rate limits of the native server: the controller's pure token buckets
//! ([`panoramix_controller::ratelimit`], shared with the Worker) behind a mutex, on
//! a monotonic clock. See that module for what is charged and why.

use panoramix_controller::ratelimit::RateLimiter;
pub use panoramix_controller::ratelimit::{Limited, RateLimits};
use panoramix_core::time::Micros;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// The limiter shared by all requests.
pub struct Limiter {
    inner: Mutex<RateLimiter>,
    /// The buckets' clock: monotonic, so that a wall-clock step neither refills
    /// nor drains them.
    epoch: Instant,
}

impl Limiter {
    /// A limiter with these limits.
    pub fn new(l: RateLimits) -> Self {
        Limiter {
            inner: Mutex::new(RateLimiter::new(l)),
            epoch: Instant::now(),
        }
    }

    fn now(&self) -> Micros {
        Micros(i64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(i64::MAX))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Charge a signed request body to its key and endpoint. A body that does not
    /// parse is not charged (the controller refuses it anyway).
    pub fn check(&self, body: &[u8]) -> Result<(), Limited> {
        let now = self.now();
        self.lock().check(body, now)
    }

    /// Charge a signed request to the client address, then to its key and endpoint.
    pub fn check_write(&self, addr: IpAddr, body: &[u8]) -> Result<(), Limited> {
        let now = self.now();
        self.lock().check_write(&addr.to_string(), body, now)
    }

    /// Charge an unsigned read to the client address.
    pub fn check_read(&self, addr: IpAddr) -> Result<(), Limited> {
        let now = self.now();
        self.lock().check_read(&addr.to_string(), now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_charges_key_and_endpoint_on_the_monotonic_clock() {
        let l = Limiter::new(RateLimits {
            per_key: 0.5,
            key_burst: 1.0,
            per_endpoint: 1000.0,
            endpoint_burst: 2.0,
            ..RateLimits::off()
        });
        let body = |k: &str, e: &str| {
            format!(r#"{{"data":{{"endpoint_id":"{e}"}},"info":{{}},"meta":{{"key_data":"{k}"}}}}"#)
        };
        assert_eq!(l.check(body("a", "e").as_bytes()), Ok(()));
        // the empty bucket refills one token in 2 s at 0.5/s
        assert_eq!(
            l.check(body("a", "f").as_bytes()),
            Err(Limited::Key { retry_after: 2 })
        );
        assert_eq!(l.check(body("b", "e").as_bytes()), Ok(()));
        assert!(matches!(
            l.check(body("c", "e").as_bytes()),
            Err(Limited::Endpoint { .. })
        ));
        assert_eq!(l.check(b"not json"), Ok(()));
    }
}
