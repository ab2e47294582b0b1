//! Known-answer tests over the documentation's own text: every byte-level example
//! in docs/protocol.md and docs/api.md is recomputed with the real code and
//! compared byte for byte, so that the next drift between the docs and the code
//! fails here (issue 12: protocol.md's example for 2^64 − 1 had lost its type tag).
//!
//! # The marker convention
//!
//! An example is the fenced block or the table that follows a line
//!
//! ```text
//! <!-- kat: KIND ARGS -->
//! ```
//!
//! (blank lines between are allowed). Blocks of `name: value` lines hold C-style
//! strings (`\n` is a newline). The kinds:
//!
//! | kind | what is checked |
//! |---|---|
//! | `canonical` | a table: each `` `JSON` `` of the first column encodes to the second column's bytes, which decode strictly back |
//! | `canonical-hex JSON` | a hex dump of the canonical bytes of `JSON` |
//! | `key` | `secret` (64 hex) → `key_data` → `key_id` (any two of them) |
//! | `signature` | `secret`, `label`, one of `message` / `message_json` (canonical of) / `message_hex`, `signature` (Ed25519 is deterministic); optional `key_data` |
//! | `sha256` | optional `label` (hashes `label \|\| 0x00 \|\| input`), one of `input` / `input_json` / `input_hex`, `hash` |
//! | `joint-peer` | `name`, optional `owner_seeds`, `owners`, `key_data`, `peer_id` |
//! | `message-hash` | `serial`, `sender`, `recipient`, `text`, `canonical`, `hash` |
//! | `consensus-input seeds=S,.. label=L?` | the JSON record `panoramix consensus-id` reads; each signing verifies and is the deterministic contribution signature (§3.1; label `L`, default `panoramix/v1/contribution-in`) of one of the seeds |
//! | `consensus-record` | the canonical record of the last `consensus-input` (line breaks after each `\n` are for reading) |
//! | `consensus-id` | the id of the last `consensus-input`, also as the real `panoramix consensus-id` prints it |
//! | `request METHOD PATH seed=S` | a signed envelope: it verifies, is signed by seed S, names the route's resource/operation (the routes table); its `data` is accepted by a real server |
//! | `response STATUS` | the answer to the last `request`: a real server gives the same `data` (message hashes recomputed) |
//! | `error STATUS` | an error body: code, status and (for fixed messages) message of an `ApiError` |
//! | `controller-info` | `GET /panoramix/controller/` of a real server: the same keys, the same `limits` |
//! | `config` | the defaults table: each field the controller reports in `limits` has the default a real server reports |
//! | `healthz` | `GET /healthz` of a real server, exactly |
//! | `audit-page seed=S?` | a `GET /panoramix/audit/` answer: the records verify as `panoramix audit verify` checks them (from entry 1), the head's signature verifies and names the last entry; optionally the first entry is signed by seed S |
//! | `routes` | the routes table against the router's table (`panoramix_controller::allowed_methods`) |
//! | `errors` | the error table against every `ApiError` variant |
//!
//! A seed `S` is 64 hex characters, or 2 that are repeated 32 times (`02` is the
//! key with secret `0x02`×32). Outside marked examples, a doc must not hold a run
//! of 32 or more hex digits, a hex dump, or a code span that is a canonical
//! encoding, unless the same text is inside a marked example: so a new example
//! cannot slip in untested.
mod common;

use panoramix_core::Keypair;
use panoramix_core::canonical::{self, Value};
use panoramix_core::identity::{self, Domain};
use panoramix_core::model;
use panoramix_core::negotiation;
use serde_json::{Value as Json, json};
use std::collections::BTreeMap;

const DOCS: &[&str] = &["docs/protocol.md", "docs/api.md"];

/// A marked example.
#[derive(Debug, Clone)]
struct Example {
    doc: String,
    /// 1-based line of the marker.
    line: usize,
    kind: String,
    args: Vec<String>,
    /// The fenced block's content, or the table's lines.
    text: String,
    table: bool,
}

impl Example {
    fn at(&self) -> String {
        format!("{}:{} ({})", self.doc, self.line, self.kind)
    }
    fn arg(&self, name: &str) -> Option<String> {
        self.args
            .iter()
            .find_map(|a| a.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }
    /// `name: value` lines (values trimmed; C-style escapes undone).
    fn fields(&self) -> BTreeMap<String, String> {
        self.text
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_owned(), unescape(v.trim())))
            })
            .collect()
    }
}

