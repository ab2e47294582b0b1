//! The receiving half of the gateway: agreed outputs to parts, parts to mails,
//! mails to the maildrop; which sent mails came out whole, which bounce; incoming
//! mails given up on.

use super::*;

impl Gateway {
    /// One output of an agreed cycle; returns the mails it completed.
    pub(super) fn take_output(
        &self,
        cycle: u64,
        recipient: &str,
        text: &[u8],
    ) -> Result<usize, GatewayError> {
        {
            let mut st = self.lock();
            if let Some((id, i)) = st.expected.remove(&digest(recipient, text))
                && let Some(s) = st.sent.get_mut(&id)
            {
                s.seen.insert(i);
            }
        }
        if let Some(user) = self.user_by_tag(recipient) {
            return self.take_part(cycle, user, text);
        }
        if let Some(hex) = recipient.strip_prefix(SURB_RECIPIENT_PREFIX)
            && let Ok(id) = SurbId::from_hex(hex)
        {
            let text = String::from_utf8_lossy(text);
            let opened = self.lock().openers.open(&id, &text);
            if let Some((user, bytes)) = opened {
                return self.take_reply_part(&user, bytes?);
            }
        }
        Ok(0)
    }

    fn take_part(&self, cycle: u64, user: &LocalUser, text: &[u8]) -> Result<usize, GatewayError> {
        let part = B64
            .decode(text)
            .map_err(|_| EnvelopeError::DoesNotOpen)
            .and_then(|b| open(&user.key, Purpose::Part, &b));
        let part = match part.map(|p| Part::decode(&p)) {
            Ok(Ok(p)) => p,
            Ok(Err(e)) => {
                tracing::warn!(cycle, user = %user.address, "dropped a malformed part: {e}");
                return Ok(0);
            }
            Err(e) => {
                tracing::warn!(cycle, user = %user.address, "dropped a part: {e}");
                return Ok(0);
            }
        };
        let id = part.id;
        let now = self.now_ms();
        let added = {
            let mut st = self.lock();
            st.inbound_user
                .entry(id)
                .or_insert_with(|| user.address.clone());
            st.inbound.add(part, now)
        };
        let sealed = match added {
            Ok(Added::Complete(b)) => b,
            Ok(_) => return Ok(0),
            Err(e) => {
                tracing::warn!(cycle, user = %user.address, "refused a part: {e}");
                return Ok(0);
            }
        };
        self.lock().inbound_user.remove(&id);
        let env = match Envelope::open(&user.key, &sealed) {
            Ok(env) => env,
            Err(e) => {
                tracing::warn!(user = %user.address, mail = %id.to_hex(), "a whole mail did not open: {e}");
                return Ok(0);
            }
        };
        let surbs = reply::decode_surbs(&self.params, &env.surbs);
        let mail = if surbs.is_empty() {
            env.mail.clone()
        } else {
            let n = surbs.len();
            let token = self.lock().replies.add(&user.address, surbs, &mut OsRng);
            add_reply_header(&env.mail, &reply_address(&token), n)
        };
        self.maildrop.deliver(&user.address, &mail)?;
        tracing::info!(user = %user.address, mail = %id.to_hex(), bytes = env.mail.len(), cycle, "mail delivered");
        Ok(1)
    }

