//! SMTP submission (RFC 5321, AUTH per RFC 4954, RFC 6409's submission role),
//! written sans-I/O: [`SmtpSession::feed`] takes the bytes a client sent and
//! returns the replies to write back; the host ([`crate::server`]) owns the
//! socket.
//!
//! The session advertises `SIZE`, `8BITMIME`, `PIPELINING`,
//! `ENHANCEDSTATUSCODES` and `AUTH PLAIN LOGIN`. No mail is accepted before a
//! successful AUTH, the envelope sender must be the authenticated user's own
//! address, each recipient is checked with the [`MailSink`] at RCPT time, and
//! the message (dot-unstuffed, CRLF line ends) goes to [`MailSink::submit`] at
//! the end of DATA. Message data must use CRLF line ends: a bare LF gets the
//! message refused (no SMTP smuggling), and the end of data is only
//! `CRLF . CRLF`. Command lines, data lines, the message size, recipients,
//! errors and failed logins are bounded ([`SmtpLimits`]); the session never
//! panics on any input.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::users::Users;

/// A refusal from the mail sink: an SMTP reply code and its text, sent to the
/// client as the reply (550 unknown recipient, 552 too large for the mix-net,
/// 451 try later, …). A code outside 400–599 is sent as 451; control
/// characters in the text become spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The SMTP reply code (4xx: transient, 5xx: permanent).
    pub code: u16,
    /// The reply text (one line, no CR or LF).
    pub text: String,
}

impl Refusal {
    /// A refusal with this code and text.
    pub fn new(code: u16, text: impl Into<String>) -> Self {
        Self {
            code,
            text: text.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.text)
    }
}

impl std::error::Error for Refusal {}

/// Where submitted mail goes: the mix-net gateway (or, in tests, a maildrop).
///
/// `user` is the authenticated user's address. Both calls may block briefly
/// (they run on the SMTP host's blocking pool).
pub trait MailSink: Send + Sync {
    /// Whether `user` may send to `rcpt`; called at RCPT TO, so an unknown
    /// address is refused before the data is sent.
    fn check_recipient(&self, user: &str, rcpt: &str) -> Result<(), Refusal>;
    /// Takes the mail (`data`: the message as received, dot-unstuffed, CRLF line
    /// ends) for delivery to every recipient in `rcpts`.
    fn submit(
        &self,
        user: &str,
        from: &str,
        rcpts: &[String],
        data: Vec<u8>,
    ) -> Result<(), Refusal>;
}

/// The name the gateway gives itself in greetings.
pub const LOCAL_NAME: &str = "panoramix.localhost";
/// Longest AUTH line (the command or a continuation), CRLF included (RFC 4954 §4).
pub const AUTH_LINE_MAX: usize = 12288;

/// Bounds of an SMTP session (and of its host: the timeout and connections).
#[derive(Debug, Clone)]
pub struct SmtpLimits {
    /// Largest message accepted, in octets (advertised as `SIZE`).
    pub max_message_size: usize,
    /// Most recipients per message.
    pub max_recipients: usize,
    /// Longest command line, CRLF included (RFC 5321: 512); AUTH lines may be
    /// up to [`AUTH_LINE_MAX`].
    pub max_command_line: usize,
    /// Longest line of message data, CRLF included (RFC 5321: 1000).
    pub max_data_line: usize,
    /// Rejected commands before the session is closed.
    pub max_errors: u32,
    /// Failed AUTH attempts before the session is closed.
    pub max_auth_failures: u32,
    /// A connection that sends nothing for this long is closed.
    pub idle_timeout: Duration,
    /// Connections served at once; more are told 421 and closed.
    pub max_connections: usize,
}

impl Default for SmtpLimits {
    fn default() -> Self {
        Self {
            max_message_size: 25 * 1024 * 1024,
            max_recipients: 100,
            max_command_line: 512,
            max_data_line: 1000,
            max_errors: 10,
            max_auth_failures: 3,
            idle_timeout: Duration::from_secs(300),
            max_connections: 64,
        }
    }
}

/// One item out of a [`LineReader`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LineItem {
    /// A line without its terminator; `crlf` tells whether it ended with CRLF
    /// (else a bare LF).
    Line { bytes: Vec<u8>, crlf: bool },
    /// A line longer than the limit (its bytes were dropped).
    TooLong,
}

/// Splits a byte stream into lines, holding at most one line's limit of
/// buffered bytes.
#[derive(Debug, Default)]
pub(crate) struct LineReader {
    buf: Vec<u8>,
    start: usize,
    discarding: bool,
}

