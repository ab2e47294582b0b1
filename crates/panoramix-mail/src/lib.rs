//! Mail over a panoramix Sphinx mix-net (docs/mail.md).
//!
//! Two halves:
//!
//! * the mail client's side, on 127.0.0.1: SMTP submission ([`smtp`]) and POP3
//!   ([`pop3`]) sessions written sans-I/O, per-user credentials ([`users`]), the
//!   users' maildrops ([`maildrop`]) and the TCP host that runs the sessions
//!   ([`server`]);
//! * the mix-net's side: the end-to-end envelope ([`envelope`]), splitting a
//!   mail into fixed-size parts and reassembling them ([`fragment`]), the
//!   address directory ([`directory`]), replies through SURBs ([`reply`]) and the
//!   gateway that ties a submitted mail to packets and packets back to a
//!   maildrop ([`gateway`]).
#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod maildrop;
pub mod pop3;
pub mod server;
pub mod smtp;
pub mod users;

pub mod directory;
pub mod envelope;
pub mod fragment;
pub mod gateway;
pub mod reply;

pub use smtp::{MailSink, Refusal};