/// A doc's examples and, for the unmarked check, its lines outside them.
struct Parsed {
    examples: Vec<Example>,
    /// (line number, text) of every line not inside a marked example.
    unmarked: Vec<(usize, String)>,
    /// All the text inside marked examples.
    marked_text: String,
}

fn parse(doc: &str, src: &str) -> Result<Parsed, String> {
    let lines: Vec<&str> = src.lines().collect();
    let mut examples = Vec::new();
    let mut unmarked = Vec::new();
    let mut marked_text = String::new();
    let mut i = 0;
    let mut in_fence = false;
    while i < lines.len() {
        let l = lines[i];
        if l.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let marker = l
            .trim()
            .strip_prefix("<!-- kat:")
            .and_then(|r| r.strip_suffix("-->"));
        if marker.is_none() && !in_fence && l.trim_start().starts_with("<!-- kat") {
            return Err(format!(
                "{doc}:{}: a marker is one line `<!-- kat: KIND ARGS -->`",
                i + 1
            ));
        }
        let Some(marker) = marker.filter(|_| !in_fence) else {
            unmarked.push((i + 1, l.to_owned()));
            i += 1;
            continue;
        };
        let mut words = marker.split_whitespace();
        let kind = words.next().unwrap_or_default().to_owned();
        let rest: Vec<String> = words.map(str::to_owned).collect();
        let line = i + 1;
        i += 1;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let (text, table) = if i < lines.len() && lines[i].trim_start().starts_with("```") {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && !lines[end].trim_start().starts_with("```") {
                end += 1;
            }
            if end == lines.len() {
                return Err(format!("{doc}:{line}: unterminated block"));
            }
            i = end + 1;
            (lines[start..end].join("\n"), false)
        } else if i < lines.len() && lines[i].trim_start().starts_with('|') {
            let start = i;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                i += 1;
            }
            (lines[start..i].join("\n"), true)
        } else {
            return Err(format!(
                "{doc}:{line}: a `kat` marker must be followed by a fenced block or a table"
            ));
        };
        marked_text.push_str(&text);
        marked_text.push('\n');
        examples.push(Example {
            doc: doc.to_owned(),
            line,
            kind,
            args: rest,
            text,
            table,
        });
    }
    Ok(Parsed {
        examples,
        unmarked,
        marked_text,
    })
}

/// Undo C-style escapes: `\n`, `\t`, `\\`, `\"`, `\0`, `\xNN`.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('x') => {
                let h: String = it.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&h, 16).unwrap_or(b'?')));
            }
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// The inline code spans of a line.
fn code_spans(line: &str) -> Vec<String> {
    line.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

fn seed(s: &str) -> Result<Keypair, String> {
    let s = if s.len() == 2 {
        s.repeat(32)
    } else {
        s.to_owned()
    };
    let b: [u8; 32] = hex::decode(&s)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| format!("seed {s} is not 32 bytes of hex"))?;
    Ok(Keypair::from_secret(&b))
}

/// The signing domain of a label (every label of `identity::Domain`).
fn domain(label: &str) -> Option<Domain> {
    [
        Domain::Envelope,
        Domain::Contribution,
        Domain::ContributionIn,
        Domain::AuditHead,
    ]
    .into_iter()
    .find(|d| d.label() == label.as_bytes())
}

fn bytes_field(f: &BTreeMap<String, String>, name: &str) -> Result<Vec<u8>, String> {
    if let Some(m) = f.get(name) {
        return Ok(m.as_bytes().to_vec());
    }
    if let Some(j) = f.get(&format!("{name}_json")) {
        let v: Json = serde_json::from_str(j).map_err(|e| format!("{name}_json: {e}"))?;
        return canonical::encode_json(&v).map_err(|e| format!("{name}_json: {e}"));
    }
    if let Some(h) = f.get(&format!("{name}_hex")) {
        return hex::decode(h).map_err(|e| format!("{name}_hex: {e}"));
    }
    Err(format!("needs `{name}`, `{name}_json` or `{name}_hex`"))
}

fn eq<T: PartialEq + std::fmt::Debug>(what: &str, doc: T, code: T) -> Result<(), String> {
    if doc == code {
        Ok(())
    } else {
        Err(format!(
            "{what}: the doc says {doc:?}, the code gives {code:?}"
        ))
    }
}

