"""Python's own mail clients (smtplib, poplib) against the panoramix gateway.

Run by crates/panoramix-mail/tests/clients.rs, which starts the servers and
checks the files this script writes. Standard library only.

  send HOST PORT USER PASSWORD RCPT OUT      a ~300 KiB MIME mail with an attachment,
                                             AUTH PLAIN (smtplib's choice); OUT = the bytes sent
  send-login HOST PORT USER PASSWORD RCPT OUT  a short mail, AUTH LOGIN forced
  fetch HOST PORT USER PASSWORD OUTDIR       every message, byte for byte, to OUTDIR/<n>.eml
                                             with its UIDL in OUTDIR/<n>.uidl; then DELE all, QUIT
  refusals HOST SMTP_PORT POP3_PORT USER PASSWORD   wrong passwords, an unknown recipient,
                                             another sender's address: each must be refused
"""
import email.message
import email.policy
import poplib
import random
import smtplib
import sys


def build_mail(sender, rcpt, size):
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"] = sender
    msg["To"] = rcpt
    msg["Subject"] = "panoramix: a mail with an attachment"
    msg["Message-ID"] = "<test-1@panoramix.localhost>"
    msg.set_content("Hello over the mix-net.\n.A line that starts with a dot.\n..and two.\n")
    blob = random.Random(1939).randbytes(size)
    msg.add_attachment(blob, maintype="application", subtype="octet-stream", filename="blob.bin")
    return msg.as_bytes()


def send(host, port, user, password, rcpt, out, mechanism=None):
    if mechanism == "LOGIN":
        data = (
            f"From: {user}\r\nTo: {rcpt}\r\nSubject: short\r\n\r\nsent with AUTH LOGIN\r\n.\r\n"
            "..\r\n"
        ).encode()
    else:
        data = build_mail(user, rcpt, 300 * 1024)
    with smtplib.SMTP(host, int(port), timeout=30) as s:
        s.ehlo("client.test")
        assert s.has_extn("size") and s.has_extn("auth") and s.has_extn("pipelining"), s.esmtp_features
        if mechanism == "LOGIN":
            s.esmtp_features["auth"] = "LOGIN"
        s.login(user, password)
        refused = s.sendmail(user, [rcpt], data)
        assert refused == {}, refused
    with open(out, "wb") as f:
        f.write(data)


def fetch(host, port, user, password, outdir):
    p = poplib.POP3(host, int(port), timeout=30)
    caps = p.capa()
    assert "UIDL" in caps and "TOP" in caps and "USER" in caps, caps
    p.user(user)
    p.pass_(password)
    count, octets = p.stat()
    listed = p.list()[1]
    assert len(listed) == count, (listed, count)
    uidls = p.uidl()[1]
    for n in range(1, count + 1):
        resp, lines, size = p.retr(n)
        data = b"".join(line + b"\r\n" for line in lines)
        with open(f"{outdir}/{n}.eml", "wb") as f:
            f.write(data)
        uid = uidls[n - 1].split()[1]
        with open(f"{outdir}/{n}.uidl", "wb") as f:
            f.write(uid)
        top = p.top(n, 0)[1]
        assert top and top == lines[: len(top)], "TOP differs from the headers of RETR"
        p.dele(n)
    p.quit()
    print(f"fetched {count} messages, {octets} octets")


def refusals(host, smtp_port, pop3_port, user, password):
    with smtplib.SMTP(host, int(smtp_port), timeout=30) as s:
        try:
            s.login(user, password + "x")
            raise SystemExit("a wrong SMTP password was accepted")
        except smtplib.SMTPAuthenticationError as e:
            assert e.smtp_code == 535, e
        try:
            s.sendmail(user, ["someone@example.org"], b"Subject: x\r\n\r\nx\r\n")
            raise SystemExit("mail accepted without AUTH")
        except smtplib.SMTPSenderRefused as e:
            assert e.smtp_code == 530, e
        s.login(user, password)
        try:
            s.sendmail(user, ["nobody@nowhere.test"], b"Subject: x\r\n\r\nx\r\n")
            raise SystemExit("an unknown recipient was accepted")
        except smtplib.SMTPRecipientsRefused as e:
            assert list(e.recipients.values())[0][0] == 550, e
        try:
            s.sendmail("somebody.else@example.org", [user], b"Subject: x\r\n\r\nx\r\n")
            raise SystemExit("a foreign sender address was accepted")
        except smtplib.SMTPSenderRefused as e:
            assert e.smtp_code == 550, e
    p = poplib.POP3(host, int(pop3_port), timeout=30)
    p.user(user)
    try:
        p.pass_(password + "x")
        raise SystemExit("a wrong POP3 password was accepted")
    except poplib.error_proto as e:
        assert str(e).startswith("b'-ERR [AUTH]"), e
    p.quit()
    print("all refused")


def main(argv):
    cmd, args = argv[1], argv[2:]
    if cmd == "send":
        send(*args)
    elif cmd == "send-login":
        send(*args, mechanism="LOGIN")
    elif cmd == "fetch":
        fetch(*args)
    elif cmd == "refusals":
        refusals(*args)
    else:
        raise SystemExit(f"unknown command {cmd}")


if __name__ == "__main__":
    main(sys.argv)
