//! The gateway between the mail client's side and the mix-net (docs/mail.md).
//!
//! * [`MailSink::submit`]: per recipient, look the address up ([`crate::directory`]),
//!   make a few SURBs back to the sender ([`crate::reply`]), seal the mail and the SURBs
//!   into an [`Envelope`], split the sealed bytes into parts ([`crate::fragment`]), seal
//!   each part for the recipient again, wrap it in a Sphinx packet to the recipient's
//!   tag and queue it. Mail to a reply alias goes through that alias's SURBs instead.
//! * [`Gateway::tick`] (run by [`Gateway::run`] every `poll`): post queued packets to
//!   the open cycle, read every newly agreed cycle output, reassemble the parts for
//!   the local users' tags and open the replies for the local openers, deliver whole
//!   mails into the maildrop, check which sent parts showed up in the agreed outputs
//!   and bounce, into the sender's maildrop, a mail whose parts did not all show up by
//!   the deadline.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use panoramix_client::ClientError;
use panoramix_core::model::EndpointStatus;
use panoramix_mixnet::sender::{SendError, Sender};
use panoramix_sphinx::{MixPublicKey, Route, SURB_RECIPIENT_PREFIX, SphinxParams, SurbId};
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::directory::{Directory, DirectoryError, MailRecord};
use crate::envelope::{Envelope, EnvelopeError, MailSecretKey, Purpose, open, seal};
use crate::fragment::{
    self, Added, FragmentError, MessageId, Part, Reassembler, forward_part_len, reply_part_len,
};
use crate::maildrop::{Maildrop, MaildropError};
use crate::reply::{
    self, OpenerBook, ReplyBook, ReplyError, add_reply_header, parse_reply_address, reply_address,
};
use crate::smtp::{MailSink, Refusal};

mod receive;