/// State carried from one example to the next (a response answers the request
/// before it; a consensus id is that of the input before it).
#[derive(Default)]
struct Ctx {
    consensus: Option<(String, String, BTreeMap<String, String>, String)>,
    /// The JSON text of the last `consensus-input`.
    consensus_input: String,
    request: Option<(String, String, Json)>,
    /// resource/operation of each "METHOD path" of the routes table.
    route_ops: BTreeMap<String, (String, String)>,
}

/// Check one example offline. Examples that need a server are checked by
/// `check_online` and pass here.
fn check(e: &Example, ctx: &mut Ctx) -> Result<(), String> {
    let f = e.fields();
    let get = |k: &str| f.get(k).cloned().ok_or_else(|| format!("missing `{k}`"));
    match e.kind.as_str() {
        "canonical" => {
            if !e.table {
                return Err("`canonical` is a table".into());
            }
            for row in e.text.lines().skip(2) {
                let cells: Vec<&str> = row.split('|').collect();
                if cells.len() < 4 {
                    return Err(format!("row `{row}`: two columns expected"));
                }
                let expected = code_spans(cells[2])
                    .first()
                    .map(|s| unescape(s))
                    .ok_or_else(|| format!("row `{row}`: no bytes"))?;
                let values = code_spans(cells[1]);
                if values.is_empty() {
                    return Err(format!("row `{row}`: no value"));
                }
                for v in values {
                    let j: Json =
                        serde_json::from_str(&v).map_err(|e| format!("`{v}` is not JSON: {e}"))?;
                    let cv = canonical::from_json(&j).map_err(|e| format!("`{v}`: {e}"))?;
                    eq(
                        &format!("canonical({v})"),
                        expected.as_str(),
                        &String::from_utf8_lossy(&canonical::encode(&cv)),
                    )?;
                    eq(
                        &format!("decode of the bytes of {v}"),
                        Ok(cv),
                        canonical::decode(expected.as_bytes()).map_err(|e| e.to_string()),
                    )?;
                }
            }
            Ok(())
        }
        "canonical-hex" => {
            let j: Json = serde_json::from_str(&e.args.join(" "))
                .map_err(|err| format!("the marker's JSON: {err}"))?;
            let bytes = canonical::encode_json(&j).map_err(|err| err.to_string())?;
            let dump: String = e.text.split_whitespace().collect();
            eq("hex dump", dump, hex::encode(bytes))
        }
        "key" => {
            let key_data = match f.get("secret") {
                Some(s) => {
                    let kp = Keypair::from_secret_hex(s).map_err(|e| format!("secret: {e}"))?;
                    eq("key_data", get("key_data")?, kp.key_data())?;
                    kp.key_data()
                }
                None => get("key_data")?,
            };
            eq(
                "key_id",
                get("key_id")?,
                identity::key_id(&key_data).map_err(|e| e.to_string())?,
            )
        }
        "signature" => {
            let kp = seed(&get("secret")?)?;
            let label = get("label")?;
            let d = domain(&label).ok_or_else(|| {
                format!("no Domain has the label {label:?} (add it to `domain` in tests/doc_examples.rs)")
            })?;
            if let Some(k) = f.get("key_data") {
                eq("key_data", k.clone(), kp.key_data())?;
            }
            let msg = bytes_field(&f, "message")?;
            eq("signature", get("signature")?, kp.sign(d, &msg))
        }
        "sha256" => {
            let mut input = Vec::new();
            if let Some(l) = f.get("label") {
                input.extend_from_slice(l.as_bytes());
                input.push(0);
            }
            input.extend(bytes_field(&f, "input")?);
            eq("hash", get("hash")?, identity::sha256_hex(&input))
        }
        "joint-peer" => {
            let owners: Vec<String> = get("owners")?
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            if let Some(seeds) = f.get("owner_seeds") {
                let ids = seeds
                    .split_whitespace()
                    .map(|s| seed(s).map(|k| k.key_id()))
                    .collect::<Result<Vec<_>, _>>()?;
                eq("owners (key ids of owner_seeds)", owners.clone(), ids)?;
            }
            let kd = identity::joint_key_data(&get("name")?, &owners);
            eq("key_data", get("key_data")?, kd.clone())?;
            eq(
                "peer_id",
                Some(get("peer_id")?),
                identity::joint_peer_id(&kd),
            )
        }
        "message-hash" => {
            let serial = match get("serial")?.as_str() {
                "null" => None,
                s => Some(s.parse::<i64>().map_err(|e| format!("serial: {e}"))?),
            };
            let (sender, recipient, text) = (get("sender")?, get("recipient")?, get("text")?);
            let list = Value::List(vec![
                serial.map_or(Value::Null, |s| Value::Int(i128::from(s))),
                Value::str(sender.as_str()),
                Value::str(recipient.as_str()),
                Value::str(text.as_str()),
            ]);
            eq(
                "canonical",
                get("canonical")?,
                canonical::encode_string(&list),
            )?;
            eq(
                "hash",
                get("hash")?,
                model::message_hash(serial, &sender, &recipient, &text),
            )?;
            let mut labelled = b"panoramix/v1/message\0".to_vec();
            labelled.extend(list.encode());
            eq(
                "hash (§5.5 formula)",
                get("hash")?,
                identity::sha256_hex(&labelled),
            )
        }
        "consensus-input" => {
            let j: Json = serde_json::from_str(&e.text).map_err(|e| format!("not JSON: {e}"))?;
            let s = |k: &str| {
                j[k].as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("`{k}` must be a string"))
            };
            let (nid, text, ts) = (s("negotiation_id")?, s("text")?, s("timestamp")?);
            let signings: BTreeMap<String, String> = j["signings"]
                .as_object()
                .ok_or("`signings` must be an object")?
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let seeds = e
                .arg("seeds")
                .ok_or("`consensus-input` needs seeds=.. (the signers' secret keys)")?;
            let keys = seeds.split(',').map(seed).collect::<Result<Vec<_>, _>>()?;
            // the contribution label (§3.1): bound to the negotiation by default,
            // `label=panoramix/v1/contribution` for a legacy signature of the text
            let label = e
                .arg("label")
                .unwrap_or_else(|| "panoramix/v1/contribution-in".into());
            let d = domain(&label).ok_or_else(|| format!("no Domain has the label {label}"))?;
            let msg = if d == Domain::Contribution {
                text.as_bytes().to_vec()
            } else {
                negotiation::contribution_message(&nid, &text)
            };
            for (signer, sig) in &signings {
                let kp = keys
                    .iter()
                    .find(|k| k.key_id() == *signer)
                    .ok_or_else(|| format!("no seed has the key id {signer}"))?;
                eq(
                    &format!("signature of {signer}"),
                    sig.clone(),
                    kp.sign(d, &msg),
                )?;
                kp.public()
                    .verify(d, &msg, sig)
                    .map_err(|e| format!("signature of {signer}: {e}"))?;
            }
            ctx.consensus = Some((nid, text, signings, ts));
            ctx.consensus_input = e.text.clone();
            Ok(())
        }
        "consensus-record" => {
            let (nid, text, signings, ts) = ctx
                .consensus
                .as_ref()
                .ok_or("no `consensus-input` before")?;
            // the doc breaks the lines after each `\n` for reading
            let joined: String = e.text.lines().collect();
            eq(
                "canonical record",
                unescape(&joined),
                canonical::encode_string(&negotiation::consensus_record(nid, text, signings, ts)),
            )
        }
        "consensus-id" => {
            let (nid, text, signings, ts) = ctx
                .consensus
                .as_ref()
                .ok_or("no `consensus-input` before")?;
            eq(
                "consensus id",
                e.text.trim().to_owned(),
                negotiation::consensus_id(nid, text, signings, ts),
            )?;
            eq(
                "what `panoramix consensus-id` prints",
                e.text.trim().to_owned(),
                consensus_id_cli(&ctx.consensus_input)?,
            )
        }
        "request" => {
            let (method, path) = match e.args.as_slice() {
                [m, p, ..] => (m.clone(), p.clone()),
                _ => return Err("`request METHOD PATH seed=S`".into()),
            };
            let j: Json = serde_json::from_str(&e.text).map_err(|e| format!("not JSON: {e}"))?;
            let v = panoramix_core::envelope::verify(&j)
                .map_err(|err| format!("the envelope does not verify: {err}"))?;
            let kp = seed(&e.arg("seed").ok_or("`request` needs seed=S")?)?;
            eq(
                "meta.key_data",
                j["meta"]["key_data"].as_str(),
                Some(kp.key_data().as_str()),
            )?;
            eq("signer", v.signer_id.clone(), kp.key_id())?;
            // the signature is the deterministic one over canonical {data, info}
            let signed = Json::Object(
                j.as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(k, _)| *k != "meta")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            );
            let bytes = canonical::encode_json(&signed).map_err(|e| e.to_string())?;
            eq(
                "meta.signature",
                j["meta"]["signature"].as_str().map(str::to_owned),
                Some(kp.sign(Domain::Envelope, &bytes)),
            )?;
            let route = format!("{method} {}", path.trim_end_matches('/'));
            let (res, op) = ctx
                .route_ops
                .get(&route)
                .ok_or_else(|| format!("{route} is not in the routes table with an operation"))?;
            eq("info.resource", v.info_str("resource"), Some(res.as_str()))?;
            eq("info.operation", v.info_str("operation"), Some(op.as_str()))?;
            for k in ["controller", "nonce", "ts"] {
                if v.info.get(k).is_none() {
                    return Err(format!("info.{k} is missing"));
                }
            }
            ctx.request = Some((method, path, j));
            Ok(())
        }
        "response" => {
            let j: Json = serde_json::from_str(&e.text).map_err(|e| format!("not JSON: {e}"))?;
            let (_, _, req) = ctx.request.as_ref().ok_or("no `request` before")?;
            let d = &j["data"];
            for (k, v) in req["data"].as_object().into_iter().flatten() {
                eq(&format!("data.{k} (as sent)"), &d[k], v)?;
            }
            if let Some(h) = d["message_hash"].as_str() {
                let s = |k: &str| d[k].as_str().unwrap_or_default();
                eq(
                    "message_hash",
                    h.to_owned(),
                    model::message_hash(
                        d["serial"].as_i64(),
                        s("sender"),
                        s("recipient"),
                        s("text"),
                    ),
                )?;
            }
            Ok(())
        }
        "error" => {
            let j: Json = serde_json::from_str(&e.text).map_err(|e| format!("not JSON: {e}"))?;
            let code = j["error"]["code"].as_str().ok_or("no error.code")?;
            let err = panoramix_controller::error::all_examples()
                .into_iter()
                .find(|x| x.code() == code)
                .ok_or_else(|| format!("no ApiError has the code {code}"))?;
            let status: u16 = e
                .args
                .first()
                .and_then(|s| s.parse().ok())
                .ok_or("`error STATUS`")?;
            eq("status", status, err.status())?;
            // variants whose message is fixed: the whole body, byte for byte
            if !err.to_string().is_empty() {
                eq("body", j, err.body())?;
            }
            Ok(())
        }
        "audit-page" => {
            let j: Json = serde_json::from_str(&e.text).map_err(|e| format!("not JSON: {e}"))?;
            let records: Vec<panoramix_controller::audit::Record> =
                serde_json::from_value(j["data"].clone()).map_err(|e| format!("data: {e}"))?;
            if records.is_empty() {
                return Err("no records".into());
            }
            // the chain, the hashes, every signature (§7.4), from entry 1
            let s = panoramix_controller::audit::verify_log(&records)
                .map_err(|b| format!("the log does not verify: {b}"))?;
            let head = &j["head"];
            if !panoramix_controller::verify_head(head) {
                return Err("the head's signature does not verify".into());
            }
            eq("head.seq", head["seq"].as_i64(), Some(s.entries as i64))?;
            eq("head.hash", head["hash"].as_str(), Some(s.head.as_str()))?;
            for r in &records {
                let entry = canonical::decode(r.entry.as_bytes()).map_err(|e| e.to_string())?;
                let d = entry.as_dict().ok_or("an entry is a dict")?;
                // a signed entry: its signer is the key id of its key_data
                if let (Some(Value::Str(k)), Some(Value::Str(signer))) =
                    (d.get("key_data"), d.get("signer"))
                {
                    eq(
                        "signer",
                        signer.clone(),
                        identity::key_id(k).map_err(|e| e.to_string())?,
                    )?;
                }
            }
            if let Some(sd) = e.arg("seed") {
                let kp = seed(&sd)?;
                let first =
                    canonical::decode(records[0].entry.as_bytes()).map_err(|e| e.to_string())?;
                eq(
                    "the first entry's key",
                    first.get("key_data").and_then(Value::as_str),
                    Some(kp.key_data().as_str()),
                )?;
            }
            Ok(())
        }
        "routes" => check_routes(e, ctx),
        "errors" => check_errors(e),
        // need a server: `check_online`
        "controller-info" | "healthz" | "config" => Ok(()),
        other => Err(format!(
            "unknown kind `{other}` (the kinds are listed at the top of tests/doc_examples.rs)"
        )),
    }
}

