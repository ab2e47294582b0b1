//! Mail over the mix-net end to end (issue 19, docs/mail.md): a 3-mix Sphinx mix-net,
//! two local agents serving SMTP and POP3 (`panoramix agent --mail-dir`), and mail
//! clients nobody here wrote: Python's smtplib and poplib, msmtp and fetchmail
//! (installed by scripts/ensure-mail-clients.sh when missing).
//!
//! * a 300 KiB mail with an attachment, sent with smtplib, is fetched with poplib
//!   byte for byte (after the two header lines the recipient's gateway puts on top);
//! * the recipient answers its Reply-To with msmtp: the reply goes back through the
//!   reply blocks and the sender, its agent restarted meanwhile, fetches it with
//!   fetchmail;
//! * a mail one of whose packets the test hook drops bounces into its sender's
//!   maildrop, naming the part, and never reaches the recipient.
mod common;

use common::mixnet::*;
use common::*;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const ALICE: &str = "alice@a.example";
const BOB: &str = "bob@b.example";

/// A `panoramix agent --mail-dir` process, killed when dropped.
struct MailAgent {
    child: Child,
    smtp: u16,
    pop3: u16,
}

impl Drop for MailAgent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn add_user(dir: &Path, address: &str, password: &str) {
    let out = Command::new(BIN)
        .args(["mail-user", "add", "--mail-dir"])
        .arg(dir)
        .arg(address)
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .env("PANORAMIX_MAIL_PASSWORD", password)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

fn start_agent(url: &str, joint: &str, dir: &Path, bounce_after: u64) -> MailAgent {
    let mut child = Command::new(BIN)
        .args([
            "agent",
            "--url",
            url,
            "--mixnet",
            joint,
            "--listen",
            "127.0.0.1:0",
        ])
        .args([
            "--smtp",
            "127.0.0.1:0",
            "--pop3",
            "127.0.0.1:0",
            "--mail-dir",
        ])
        .arg(dir)
        .args(["--mail-bounce-after", &bounce_after.to_string()])
        .args(["--mail-poll-ms", "200"])
        .env("PANORAMIX_INSECURE_PLAINTEXT_KEYS", "1")
        .env("PANORAMIX_MAIL_TEST_HOOKS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("panoramix agent: mail: SMTP on ") {
                let ports: Vec<u16> = rest
                    .split(", POP3 on ")
                    .map(|a| a.rsplit(':').next().unwrap().parse().unwrap())
                    .collect();
                let _ = tx.send((ports[0], ports[1]));
            }
        }
    });
    let (smtp, pop3) = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the mail agent did not start");
    MailAgent { child, smtp, pop3 }
}

/// A 300 KiB MIME mail with a binary attachment (and a line starting with a dot).
fn big_mail() -> Vec<u8> {
    let m = mail_with_attachment(225 * 1024);
    assert!(m.len() >= 300 * 1024, "{}", m.len());
    m
}

/// A MIME mail with a random attachment of `attachment` bytes (base64: 4/3 larger).
fn mail_with_attachment(attachment: usize) -> Vec<u8> {
    use base64::Engine;
    use rand_core::RngCore;
    let mut blob = vec![0u8; attachment];
    rand_core::OsRng.fill_bytes(&mut blob);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&blob);
    let mut m = format!(
        "From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: the report, with its data\r\n\
         Message-ID: <big-1@a.example>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
         --b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Hello Bob, the data is attached.\r\n.a line that starts with a dot\r\n\r\n\
         --b1\r\nContent-Type: application/octet-stream\r\n\
         Content-Transfer-Encoding: base64\r\n\
         Content-Disposition: attachment; filename=\"data.bin\"\r\n\r\n"
    );
    for chunk in b64.as_bytes().chunks(76) {
        m.push_str(std::str::from_utf8(chunk).unwrap());
        m.push_str("\r\n");
    }
    m.push_str("--b1--\r\n");
    m.into_bytes()
}

const SMTPLIB_SEND: &str = r#"
import smtplib, sys
port, user, password, rcpt, path = sys.argv[1:6]
data = open(path, "rb").read()
s = smtplib.SMTP("127.0.0.1", int(port), timeout=120)
s.ehlo()
s.login(user, password)
s.sendmail(user, [rcpt], data)
s.quit()
"#;