impl LineReader {
    pub(crate) fn push(&mut self, input: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(input);
    }

    /// The next line, if a whole one is buffered; `max` counts the terminator.
    pub(crate) fn next_line(&mut self, max: usize) -> Option<LineItem> {
        let pending = &self.buf[self.start..];
        let Some(pos) = pending.iter().position(|&b| b == b'\n') else {
            if pending.len() > max {
                self.discarding = true;
                self.buf.clear();
                self.start = 0;
            }
            return None;
        };
        let line = &pending[..pos];
        self.start += pos + 1;
        if std::mem::take(&mut self.discarding) || pos + 1 > max {
            return Some(LineItem::TooLong);
        }
        let (bytes, crlf) = match line.strip_suffix(b"\r") {
            Some(l) => (l.to_vec(), true),
            None => (line.to_vec(), false),
        };
        Some(LineItem::Line { bytes, crlf })
    }
}

/// Text of a reply line: no CR/LF, at most 400 characters.
fn clean_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(400)
        .collect()
}

/// A path from `MAIL FROM:` / `RCPT TO:` arguments: `<addr>` then parameters.
fn parse_path(args: &str, prefix: &str) -> Result<(String, Vec<String>), (u16, &'static str)> {
    const SYNTAX: (u16, &str) = (501, "5.5.4 Syntax: expected <address>");
    let head = args.get(..prefix.len()).ok_or(SYNTAX)?;
    if !head.eq_ignore_ascii_case(prefix) {
        return Err(SYNTAX);
    }
    let rest = args[prefix.len()..].trim_start();
    let inner_end = rest.find('>').ok_or(SYNTAX)?;
    let inner = rest
        .strip_prefix('<')
        .ok_or(SYNTAX)?
        .get(..inner_end - 1)
        .ok_or(SYNTAX)?;
    // drop an obsolete source route (@a,@b:user@host)
    let addr = match inner.starts_with('@') {
        true => inner.split_once(':').map_or("", |(_, a)| a),
        false => inner,
    };
    let addr =
        crate::users::normalize_address(addr).map_err(|_| (553, "5.1.3 Bad address syntax"))?;
    let params = rest[inner_end + 1..]
        .split_ascii_whitespace()
        .map(str::to_string)
        .collect();
    Ok((addr, params))
}

#[derive(Debug)]
enum Mode {
    Command,
    AuthPlain,
    AuthLoginUser,
    AuthLoginPass(String),
    Data,
    Closed,
}

#[derive(Debug)]
struct Transaction {
    from: String,
    rcpts: Vec<String>,
    data: Vec<u8>,
    /// The reply to give at the end of DATA instead of submitting.
    data_error: Option<(u16, String)>,
}

/// One SMTP submission session.
pub struct SmtpSession {
    users: Arc<Users>,
    sink: Arc<dyn MailSink>,
    limits: SmtpLimits,
    reader: LineReader,
    mode: Mode,
    greeted: bool,
    extended: bool,
    user: Option<String>,
    txn: Option<Transaction>,
    errors: u32,
    auth_failures: u32,
    out: Vec<u8>,
}

impl std::fmt::Debug for SmtpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSession")
            .field("mode", &self.mode)
            .field("user", &self.user)
            .finish()
    }
}

impl SmtpSession {
    /// A new session checking logins against `users` and handing mail to `sink`.
    pub fn new(users: Arc<Users>, sink: Arc<dyn MailSink>, limits: SmtpLimits) -> Self {
        Self {
            users,
            sink,
            limits,
            reader: LineReader::default(),
            mode: Mode::Command,
            greeted: false,
            extended: false,
            user: None,
            txn: None,
            errors: 0,
            auth_failures: 0,
            out: Vec::new(),
        }
    }

    /// The server's greeting, to send first.
    pub fn greeting(&self) -> Vec<u8> {
        format!("220 {LOCAL_NAME} ESMTP panoramix mail gateway\r\n").into_bytes()
    }

