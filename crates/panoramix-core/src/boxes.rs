//! A box as a unit: the framed transfer of a whole box of an endpoint
//! (`GET /panoramix/boxes/`) and the one signed upload of a whole box
//! (`POST /panoramix/boxes/`), byte by byte as docs/protocol.md §5.8 gives it.
//!
//! Every field is a length-prefixed run of bytes, `<length>:<bytes>` (the
//! length in bytes, in decimal ASCII without leading zeros); a message is one
//! frame of five such fields inside a length-prefixed frame of its own. Every
//! field of a message is UTF-8 text already, so the whole transfer is UTF-8 and
//! a host that moves request and answer bodies as strings (the contributor
//! machine's effects, the WebAssembly host) carries it unchanged.
//!
//! ```text
//! box     = "PMXBOX1\n" [field(envelope)] field(count) field(box_hash) field(next) frame*
//! frame   = length ":" field(id) field(serial) field(sender) field(recipient) field(text)
//! field   = length ":" bytes
//! ```
//!
//! The box hash commits to the ordered list of the messages' hashes:
//! `sha256hex("panoramix/v1/box\0" ‖ h₁ ‖ … ‖ hₙ)`, each `hᵢ` the 64 hex
//! characters of message hash v2 ([`crate::model::message_hash`]).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::{MsgBox, message_hash};

/// The first bytes of every box transfer.
pub const MAGIC: &[u8] = b"PMXBOX1\n";

/// The media type of a box transfer (request and answer).
pub const MEDIA_TYPE: &str = "application/vnd.panoramix.box";

/// The path of the box routes.
pub const PATH: &str = "/panoramix/boxes/";

/// The path of the take-over route (docs/protocol.md §5.9).
pub const TAKEOVER_PATH: &str = "/panoramix/takeovers/";

/// The `data` of the answer to a take-over (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakeoverReceipt {
    /// The endpoint whose INBOX took the messages over.
    pub endpoint_id: String,
    /// Messages copied into the INBOX by this take-over.
    pub taken: i64,
    /// Messages in the INBOX after it.
    pub count: i64,
    /// The box hash of the whole INBOX after it, in id order.
    pub box_hash: String,
}

/// The most bytes a client puts in one upload: a larger box goes up as
/// consecutive parts (each its own signed request and transaction). Every
/// controller takes bodies of at least twice this on the box route.
pub const PART_BYTES: usize = 16 << 20;

/// Most messages in one box transfer.
pub const MAX_COUNT: usize = 1_000_000;

/// Whether `path` (with or without its query) is the box route.
pub fn is_box_path(path: &str) -> bool {
    let p = path.split('?').next().unwrap_or_default();
    p == PATH || p == "/panoramix/boxes"
}

/// The `data` of the answer to an upload (201).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The endpoint.
    pub endpoint_id: String,
    /// The box.
    #[serde(rename = "box")]
    pub box_: MsgBox,
    /// Messages stored.
    pub count: i64,
    /// The box hash of the stored messages.
    pub box_hash: String,
    /// The id of the first and of the last message stored.
    pub first_id: i64,
    /// See `first_id`.
    pub last_id: i64,
}

/// One message of a box transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// The controller's row id (downloads); 0 in an upload.
    pub id: i64,
    /// The serial (PROCESSBOX, OUTBOX), or none.
    pub serial: Option<i64>,
    /// Sender.
    pub sender: String,
    /// Recipient.
    pub recipient: String,
    /// Text.
    pub text: String,
}

impl Frame {
    /// Its message hash v2.
    pub fn message_hash(&self) -> String {
        message_hash(self.serial, &self.sender, &self.recipient, &self.text)
    }
}

/// A decoded box transfer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BoxData {
    /// The signed envelope of an upload (the JSON body any signed request has).
    pub envelope: Option<String>,
    /// The box hash the transfer states (checked against the frames).
    pub box_hash: String,
    /// Download: the id to continue after when the box did not fit in one answer.
    pub next: Option<i64>,
    /// The messages, in order.
    pub frames: Vec<Frame>,
    /// Their message hashes, in order.
    pub hashes: Vec<String>,
}

