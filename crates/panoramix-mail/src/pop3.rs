//! POP3 (RFC 1939, CAPA per RFC 2449, AUTH PLAIN per RFC 5034), written
//! sans-I/O: [`Pop3Session::feed`] takes the bytes a client sent and returns
//! the responses; the host ([`crate::server`]) owns the socket.
//!
//! AUTHORIZATION accepts USER/PASS and AUTH PLAIN, checked against
//! [`Users`]; a successful login takes the user's maildrop lock (one session
//! per maildrop, `-ERR [IN-USE]` otherwise) and lists the messages once.
//! TRANSACTION offers STAT, LIST, UIDL, RETR, TOP, DELE, RSET and NOOP.
//! Deletions are only marks until QUIT, which enters UPDATE and removes them;
//! a connection that ends without QUIT deletes nothing. Line lengths, errors
//! and failed logins are bounded ([`Pop3Limits`]); the session never panics on
//! any input.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::maildrop::{Maildrop, MaildropError, MaildropLock, MessageInfo};
use crate::smtp::{AUTH_LINE_MAX, LineItem, LineReader};
use crate::users::Users;

/// Bounds of a POP3 session (and of its host: the timeout and connections).
#[derive(Debug, Clone)]
pub struct Pop3Limits {
    /// Longest command line, CRLF included (RFC 2449: 255; AUTH lines may be
    /// up to [`AUTH_LINE_MAX`]).
    pub max_command_line: usize,
    /// Rejected commands before the session is closed.
    pub max_errors: u32,
    /// Failed logins before the session is closed.
    pub max_auth_failures: u32,
    /// A connection that sends nothing for this long is closed (RFC 1939:
    /// at least 10 minutes).
    pub idle_timeout: Duration,
    /// Connections served at once; more are refused.
    pub max_connections: usize,
}

impl Default for Pop3Limits {
    fn default() -> Self {
        Self {
            max_command_line: 255,
            max_errors: 20,
            max_auth_failures: 3,
            idle_timeout: Duration::from_secs(600),
            max_connections: 64,
        }
    }
}

struct Transaction {
    lock: MaildropLock,
    messages: Vec<MessageInfo>,
    deleted: Vec<bool>,
}

enum State {
    Authorization {
        user: Option<String>,
        plain_pending: bool,
    },
    Transaction(Box<Transaction>),
    Closed,
}

/// One POP3 session.
pub struct Pop3Session {
    users: Arc<Users>,
    maildrop: Arc<Maildrop>,
    limits: Pop3Limits,
    reader: LineReader,
    state: State,
    errors: u32,
    auth_failures: u32,
    out: Vec<u8>,
}

impl std::fmt::Debug for Pop3Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::Authorization { .. } => "AUTHORIZATION",
            State::Transaction(t) => t.lock.user(),
            State::Closed => "closed",
        };
        f.debug_struct("Pop3Session")
            .field("state", &state)
            .finish()
    }
}

const CAPABILITIES: &[&str] = &[
    "USER",
    "UIDL",
    "TOP",
    "SASL PLAIN",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    "IMPLEMENTATION panoramix",
];

impl Pop3Session {
    /// A new session checking logins against `users` and serving `maildrop`.
    pub fn new(users: Arc<Users>, maildrop: Arc<Maildrop>, limits: Pop3Limits) -> Self {
        Self {
            users,
            maildrop,
            limits,
            reader: LineReader::default(),
            state: State::Authorization {
                user: None,
                plain_pending: false,
            },
            errors: 0,
            auth_failures: 0,
            out: Vec::new(),
        }
    }

    /// The server's greeting, to send first.
    pub fn greeting(&self) -> Vec<u8> {
        b"+OK panoramix POP3 server ready\r\n".to_vec()
    }

