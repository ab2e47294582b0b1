//! The Worker's [`Host`]: `Date.now()` and `crypto.getRandomValues` (through
//! getrandom's JavaScript backend). Nothing is kept between requests.

use panoramix_controller::Host;
use panoramix_core::time::Micros;
use std::cell::Cell;

/// Whether every randomness request of the current request succeeded. The store
/// refuses to commit a transaction after a failure, so ids are never made from
/// anything but real randomness, and the host needs no panic.
#[derive(Debug)]
pub struct RandomHealth(Cell<bool>);

impl RandomHealth {
    /// Healthy.
    pub fn new() -> Self {
        RandomHealth(Cell::new(true))
    }

    /// No failure so far.
    pub fn ok(&self) -> bool {
        self.0.get()
    }

    /// Start a new request.
    pub fn reset(&self) {
        self.0.set(true);
    }
}

/// Clock and randomness of the Workers runtime.
#[derive(Debug)]
pub struct WorkerHost {
    /// Shared with the store of the same object.
    pub random: std::rc::Rc<RandomHealth>,
}

impl Host for WorkerHost {
    fn now(&self) -> Micros {
        // Date.now() has millisecond resolution (and is frozen during a request in
        // production, as a timing side-channel mitigation)
        let ms = js_sys::Date::now();
        Micros((ms as i64).saturating_mul(1000))
    }

    fn fill_random(&self, buf: &mut [u8]) {
        if getrandom::fill(buf).is_err() {
            buf.fill(0);
            self.random.0.set(false);
        }
    }
}
