//! The example kinds: each recomputed with the real code.

use crate::markdown::{Example, code_spans, unescape};
use panoramix_core::Keypair;
use panoramix_core::canonical::{self, Value};
use panoramix_core::identity::{self, Domain};
use panoramix_core::model;
use panoramix_core::negotiation;
use serde_json::Value as Json;
use std::collections::BTreeMap;

pub fn seed(s: &str) -> Result<Keypair, String> {
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
pub fn domain(label: &str) -> Option<Domain> {
    [
        Domain::Envelope,
        Domain::Contribution,
        Domain::ContributionIn,
        Domain::AuditHead,
    ]
    .into_iter()
    .find(|d| d.label() == label.as_bytes())
}

pub fn bytes_field(f: &BTreeMap<String, String>, name: &str) -> Result<Vec<u8>, String> {
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

pub fn eq<T: PartialEq + std::fmt::Debug>(what: &str, doc: T, code: T) -> Result<(), String> {
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
pub struct Ctx {
    pub consensus: Option<(String, String, BTreeMap<String, String>, String)>,
    /// The JSON text of the last `consensus-input`.
    pub consensus_input: String,
    pub request: Option<(String, String, Json)>,
    /// resource/operation of each "METHOD path" of the routes table.
    pub route_ops: BTreeMap<String, (String, String)>,
}

/// Check one example offline. Examples that need a server are checked by
/// `check_online` and pass here.
pub fn check(e: &Example, ctx: &mut Ctx) -> Result<(), String> {
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
                format!("no Domain has the label {label:?} (add it to `domain` in tests/doc_examples/kinds.rs)")
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
        "box-transfer" => box_transfer(&get),
        "takeover" => takeover(&get),
        "changes" => {
            let req = get("request")?;
            let query = req
                .strip_prefix("GET /panoramix/changes/?")
                .ok_or("request: GET /panoramix/changes/?QUERY")?;
            let (after, wait) = panoramix_core::changes::parse_query(query)?;
            eq("after", get("after")?, after.to_string())?;
            eq("wait", get("wait")?, wait.to_string())?;
            let answer = panoramix_core::changes::Changes {
                seq: after + 1,
                changed: true,
            };
            let body = serde_json::json!({ "data": answer });
            eq("response", get("response")?, body.to_string())
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
            eq("signer", v.signer_id().to_owned(), kp.key_id())?;
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
                if v.info().get(k).is_none() {
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
            "unknown kind `{other}` (the kinds are listed at the top of tests/doc_examples/main.rs)"
        )),
    }
}

/// `panoramix consensus-id` with `input` on stdin: its output.
pub fn consensus_id_cli(input: &str) -> Result<String, String> {
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
pub fn check_routes(e: &Example, ctx: &mut Ctx) -> Result<(), String> {
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
pub fn check_errors(e: &Example) -> Result<(), String> {
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

/// A message field of a box example: `""` stands for the empty string.
fn unquote(s: &str) -> String {
    if s == "\"\"" {
        String::new()
    } else {
        s.to_owned()
    }
}

/// docs/protocol.md §5.9: the INBOX a take-over makes and the request's data.
fn takeover(get: &dyn Fn(&str) -> Result<String, String>) -> Result<(), String> {
    let mut hashes = Vec::new();
    for i in 1..=2 {
        let m = get(&format!("message {i}"))?;
        let p: Vec<&str> = m.split(' ').collect();
        let [sender, recipient, text] = p[..] else {
            return Err(format!("message {i}: sender recipient text"));
        };
        let h = model::message_hash(None, &unquote(sender), &unquote(recipient), &unquote(text));
        eq(&format!("hash {i}"), get(&format!("hash {i}"))?, h.clone())?;
        hashes.push(h);
    }
    let bh = panoramix_core::boxes::box_hash(&hashes);
    eq("box_hash", get("box_hash")?, bh.clone())?;
    let data = serde_json::json!({"endpoint_id": get("endpoint")?, "sources": [get("source")?],
        "count": 2, "box_hash": bh});
    eq("data", get("data")?, data.to_string())
}

/// docs/protocol.md §5.8: the frames, hashes and bytes of a box transfer.
fn box_transfer(get: &dyn Fn(&str) -> Result<String, String>) -> Result<(), String> {
    use panoramix_core::boxes::{self, Frame};
    let bx = model::MsgBox::parse(&get("box")?).ok_or("box: not a box")?;
    let mut frames = Vec::new();
    for i in 1..=2 {
        let m = get(&format!("message {i}"))?;
        let p: Vec<&str> = m.split(' ').collect();
        let [id, serial, sender, recipient, text] = p[..] else {
            return Err(format!("message {i}: id serial sender recipient text"));
        };
        frames.push(Frame {
            id: id.parse().map_err(|e| format!("id: {e}"))?,
            serial: Some(serial.parse().map_err(|e| format!("serial: {e}"))?),
            sender: unquote(sender),
            recipient: unquote(recipient),
            text: unquote(text),
        });
    }
    let hashes: Vec<String> = frames.iter().map(Frame::message_hash).collect();
    eq("hash 1", get("hash 1")?, hashes[0].clone())?;
    eq("hash 2", get("hash 2")?, hashes[1].clone())?;
    let mut labelled = b"panoramix/v1/box\0".to_vec();
    labelled.extend(hashes.concat().into_bytes());
    eq(
        "box_hash (§5.8 formula)",
        get("box_hash")?,
        identity::sha256_hex(&labelled),
    )?;
    eq("box_hash", get("box_hash")?, boxes::box_hash(&hashes))?;
    let down = get("download")?;
    eq(
        "download",
        down.clone(),
        boxes::encode_download(&frames, &hashes, None),
    )?;
    let back = boxes::decode(down.as_bytes(), false, 2).map_err(|e| e.to_string())?;
    eq("download decoded", &back.frames, &frames)?;
    for f in &mut frames {
        f.id = 0;
    }
    eq("upload", get("upload")?, boxes::encode_upload("E", &frames))?;
    let data = boxes::upload_data(&get("endpoint")?, bx, &frames);
    eq("data", get("data")?, data.to_string())
}