/// `panoramix consensus-id` with `input` on stdin: its output.
fn consensus_id_cli(input: &str) -> Result<String, String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_panoramix"))
        .arg("consensus-id")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("stdin")?
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "panoramix consensus-id failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The routes table: every row is a route the router takes with that method, and
/// every method of every route is in the table.
fn check_routes(e: &Example, ctx: &mut Ctx) -> Result<(), String> {
    let mut by_path: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in e.text.lines().skip(2) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let method = cells.get(1).ok_or("no method")?.to_string();
        let path = code_spans(cells.get(2).ok_or("no path")?)
            .first()
            .cloned()
            .ok_or("no path")?;
        // `{id}` stands for any segment, `?query` is not part of the path
        let path = path
            .split('?')
            .next()
            .unwrap_or_default()
            .replace(['{', '}'], "");
        let allowed = panoramix_controller::allowed_methods(&path)
            .ok_or_else(|| format!("{path} is not a route of the router"))?;
        if !allowed.contains(&method.as_str()) {
            return Err(format!(
                "{method} {path}: the router allows only {allowed:?}"
            ));
        }
        let ops = code_spans(cells.get(3).copied().unwrap_or_default());
        if let [r, o] = ops.as_slice() {
            ctx.route_ops.insert(
                format!("{method} {}", path.trim_end_matches('/')),
                (r.clone(), o.clone()),
            );
        }
        by_path.entry(path).or_default().push(method);
    }
    for (path, mut methods) in by_path {
        methods.sort();
        let mut allowed: Vec<String> = panoramix_controller::allowed_methods(&path)
            .unwrap_or_default()
            .iter()
            .map(|m| m.to_string())
            .collect();
        allowed.sort();
        eq(&format!("methods of {path}"), methods, allowed)?;
    }
    Ok(())
}