/// Gateway errors.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The mix-net or its controller.
    #[error("the mix-net: {0}")]
    Send(#[from] SendError),
    /// The controller.
    #[error("the controller: {0}")]
    Client(#[from] ClientError),
    /// Sphinx.
    #[error("sphinx: {0}")]
    Sphinx(#[from] panoramix_sphinx::Error),
    /// The mix-net is not one mail can use.
    #[error("mix-net {joint}: {why}")]
    Unusable {
        /// The joint peer.
        joint: String,
        /// Why.
        why: String,
    },
    /// The directory.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// A maildrop.
    #[error(transparent)]
    Maildrop(#[from] MaildropError),
    /// Splitting.
    #[error(transparent)]
    Fragment(#[from] FragmentError),
    /// Sealing.
    #[error(transparent)]
    Envelope(#[from] EnvelopeError),
    /// Replies.
    #[error(transparent)]
    Reply(#[from] ReplyError),
    /// The state file.
    #[error("gateway state {path}: {why}")]
    State {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
}

#[derive(serde::Serialize)]
struct SavedRef<'a> {
    cursor: u64,
    openers: &'a OpenerBook,
    replies: HashMap<String, (String, Vec<String>)>,
}

/// What [`GatewayConfig::state_file`] holds.
#[derive(serde::Deserialize)]
struct Saved {
    cursor: u64,
    openers: OpenerBook,
    replies: HashMap<String, (String, Vec<String>)>,
}

/// Gateway settings.
#[derive(Clone, Debug)]
pub struct GatewayConfig {
    /// A sent mail whose parts are not all in agreed outputs this long after
    /// submission bounces.
    pub bounce_after: Duration,
    /// An incoming mail still incomplete this long after its first part is discarded
    /// (and the recipient told).
    pub incomplete_after: Duration,
    /// SURBs put in each mail (0: the recipient cannot reply anonymously).
    pub reply_blocks: usize,
    /// Largest mail taken, in bytes.
    pub max_mail_bytes: usize,
    /// Pause between ticks.
    pub poll: Duration,
    /// Packets per post request.
    pub post_chunk: usize,
    /// Where to keep, across restarts, the next cycle to read, the openers of this
    /// gateway's reply blocks and the reply blocks filed for its users (JSON, mode
    /// 0600). `None`: in memory only.
    pub state_file: Option<PathBuf>,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            bounce_after: Duration::from_secs(600),
            incomplete_after: Duration::from_secs(600),
            reply_blocks: 4,
            max_mail_bytes: 10 << 20,
            poll: Duration::from_millis(500),
            post_chunk: 200,
            state_file: None,
        }
    }
}

/// A local user's mix-net identity.
pub struct LocalUser {
    /// The address (normalised).
    pub address: String,
    /// The mail key.
    pub key: MailSecretKey,
    /// The delivery tag.
    pub tag: String,
}

struct Packet {
    to: String,
    text: String,
    /// (mail, part) when the packet is tracked for bounces.
    part: Option<(MessageId, u16)>,
}

struct Sent {
    user: String,
    rcpt: String,
    subject: String,
    count: u16,
    seen: BTreeSet<u16>,
    digests: Vec<[u8; 32]>,
    cycles: BTreeSet<u64>,
    deadline_ms: u64,
    /// The recipient's tag and each sealed part's text, to post a part again.
    tag: String,
    texts: Vec<String>,
    /// The cycle each part was last posted to, until it shows up.
    posted: HashMap<u16, u64>,
    resent: usize,
}

struct State {
    queue: VecDeque<Packet>,
    sent: HashMap<MessageId, Sent>,
    expected: HashMap<[u8; 32], (MessageId, u16)>,
    openers: OpenerBook,
    replies: ReplyBook,
    inbound: Reassembler,
    inbound_user: HashMap<MessageId, String>,
    reply_in: Reassembler,
    reply_user: HashMap<MessageId, String>,
    /// Next cycle whose output to read.
    cursor: u64,
    /// Lowest cycle that may be open.
    open_from: u64,
}

/// The gateway of one agent (see the module docs).
pub struct Gateway {
    sender: Sender,
    joint: String,
    params: SphinxParams,
    route: Route,
    directory: Directory,
    users: Vec<LocalUser>,
    maildrop: Arc<Maildrop>,
    cfg: GatewayConfig,
    state: Mutex<State>,
    started: Instant,
}

fn digest(recipient: &str, text: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(recipient.as_bytes());
    h.update([0u8]);
    h.update(text);
    h.finalize().into()
}

/// The Sphinx parameters and the route (every owner's mix, in order) of `joint`.
fn mixnet_route(sender: &Sender, joint: &str) -> Result<(SphinxParams, Route), GatewayError> {
    let unusable = |why: String| GatewayError::Unusable {
        joint: joint.to_owned(),
        why,
    };
    if sender.spec().backend != "SPHINXMIX" {
        return Err(unusable(format!(
            "a {} mix-net carries no mail",
            sender.spec().backend
        )));
    }
    let params = panoramix_mixnet::backend::sphinx_params(&sender.spec().params)
        .map_err(|e| unusable(e.to_string()))?;
    let peer = sender.client().peer(joint)?;
    let mut keys = Vec::new();
    for o in peer.owner_ids() {
        let p = sender.client().peer(&o)?;
        let hex = p.crypto_params["mix_key"]
            .as_str()
            .ok_or_else(|| unusable(format!("owner {o} published no mix key")))?;
        keys.push(MixPublicKey::from_hex(hex)?);
    }
    let mut route = panoramix_sphinx::select_route(&params, &keys)?;
    route.prepare();
    Ok((params, route))
}

fn refusal(e: &GatewayError) -> Refusal {
    match e {
        GatewayError::Directory(DirectoryError::Controller(_))
        | GatewayError::Client(_)
        | GatewayError::Send(SendError::Client(_)) => {
            Refusal::new(451, format!("try again later: {e}"))
        }
        GatewayError::Directory(DirectoryError::BadAddress(_)) => Refusal::new(553, e.to_string()),
        GatewayError::Directory(_) | GatewayError::Reply(ReplyError::UnknownAlias(_)) => {
            Refusal::new(550, e.to_string())
        }
        GatewayError::Reply(ReplyError::TooLong { .. })
        | GatewayError::Fragment(FragmentError::TooManyParts { .. }) => {
            Refusal::new(552, e.to_string())
        }
        _ => Refusal::new(451, format!("local error: {e}")),
    }
}

impl Gateway {
    /// A gateway for `users` on mix-net `joint`, sending through `sender` (whose client
    /// needs no registered key: posting to a public entry is anyone's right), looking
    /// addresses up in `directory`, delivering into `maildrop`.
    pub fn new(
        sender: Sender,
        joint: &str,
        directory: Directory,
        users: Vec<LocalUser>,
        maildrop: Arc<Maildrop>,
        cfg: GatewayConfig,
    ) -> Result<Gateway, GatewayError> {
        let (params, route) = mixnet_route(&sender, joint)?;
        let timeout = cfg.incomplete_after.as_millis() as u64;
        let max_parts = fragment::parts_needed(
            cfg.max_mail_bytes + 4096,
            forward_part_len(params.body_len(), crate::directory::TAG_LEN)?,
        )
        .min(u16::MAX as usize) as u16;
        let state = State {
            queue: VecDeque::new(),
            sent: HashMap::new(),
            expected: HashMap::new(),
            openers: OpenerBook::default(),
            replies: ReplyBook::default(),
            inbound: Reassembler::new(timeout, max_parts, 256),
            inbound_user: HashMap::new(),
            reply_in: Reassembler::new(timeout, u16::MAX, 256),
            reply_user: HashMap::new(),
            cursor: 1,
            open_from: 1,
        };
        let g = Gateway {
            sender,
            joint: joint.to_owned(),
            params,
            route,
            directory,
            users,
            maildrop,
            cfg,
            state: Mutex::new(state),
            started: Instant::now(),
        };
        let first = match g.load()? {
            Some(saved) => {
                let mut st = g.lock();
                st.openers = saved.openers;
                st.replies = ReplyBook::from_saved(&g.params, saved.replies);
                saved.cursor
            }
            None => g.first_unfinished_cycle()?,
        };
        {
            let mut st = g.lock();
            st.cursor = first;
            st.open_from = first;
        }
        tracing::info!(mixnet = %g.joint, cycle = first, "mail gateway: reading outputs from cycle {first}");
        Ok(g)
    }

    fn load(&self) -> Result<Option<Saved>, GatewayError> {
        let Some(path) = &self.cfg.state_file else {
            return Ok(None);
        };
        let bad = |why: String| GatewayError::State {
            path: path.clone(),
            why,
        };
        match std::fs::read(path) {
            Ok(b) => serde_json::from_slice(&b)
                .map(Some)
                .map_err(|e| bad(e.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(bad(e.to_string())),
        }
    }

    /// Write the state file (atomically, mode 0600), if there is one.
    fn save(&self) -> Result<(), GatewayError> {
        let Some(path) = &self.cfg.state_file else {
            return Ok(());
        };
        let bad = |why: String| GatewayError::State {
            path: path.clone(),
            why,
        };
        let text = {
            let st = self.lock();
            let saved = SavedRef {
                cursor: st.cursor,
                openers: &st.openers,
                replies: st.replies.to_saved(),
            };
            serde_json::to_vec(&saved).map_err(|e| bad(e.to_string()))?
        };
        let tmp = path.with_extension("tmp");
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            let mut f = opts.open(&tmp)?;
            f.write_all(&text)?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        };
        write().map_err(|e| bad(e.to_string()))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// Packets a forward mail of `len` bytes needs on this mix-net.
    pub fn packets_for(&self, len: usize) -> Result<usize, GatewayError> {
        let part = forward_part_len(self.params.body_len(), crate::directory::TAG_LEN)?;
        let sealed =
            len + 2 + self.cfg.reply_blocks * (2 + panoramix_sphinx::Surb::wire_len(&self.params));
        Ok(fragment::parts_needed(
            sealed + crate::envelope::SEAL_OVERHEAD,
            part,
        ))
    }

    /// The lowest cycle that is open or not created yet: where this gateway's mail can
    /// first show up.
    fn first_unfinished_cycle(&self) -> Result<u64, GatewayError> {
        let mut c = 1;
        loop {
            match self.sender.client().endpoint(&self.sender.spec().entry(c)) {
                Ok(ep) if ep.status == EndpointStatus::Open => return Ok(c),
                Ok(_) => c += 1,
                Err(e) if e.status() == Some(404) => return Ok(c),
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// The lowest open cycle from `from` on, if any, with the room left in its inbox.
    fn open_cycle(&self, from: u64) -> Result<Option<(u64, usize)>, GatewayError> {
        let mut c = from;
        loop {
            match self.sender.client().endpoint(&self.sender.spec().entry(c)) {
                Ok(ep) if ep.status == EndpointStatus::Open => {
                    let room = ep.size_max.saturating_sub(ep.inbox_count).max(0) as usize;
                    return Ok(Some((c, room)));
                }
                Ok(_) => c += 1,
                Err(e) if e.status() == Some(404) => return Ok(None),
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn user_by_tag(&self, tag: &str) -> Option<&LocalUser> {
        self.users.iter().find(|u| u.tag == tag)
    }

    /// The packets of a forward mail from `user` to `record`; registers the openers
    /// and the tracking of its parts.
    fn forward_packets(
        &self,
        user: &str,
        record: &MailRecord,
        data: &[u8],
    ) -> Result<Vec<Packet>, GatewayError> {
        let mut rng = OsRng;
        let surbs = self.lock().openers.make(
            &self.params,
            &self.route,
            user,
            self.cfg.reply_blocks,
            &mut rng,
        )?;
        let env = Envelope {
            surbs,
            mail: data.to_vec(),
        };
        let sealed = env.seal(&record.mail_key, &mut rng)?;
        let part_len = forward_part_len(self.params.body_len(), record.tag.len())?;
        let mut id = [0u8; 16];
        rng.fill_bytes(&mut id);
        let id = MessageId(id);
        let parts = fragment::split(id, &sealed, part_len)?;
        let dropped = test_drop_part(data);
        let mut packets = Vec::with_capacity(parts.len());
        let mut digests = Vec::with_capacity(parts.len());
        let mut texts = Vec::with_capacity(parts.len());
        let count = parts.len() as u16;
        for (i, p) in parts.iter().enumerate() {
            let text = B64.encode(seal(&record.mail_key, Purpose::Part, p, &mut rng));
            let (to, packet) = self.sender.encrypt(0, &record.tag, text.as_bytes())?;
            let d = digest(&record.tag, text.as_bytes());
            digests.push(d);
            texts.push(text);
            if dropped == Some(i as u16) {
                tracing::warn!(mail = %id.to_hex(), part = i, "test hook: part {i} of {count} is not sent");
                continue;
            }
            packets.push(Packet {
                to,
                text: packet,
                part: Some((id, i as u16)),
            });
        }
        self.save()?;
        let mut st = self.lock();
        for (i, d) in digests.iter().enumerate() {
            st.expected.insert(*d, (id, i as u16));
        }
        st.sent.insert(
            id,
            Sent {
                user: user.to_owned(),
                rcpt: record.address.clone(),
                subject: reply::header(data, "Subject").unwrap_or_default(),
                count,
                seen: BTreeSet::new(),
                digests,
                tag: record.tag.clone(),
                texts,
                posted: HashMap::new(),
                resent: 0,
                cycles: BTreeSet::new(),
                deadline_ms: self.now_ms() + self.cfg.bounce_after.as_millis() as u64,
            },
        );
        tracing::info!(mail = %id.to_hex(), to = %record.address, parts = count, bytes = data.len(), "mail queued");
        Ok(packets)
    }

    /// The packets of a reply through the SURBs filed under `token`.
    fn reply_packets(
        &self,
        user: &str,
        token: &str,
        data: &[u8],
    ) -> Result<Vec<Packet>, GatewayError> {
        let part_len = reply_part_len(self.params.body_len())?;
        let mut id = [0u8; 16];
        OsRng.fill_bytes(&mut id);
        let parts = fragment::split(MessageId(id), data, part_len)?;
        let surbs = self.lock().replies.take(user, token, parts.len())?;
        self.save()?;
        let mut packets = Vec::with_capacity(parts.len());
        for (p, s) in parts.iter().zip(&surbs) {
            let packet = s.reply(p)?;
            packets.push(Packet {
                to: s.first_hop().to_hex(),
                text: packet.to_text(),
                part: None,
            });
        }
        tracing::info!(parts = parts.len(), "reply queued through reply blocks");
        Ok(packets)
    }

    fn check(&self, user: &str, rcpt: &str) -> Result<(), GatewayError> {
        if let Some(token) = parse_reply_address(rcpt) {
            return match self.lock().replies.left(user, &token) {
                Some(n) if n > 0 => Ok(()),
                _ => Err(ReplyError::UnknownAlias(reply_address(&token)).into()),
            };
        }
        self.directory.lookup(rcpt)?;
        Ok(())
    }

    fn queue_mail(&self, user: &str, rcpts: &[String], data: &[u8]) -> Result<(), GatewayError> {
        if data.len() > self.cfg.max_mail_bytes {
            let part = forward_part_len(self.params.body_len(), crate::directory::TAG_LEN)?;
            return Err(FragmentError::TooManyParts {
                needed: fragment::parts_needed(data.len(), part),
                max: fragment::parts_needed(self.cfg.max_mail_bytes, part),
            }
            .into());
        }
        let mut all = Vec::new();
        for rcpt in rcpts {
            let packets = match parse_reply_address(rcpt) {
                Some(token) => self.reply_packets(user, &token, data)?,
                None => self.forward_packets(user, &self.directory.lookup(rcpt)?, data)?,
            };
            all.extend(packets);
        }
        self.lock().queue.extend(all);
        Ok(())
    }

    /// One round: post, read outputs, bounce, expire. Errors are the controller's
    /// (the next round tries again).
    pub fn tick(&self) -> Result<(), GatewayError> {
        self.post_queued()?;
        self.read_outputs()?;
        self.check_deadlines()?;
        self.expire_incoming()?;
        Ok(())
    }

    /// Tick every `poll` until `stop` is set, logging errors.
    pub fn run(&self, stop: &AtomicBool) {
        while !stop.load(Ordering::Relaxed) {
            if let Err(e) = self.tick() {
                tracing::warn!("mail gateway: {e}");
            }
            std::thread::sleep(self.cfg.poll);
        }
    }

    /// Packets waiting for an open cycle.
    pub fn queued(&self) -> usize {
        self.lock().queue.len()
    }

    fn post_queued(&self) -> Result<(), GatewayError> {
        loop {
            let from = self.lock().open_from;
            if self.lock().queue.is_empty() {
                return Ok(());
            }
            let Some((cycle, room)) = self.open_cycle(from)? else {
                return Ok(());
            };
            self.lock().open_from = cycle;
            if room == 0 {
                self.lock().open_from = cycle + 1;
                continue;
            }
            let chunk: Vec<Packet> = {
                let mut st = self.lock();
                // a post is stored whole or refused whole: never more than the inbox takes
                let n = st.queue.len().min(self.cfg.post_chunk).min(room);
                st.queue.drain(..n).collect()
            };
            let items: Vec<(String, String, String, Option<i64>)> = chunk
                .iter()
                .map(|p| {
                    (
                        self.sender.client().id(),
                        p.to.clone(),
                        p.text.clone(),
                        None,
                    )
                })
                .collect();
            let entry = self.sender.spec().entry(cycle);
            match self.sender.client().post_messages(&entry, "INBOX", &items) {
                Ok(_) => {
                    let mut st = self.lock();
                    for p in &chunk {
                        if let Some((id, i)) = p.part
                            && let Some(s) = st.sent.get_mut(&id)
                        {
                            s.cycles.insert(cycle);
                            s.posted.insert(i, cycle);
                        }
                    }
                    tracing::info!(
                        cycle,
                        packets = chunk.len(),
                        left = st.queue.len(),
                        "mail packets posted"
                    );
                }
                Err(e) => {
                    // closed meanwhile or full: put them back, try the next cycle later
                    let mut st = self.lock();
                    for p in chunk.into_iter().rev() {
                        st.queue.push_front(p);
                    }
                    if matches!(e.code(), Some("inbox_full" | "wrong_state")) {
                        st.open_from = cycle + 1;
                        tracing::info!(cycle, "entry closed or full: next cycle");
                        continue;
                    }
                    return Err(e.into());
                }
            }
        }
    }

    fn read_outputs(&self) -> Result<(), GatewayError> {
        loop {
            let cycle = self.lock().cursor;
            let Some(out) = self.sender.results(cycle)? else {
                return Ok(());
            };
            let mut delivered = 0;
            for (recipient, text) in &out {
                delivered += self.take_output(cycle, recipient, text)?;
            }
            {
                let mut st = self.lock();
                st.cursor = cycle + 1;
                st.open_from = st.open_from.max(cycle + 1);
            }
            self.save()?;
            tracing::debug!(cycle, outputs = out.len(), delivered, "cycle output read");
            self.post_stranded(cycle)?;
        }
    }

    /// Post again, in a fresh Sphinx packet, every part that was posted to `cycle` but
    /// is not in its agreed output (an entry closes with the messages its contributor
    /// selected: one posted meanwhile is left out). The recipient drops duplicates.
    fn post_stranded(&self, cycle: u64) -> Result<(), GatewayError> {
        let mut again = Vec::new();
        {
            let mut st = self.lock();
            for (id, s) in st.sent.iter_mut() {
                let lost: Vec<u16> = s
                    .posted
                    .iter()
                    .filter(|(i, c)| **c == cycle && !s.seen.contains(i))
                    .map(|(i, _)| *i)
                    .collect();
                for i in lost {
                    s.posted.remove(&i);
                    s.resent += 1;
                    again.push((*id, i, s.tag.clone(), s.texts[i as usize].clone()));
                }
            }
        }
        if again.is_empty() {
            return Ok(());
        }
        tracing::info!(
            cycle,
            packets = again.len(),
            "parts posted to the cycle are not in its agreed output: posting them again"
        );
        let mut packets = Vec::with_capacity(again.len());
        for (id, i, tag, text) in again {
            let (to, packet) = self.sender.encrypt(0, &tag, text.as_bytes())?;
            packets.push(Packet {
                to,
                text: packet,
                part: Some((id, i)),
            });
        }
        self.lock().queue.extend(packets);
        Ok(())
    }
}

/// Test builds only: with `PANORAMIX_MAIL_TEST_HOOKS=1` in the environment, a mail
/// carrying `X-Panoramix-Test-Drop-Part: N` loses its part N (so a bounce can be seen).
#[cfg(feature = "test-hooks")]
fn test_drop_part(mail: &[u8]) -> Option<u16> {
    if std::env::var("PANORAMIX_MAIL_TEST_HOOKS").ok().as_deref() != Some("1") {
        return None;
    }
    reply::header(mail, "X-Panoramix-Test-Drop-Part")?
        .parse()
        .ok()
}

#[cfg(not(feature = "test-hooks"))]
fn test_drop_part(_mail: &[u8]) -> Option<u16> {
    None
}

impl MailSink for Gateway {
    fn check_recipient(&self, user: &str, rcpt: &str) -> Result<(), Refusal> {
        self.check(user, rcpt).map_err(|e| refusal(&e))
    }

    fn submit(
        &self,
        user: &str,
        _from: &str,
        rcpts: &[String],
        data: Vec<u8>,
    ) -> Result<(), Refusal> {
        self.queue_mail(user, rcpts, &data).map_err(|e| {
            tracing::warn!(user, "mail refused: {e}");
            refusal(&e)
        })
    }
}

/// Run `gateway` on a thread until `stop` is set.
pub fn spawn(gateway: Arc<Gateway>, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || gateway.run(&stop))
}