    fn take_reply_part(&self, user: &str, bytes: Vec<u8>) -> Result<usize, GatewayError> {
        let part = match Part::decode(&bytes) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(user, "dropped a malformed reply part: {e}");
                return Ok(0);
            }
        };
        let id = part.id;
        let now = self.now_ms();
        let added = {
            let mut st = self.lock();
            st.reply_user.entry(id).or_insert_with(|| user.to_owned());
            st.reply_in.add(part, now)
        };
        match added {
            Ok(Added::Complete(mail)) => {
                self.lock().reply_user.remove(&id);
                let mut out = b"X-Panoramix-Reply: received through a reply block\r\n".to_vec();
                out.extend_from_slice(&mail);
                self.maildrop.deliver(user, &out)?;
                tracing::info!(user, bytes = mail.len(), "reply delivered");
                Ok(1)
            }
            Ok(_) => Ok(0),
            Err(e) => {
                tracing::warn!(user, "refused a reply part: {e}");
                Ok(0)
            }
        }
    }

    pub(super) fn check_deadlines(&self) -> Result<(), GatewayError> {
        let now = self.now_ms();
        let mut done = Vec::new();
        {
            let st = self.lock();
            for (id, s) in &st.sent {
                if s.seen.len() == s.count as usize || now >= s.deadline_ms {
                    done.push(*id);
                }
            }
        }
        for id in done {
            let Some(s) = self.lock().sent.remove(&id) else {
                continue;
            };
            {
                let mut st = self.lock();
                for d in &s.digests {
                    st.expected.remove(d);
                }
            }
            if s.seen.len() == s.count as usize {
                tracing::info!(mail = %id.to_hex(), to = %s.rcpt, parts = s.count, "every part of the mail is in agreed outputs");
                continue;
            }
            tracing::warn!(mail = %id.to_hex(), to = %s.rcpt, seen = s.seen.len(), parts = s.count, "mail not delivered: bounce");
            self.maildrop.deliver(&s.user, &self.bounce(&id, &s))?;
        }
        Ok(())
    }

    fn bounce(&self, id: &MessageId, s: &Sent) -> Vec<u8> {
        let missing: Vec<String> = (0..s.count)
            .filter(|i| !s.seen.contains(i))
            .map(|i| i.to_string())
            .collect();
        let cycles = match (s.cycles.first(), s.cycles.last()) {
            (Some(a), Some(b)) if a == b => format!("cycle {a}"),
            (Some(a), Some(b)) => format!("cycles {a} to {b}"),
            _ => "no cycle (no entry was open)".to_owned(),
        };
        format!(
            "From: Mail Delivery System <mailer-daemon@panoramix.invalid>\r\n\
             To: <{user}>\r\n\
             Subject: Undelivered Mail: {subject}\r\n\
             Message-ID: <bounce-{mid}@panoramix.invalid>\r\n\
             Auto-Submitted: auto-replied\r\n\
             MIME-Version: 1.0\r\n\
             Content-Type: text/plain; charset=utf-8\r\n\
             \r\n\
             Your mail to <{rcpt}> was NOT delivered.\r\n\
             \r\n\
             It went out as {count} packets, posted in {cycles} of mix-net {joint}.\r\n\
             {n} of them did not appear in the agreed output of the mix-net within\r\n\
             {secs} seconds: part(s) {list} (numbered from 0).\r\n\
             \r\n\
             The recipient's gateway delivers a mail whole or not at all, so nothing of\r\n\
             this mail was delivered. Send it again.\r\n",
            user = s.user,
            subject = s.subject.replace(['\r', '\n'], " "),
            mid = id.to_hex(),
            rcpt = s.rcpt,
            count = s.count,
            joint = self.joint,
            n = missing.len(),
            secs = self.cfg.bounce_after.as_secs(),
            list = missing.join(", "),
        )
        .into_bytes()
    }

    pub(super) fn expire_incoming(&self) -> Result<(), GatewayError> {
        let now = self.now_ms();
        let (gone, users) = {
            let mut st = self.lock();
            let mut gone = st.inbound.expire(now);
            gone.extend(st.reply_in.expire(now));
            let users: Vec<Option<String>> = gone
                .iter()
                .map(|g| {
                    let u = st.inbound_user.remove(&g.id);
                    u.or_else(|| st.reply_user.remove(&g.id))
                })
                .collect();
            (gone, users)
        };
        for (g, user) in gone.iter().zip(users) {
            let Some(user) = user else { continue };
            tracing::warn!(user, mail = %g.id.to_hex(), missing = g.missing.len(), "incoming mail incomplete: discarded");
            let note = format!(
                "From: Mail Delivery System <mailer-daemon@panoramix.invalid>\r\n\
                 To: <{user}>\r\n\
                 Subject: An incoming mail was incomplete and discarded\r\n\
                 Auto-Submitted: auto-generated\r\n\
                 Content-Type: text/plain; charset=utf-8\r\n\
                 \r\n\
                 A mail of {count} packets started arriving, but {n} packets were still\r\n\
                 missing {secs} seconds later. It was discarded: a mail is delivered\r\n\
                 whole or not at all. Its sender gets a bounce.\r\n",
                count = g.count,
                n = g.missing.len(),
                secs = self.cfg.incomplete_after.as_secs(),
            );
            self.maildrop.deliver(&user, note.as_bytes())?;
        }
        Ok(())
    }
}
