//! Real mail clients that nobody here wrote, against the gateway's SMTP and POP3
//! servers: Python's smtplib and poplib, and Debian's msmtp and fetchmail
//! (installed by scripts/ensure-mail-clients.sh when missing). The servers run
//! on 127.0.0.1 with an in-memory sink that delivers each submitted mail into
//! the recipients' maildrops, so what one user sends, the other fetches.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use panoramix_mail::maildrop::Maildrop;
use panoramix_mail::pop3::Pop3Limits;
use panoramix_mail::server::{serve_pop3, serve_smtp};
use panoramix_mail::smtp::SmtpLimits;
use panoramix_mail::users::{HashParams, Users, add_user};
use panoramix_mail::{MailSink, Refusal};

const ALICE: (&str, &str) = ("alice@example.org", "alice's secret");
const BOB: (&str, &str) = ("bob@example.org", "bob's secret");

/// Delivers every submitted mail into the recipients' maildrops.
struct DropSink {
    users: Arc<Users>,
    maildrop: Arc<Maildrop>,
    submitted: AtomicUsize,
}

impl MailSink for DropSink {
    fn check_recipient(&self, _user: &str, rcpt: &str) -> Result<(), Refusal> {
        match self.users.contains(rcpt) {
            true => Ok(()),
            false => Err(Refusal::new(550, "5.1.1 No such user here")),
        }
    }
    fn submit(
        &self,
        _user: &str,
        _from: &str,
        rcpts: &[String],
        data: Vec<u8>,
    ) -> Result<(), Refusal> {
        for r in rcpts {
            self.maildrop
                .deliver(r, &data)
                .map_err(|e| Refusal::new(451, format!("4.3.0 {e}")))?;
        }
        self.submitted.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Servers {
    rt: tokio::runtime::Runtime,
    smtp: SocketAddr,
    pop3: SocketAddr,
    stop: Vec<tokio::sync::oneshot::Sender<()>>,
    tasks: Vec<tokio::task::JoinHandle<std::io::Result<()>>>,
    maildrop: Arc<Maildrop>,
    sink: Arc<DropSink>,
    dir: tempfile::TempDir,
}

impl Servers {
    fn start() -> Self {
        Self::start_with(SmtpLimits::default(), Pop3Limits::default())
    }

    fn start_with(smtp_limits: SmtpLimits, pop3_limits: Pop3Limits) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let users_file = dir.path().join("users.json");
        add_user(&users_file, ALICE.0, ALICE.1.as_bytes()).unwrap();
        add_user(&users_file, BOB.0, BOB.1.as_bytes()).unwrap();
        let users = Arc::new(Users::load(&users_file, HashParams::default()).unwrap());
        let maildrop = Arc::new(Maildrop::open(&dir.path().join("maildrops")).unwrap());
        let sink = Arc::new(DropSink {
            users: users.clone(),
            maildrop: maildrop.clone(),
            submitted: AtomicUsize::new(0),
        });
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let (smtp_l, pop3_l) = rt.block_on(async {
            (
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
                tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap(),
            )
        });
        let (smtp, pop3) = (smtp_l.local_addr().unwrap(), pop3_l.local_addr().unwrap());
        let (stop_smtp, rx_smtp) = tokio::sync::oneshot::channel::<()>();
        let (stop_pop3, rx_pop3) = tokio::sync::oneshot::channel::<()>();
        let mail_sink: Arc<dyn MailSink> = sink.clone();
        let tasks = vec![
            rt.spawn(serve_smtp(
                smtp_l,
                users.clone(),
                mail_sink,
                smtp_limits,
                async {
                    let _ = rx_smtp.await;
                },
            )),
            rt.spawn(serve_pop3(
                pop3_l,
                users,
                maildrop.clone(),
                pop3_limits,
                async {
                    let _ = rx_pop3.await;
                },
            )),
        ];
        Self {
            rt,
            smtp,
            pop3,
            stop: vec![stop_smtp, stop_pop3],
            tasks,
            maildrop,
            sink,
            dir,
        }
    }

    /// Shuts the servers down and checks that they return cleanly.
    fn stop(mut self) {
        for s in self.stop.drain(..) {
            s.send(()).unwrap();
        }
        for t in self.tasks.drain(..) {
            let r = self.rt.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(10), t).await
            });
            r.expect("the server did not stop").unwrap().unwrap();
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if !out.status.success() {
        panic!(
            "{cmd:?}: {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

fn python(args: &[&str]) -> Output {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/python_clients.py");
    run(Command::new("python3").arg(script).args(args))
}

fn ensure_clients() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/ensure-mail-clients.sh");
    run(Command::new("bash").arg(script));
}

#[test]
fn python_smtplib_sends_and_poplib_fetches_byte_identical() {
    let servers = Servers::start();
    let (host, smtp, pop3) = (
        "127.0.0.1",
        servers.smtp.port().to_string(),
        servers.pop3.port().to_string(),
    );
    let big = servers.path("sent/big.eml");
    let short = servers.path("sent/short.eml");
    python(&[
        "send",
        host,
        &smtp,
        ALICE.0,
        ALICE.1,
        BOB.0,
        big.to_str().unwrap(),
    ]);
    python(&[
        "send-login",
        host,
        &smtp,
        ALICE.0,
        ALICE.1,
        BOB.0,
        short.to_str().unwrap(),
    ]);
    assert_eq!(servers.sink.submitted.load(Ordering::SeqCst), 2);
    let sent_big = std::fs::read(&big).unwrap();
    assert!(sent_big.len() > 300 * 1024, "{}", sent_big.len());
    let ids: Vec<String> = servers
        .maildrop
        .list(BOB.0)
        .unwrap()
        .into_iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(ids.len(), 2);

    let out = servers.path("fetched/x");
    let outdir = out.parent().unwrap();
    let stdout = python(&["fetch", host, &pop3, BOB.0, BOB.1, outdir.to_str().unwrap()]).stdout;
    assert!(String::from_utf8_lossy(&stdout).starts_with("fetched 2 messages"));
    assert!(
        std::fs::read(outdir.join("1.eml")).unwrap() == sent_big,
        "the big mail differs"
    );
    assert_eq!(
        std::fs::read(outdir.join("2.eml")).unwrap(),
        std::fs::read(&short).unwrap()
    );
    assert_eq!(
        std::fs::read_to_string(outdir.join("1.uidl")).unwrap(),
        ids[0]
    );
    assert_eq!(
        std::fs::read_to_string(outdir.join("2.uidl")).unwrap(),
        ids[1]
    );
    // DELE then QUIT removed them
    assert!(servers.maildrop.list(BOB.0).unwrap().is_empty());

    let stdout = python(&["refusals", host, &smtp, &pop3, ALICE.0, ALICE.1]).stdout;
    assert_eq!(String::from_utf8_lossy(&stdout).trim(), "all refused");
    assert_eq!(servers.sink.submitted.load(Ordering::SeqCst), 2);
    servers.stop();
}

/// A MIME mail with a ~300 KiB base64 attachment, CRLF line ends.
fn mime_mail(from: &str, to: &str) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let blob: Vec<u8> = (0..300 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &blob);
    let mut m = format!(
        "From: {from}\r\nTo: {to}\r\nSubject: msmtp to fetchmail\r\nDate: Mon, 07 Dec 2026 05:00:00 +0000\r\nMessage-ID: <msmtp-1@panoramix.localhost>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nHi Bob,\r\n.\r\n..a dotted line\r\n\r\n--b1\r\n\
         Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"blob.bin\"\r\n\r\n"
    );
    for chunk in b64.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(chunk).unwrap());
        m.push_str("\r\n");
    }
    m.push_str("--b1--\r\n");
    m.into_bytes()
}