    /// The reply for a server shutting down (sent before closing).
    pub fn shutdown_reply() -> &'static [u8] {
        b"421 4.3.2 Service shutting down, closing transmission channel\r\n"
    }

    /// The reply for an idle connection (sent before closing).
    pub fn timeout_reply() -> &'static [u8] {
        b"421 4.4.2 Idle too long, closing transmission channel\r\n"
    }

    /// Whether the session is over (QUIT, or too many errors): close the
    /// connection after writing the last replies.
    pub fn is_closed(&self) -> bool {
        matches!(self.mode, Mode::Closed)
    }

    /// The authenticated user, once AUTH succeeded.
    pub fn user(&self) -> Option<&str> {
        self.user.as_deref()
    }

    /// Takes bytes from the client; returns the replies to send.
    pub fn feed(&mut self, input: &[u8]) -> Vec<u8> {
        if !self.is_closed() {
            self.reader.push(input);
        }
        while !self.is_closed() {
            let max = match self.mode {
                Mode::Data => self.limits.max_data_line,
                _ => AUTH_LINE_MAX.max(self.limits.max_command_line),
            };
            match self.reader.next_line(max) {
                Some(item) => self.line(item),
                None => break,
            }
        }
        std::mem::take(&mut self.out)
    }

    fn reply(&mut self, code: u16, text: &str) {
        self.out
            .extend_from_slice(format!("{code} {}\r\n", clean_text(text)).as_bytes());
    }

    /// A reply refusing a client's command; too many of them close the session.
    fn fail(&mut self, code: u16, text: &str) {
        self.reply(code, text);
        self.count_error();
    }

    fn count_error(&mut self) {
        self.errors += 1;
        if self.errors >= self.limits.max_errors {
            self.reply(421, "4.7.0 Too many errors, closing transmission channel");
            self.mode = Mode::Closed;
        }
    }

    fn line(&mut self, item: LineItem) {
        match std::mem::replace(&mut self.mode, Mode::Command) {
            Mode::Data => {
                self.mode = Mode::Data;
                self.data_line(item);
            }
            Mode::Command => match item {
                LineItem::TooLong => self.fail(500, "5.5.2 Line too long"),
                LineItem::Line { bytes, .. } => self.command(&Zeroizing::new(bytes)),
            },
            Mode::Closed => self.mode = Mode::Closed,
            auth => {
                // the line carries credentials: wipe it once used
                let item = match item {
                    LineItem::Line { bytes, .. } => Some(Zeroizing::new(bytes)),
                    LineItem::TooLong => None,
                };
                self.auth_continuation(auth, item.as_deref().map(Vec::as_slice));
            }
        }
    }

    fn command(&mut self, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let (verb, args) = text.split_once(' ').unwrap_or((&text, ""));
        let verb = verb.to_ascii_uppercase();
        if verb != "AUTH" && bytes.len() + 2 > self.limits.max_command_line {
            return self.fail(500, "5.5.2 Line too long");
        }
        match verb.as_str() {
            "EHLO" | "HELO" => self.hello(&verb, args.trim()),
            "AUTH" => self.auth(args.trim()),
            "MAIL" => self.mail(args),
            "RCPT" => self.rcpt(args),
            "DATA" => self.data(args),
            "RSET" => {
                self.txn = None;
                self.reply(250, "2.0.0 OK");
            }
            "NOOP" => self.reply(250, "2.0.0 OK"),
            "QUIT" => {
                self.reply(221, "2.0.0 Bye");
                self.mode = Mode::Closed;
            }
            "VRFY" => self.reply(
                252,
                "2.5.0 Cannot VRFY user, but will accept message and attempt delivery",
            ),
            "HELP" => self.reply(214, "2.0.0 See RFC 5321 and RFC 4954"),
            "EXPN" | "STARTTLS" | "BDAT" | "ETRN" | "TURN" => {
                self.fail(502, "5.5.1 Command not implemented")
            }
            _ => self.fail(500, "5.5.2 Command unrecognized"),
        }
    }

    fn hello(&mut self, verb: &str, domain: &str) {
        if domain.is_empty() || domain.contains(char::is_whitespace) {
            return self.fail(501, "5.5.4 Syntax: HELO/EHLO domain");
        }
        self.txn = None;
        self.greeted = true;
        self.extended = verb == "EHLO";
        if !self.extended {
            return self.reply(250, LOCAL_NAME);
        }
        let lines = [
            format!("{LOCAL_NAME} greets {}", clean_text(domain)),
            format!("SIZE {}", self.limits.max_message_size),
            "8BITMIME".to_string(),
            "PIPELINING".to_string(),
            "ENHANCEDSTATUSCODES".to_string(),
            "AUTH PLAIN LOGIN".to_string(),
        ];
        for (i, l) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            self.out
                .extend_from_slice(format!("250{sep}{l}\r\n").as_bytes());
        }
    }

    fn auth(&mut self, args: &str) {
        if !self.extended {
            return self.fail(503, "5.5.1 Send EHLO first");
        }
        if self.user.is_some() {
            return self.fail(503, "5.5.1 Already authenticated");
        }
        if self.txn.is_some() {
            return self.fail(503, "5.5.1 Mail transaction in progress");
        }
        let (mech, initial) = args.split_once(' ').unwrap_or((args, ""));
        let initial = initial.trim();
        match (mech.to_ascii_uppercase().as_str(), initial.is_empty()) {
            ("PLAIN", true) => {
                self.mode = Mode::AuthPlain;
                self.reply(334, "");
            }
            ("PLAIN", false) => self.auth_plain(initial.as_bytes()),
            ("LOGIN", true) => {
                self.mode = Mode::AuthLoginUser;
                self.reply(334, "VXNlcm5hbWU6");
            }
            ("LOGIN", false) => self.auth_login_user(initial.as_bytes()),
            _ => self.fail(504, "5.5.4 Unrecognized authentication mechanism"),
        }
    }

    fn auth_continuation(&mut self, mode: Mode, line: Option<&[u8]>) {
        let Some(bytes) = line else {
            return self.fail(500, "5.5.6 Authentication exchange line is too long");
        };
        if bytes == b"*" {
            return self.fail(501, "5.0.0 Authentication cancelled");
        }
        match mode {
            Mode::AuthPlain => self.auth_plain(bytes),
            Mode::AuthLoginUser => self.auth_login_user(bytes),
            Mode::AuthLoginPass(user) => {
                match decode64(bytes) {
                    Some(password) => self.login(&user, &password),
                    None => self.fail(501, "5.5.2 Invalid base64"),
                };
            }
            _ => {}
        }
    }

    fn auth_plain(&mut self, b64: &[u8]) {
        let Some(decoded) = decode64(b64) else {
            return self.fail(501, "5.5.2 Invalid base64");
        };
        let mut parts = decoded.splitn(3, |&b| b == 0);
        let (Some(authz), Some(authc), Some(password)) = (parts.next(), parts.next(), parts.next())
        else {
            return self.fail(501, "5.5.2 Malformed PLAIN response");
        };
        let authc = String::from_utf8_lossy(authc).into_owned();
        if !authz.is_empty() && !authz.eq_ignore_ascii_case(authc.as_bytes()) {
            return self.auth_failed();
        }
        self.login(&authc, password);
    }

    fn auth_login_user(&mut self, b64: &[u8]) {
        match decode64(b64) {
            Some(user) => {
                self.mode = Mode::AuthLoginPass(String::from_utf8_lossy(&user).into_owned());
                self.reply(334, "UGFzc3dvcmQ6");
            }
            None => self.fail(501, "5.5.2 Invalid base64"),
        }
    }

    fn login(&mut self, user: &str, password: &[u8]) {
        match self.users.verify(user, password) {
            Some(user) => {
                self.user = Some(user);
                self.reply(235, "2.7.0 Authentication successful");
            }
            None => self.auth_failed(),
        }
    }

    fn auth_failed(&mut self) {
        self.reply(535, "5.7.8 Authentication credentials invalid");
        self.auth_failures += 1;
        if self.auth_failures >= self.limits.max_auth_failures {
            self.reply(
                421,
                "4.7.0 Too many failed authentications, closing transmission channel",
            );
            self.mode = Mode::Closed;
        }
    }

    fn mail(&mut self, args: &str) {
        if !self.greeted {
            return self.fail(503, "5.5.1 Send HELO/EHLO first");
        }
        let Some(user) = self.user.clone() else {
            return self.fail(530, "5.7.0 Authentication required");
        };
        if self.txn.is_some() {
            return self.fail(503, "5.5.1 Sender already specified");
        }
        let (from, params) = match parse_path(args, "FROM:") {
            Ok(p) => p,
            Err((code, text)) => return self.fail(code, text),
        };
        if from != user {
            return self.fail(
                550,
                &format!("5.7.1 Sender must be your own address <{user}>"),
            );
        }
        for p in &params {
            let (key, value) = p.split_once('=').unwrap_or((p, ""));
            match key.to_ascii_uppercase().as_str() {
                "SIZE" => match value.parse::<u64>() {
                    Ok(n) if n > self.limits.max_message_size as u64 => {
                        return self
                            .fail(552, "5.3.4 Message size exceeds fixed maximum message size");
                    }
                    Ok(_) => {}
                    Err(_) => return self.fail(501, "5.5.4 Invalid SIZE parameter"),
                },
                "BODY"
                    if ["7BIT", "8BITMIME"]
                        .iter()
                        .any(|b| value.eq_ignore_ascii_case(b)) => {}
                "AUTH" => {}
                _ => return self.fail(555, "5.5.4 Unsupported MAIL parameter"),
            }
        }
        self.txn = Some(Transaction {
            from,
            rcpts: Vec::new(),
            data: Vec::new(),
            data_error: None,
        });
        self.reply(250, "2.1.0 OK");
    }

    fn rcpt(&mut self, args: &str) {
        let (Some(user), Some(txn)) = (self.user.clone(), self.txn.as_ref()) else {
            return self.fail(503, "5.5.1 Need MAIL before RCPT");
        };
        let (rcpt, params) = match parse_path(args, "TO:") {
            Ok(p) => p,
            Err((code, text)) => return self.fail(code, text),
        };
        if !params.is_empty() {
            return self.fail(555, "5.5.4 Unsupported RCPT parameter");
        }
        if txn.rcpts.contains(&rcpt) {
            return self.reply(250, "2.1.5 OK (duplicate recipient)");
        }
        if txn.rcpts.len() >= self.limits.max_recipients {
            return self.reply(452, "4.5.3 Too many recipients");
        }
        match self.sink.check_recipient(&user, &rcpt) {
            Ok(()) => {
                if let Some(txn) = self.txn.as_mut() {
                    txn.rcpts.push(rcpt);
                }
                self.reply(250, "2.1.5 OK");
            }
            Err(r) => {
                // refused recipients count as errors: no unbounded probing
                self.refusal(&r);
                self.count_error();
            }
        }
    }

    fn refusal(&mut self, r: &Refusal) {
        let code = if (400..=599).contains(&r.code) {
            r.code
        } else {
            451
        };
        self.reply(code, &r.text);
    }

    fn data(&mut self, args: &str) {
        if !args.trim().is_empty() {
            return self.fail(501, "5.5.4 DATA takes no arguments");
        }
        match self.txn.as_ref() {
            None => self.fail(503, "5.5.1 Need MAIL and RCPT before DATA"),
            Some(t) if t.rcpts.is_empty() => self.fail(554, "5.5.1 No valid recipients"),
            Some(_) => {
                self.mode = Mode::Data;
                self.reply(354, "End data with <CR><LF>.<CR><LF>");
            }
        }
    }

    fn data_line(&mut self, item: LineItem) {
        let max_size = self.limits.max_message_size;
        let max_line = self.limits.max_data_line;
        let Some(txn) = self.txn.as_mut() else {
            self.mode = Mode::Command;
            return;
        };
        let (bytes, crlf) = match item {
            LineItem::TooLong => {
                let text = format!("5.6.0 Message has a line longer than {max_line} octets");
                txn.data_error.get_or_insert((554, text));
                return;
            }
            LineItem::Line { bytes, crlf } => (bytes, crlf),
        };
        if bytes == b"." && crlf {
            return self.end_of_data();
        }
        if !crlf {
            txn.data_error
                .get_or_insert((554, "5.6.0 Bare LF in message data".into()));
        }
        if txn.data_error.is_some() {
            return;
        }
        let line = bytes.strip_prefix(b".").unwrap_or(&bytes);
        if txn.data.len() + line.len() + 2 > max_size {
            txn.data = Vec::new();
            let text = "5.3.4 Message size exceeds fixed maximum message size";
            txn.data_error = Some((552, text.into()));
            return;
        }
        txn.data.extend_from_slice(line);
        txn.data.extend_from_slice(b"\r\n");
    }

    fn end_of_data(&mut self) {
        self.mode = Mode::Command;
        let (Some(txn), Some(user)) = (self.txn.take(), self.user.clone()) else {
            return;
        };
        if let Some((code, text)) = txn.data_error {
            return self.reply(code, &text);
        }
        match self.sink.submit(&user, &txn.from, &txn.rcpts, txn.data) {
            Ok(()) => self.reply(250, "2.0.0 OK: queued"),
            Err(r) => self.refusal(&r),
        }
    }
}

fn decode64(b64: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    let b64 = b64.trim_ascii();
    if b64 == b"=" {
        return Some(Zeroizing::new(Vec::new()));
    }
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .ok()
        .map(Zeroizing::new)
}