/// Why a box transfer does not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BoxError {
    /// It does not start with [`MAGIC`].
    #[error("not a box transfer (no PMXBOX1 header)")]
    Magic,
    /// A field or frame is cut short, or its length is malformed.
    #[error("malformed {0} at byte {1}")]
    Malformed(&'static str, usize),
    /// A field is not UTF-8.
    #[error("{0} is not UTF-8")]
    Utf8(&'static str),
    /// More messages than allowed, or a count the frames do not match.
    #[error("{0}")]
    Count(String),
    /// The stated box hash is not the hash of the frames.
    #[error("the box hash {stated} is not the frames' hash {computed}")]
    Hash {
        /// As stated.
        stated: String,
        /// As computed.
        computed: String,
    },
    /// Bytes after the last frame.
    #[error("{0} bytes after the last frame")]
    Trailing(usize),
}

/// The box hash of an ordered list of message hashes.
pub fn box_hash<S: AsRef<str>>(hashes: &[S]) -> String {
    let mut h = Sha256::new();
    h.update(b"panoramix/v1/box\0");
    for x in hashes {
        h.update(x.as_ref().as_bytes());
    }
    hex::encode(h.finalize())
}

fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    out.extend_from_slice(bytes.len().to_string().as_bytes());
    out.push(b':');
    out.extend_from_slice(bytes);
}

fn frame(out: &mut Vec<u8>, f: &Frame) {
    let mut body = Vec::with_capacity(f.sender.len() + f.recipient.len() + f.text.len() + 40);
    field(&mut body, f.id.to_string().as_bytes());
    field(
        &mut body,
        f.serial
            .map(|s| s.to_string())
            .unwrap_or_default()
            .as_bytes(),
    );
    field(&mut body, f.sender.as_bytes());
    field(&mut body, f.recipient.as_bytes());
    field(&mut body, f.text.as_bytes());
    field(out, &body);
}

/// The box section of a transfer: count, box hash, next and the frames.
fn section(out: &mut Vec<u8>, frames: &[Frame], hash: &str, next: Option<i64>) {
    field(out, frames.len().to_string().as_bytes());
    field(out, hash.as_bytes());
    field(
        out,
        next.map(|n| n.to_string()).unwrap_or_default().as_bytes(),
    );
    for f in frames {
        frame(out, f);
    }
}

fn size_hint(frames: &[Frame]) -> usize {
    frames
        .iter()
        .map(|f| f.sender.len() + f.recipient.len() + f.text.len() + 64)
        .sum::<usize>()
        + 128
}

/// A download answer: the frames (whose message hashes are `hashes`) and,
/// when the box goes on, the id to continue after.
pub fn encode_download<S: AsRef<str>>(frames: &[Frame], hashes: &[S], next: Option<i64>) -> String {
    let mut out = Vec::with_capacity(size_hint(frames));
    out.extend_from_slice(MAGIC);
    section(&mut out, frames, &box_hash(hashes), next);
    // every part is UTF-8 (decimal digits, hex, and the frames' own strings)
    String::from_utf8(out).unwrap_or_default()
}

/// An upload body: `envelope` (a signed request whose `data.box_hash` is the
/// frames' box hash) and the frames.
pub fn encode_upload(envelope: &str, frames: &[Frame]) -> String {
    let hashes: Vec<String> = frames.iter().map(Frame::message_hash).collect();
    let mut out = Vec::with_capacity(size_hint(frames) + envelope.len());
    out.extend_from_slice(MAGIC);
    field(&mut out, envelope.as_bytes());
    section(&mut out, frames, &box_hash(&hashes), None);
    String::from_utf8(out).unwrap_or_default()
}

/// The `data` of an upload of `frames` into box `bx` of `endpoint_id`
/// (the signed envelope's `data`, resource `box`, operation `create`).
pub fn upload_data(endpoint_id: &str, bx: MsgBox, frames: &[Frame]) -> serde_json::Value {
    let hashes: Vec<String> = frames.iter().map(Frame::message_hash).collect();
    serde_json::json!({
        "endpoint_id": endpoint_id,
        "box": bx.as_str(),
        "count": frames.len(),
        "box_hash": box_hash(&hashes),
    })
}

/// Where to cut `frames` into upload parts of at most `max_bytes` of frames
/// each (at least one frame per part).
pub fn parts(frames: &[Frame], max_bytes: usize) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut bytes = 0usize;
    for (i, f) in frames.iter().enumerate() {
        let sz = f.sender.len() + f.recipient.len() + f.text.len() + 64;
        if i > start && bytes + sz > max_bytes {
            out.push(start..i);
            start = i;
            bytes = 0;
        }
        bytes += sz;
    }
    if start < frames.len() {
        out.push(start..frames.len());
    }
    out
}