/// The error table: one row per `ApiError` variant, with its status and code.
fn check_errors(e: &Example) -> Result<(), String> {
    let all = panoramix_controller::error::all_examples();
    let mut seen = Vec::new();
    for row in e.text.lines().skip(2) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let name = code_spans(cells.get(1).copied().unwrap_or_default())
            .first()
            .cloned()
            .ok_or_else(|| format!("row `{row}`: no variant"))?;
        let err = all
            .iter()
            .find(|x| {
                let d = format!("{x:?}");
                d == name || d.starts_with(&format!("{name}("))
            })
            .ok_or_else(|| format!("no ApiError::{name}"))?;
        let status: u16 = cells.get(2).and_then(|s| s.parse().ok()).unwrap_or(0);
        eq(&format!("status of {name}"), status, err.status())?;
        eq(
            &format!("code of {name}"),
            code_spans(cells.get(3).copied().unwrap_or_default())
                .first()
                .cloned(),
            Some(err.code().to_owned()),
        )?;
        seen.push(err.code());
    }
    for x in &all {
        if !seen.contains(&x.code()) {
            return Err(format!("ApiError {x:?} is not in the table"));
        }
    }
    Ok(())
}

/// Whether a piece of doc text outside the marked examples looks like a byte-level
/// example: returns what it found.
fn unmarked_findings(p: &Parsed) -> Vec<String> {
    let mut out = Vec::new();
    let known = |s: &str| p.marked_text.contains(s);
    for (n, line) in &p.unmarked {
        // runs of 32+ hex digits: hashes, keys, signatures, nonces
        let mut run = String::new();
        for c in line.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
                run.push(c);
                continue;
            }
            if run.len() >= 32 && !c.is_ascii_alphanumeric() && !known(&run) {
                out.push(format!("line {n}: hex value {run}"));
            }
            if c.is_ascii_alphanumeric() {
                // part of a longer word (base64url, identifiers): not a hex value
                run.clear();
                run.push('x');
            } else {
                run.clear();
            }
        }
        // hex dumps
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.len() >= 8
            && toks
                .iter()
                .all(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit()))
            && !known(line.trim())
        {
            out.push(format!("line {n}: hex dump"));
        }
        // code spans that are canonical encodings
        for span in code_spans(line) {
            let bytes = unescape(&span);
            let trivial = matches!(bytes.as_str(), "null" | "[\n]\n" | "{\n}\n");
            // a scalar's encoding, right or wrong: `LL N 0 S` / `LL N _ ...` spelled
            // in hex digits, `_` and `-` (the old §1.3 row `0210ffff…` did not decode)
            let scalar_like = span.len() >= 5
                && span.starts_with('0')
                && span.bytes().all(|b| {
                    b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'_' || b == b'-'
                });
            let decodes = canonical::decode(bytes.as_bytes()).is_ok();
            if !trivial && (decodes || scalar_like) && !known(&span) {
                out.push(format!("line {n}: canonical encoding `{span}`"));
            }
        }
    }
    out
}