fn write_private(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[test]
fn msmtp_sends_and_fetchmail_receives() {
    ensure_clients();
    let servers = Servers::start();
    let mail = mime_mail(ALICE.0, BOB.0);
    let mail_file = servers.path("msmtp/mail.eml");
    std::fs::write(&mail_file, &mail).unwrap();
    let msmtprc = servers.path("msmtp/msmtprc");
    write_private(
        &msmtprc,
        &format!(
            "defaults\ntls off\n\naccount gateway\nhost 127.0.0.1\nport {}\nauth plain\nuser {}\npassword {}\nfrom {}\n\
             account default : gateway\n",
            servers.smtp.port(),
            ALICE.0,
            ALICE.1,
            ALICE.0
        ),
    );
    let out = Command::new("msmtp")
        .arg("-C")
        .arg(&msmtprc)
        .arg(BOB.0)
        .stdin(std::fs::File::open(&mail_file).unwrap())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "msmtp: {}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(servers.maildrop.list(BOB.0).unwrap().len(), 1);

    let home = servers.path("fetchmail/home/x");
    let home = home.parent().unwrap();
    let received = servers.path("fetchmail/received.eml");
    let rc = servers.path("fetchmail/fetchmailrc");
    write_private(
        &rc,
        &format!(
            "set no bouncemail\nset invisible\n\
             poll 127.0.0.1 protocol POP3 port {} auth password\n  \
             user \"{}\" there with password \"{}\" is \"root\" here\n  \
             sslproto '' fetchall no rewrite mda \"cat > {}\"\n",
            servers.pop3.port(),
            BOB.0,
            BOB.1,
            received.display()
        ),
    );
    let out = Command::new("fetchmail")
        .args(["--nosyslog", "-v", "-f"])
        .arg(&rc)
        .env("HOME", home)
        .env("FETCHMAILHOME", home)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "fetchmail: {}\n{log}", out.status);
    // fetchmail hands the MDA LF line ends
    let got = std::fs::read(&received).unwrap();
    let want = String::from_utf8(mail).unwrap().replace("\r\n", "\n");
    assert!(
        got == want.as_bytes(),
        "fetchmail's copy differs:\n{}\n{log}",
        String::from_utf8_lossy(&got[..got.len().min(600)])
    );
    assert!(
        servers.maildrop.list(BOB.0).unwrap().is_empty(),
        "fetchmail did not delete the mail"
    );
    servers.stop();
}

