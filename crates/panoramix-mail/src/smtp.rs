//! SMTP submission (RFC 5321, AUTH per RFC 4954), written sans-I/O.
//!
//! (the session is being written; the interface to the mix-net half is below)

/// A refusal from the mail sink: an SMTP reply code and its text, sent to the
/// client as is (550 unknown recipient, 552 too large for the mix-net, 451 try
/// later, …).
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
