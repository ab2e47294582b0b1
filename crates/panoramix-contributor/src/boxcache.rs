//! What a step read of boxes that can no longer change, kept for later steps.
//!
//! A step re-reads what it needs from the controller, and an owner waiting for
//! a consensus steps on every change: the gateway's owners read its full
//! INBOX (18 MB at 10,000 Sphinx packets) about four times each while their
//! close was being agreed, and every owner read the last mix's OUTBOX on each
//! step until the gateway's output was agreed. A box is fixed:
//!
//! * `ACCEPTED` once its endpoint is `CLOSED` or `PROCESSED` (only the close
//!   fills it);
//! * `OUTBOX` once its endpoint is `PROCESSED` (only the process fills it);
//! * the `INBOX` of an `OPEN` endpoint that holds `inbox_count` messages (an
//!   INBOX only grows while its endpoint is open, in id order, so its first
//!   `n` messages stay what they are), when the answer held exactly that many.
//!
//! Memory decides what is kept: a fixed box whose texts fit in [`SMALL_BOX`]
//! bytes is kept whole (a mix-net's output of plaintexts); of a larger one,
//! only what was derived from it (the close's selection of an entry INBOX:
//! 64 bytes a message instead of a whole packet). Holding the large boxes
//! themselves doubled a 10,000-message demo's peak memory.
//!
//! A step looks in what earlier steps kept and in what it read itself, never
//! in what a later run added: a re-run of a step asks for exactly what its log
//! holds.

use std::sync::Arc;

use panoramix_core::model::{EndpointStatus, MsgBox};
use panoramix_core::wire::{Endpoint, Message};

use crate::io::Halt;
use crate::machine::Exec;

/// Boxes kept at most.
const KEEP: usize = 3;

/// Largest box kept whole: the bytes of its texts.
pub(crate) const SMALL_BOX: usize = 2 << 20;

/// Which content of a box: its endpoint, the box, and the INBOX's length
/// (`-1` for a published box).
type Key = (String, MsgBox, i64);

/// Kept boxes (each at most [`SMALL_BOX`] bytes of text), oldest first.
#[derive(Default, Clone)]
pub(crate) struct Boxes(Vec<(Key, Arc<Vec<Message>>)>);

impl Boxes {
    fn get(&self, k: &Key) -> Option<Arc<Vec<Message>>> {
        self.0.iter().find(|(x, _)| x == k).map(|(_, v)| v.clone())
    }

    /// Keep `v` as `k`, replacing an older content of the same box; the oldest
    /// box goes beyond [`KEEP`].
    fn put(&mut self, k: Key, v: Arc<Vec<Message>>) {
        self.0.retain(|(x, _)| (&x.0, x.1) != (&k.0, k.1));
        self.0.push((k, v));
        if self.0.len() > KEEP {
            self.0.remove(0);
        }
    }

    /// What a completed step read, kept for the next ones.
    pub(crate) fn merge(&mut self, newer: Boxes) {
        for (k, v) in newer.0 {
            self.put(k, v);
        }
    }

    /// Drop the boxes of the endpoints whose ids start with `prefix`.
    pub(crate) fn forget(&mut self, prefix: &str) {
        self.0.retain(|(k, _)| !k.0.starts_with(prefix));
    }

    fn small(v: &[Message]) -> bool {
        v.iter().map(|m| m.text.len()).sum::<usize>() <= SMALL_BOX
    }

    /// The endpoints whose boxes are kept.
    pub(crate) fn endpoints(&self) -> impl Iterator<Item = &String> {
        self.0.iter().map(|(k, _)| &k.0)
    }
}

/// Per entry endpoint: the INBOX length a close's selection was derived from,
/// and the selection (its message hashes).
pub(crate) type Selections = std::collections::HashMap<String, (i64, Arc<Vec<String>>)>;

/// The key of box `b` of `ep` if its content can no longer change.
fn fixed(ep: &Endpoint, b: MsgBox) -> Option<Key> {
    let version = match (b, ep.status) {
        (MsgBox::Accepted, EndpointStatus::Closed | EndpointStatus::Processed)
        | (MsgBox::Outbox, EndpointStatus::Processed) => -1,
        (MsgBox::Inbox, EndpointStatus::Open) => ep.inbox_count,
        _ => return None,
    };
    Some((ep.endpoint_id.clone(), b, version))
}

