//! Printing that survives a closed stdout or stderr.
//!
//! `println!` and `eprintln!` panic when the write fails, and Rust programs ignore
//! `SIGPIPE`, so `panoramix audit verify URL | head -1` used to end in
//! "failed printing to stdout: Broken pipe" once `head` had gone. Every line the
//! command prints goes through [`outln!`] and [`errln!`] instead:
//!
//! * a **broken pipe** (the reader went away) is not an error: the rest of that
//!   stream's output is dropped quietly, the command runs to its end and exits with
//!   its own code (0 ok, 3 a verification failed, ...), so that `set -o pipefail`
//!   still sees whether, say, the audit log verified;
//! * any **other** write error on stdout (a full disk, ...) is remembered, the
//!   output stops, and [`finish`] turns a successful exit into exit 2 with one
//!   message on stderr (output that was asked for and lost is a failure);
//! * stderr errors of any kind are dropped: there is nowhere left to report them.
//!
//! No `unsafe` (the workspace forbids it), so `SIGPIPE` keeps Rust's default
//! (ignored) and every write sees `EPIPE` as an `io::Error` instead.

use std::fmt;
use std::io::{ErrorKind, Write};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);
static STDOUT_ERROR: Mutex<Option<String>> = Mutex::new(None);

/// Write to stdout (the body of [`outln!`]).
pub fn stdout(args: fmt::Arguments<'_>) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::stdout().lock();
    let res = o.write_fmt(args).and_then(|()| o.flush());
    if let Err(e) = res {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if e.kind() != ErrorKind::BrokenPipe
            && let Ok(mut slot) = STDOUT_ERROR.lock()
        {
            slot.get_or_insert_with(|| e.to_string());
        }
    }
}

/// Write to stderr (the body of [`errln!`]); errors are dropped.
pub fn stderr(args: fmt::Arguments<'_>) {
    if STDERR_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut o = std::io::stderr().lock();
    if o.write_fmt(args).and_then(|()| o.flush()).is_err() {
        STDERR_CLOSED.store(true, Ordering::Relaxed);
    }
}

/// The exit code, once the command has finished with `code`: a success whose
/// output could not be written (other than to a closed pipe) becomes exit 2.
pub fn finish(code: ExitCode) -> ExitCode {
    let lost = STDOUT_ERROR.lock().ok().and_then(|mut s| s.take());
    match lost {
        Some(e) if code == ExitCode::SUCCESS => {
            stderr(format_args!("panoramix: error: writing to stdout: {e}\n"));
            ExitCode::from(2)
        }
        _ => code,
    }
}

/// `println!` that survives a closed stdout (see the module documentation).
macro_rules! outln {
    () => {
        $crate::out::stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that survives a closed stderr (see the module documentation).
macro_rules! errln {
    () => {
        $crate::out::stderr(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::out::stderr(format_args!("{}\n", format_args!($($arg)*)))
    };
}