fn read_doc(doc: &str) -> Parsed {
    // DOC_EXAMPLES_ROOT: check the docs of another checkout (e.g. an older one)
    let root = std::env::var("DOC_EXAMPLES_ROOT")
        .unwrap_or_else(|_| env!("CARGO_MANIFEST_DIR").to_owned());
    let path = std::path::Path::new(&root).join(doc);
    let src = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{doc}: {e}"));
    parse(doc, &src).unwrap_or_else(|e| panic!("{e}"))
}

/// Check every example of every doc offline; returns the examples and the failures.
fn check_all() -> (Vec<Example>, Vec<String>) {
    let mut all = Vec::new();
    let mut failures = Vec::new();
    let mut ctx = Ctx::default();
    // api.md's request example names its route from the routes table
    let mut docs: Vec<Parsed> = DOCS.iter().map(|d| read_doc(d)).collect();
    for p in &mut docs {
        p.examples.sort_by_key(|e| (e.kind != "routes", e.line));
    }
    for p in &docs {
        for e in &p.examples {
            if let Err(m) = check(e, &mut ctx) {
                failures.push(format!("{}: {m}", e.at()));
            }
            all.push(e.clone());
        }
    }
    (all, failures)
}

#[test]
fn every_marked_example_in_the_docs_recomputes() {
    let (examples, failures) = check_all();
    assert!(
        failures.is_empty(),
        "examples that do not match the code:\n{}",
        failures.join("\n")
    );
    // the examples this test was written against are all still there
    for kind in [
        "canonical",
        "canonical-hex",
        "key",
        "joint-peer",
        "message-hash",
        "consensus-input",
        "consensus-record",
        "consensus-id",
        "request",
        "response",
        "error",
        "controller-info",
        "healthz",
        "routes",
        "errors",
        "audit-page",
        "signature",
        "config",
    ] {
        assert!(
            examples.iter().any(|e| e.kind == kind),
            "no `{kind}` example left in the docs"
        );
    }
}