const POPLIB_FETCH: &str = r#"
import poplib, sys, time
port, user, password, needle, out, timeout = sys.argv[1:7]
deadline = time.time() + float(timeout)
while True:
    p = poplib.POP3("127.0.0.1", int(port), timeout=60)
    p.user(user)
    p.pass_(password)
    count, _ = p.stat()
    for i in range(1, count + 1):
        _, lines, _ = p.retr(i)
        msg = b"\r\n".join(lines) + b"\r\n"
        if needle.encode() in msg:
            open(out, "wb").write(msg)
            p.quit()
            sys.exit(0)
    p.quit()
    if time.time() > deadline:
        sys.exit(3)
    time.sleep(0.5)
"#;

fn python(script: &str, args: &[&str]) -> Child {
    Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3")
}

fn finish(what: &str, child: Child) {
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{what}: {:?}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn smtplib_send(agent: &MailAgent, user: &str, pw: &str, rcpt: &str, mail: &Path) {
    let port = agent.smtp.to_string();
    let args = [port.as_str(), user, pw, rcpt, mail.to_str().unwrap()];
    finish("smtplib", python(SMTPLIB_SEND, &args));
}

fn poplib_fetch(agent: &MailAgent, user: &str, pw: &str, needle: &str, out: &Path) -> Child {
    let port = agent.pop3.to_string();
    let args = [
        port.as_str(),
        user,
        pw,
        needle,
        out.to_str().unwrap(),
        "100",
    ];
    python(POPLIB_FETCH, &args)
}

fn msmtp_send(agent: &MailAgent, user: &str, pw: &str, rcpt: &str, mail: &[u8]) {
    use std::io::Write;
    let mut child = Command::new("msmtp")
        .args(["--host=127.0.0.1", &format!("--port={}", agent.smtp)])
        .args(["--tls=off", "--auth=plain", &format!("--user={user}")])
        .arg(format!("--passwordeval=printf %s {pw}"))
        .arg(format!("--from={user}"))
        .args(["--", rcpt])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("msmtp");
    child.stdin.take().unwrap().write_all(mail).unwrap();
    finish("msmtp", child);
}

/// Poll with fetchmail until a fetched mail contains `needle`; the mails fetched.
fn fetchmail_until(agent: &MailAgent, dir: &Path, user: &str, pw: &str, needle: &str) -> String {
    let rc = dir.join("fetchmailrc");
    let mbox = dir.join("fetched.mbox");
    std::fs::write(
        &rc,
        format!(
            "poll 127.0.0.1 protocol pop3 port {} user \"{user}\" password \"{pw}\" \
             sslproto '' mda \"/bin/sh -c 'cat >> {}'\"\n",
            agent.pop3,
            mbox.display()
        ),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&rc, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    wait(
        "fetchmail to fetch the reply",
        Duration::from_secs(100),
        || {
            let out = Command::new("fetchmail")
                .args(["-f", rc.to_str().unwrap(), "--nodetach", "--invisible"])
                .arg("--pidfile")
                .arg(dir.join("fetchmail.pid"))
                .env("FETCHMAILHOME", dir)
                .output()
                .expect("fetchmail");
            // 0: mail fetched, 1: no mail; anything else is an error of the server's
            let code = out.status.code().unwrap_or(-1);
            assert!(code == 0 || code == 1, "fetchmail: {out:?}");
            let got = std::fs::read_to_string(&mbox).unwrap_or_default();
            if got.contains(needle) {
                return Some(got);
            }
            std::thread::sleep(Duration::from_millis(500));
            None
        },
    )
}

#[test]
fn mail_through_the_mixnet_with_real_clients() {
    let ensure = Command::new("bash")
        .arg("scripts/ensure-mail-clients.sh")
        .status()
        .expect("bash");
    assert!(ensure.success(), "scripts/ensure-mail-clients.sh failed");
    let t0 = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let srv = TestServer::start(tmp.path());
    let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
    // an entry closes as soon as a packet waits and takes up to 1000: a mail's packets
    // spread over the cycles that happen to be open while they are posted
    let mut spec = spec("SPHINXMIX", "mailnet", 1);
    spec.size_max = 1000;
    let joint = setup_mixnet(&srv, &cs, &spec);
    let _mixes = run_agents(&srv, &cs, &joint, 200, &[], Duration::from_secs(170));

    let (da, db) = (tmp.path().join("alice"), tmp.path().join("bob"));
    add_user(&da, ALICE, "alice-pw");
    add_user(&db, BOB, "bob-pw");
    // bob's agent bounces after 25 s (the dropped-part mail is bob's); alice's waits
    // longer than the big mail can take
    let alice = start_agent(&srv.url, &joint, &da, 100);
    let bob = start_agent(&srv.url, &joint, &db, 25);

    // a mail that loses its part 1 on the way, from bob to alice: it must bounce
    let dropped = tmp.path().join("dropped.eml");
    let filler = "this mail needs a few packets.\r\n".repeat(100);
    std::fs::write(
        &dropped,
        format!(
            "From: <{BOB}>\r\nTo: <{ALICE}>\r\nSubject: lost on the way\r\n\
             X-Panoramix-Test-Drop-Part: 1\r\n\r\n{filler}\r\n"
        ),
    )
    .unwrap();
    smtplib_send(&bob, BOB, "bob-pw", ALICE, &dropped);

    // the big mail, alice to bob
    let big = big_mail();
    let big_path = tmp.path().join("big.eml");
    std::fs::write(&big_path, &big).unwrap();
    smtplib_send(&alice, ALICE, "alice-pw", BOB, &big_path);
    let got_path = tmp.path().join("got.eml");
    finish(
        "poplib (the big mail)",
        poplib_fetch(&bob, BOB, "bob-pw", "big-1@a.example", &got_path),
    );
    let got = std::fs::read(&got_path).unwrap();
    let (prefix, rest) = got.split_at(got.len() - big.len().min(got.len()));
    assert_eq!(rest, &big[..], "the mail's bytes changed on the way");
    let prefix = String::from_utf8(prefix.to_vec()).unwrap();
    let lines: Vec<&str> = prefix.split_terminator("\r\n").collect();
    assert_eq!(lines.len(), 2, "{prefix}");
    let alias = lines[0]
        .strip_prefix("Reply-To: <")
        .and_then(|a| a.strip_suffix('>'))
        .unwrap_or_else(|| panic!("no Reply-To: {prefix}"));
    assert!(alias.ends_with("@reply.panoramix.invalid"), "{alias}");
    assert!(!alias.contains("alice"), "{alias}");
    assert!(
        lines[1].starts_with("X-Panoramix-Reply-Blocks: 4"),
        "{prefix}"
    );
    eprintln!("big mail delivered after {:?}", t0.elapsed());

    // alice's agent restarts: its reply-block openers and its place in the cycles
    // are in its state file
    drop(alice);
    let alice = start_agent(&srv.url, &joint, &da, 100);
    // bob answers through the reply blocks with msmtp; alice fetches with fetchmail
    let reply = format!(
        "From: <{BOB}>\r\nTo: <{alias}>\r\nSubject: Re: the report\r\n\
         In-Reply-To: <big-1@a.example>\r\n\r\nThanks Alice, the data arrived.\r\n"
    );
    msmtp_send(&bob, BOB, "bob-pw", alias, reply.as_bytes());
    let fetched = fetchmail_until(&alice, &da, ALICE, "alice-pw", "the data arrived");
    assert!(fetched.contains("X-Panoramix-Reply: received through a reply block"));
    assert!(fetched.contains("Subject: Re: the report"));
    eprintln!("reply fetched after {:?}", t0.elapsed());

    // the bounce, in bob's maildrop, names the lost part; alice never got that mail
    let bounce_path = tmp.path().join("bounce.eml");
    finish(
        "poplib (the bounce)",
        poplib_fetch(
            &bob,
            BOB,
            "bob-pw",
            "Undelivered Mail: lost on the way",
            &bounce_path,
        ),
    );
    let bounce = std::fs::read_to_string(&bounce_path).unwrap();
    assert!(bounce.contains("was NOT delivered"), "{bounce}");
    assert!(bounce.contains("part(s) 1 "), "{bounce}");
    assert!(!fetched.contains("lost on the way"));
    let drop_alice: Vec<PathBuf> = std::fs::read_dir(da.join("maildrop"))
        .unwrap()
        .flat_map(|d| std::fs::read_dir(d.unwrap().path()).unwrap())
        .map(|e| e.unwrap().path())
        .collect();
    for p in drop_alice {
        let m = std::fs::read_to_string(&p).unwrap_or_default();
        assert!(
            !m.contains("this mail needs a few packets"),
            "{}",
            p.display()
        );
    }
    eprintln!("bounce fetched after {:?}", t0.elapsed());
    assert!(
        t0.elapsed() < Duration::from_secs(150),
        "{:?}",
        t0.elapsed()
    );
}

/// Packets a mail of `len` bytes takes (default Sphinx parameters, 4 reply blocks).
fn packets_for(len: usize) -> usize {
    use panoramix_mail::{envelope, fragment};
    let params = panoramix_sphinx::SphinxParams::default();
    let surb = panoramix_sphinx::Surb::wire_len(&params);
    let part = fragment::forward_part_len(params.body_len(), 34).unwrap();
    fragment::parts_needed(2 + 4 * (2 + surb) + len + envelope::SEAL_OVERHEAD, part)
}

/// The figures of docs/performance.md ("Mail"): for each cycle size (the most packets
/// an entry takes; it closes as soon as one waits), the time from the end of the SMTP
/// submission to the mail in the recipient's maildrop, for several mail sizes.
/// `cargo test --test mail -- --ignored --nocapture mail_figures`.
#[test]
#[ignore]
fn mail_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let srv = TestServer::start(tmp.path());
    println!("| cycle size (packets) | mail | packets | cycles | delivery (s) |");
    println!("|---:|---:|---:|---:|---:|");
    for (n, size_max) in [1000i64, 500, 250, 100].into_iter().enumerate() {
        let cs: Vec<Contributor> = (0..3).map(|_| Contributor::new("SPHINXMIX")).collect();
        let mut spec = spec("SPHINXMIX", &format!("mailnet{n}"), 1);
        spec.size_max = size_max;
        let joint = setup_mixnet(&srv, &cs, &spec);
        let _mixes = run_agents(&srv, &cs, &joint, 500, &[], Duration::from_secs(600));
        let (da, db) = (
            tmp.path().join(format!("a{n}")),
            tmp.path().join(format!("b{n}")),
        );
        // one pair of addresses per mix-net: the directory refuses an address two
        // records claim
        let (a, b) = (format!("alice{n}@a.example"), format!("bob{n}@b.example"));
        add_user(&da, &a, "alice-pw");
        add_user(&db, &b, "bob-pw");
        let alice = start_agent(&srv.url, &joint, &da, 600);
        let bob = start_agent(&srv.url, &joint, &db, 600);
        let sender = panoramix_mixnet::sender::Sender::new(srv.client(), &joint).unwrap();
        let sizes: &[usize] = if size_max == 1000 {
            &[0, 48 * 1024, 225 * 1024, 768 * 1024]
        } else {
            &[225 * 1024]
        };
        for (k, &att) in sizes.iter().enumerate() {
            let mut mail = mail_with_attachment(att);
            let marker = format!("X-Figure: {n}-{k}\r\n");
            mail.splice(0..0, marker.bytes());
            let path = tmp.path().join(format!("m{n}-{k}.eml"));
            std::fs::write(&path, &mail).unwrap();
            let before = (1..)
                .take_while(|c| sender.results(*c).unwrap().is_some())
                .count();
            smtplib_send(&alice, &a, "alice-pw", &b, &path);
            let t = Instant::now();
            let out = tmp.path().join(format!("got{n}-{k}.eml"));
            finish(
                "poplib",
                poplib_fetch(&bob, &b, "bob-pw", marker.trim(), &out),
            );
            let secs = t.elapsed().as_secs_f64();
            let after = (1..)
                .take_while(|c| sender.results(*c).unwrap().is_some())
                .count();
            let parts = packets_for(mail.len());
            println!(
                "| {size_max} | {} KiB | {parts} | {} | {secs:.1} |",
                mail.len() / 1024,
                after - before
            );
        }
    }
}