#[test]
fn shutdown_tells_open_sessions_and_returns() {
    use std::io::{BufRead, BufReader, Write};
    let servers = Servers::start();
    let mut smtp = BufReader::new(std::net::TcpStream::connect(servers.smtp).unwrap());
    let mut pop3 = BufReader::new(std::net::TcpStream::connect(servers.pop3).unwrap());
    let mut line = String::new();
    smtp.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "), "{line}");
    smtp.get_mut().write_all(b"EHLO x\r\n").unwrap();
    line.clear();
    pop3.read_line(&mut line).unwrap();
    assert!(line.starts_with("+OK"), "{line}");
    let mut ehlo = String::new();
    while !ehlo.contains("250 ") {
        smtp.read_line(&mut ehlo).unwrap();
    }
    servers.stop();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut smtp, &mut rest).unwrap();
    assert_eq!(
        rest,
        "421 4.3.2 Service shutting down, closing transmission channel\r\n"
    );
    rest.clear();
    std::io::Read::read_to_string(&mut pop3, &mut rest).unwrap();
    assert_eq!(rest, "-ERR [SYS/TEMP] server shutting down\r\n");
}

#[test]
fn idle_sessions_time_out_and_connections_are_bounded() {
    use std::io::{BufRead, BufReader, Read};
    use std::time::Duration;
    let smtp_limits = SmtpLimits {
        idle_timeout: Duration::from_millis(300),
        max_connections: 1,
        ..SmtpLimits::default()
    };
    let pop3_limits = Pop3Limits {
        idle_timeout: Duration::from_millis(300),
        ..Pop3Limits::default()
    };
    let servers = Servers::start_with(smtp_limits, pop3_limits);
    let mut first = BufReader::new(std::net::TcpStream::connect(servers.smtp).unwrap());
    let mut line = String::new();
    first.read_line(&mut line).unwrap();
    assert!(line.starts_with("220 "), "{line}");
    // a second connection while the first is open: refused
    let mut second = std::net::TcpStream::connect(servers.smtp).unwrap();
    let mut refused = String::new();
    second.read_to_string(&mut refused).unwrap();
    assert_eq!(
        refused,
        "421 4.3.2 Too many connections, try again later\r\n"
    );
    // the first says nothing: closed after the idle timeout
    let mut rest = String::new();
    first.read_to_string(&mut rest).unwrap();
    assert_eq!(
        rest,
        "421 4.4.2 Idle too long, closing transmission channel\r\n"
    );
    let mut pop3 = std::net::TcpStream::connect(servers.pop3).unwrap();
    rest.clear();
    pop3.read_to_string(&mut rest).unwrap();
    assert_eq!(
        rest,
        "+OK panoramix POP3 server ready\r\n-ERR idle too long, closing\r\n"
    );
    servers.stop();
}