#[test]
fn no_byte_example_in_the_docs_is_left_unmarked() {
    let mut found = Vec::new();
    for doc in DOCS {
        for f in unmarked_findings(&read_doc(doc)) {
            found.push(format!("{doc}: {f}"));
        }
    }
    assert!(
        found.is_empty(),
        "byte-level examples outside a `<!-- kat: KIND -->` block (mark them, see tests/doc_examples.rs):\n{}",
        found.join("\n")
    );
}

/// The checker itself fails on wrong examples: the bytes protocol.md §1.3 used to
/// give for 2^64 − 1 (without the `0` type tag), a flipped hash, an unmarked key.
#[test]
fn the_checks_catch_drift() {
    let table = "<!-- kat: canonical -->\n| value | bytes |\n|---|---|\n| `18446744073709551615` | `0210ffffffffffffffff` |\n";
    let p = parse("t.md", table).unwrap();
    assert!(check(&p.examples[0], &mut Ctx::default()).is_err());
    let fixed = table.replace("0210ffff", "02100ffff");
    let p = parse("t.md", &fixed).unwrap();
    check(&p.examples[0], &mut Ctx::default()).unwrap();

    let key = "<!-- kat: key -->\n```\nsecret: 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60\nkey_data: d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a\nkey_id: 4c91ecbc2a09d1b1ffdd9843955c2eb1fd347ffa6785e9ab3ceee5d2fc8b961c\n```\n";
    let p = parse("t.md", key).unwrap();
    assert!(check(&p.examples[0], &mut Ctx::default()).is_err());

    let unmarked = "The key id is\n\n```\n4c91ecbc2a09d1b1ffdd9843955c2eb1fd347ffa6785e9ab3ceee5d2fc8b961b\n```\nand `013_abc` encodes \"abc\", `0210ffffffffffffffff` 2^64 - 1.\n";
    let p = parse("t.md", unmarked).unwrap();
    assert_eq!(
        unmarked_findings(&p).len(),
        3,
        "{:?}",
        unmarked_findings(&p)
    );
    // the same value inside a marked example is fine, and so is a reference to it
    let marked = format!(
        "{key}\nIts id `4c91ecbc2a09d1b1ffdd9843955c2eb1fd347ffa6785e9ab3ceee5d2fc8b961c`.\n"
    );
    assert!(unmarked_findings(&parse("t.md", &marked).unwrap()).is_empty());
}