/// A download answer's messages as the API's messages of box `bx` of
/// `endpoint_id`, and where the box goes on (`next`).
pub fn to_messages(
    endpoint_id: &str,
    bx: MsgBox,
    d: BoxData,
) -> (Vec<crate::wire::Message>, Option<i64>) {
    let msgs = d
        .frames
        .into_iter()
        .zip(d.hashes)
        .map(|(f, message_hash)| crate::wire::Message {
            id: f.id,
            endpoint_id: endpoint_id.to_owned(),
            box_: bx,
            serial: f.serial,
            sender: f.sender,
            recipient: f.recipient,
            text: f.text,
            message_hash,
        })
        .collect();
    (msgs, d.next)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn field(&mut self, what: &'static str) -> Result<&'a [u8], BoxError> {
        let start = self.at;
        let digits = self.b[start..]
            .iter()
            .take(11)
            .take_while(|c| c.is_ascii_digit())
            .count();
        let colon = start + digits;
        if digits == 0
            || digits > 10
            || (digits > 1 && self.b[start] == b'0')
            || self.b.get(colon) != Some(&b':')
        {
            return Err(BoxError::Malformed(what, start));
        }
        let n: usize = std::str::from_utf8(&self.b[start..colon])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or(BoxError::Malformed(what, start))?;
        let end = (colon + 1)
            .checked_add(n)
            .filter(|e| *e <= self.b.len())
            .ok_or(BoxError::Malformed(what, start))?;
        self.at = end;
        Ok(&self.b[colon + 1..end])
    }

    fn text(&mut self, what: &'static str) -> Result<&'a str, BoxError> {
        std::str::from_utf8(self.field(what)?).map_err(|_| BoxError::Utf8(what))
    }

    fn int(&mut self, what: &'static str) -> Result<Option<i64>, BoxError> {
        let at = self.at;
        let s = self.text(what)?;
        if s.is_empty() {
            return Ok(None);
        }
        let ok = s == "0" || (!s.starts_with('0') && s.bytes().all(|c| c.is_ascii_digit()));
        match s.parse::<i64>() {
            Ok(v) if ok => Ok(Some(v)),
            _ => Err(BoxError::Malformed(what, at)),
        }
    }
}

fn decode_frame(body: &[u8], at: usize) -> Result<Frame, BoxError> {
    let mut r = Reader { b: body, at: 0 };
    let id = r.int("id")?.ok_or(BoxError::Malformed("id", at))?;
    let serial = r.int("serial")?;
    let sender = r.text("sender")?.to_owned();
    let recipient = r.text("recipient")?.to_owned();
    let text = r.text("text")?.to_owned();
    if r.at != body.len() {
        return Err(BoxError::Malformed("frame", at));
    }
    Ok(Frame {
        id,
        serial,
        sender,
        recipient,
        text,
    })
}

/// Decode a transfer (an upload when `upload`, else a download answer),
/// holding at most `max_count` messages, and check its box hash.
pub fn decode(b: &[u8], upload: bool, max_count: usize) -> Result<BoxData, BoxError> {
    if !b.starts_with(MAGIC) {
        return Err(BoxError::Magic);
    }
    let mut r = Reader { b, at: MAGIC.len() };
    let envelope = if upload {
        Some(r.text("envelope")?.to_owned())
    } else {
        None
    };
    let count = r.int("count")?.ok_or(BoxError::Malformed("count", r.at))?;
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count > max_count.min(MAX_COUNT) {
        return Err(BoxError::Count(format!(
            "{count} messages: at most {} in one transfer",
            max_count.min(MAX_COUNT)
        )));
    }
    let stated = r.text("box_hash")?.to_owned();
    let at = r.at;
    let next = r.int("next")?;
    if upload && next.is_some() {
        return Err(BoxError::Malformed("next (empty in an upload)", at));
    }
    let mut frames = Vec::with_capacity(count.min(b.len() / 16));
    while r.at < b.len() && frames.len() < count {
        let at = r.at;
        let body = r.field("frame")?;
        frames.push(decode_frame(body, at)?);
    }
    if frames.len() != count {
        return Err(BoxError::Count(format!(
            "the transfer states {count} messages and holds {}",
            frames.len()
        )));
    }
    if r.at != b.len() {
        return Err(BoxError::Trailing(b.len() - r.at));
    }
    let hashes: Vec<String> = frames.iter().map(Frame::message_hash).collect();
    let computed = box_hash(&hashes);
    if computed != stated {
        return Err(BoxError::Hash { stated, computed });
    }
    Ok(BoxData {
        envelope,
        box_hash: stated,
        next,
        frames,
        hashes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Vec<Frame> {
        vec![
            Frame {
                id: 0,
                serial: Some(0),
                sender: "a1".into(),
                recipient: "".into(),
                text: "héllo".into(),
            },
            Frame {
                id: 0,
                serial: Some(1),
                sender: "a1".into(),
                recipient: "bob".into(),
                text: "".into(),
            },
        ]
    }

    #[test]
    fn upload_round_trip() {
        let f = sample();
        let up = encode_upload("{\"x\":1}", &f);
        let d = decode(up.as_bytes(), true, 10).unwrap();
        assert_eq!(d.envelope.as_deref(), Some("{\"x\":1}"));
        assert_eq!(d.frames, f);
        assert_eq!(d.box_hash, box_hash(&d.hashes));
        assert!(decode(up.as_bytes(), false, 10).is_err());
        assert!(matches!(
            decode(up.as_bytes(), true, 1),
            Err(BoxError::Count(_))
        ));
    }

    #[test]
    fn download_round_trip_and_damage() {
        let mut f = sample();
        f[0].id = 7;
        f[1].id = 9;
        let hashes: Vec<String> = f.iter().map(Frame::message_hash).collect();
        let down = encode_download(&f, &hashes, Some(9));
        let d = decode(down.as_bytes(), false, 10).unwrap();
        assert_eq!((d.frames.clone(), d.next), (f, Some(9)));
        // a single byte changed or dropped is refused, or decodes to other
        // ids (which the box hash does not cover), never to the same box
        let b = down.as_bytes();
        for i in MAGIC.len()..b.len() {
            let mut c = b.to_vec();
            c[i] ^= 0x01;
            assert_ne!(decode(&c, false, 10).ok(), Some(d.clone()), "flip at {i}");
            if let Ok(o) = decode(&c, false, 10) {
                assert_eq!(o.hashes, d.hashes, "flip at {i}");
            }
            let mut c = b.to_vec();
            c.remove(i);
            assert!(decode(&c, false, 10).is_err(), "drop at {i}");
        }
        let mut c = b.to_vec();
        c.push(b'0');
        assert_eq!(decode(&c, false, 10), Err(BoxError::Trailing(1)));
    }

    #[test]
    fn lengths_are_strict() {
        for bad in [
            "PMXBOX1\n01:1",
            "PMXBOX1\n1:",
            "PMXBOX1\n:",
            "PMXBOX1\n99999999999:",
            "PMXBOX1\n1:x",
        ] {
            assert!(decode(bad.as_bytes(), false, 10).is_err(), "{bad}");
        }
        assert_eq!(decode(b"PMXBOX2\n", false, 1), Err(BoxError::Magic));
    }
}
#[cfg(test)]
mod kat {
    use super::*;

    /// The example of docs/protocol.md §5.8, byte for byte.
    #[test]
    fn doc_example() {
        let f = vec![
            Frame {
                id: 41,
                serial: Some(0),
                sender: "8f2c1e0a6b3d5947".into(),
                recipient: "".into(),
                text: "aGVsbG8".into(),
            },
            Frame {
                id: 42,
                serial: Some(1),
                sender: "8f2c1e0a6b3d5947".into(),
                recipient: "bob".into(),
                text: "d29ybGQ".into(),
            },
        ];
        let h: Vec<String> = f.iter().map(Frame::message_hash).collect();
        assert_eq!(
            h,
            [
                "68d2d421e15d6bd58c1a77b7d20e58cec8eecf8592f10fef8abbd14886d8ae9a",
                "c66464bd78d3062c9f204c12ef9f3b6ac0638f7c598d25d8918225d6f3c7e532"
            ]
        );
        let bh = "43508a7391c8907d08bbe953a275dc3e0af8753f56ac9343aa5cc12b2deff1eb";
        assert_eq!(box_hash(&h), bh);
        let down = format!(
            "PMXBOX1\n1:264:{bh}0:37:2:411:016:8f2c1e0a6b3d59470:7:aGVsbG840:2:421:116:8f2c1e0a6b3d59473:bob7:d29ybGQ"
        );
        assert_eq!(encode_download(&f, &h, None), down);
        assert_eq!(decode(down.as_bytes(), false, 2).unwrap().frames, f);
        let up: Vec<Frame> = f
            .into_iter()
            .map(|mut x| {
                x.id = 0;
                x
            })
            .collect();
        let body = format!(
            "PMXBOX1\n1:E1:264:{bh}0:36:1:01:016:8f2c1e0a6b3d59470:7:aGVsbG839:1:01:116:8f2c1e0a6b3d59473:bob7:d29ybGQ"
        );
        assert_eq!(encode_upload("E", &up), body);
        assert_eq!(
            upload_data("m-1-mix0", MsgBox::Processbox, &up).to_string(),
            format!(
                "{{\"box\":\"PROCESSBOX\",\"box_hash\":\"{bh}\",\"count\":2,\"endpoint_id\":\"m-1-mix0\"}}"
            )
        );
    }
}
