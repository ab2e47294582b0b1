//! The panoramix contributor protocol, once, with no I/O.
//!
//! A [`Contributor`] is the state machine of one contributor of one mix-net:
//! it agrees on each cycle's endpoint graph with the other owners, closes the
//! entry endpoint with its first admissible messages, pulls and verifies what
//! linked sources published, processes its own endpoints through a
//! [`panoramix_core::backend::Backend`], recomputes or collects joint
//! endpoints and co-signs only what it computed itself, files a signed
//! complaint when a check fails, moves to the next cycle, and follows a
//! reconfiguration to the successor mix-net. Forming a mix-net (registering,
//! proposing with invitations, joining, agreeing on the joint peer,
//! reconfiguring) is [`formation`]: one [`formation::Procedure`] per
//! operation, driven the same way.
//!
//! It performs no I/O. Its host (the native agent of `panoramix-mixnet`, the
//! WebAssembly build in the npm package) drives it:
//!
//! ```text
//! loop {
//!     match contributor.poll() {
//!         Poll::Effect(Effect::Http(req)) => contributor.handle(send(req)),
//!         Poll::Effect(Effect::Save(state)) => { store(state); contributor.saved() }
//!         Poll::Done(step) => break step,          // then wait, and begin the next step
//!         Poll::Failed(e) => break on error e,     // nothing was committed
//!     }
//! }
//! ```
//!
//! Time and randomness are inputs too ([`Contributor::begin_step`]), so a
//! recorded run replays to the same requests, byte for byte. docs/mixnet.md
//! describes the states, observations and actions.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
mod boxcache;
mod cycle;
pub mod deadline;
mod dkg;
mod endpoint;
pub mod formation;
pub mod io;
mod machine;
mod negotiate;
pub mod record;
pub mod spec;

pub use io::{Effect, HttpRequest, HttpResponse, StepError};
pub use machine::{AgentState, Contributor, Poll, Step};