/// The examples that need a running server: `GET /panoramix/controller/` (same keys,
/// same limits), `GET /healthz`, and the request example's `data` posted by its
/// signer to a real server (same answer).
#[test]
fn api_md_examples_match_a_real_server() {
    let dir = tempfile::tempdir().unwrap();
    let srv = common::TestServer::start(dir.path());
    let (examples, _) = check_all();
    let agent = panoramix_client::agent();
    let get = |path: &str| -> Json {
        agent
            .get(&format!("{}{path}", srv.url))
            .call()
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
            .into_json()
            .unwrap()
    };
    let mut request: Option<&Example> = None;
    let mut checked = 0;
    for e in &examples {
        let doc: Json = match e.kind.as_str() {
            "config" => Json::Null,
            "controller-info" | "healthz" | "request" | "response" => {
                serde_json::from_str(&e.text).unwrap_or_else(|err| panic!("{}: {err}", e.at()))
            }
            _ => continue,
        };
        match e.kind.as_str() {
            "controller-info" => {
                let got = get("/panoramix/controller/");
                let keys = |j: &Json| j.as_object().map(|o| o.keys().cloned().collect::<Vec<_>>());
                assert_eq!(keys(&doc["data"]), keys(&got["data"]), "{}: fields", e.at());
                assert_eq!(
                    doc["data"]["limits"],
                    got["data"]["limits"],
                    "{}: limits",
                    e.at()
                );
            }
            "healthz" => {
                assert_eq!(doc, get("/healthz"), "{}", e.at());
            }
            "config" => {
                // every default of the table that the controller reports in `limits`
                let limits = get("/panoramix/controller/")["data"]["limits"].clone();
                let mut matched = 0;
                for row in e.text.lines().skip(2) {
                    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
                    let Some(field) = code_spans(cells.get(1).copied().unwrap_or_default())
                        .first()
                        .cloned()
                    else {
                        continue;
                    };
                    let Some(want) = limits.get(&field).and_then(Json::as_i64) else {
                        continue;
                    };
                    // "8 MiB (8 388 608)" or "100 000": the number in parentheses, else the cell
                    let cell = cells.get(2).copied().unwrap_or_default();
                    let num = cell
                        .split_once('(')
                        .map_or(cell, |(_, r)| r.split(')').next().unwrap_or_default());
                    let digits: String = num.chars().filter(|c| !c.is_whitespace()).collect();
                    assert_eq!(
                        digits.parse::<i64>().ok(),
                        Some(want),
                        "{}: default of {field}",
                        e.at()
                    );
                    matched += 1;
                }
                assert!(matched >= 4, "{}: only {matched} defaults checked", e.at());
            }
            "request" => request = Some(e),
            "response" => {
                let req = request.unwrap_or_else(|| panic!("{}: no request before", e.at()));
                let sent: Json = serde_json::from_str(&req.text).unwrap();
                let got = replay(&srv, req, &sent);
                assert_eq!(got, doc, "{}: the server's answer to the request", e.at());
            }
            _ => continue,
        }
        checked += 1;
    }
    assert!(
        checked >= 3,
        "controller-info, healthz and a request were checked"
    );
}

/// Post the example request's `data` as its signer would to `srv` (fresh `info`:
/// this controller, a new nonce and time), after creating what it refers to (a
/// public endpoint for a message); returns the answer.
fn replay(srv: &common::TestServer, req: &Example, sent: &Json) -> Json {
    let kp = seed(&req.arg("seed").unwrap()).unwrap();
    let client = panoramix_client::Client::connect(&srv.url, kp).unwrap();
    let data = sent["data"].clone();
    if let Some(ep) = data["endpoint_id"].as_str() {
        let owner = common::peer(srv, "owner");
        let action = owner.endpoint_action(&json!({"endpoint_id": ep, "peer_id": owner.id(),
            "public": true, "endpoint_type": "SPHINXMIX_GATEWAY"}));
        let cid = owner
            .self_consensus("endpoint", std::slice::from_ref(&action))
            .expect("consensus");
        owner
            .apply(&action, &cid, None)
            .expect("create the endpoint");
    }
    let info = client.info(
        sent["info"]["resource"].as_str().unwrap(),
        sent["info"]["operation"].as_str().unwrap(),
        serde_json::Map::new(),
    );
    let body = client.envelope(data, info, None).unwrap().to_string();
    let method = &req.args[0];
    match client.send_raw(method, &req.args[1], body.as_bytes()) {
        Ok(j) => j,
        Err(e) => panic!("{}: the server refused the example's data: {e}", req.at()),
    }
}