    /// The response for a server shutting down (sent before closing).
    pub fn shutdown_reply() -> &'static [u8] {
        b"-ERR [SYS/TEMP] server shutting down\r\n"
    }

    /// The response for an idle connection (sent before closing).
    pub fn timeout_reply() -> &'static [u8] {
        b"-ERR idle too long, closing\r\n"
    }

    /// Whether the session is over: close the connection after writing the
    /// last responses.
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// The logged-in user, in TRANSACTION state.
    pub fn user(&self) -> Option<&str> {
        match &self.state {
            State::Transaction(t) => Some(t.lock.user()),
            _ => None,
        }
    }

    /// Takes bytes from the client; returns the responses to send.
    pub fn feed(&mut self, input: &[u8]) -> Vec<u8> {
        if !self.is_closed() {
            self.reader.push(input);
        }
        let max = AUTH_LINE_MAX.max(self.limits.max_command_line);
        while !self.is_closed() {
            match self.reader.next_line(max) {
                Some(LineItem::TooLong) => self.err("line too long"),
                // lines may carry credentials (PASS, AUTH): wiped once used
                Some(LineItem::Line { bytes, .. }) => self.line(&Zeroizing::new(bytes)),
                None => break,
            }
        }
        std::mem::take(&mut self.out)
    }

    fn ok(&mut self, text: &str) {
        self.out
            .extend_from_slice(format!("+OK {text}\r\n").as_bytes());
    }

    fn err(&mut self, text: &str) {
        self.out
            .extend_from_slice(format!("-ERR {text}\r\n").as_bytes());
        self.errors += 1;
        if self.errors >= self.limits.max_errors {
            self.out
                .extend_from_slice(b"-ERR too many errors, closing\r\n");
            self.state = State::Closed;
        }
    }

    fn line(&mut self, bytes: &[u8]) {
        if let State::Authorization {
            plain_pending: true,
            ..
        } = self.state
        {
            self.state = State::Authorization {
                user: None,
                plain_pending: false,
            };
            return self.auth_plain(bytes);
        }
        let text = String::from_utf8_lossy(bytes);
        let (verb, args) = text.split_once(' ').unwrap_or((&text, ""));
        let verb = verb.to_ascii_uppercase();
        if verb != "AUTH" && bytes.len() + 2 > self.limits.max_command_line {
            return self.err("line too long");
        }
        match verb.as_str() {
            "CAPA" => {
                self.ok("Capability list follows");
                for c in CAPABILITIES {
                    self.out.extend_from_slice(format!("{c}\r\n").as_bytes());
                }
                self.out.extend_from_slice(b".\r\n");
            }
            "QUIT" => self.quit(),
            _ if matches!(self.state, State::Transaction(_)) => self.transaction(&verb, args),
            "USER" if !args.trim().is_empty() => {
                self.state = State::Authorization {
                    user: Some(args.trim().into()),
                    plain_pending: false,
                };
                self.ok("send PASS");
            }
            "PASS" => match &self.state {
                State::Authorization {
                    user: Some(user), ..
                } => {
                    let user = user.clone();
                    self.state = State::Authorization {
                        user: None,
                        plain_pending: false,
                    };
                    self.login(&user, args.as_bytes());
                }
                _ => self.err("USER first"),
            },
            "AUTH" => self.auth(args.trim()),
            _ => self.err("unknown command, or not in AUTHORIZATION state"),
        }
    }

    fn auth(&mut self, args: &str) {
        let (mech, initial) = args.split_once(' ').unwrap_or((args, ""));
        if mech.is_empty() {
            self.ok("SASL mechanisms follow");
            return self.out.extend_from_slice(b"PLAIN\r\n.\r\n");
        }
        if !mech.eq_ignore_ascii_case("PLAIN") {
            return self.err("unsupported SASL mechanism");
        }
        match initial.trim() {
            "" => {
                self.state = State::Authorization {
                    user: None,
                    plain_pending: true,
                };
                self.out.extend_from_slice(b"+ \r\n");
            }
            ir => self.auth_plain(ir.as_bytes()),
        }
    }

    fn auth_plain(&mut self, b64: &[u8]) {
        let b64 = b64.trim_ascii();
        if b64 == b"*" {
            return self.err("authentication cancelled");
        }
        let decoded = match b64 {
            b"=" => Some(Zeroizing::new(Vec::new())),
            _ => base64::engine::general_purpose::STANDARD
                .decode(b64)
                .ok()
                .map(Zeroizing::new),
        };
        let Some(decoded) = decoded else {
            return self.err("invalid base64");
        };
        let mut parts = decoded.splitn(3, |&b| b == 0);
        let (Some(authz), Some(authc), Some(password)) = (parts.next(), parts.next(), parts.next())
        else {
            return self.err("malformed PLAIN response");
        };
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(authc) {
            return self.login_failed();
        }
        self.login(&String::from_utf8_lossy(authc), password);
    }

    fn login(&mut self, user: &str, password: &[u8]) {
        let Some(user) = self.users.verify(user, password) else {
            return self.login_failed();
        };
        let lock = match self.maildrop.lock(&user) {
            Ok(lock) => lock,
            Err(MaildropError::InUse(_)) => return self.err("[IN-USE] maildrop already locked"),
            Err(e) => {
                tracing::warn!("pop3: maildrop of {user}: {e}");
                return self.err("[SYS/TEMP] cannot open the maildrop");
            }
        };
        let messages = match self.maildrop.list(&user) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!("pop3: maildrop of {user}: {e}");
                return self.err("[SYS/TEMP] cannot read the maildrop");
            }
        };
        let octets: u64 = messages.iter().map(|m| m.size).sum();
        let text = format!("maildrop has {} messages ({octets} octets)", messages.len());
        let deleted = vec![false; messages.len()];
        self.state = State::Transaction(Box::new(Transaction {
            lock,
            messages,
            deleted,
        }));
        self.ok(&text);
    }

    fn login_failed(&mut self) {
        self.out
            .extend_from_slice(b"-ERR [AUTH] invalid user name or password\r\n");
        self.auth_failures += 1;
        if self.auth_failures >= self.limits.max_auth_failures {
            self.out
                .extend_from_slice(b"-ERR too many failed logins, closing\r\n");
            self.state = State::Closed;
        }
    }

    fn quit(&mut self) {
        let State::Transaction(t) = std::mem::replace(&mut self.state, State::Closed) else {
            return self.ok("panoramix POP3 server signing off");
        };
        // UPDATE state
        let mut failed = 0;
        for (m, _) in t.messages.iter().zip(&t.deleted).filter(|(_, d)| **d) {
            match self.maildrop.delete(t.lock.user(), &m.id) {
                Ok(()) | Err(MaildropError::NoSuchMessage(_)) => {}
                Err(e) => {
                    tracing::warn!("pop3: deleting {}: {e}", m.id);
                    failed += 1;
                }
            }
        }
        match failed {
            0 => self.ok("panoramix POP3 server signing off"),
            n => self.out.extend_from_slice(
                format!("-ERR [SYS/TEMP] {n} messages marked as deleted were not removed\r\n")
                    .as_bytes(),
            ),
        }
    }

    /// The index of message number `arg` if it exists and is not deleted.
    fn message(&mut self, arg: Option<&str>) -> Option<usize> {
        let State::Transaction(t) = &self.state else {
            return None;
        };
        let n = arg
            .and_then(|a| a.parse::<usize>().ok())
            .filter(|n| *n >= 1 && *n <= t.messages.len());
        match n {
            None => {
                self.err("no such message");
                None
            }
            Some(n) if t.deleted[n - 1] => {
                self.err("message already deleted");
                None
            }
            Some(n) => Some(n - 1),
        }
    }

    fn transaction(&mut self, verb: &str, args: &str) {
        let mut words = args.split_ascii_whitespace();
        let arg = words.next();
        let arg2 = words.next();
        match verb {
            "STAT" => {
                let (n, octets) = self
                    .listing()
                    .iter()
                    .fold((0, 0), |(n, o), (_, m)| (n + 1, o + m.size));
                self.ok(&format!("{n} {octets}"));
            }
            "LIST" | "UIDL" => self.list(verb == "UIDL", arg),
            "RETR" => {
                if let Some(i) = self.message(arg) {
                    self.send_message(i, None);
                }
            }
            "TOP" => match arg2.and_then(|a| a.parse::<usize>().ok()) {
                None => self.err("usage: TOP msg n"),
                Some(lines) => {
                    if let Some(i) = self.message(arg) {
                        self.send_message(i, Some(lines));
                    }
                }
            },
            "DELE" => {
                if let Some(i) = self.message(arg) {
                    if let State::Transaction(t) = &mut self.state {
                        t.deleted[i] = true;
                    }
                    self.ok(&format!("message {} deleted", i + 1));
                }
            }
            "RSET" => {
                if let State::Transaction(t) = &mut self.state {
                    t.deleted.iter_mut().for_each(|d| *d = false);
                }
                let (n, octets) = self
                    .listing()
                    .iter()
                    .fold((0, 0), |(n, o), (_, m)| (n + 1, o + m.size));
                self.ok(&format!("maildrop has {n} messages ({octets} octets)"));
            }
            "NOOP" => self.ok(""),
            _ => self.err("unknown command, or not in TRANSACTION state"),
        }
    }

    /// The messages not marked as deleted, with their numbers.
    fn listing(&self) -> Vec<(usize, MessageInfo)> {
        let State::Transaction(t) = &self.state else {
            return Vec::new();
        };
        t.messages
            .iter()
            .zip(&t.deleted)
            .enumerate()
            .filter(|(_, (_, d))| !**d)
            .map(|(i, (m, _))| (i + 1, m.clone()))
            .collect()
    }

    fn list(&mut self, uidl: bool, arg: Option<&str>) {
        let field = |m: &MessageInfo| {
            if uidl {
                m.id.clone()
            } else {
                m.size.to_string()
            }
        };
        if arg.is_some() {
            if let Some(i) = self.message(arg)
                && let State::Transaction(t) = &self.state
            {
                let text = format!("{} {}", i + 1, field(&t.messages[i]));
                self.ok(&text);
            }
            return;
        }
        self.ok(if uidl {
            "unique-id listing follows"
        } else {
            "scan listing follows"
        });
        for (n, m) in self.listing() {
            self.out
                .extend_from_slice(format!("{n} {}\r\n", field(&m)).as_bytes());
        }
        self.out.extend_from_slice(b".\r\n");
    }

    /// RETR (`top` None) or TOP: the message, dot-stuffed, then ".".
    fn send_message(&mut self, i: usize, top: Option<usize>) {
        let State::Transaction(t) = &self.state else {
            return;
        };
        let (user, info) = (t.lock.user().to_string(), t.messages[i].clone());
        let data = match self.maildrop.read(&user, &info.id) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("pop3: reading {}: {e}", info.id);
                return self.err("[SYS/TEMP] cannot read the message");
            }
        };
        self.ok(&format!("{} octets", info.size));
        let mut in_body = false;
        let mut body_lines = 0;
        for line in data.split_inclusive(|&b| b == b'\n') {
            if in_body && top.is_some_and(|n| body_lines >= n) {
                break;
            }
            if line.starts_with(b".") {
                self.out.push(b'.');
            }
            self.out.extend_from_slice(line);
            if in_body {
                body_lines += 1;
            } else if line == b"\r\n" || line == b"\n" {
                in_body = true;
            }
        }
        if !self.out.ends_with(b"\n") {
            self.out.extend_from_slice(b"\r\n");
        }
        self.out.extend_from_slice(b".\r\n");
    }
}