impl Exec<'_> {
    /// The close's selection of `ep`'s INBOX (an open entry endpoint), as an
    /// earlier step or this one derived it from the INBOX of this length.
    pub(crate) fn kept_selection(&self, ep: &Endpoint) -> Option<Arc<Vec<String>>> {
        let k = fixed(ep, MsgBox::Inbox)?;
        let pick = |s: &Selections| s.get(&k.0).filter(|(n, _)| *n == k.2).map(|x| x.1.clone());
        pick(&self.known.selections).or_else(|| pick(&self.learned.selections))
    }

    /// Keep the selection derived from `ep`'s INBOX of `read` messages (when
    /// that is all of it); returns it.
    pub(crate) fn keep_selection(
        &mut self,
        ep: &Endpoint,
        read: usize,
        selection: Vec<String>,
    ) -> Arc<Vec<String>> {
        let selection = Arc::new(selection);
        if let Some(k) = fixed(ep, MsgBox::Inbox)
            && i64::try_from(read) == Ok(k.2)
        {
            self.learned
                .selections
                .insert(k.0, (k.2, selection.clone()));
        }
        selection
    }

    /// The messages of box `b` of `ep` (as this step read the endpoint): from
    /// an earlier step or this one if the box is fixed, else read.
    pub(crate) fn box_of(&mut self, ep: &Endpoint, b: MsgBox) -> Result<Arc<Vec<Message>>, Halt> {
        let key = fixed(ep, b);
        if let Some(k) = &key
            && let Some(v) = self
                .known
                .boxes
                .get(k)
                .or_else(|| self.learned.boxes.get(k))
        {
            return Ok(v);
        }
        let v = self.api.messages(&ep.endpoint_id, b)?;
        if let Some(k) = key
            && (b != MsgBox::Inbox || i64::try_from(v.len()) == Ok(k.2))
            && Boxes::small(&v)
        {
            self.learned.boxes.put(k, v.clone());
        }
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(status: EndpointStatus, inbox_count: i64) -> Endpoint {
        serde_json::from_value(serde_json::json!({
            "endpoint_id": "net-1-gw", "peer_id": "p", "description": "", "public": true,
            "size_min": 1, "size_max": 10, "endpoint_type": "SPHINXMIX",
            "endpoint_params": {}, "links": [], "status": status.as_str(),
            "inbox_hash": null, "outbox_hash": null, "process_proof": null,
            "last_consensus_id": "c", "inbox_count": inbox_count,
        }))
        .unwrap()
    }

    #[test]
    fn only_boxes_that_cannot_change_are_kept() {
        use EndpointStatus::*;
        use MsgBox::*;
        let key = |s, n, b| fixed(&ep(s, n), b).map(|k| k.2);
        assert_eq!(key(Open, 7, Inbox), Some(7));
        assert_eq!(
            key(Closed, 7, Inbox),
            None,
            "a close leaves some in the INBOX"
        );
        assert_eq!(key(Open, 7, Accepted), None);
        assert_eq!(key(Closed, 7, Accepted), Some(-1));
        assert_eq!(key(Processed, 7, Accepted), Some(-1));
        assert_eq!(
            key(Closed, 7, Processbox),
            None,
            "a PROCESSBOX grows while CLOSED"
        );
        assert_eq!(key(Closed, 7, Outbox), None);
        assert_eq!(key(Processed, 7, Outbox), Some(-1));
    }

    #[test]
    fn a_newer_content_replaces_the_older_and_the_oldest_box_goes() {
        let mut b = Boxes::default();
        let v = Arc::new(Vec::new());
        b.put(("a".into(), MsgBox::Inbox, 3), v.clone());
        b.put(("a".into(), MsgBox::Inbox, 5), v.clone());
        assert!(b.get(&("a".into(), MsgBox::Inbox, 3)).is_none());
        assert!(b.get(&("a".into(), MsgBox::Inbox, 5)).is_some());
        for id in ["b", "c", "d"] {
            b.put((id.into(), MsgBox::Outbox, -1), v.clone());
        }
        assert_eq!(b.0.len(), KEEP);
        assert!(
            b.get(&("a".into(), MsgBox::Inbox, 5)).is_none(),
            "the oldest stays"
        );
        b.forget("c");
        let big = Message {
            text: "x".repeat(SMALL_BOX + 1),
            ..serde_json::from_value(serde_json::json!({
                "id": 1, "endpoint_id": "e", "box": "OUTBOX", "serial": null,
                "sender": "", "recipient": "", "text": "", "message_hash": "h",
            }))
            .unwrap()
        };
        assert!(!Boxes::small(&[big]), "a large box is not kept whole");
        assert_eq!(b.endpoints().cloned().collect::<Vec<_>>(), ["b", "d"]);
    }
}
