//! SPHINXMIX: mix keys, packets, SURBs, gateway admission and batch processing.
//!
//! Parameters are the mix-net's `{BODY_LEN, MAX_HOPS}` (or the crate's
//! `{BODY_LEN, HEADER_LEN}`); missing fields take the defaults (1024, 5). Routes are
//! lists of mix public keys (64 hex each), in hop order.

#[cfg(feature = "client")]
use crate::bytes_of;
use crate::error::{Error, Result};
use crate::{from_js, to_js};
use panoramix_sphinx as sphinx;
use rand_core::OsRng;
use serde::Serialize;
use serde_json::Value as Json;
use wasm_bindgen::prelude::*;

/// Parameters from `{BODY_LEN, MAX_HOPS}` or `{BODY_LEN, HEADER_LEN}`.
pub fn params_of(p: &Json) -> Result<sphinx::SphinxParams> {
    let d = sphinx::SphinxParams::default();
    let get = |k: &str| -> Result<Option<usize>> {
        match p.get(k) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .and_then(|v| usize::try_from(v).ok())
                .map(Some)
                .ok_or_else(|| {
                    Error::new("endpoint_params", format!("{k} must be a positive integer"))
                }),
        }
    };
    let body = get("BODY_LEN")?.unwrap_or(d.body_len());
    let r = match (get("MAX_HOPS")?, get("HEADER_LEN")?) {
        (Some(h), _) => sphinx::SphinxParams::new(h, body),
        (None, Some(hl)) => sphinx::SphinxParams::from_lengths(hl, body),
        (None, None) => sphinx::SphinxParams::new(d.max_hops(), body),
    };
    r.map_err(|e| Error::new("endpoint_params", e.to_string()))
}

fn params_js(p: JsValue) -> Result<sphinx::SphinxParams> {
    if p.is_undefined() || p.is_null() {
        return Ok(sphinx::SphinxParams::default());
    }
    params_of(&from_js::<Json>("params", p)?)
}

#[cfg(feature = "client")]
fn route_of(params: &sphinx::SphinxParams, route: &[String]) -> Result<sphinx::Route> {
    let keys = route
        .iter()
        .map(|h| sphinx::MixPublicKey::from_hex(h))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(sphinx::select_route(params, &keys)?)
}

fn mix_key(secret: &str) -> Result<sphinx::MixKeyPair> {
    sphinx::MixKeyPair::from_secret_hex(secret)
        .map_err(|e| Error::new("bad_key", format!("mix secret: {e}")))
}

#[cfg(feature = "client")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MixKeyInfo {
    secret: String,
    public_key: String,
    node_id: String,
}

#[cfg(feature = "client")]
fn mix_info(k: &sphinx::MixKeyPair) -> MixKeyInfo {
    MixKeyInfo {
        secret: k.secret_hex().to_string(),
        public_key: k.public().to_hex(),
        node_id: k.node_id().to_hex(),
    }
}

#[cfg(feature = "client")]
/// A fresh mix key: `{secret, publicKey, nodeId}` (hex).
#[wasm_bindgen(js_name = sphinxKeygen)]
pub fn sphinx_keygen() -> std::result::Result<JsValue, JsValue> {
    Ok(to_js(&mix_info(&sphinx::MixKeyPair::generate(&mut OsRng)))?)
}

#[cfg(feature = "client")]
/// The mix key of a secret: `{secret, publicKey, nodeId}`.
#[wasm_bindgen(js_name = sphinxKeyFromSecret)]
pub fn sphinx_key_from_secret(secret: &str) -> std::result::Result<JsValue, JsValue> {
    Ok(to_js(&mix_info(&mix_key(secret)?))?)
}

#[cfg(feature = "client")]
/// The node id (32 hex) of a mix public key.
#[wasm_bindgen(js_name = sphinxNodeId)]
pub fn sphinx_node_id(public_key: &str) -> std::result::Result<String, JsValue> {
    Ok(sphinx::MixPublicKey::from_hex(public_key)
        .map_err(Error::from)?
        .node_id()
        .to_hex())
}

#[cfg(feature = "client")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ParamsInfo {
    #[serde(rename = "BODY_LEN")]
    body_len: usize,
    #[serde(rename = "MAX_HOPS")]
    max_hops: usize,
    #[serde(rename = "HEADER_LEN")]
    header_len: usize,
    packet_len: usize,
    text_len: usize,
}

#[cfg(feature = "client")]
/// The full geometry of parameters: `{BODY_LEN, MAX_HOPS, HEADER_LEN, packetLen, textLen}`.
#[wasm_bindgen(js_name = sphinxParams)]
pub fn sphinx_params(params: JsValue) -> std::result::Result<JsValue, JsValue> {
    let p = params_js(params)?;
    Ok(to_js(&ParamsInfo {
        body_len: p.body_len(),
        max_hops: p.max_hops(),
        header_len: p.header_len(),
        packet_len: p.packet_len(),
        text_len: sphinx::packet_text_len(&p),
    })?)
}

#[cfg(feature = "client")]
/// Wrap `message` for `destination` through `route`: `{recipient, text}` to post to
/// the gateway's INBOX (`recipient` is the first mix's node id).
#[wasm_bindgen(js_name = sphinxWrap)]
pub fn sphinx_wrap(
    params: JsValue,
    route: Vec<String>,
    destination: &str,
    message: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let p = params_js(params)?;
    let r = route_of(&p, &route)?;
    let m = bytes_of("message", &message)?;
    let msg = sphinx::wrap_message(&p, &r, destination, &m, &mut OsRng).map_err(Error::from)?;
    Ok(to_js(&msg)?)
}

#[cfg(feature = "client")]
/// A prepared route for many packets: precomputes the per-hop tables once.
#[wasm_bindgen(js_name = SphinxRoute)]
pub struct SphinxRoute {
    params: sphinx::SphinxParams,
    route: sphinx::Route,
    first_hop: String,
}

#[cfg(feature = "client")]
#[wasm_bindgen(js_class = SphinxRoute)]
impl SphinxRoute {
    /// Prepare `route` under `params`.
    #[wasm_bindgen(constructor)]
    pub fn new(params: JsValue, route: Vec<String>) -> std::result::Result<SphinxRoute, JsValue> {
        let p = params_js(params)?;
        let mut r = route_of(&p, &route)?;
        r.prepare();
        let first_hop = r.first_hop().to_hex();
        Ok(SphinxRoute {
            params: p,
            route: r,
            first_hop,
        })
    }

    /// Node id of the first hop.
    #[wasm_bindgen(getter, js_name = firstHop)]
    pub fn first_hop(&self) -> String {
        self.first_hop.clone()
    }

    /// Wrap a message: `{recipient, text}`.
    pub fn wrap(
        &self,
        destination: &str,
        message: JsValue,
    ) -> std::result::Result<JsValue, JsValue> {
        let m = bytes_of("message", &message)?;
        let msg = sphinx::wrap_message(&self.params, &self.route, destination, &m, &mut OsRng)
            .map_err(Error::from)?;
        Ok(to_js(&msg)?)
    }

    /// A SURB back through this route (see `sphinxCreateSurb`).
    #[wasm_bindgen(js_name = createSurb)]
    pub fn create_surb(&self) -> std::result::Result<JsValue, JsValue> {
        surb_js(&self.params, &self.route)
    }
}

#[cfg(feature = "client")]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SurbInfo {
    surb: String,
    first_hop: String,
    id: String,
    opener: Json,
}

#[cfg(feature = "client")]
fn surb_js(p: &sphinx::SphinxParams, r: &sphinx::Route) -> std::result::Result<JsValue, JsValue> {
    let (surb, opener) = sphinx::create_surb(p, r, &mut OsRng).map_err(Error::from)?;
    let opener_json =
        serde_json::to_value(&opener).map_err(|e| Error::new("internal", e.to_string()))?;
    Ok(to_js(&SurbInfo {
        surb: surb.to_text(),
        first_hop: surb.first_hop().to_hex(),
        id: opener.id().to_hex(),
        opener: opener_json,
    })?)
}

#[cfg(feature = "client")]
/// A single-use reply block through `route`: `{surb, firstHop, id, opener}`. Hand
/// out `surb` (text); keep `opener` (secret) to read the reply, which the exit mix
/// reports to recipient `surb:<id>`.
#[wasm_bindgen(js_name = sphinxCreateSurb)]
pub fn sphinx_create_surb(
    params: JsValue,
    route: Vec<String>,
) -> std::result::Result<JsValue, JsValue> {
    let p = params_js(params)?;
    let r = route_of(&p, &route)?;
    surb_js(&p, &r)
}

#[cfg(feature = "client")]
/// Answer through a SURB: `{recipient, text}` (recipient: the first hop's node id).
#[wasm_bindgen(js_name = sphinxSurbReply)]
pub fn sphinx_surb_reply(
    params: JsValue,
    surb: &str,
    message: JsValue,
) -> std::result::Result<JsValue, JsValue> {
    let p = params_js(params)?;
    let s = sphinx::Surb::from_text(&p, surb).map_err(Error::from)?;
    let m = bytes_of("message", &message)?;
    let packet = s.reply(&m).map_err(Error::from)?;
    Ok(to_js(&sphinx::ClientMessage {
        recipient: s.first_hop().to_hex(),
        text: packet.to_text(),
    })?)
}

#[cfg(feature = "client")]
/// Read a reply delivered for a SURB (the exit's base64 text) with its opener.
#[wasm_bindgen(js_name = sphinxOpenReply)]
pub fn sphinx_open_reply(opener: JsValue, text: &str) -> std::result::Result<Vec<u8>, JsValue> {
    let o: Json = from_js("opener", opener)?;
    let o: sphinx::SurbOpener = serde_json::from_value(o)
        .map_err(|e| Error::new("invalid_argument", format!("opener: {e}")))?;
    Ok(o.open_text(text).map_err(Error::from)?)
}

#[cfg(feature = "contributor")]
#[derive(Serialize)]
struct RejectedJs {
    index: usize,
    code: String,
    message: String,
}

#[cfg(feature = "contributor")]
fn rejected_js(r: &[sphinx::Rejected]) -> Vec<RejectedJs> {
    r.iter()
        .map(|r| RejectedJs {
            index: r.index,
            code: format!("sphinx_{}", r.error.code()),
            message: r.error.to_string(),
        })
        .collect()
}

#[cfg(feature = "contributor")]
#[derive(Serialize)]
struct GatewayJs {
    accepted: Vec<usize>,
    rejected: Vec<RejectedJs>,
}

#[cfg(feature = "contributor")]
/// What a gateway admits from its INBOX texts: `{accepted: indexes, rejected}`.
#[wasm_bindgen(js_name = sphinxGatewayAccept)]
pub fn sphinx_gateway_accept(
    params: JsValue,
    texts: Vec<String>,
) -> std::result::Result<JsValue, JsValue> {
    let p = params_js(params)?;
    let out = sphinx::gateway_accept(&p, &texts);
    Ok(to_js(&GatewayJs {
        accepted: out.accepted,
        rejected: rejected_js(&out.rejected),
    })?)
}

#[cfg(feature = "contributor")]
#[derive(Serialize)]
struct BatchJs {
    outputs: Vec<sphinx::BatchOutput>,
    rejected: Vec<RejectedJs>,
}

#[cfg(feature = "contributor")]
/// A mix with its replay cache, for processing successive batches.
#[wasm_bindgen(js_name = SphinxMix)]
pub struct SphinxMix {
    key: sphinx::MixKeyPair,
    params: sphinx::SphinxParams,
    cache: sphinx::ReplayCache,
}

#[cfg(feature = "contributor")]
#[wasm_bindgen(js_class = SphinxMix)]
impl SphinxMix {
    /// A mix for `secret` under `params`, with a fresh replay cache, or the one
    /// saved by `saveCache()`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        params: JsValue,
        secret: &str,
        cache: Option<Vec<u8>>,
    ) -> std::result::Result<SphinxMix, JsValue> {
        let params = params_js(params)?;
        let key = mix_key(secret)?;
        let cache = match cache {
            Some(b) => {
                let c = sphinx::ReplayCache::from_bytes(&b).map_err(Error::from)?;
                if c.node_id() != key.node_id() {
                    return Err(Error::from(sphinx::Error::CacheKeyMismatch).into());
                }
                c
            }
            None => sphinx::ReplayCache::for_node(key.node_id()),
        };
        Ok(SphinxMix { key, params, cache })
    }

    /// The mix's public key (hex).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        self.key.public().to_hex()
    }

    /// The mix's node id (hex).
    #[wasm_bindgen(getter, js_name = nodeId)]
    pub fn node_id(&self) -> String {
        self.key.node_id().to_hex()
    }

    /// Number of replay tags remembered.
    #[wasm_bindgen(getter, js_name = cacheSize)]
    pub fn cache_size(&self) -> usize {
        self.cache.len()
    }

    /// Peel one layer of every packet text, drop the bad and replayed ones one by
    /// one, shuffle: `{outputs: [{recipient, text, kind}], rejected: [{index, code,
    /// message}]}`. `kind` is `Forward`, `Final` or `Reply`.
    #[wasm_bindgen(js_name = processBatch)]
    pub fn process_batch(&mut self, texts: Vec<String>) -> std::result::Result<JsValue, JsValue> {
        let out = sphinx::process_batch(
            &self.key,
            &self.params,
            &mut self.cache,
            &texts,
            &mut shuffle_rng(),
        )
        .map_err(Error::from)?;
        Ok(to_js(&BatchJs {
            rejected: rejected_js(&out.rejected),
            outputs: out.outputs,
        })?)
    }

    /// The bulk path for a mix that holds packets as bytes: peel one layer of every
    /// packet in `packets`, raw packets of `packetLen` bytes each, concatenated in one
    /// `Uint8Array` (no base64 text, no JavaScript value per packet). Replays are
    /// dropped and outputs shuffled as in `processBatch`. Returns `{packets, nextHops,
    /// status, exits, rejected}`:
    /// * `packets`: the forwarded packets, shuffled, concatenated (`packetLen` bytes each);
    /// * `nextHops`: their next hops' node ids, 16 bytes each, in the same order;
    /// * `status`: one byte per input, in input order: 0 forwarded, 1 final, 2 reply,
    ///   3 rejected;
    /// * `exits`: the final and reply outputs `[{recipient, text, kind}]`, shuffled;
    /// * `rejected`: `[{index, code, message}]`, in input order.
    #[wasm_bindgen(js_name = processPackets)]
    pub fn process_packets(&mut self, packets: &[u8]) -> std::result::Result<JsValue, JsValue> {
        let len = self.params.packet_len();
        if !packets.len().is_multiple_of(len) {
            return Err(Error::new(
                "invalid_argument",
                format!("packets: a multiple of the packet length {len} bytes"),
            )
            .into());
        }
        let inputs: Vec<&[u8]> = packets.chunks_exact(len).collect();
        let peeled = sphinx::peel_batch(&self.key, &self.params, &inputs);
        let mut status = vec![STATUS_REJECTED; inputs.len()];
        let mut forward: Vec<(sphinx::MixNodeId, sphinx::SphinxPacket)> = Vec::new();
        let mut exits = Vec::new();
        let mut rejected = Vec::new();
        for (index, r) in peeled.into_iter().enumerate() {
            let cache = &mut self.cache;
            let r = r.and_then(|(tag, p)| cache.check_and_insert(&tag).map(|()| p));
            let r = match r {
                Ok(sphinx::ProcessedPacket::Forward { next_hop, packet }) => {
                    forward.push((next_hop, packet));
                    Ok(STATUS_FORWARD)
                }
                Ok(p) => sphinx::to_output(p).map(|o| {
                    let s = match o.kind {
                        sphinx::OutputKind::Reply => STATUS_REPLY,
                        _ => STATUS_FINAL,
                    };
                    exits.push(o);
                    s
                }),
                Err(e) => Err(e),
            };
            match r {
                Ok(s) => status[index] = s,
                Err(error) => rejected.push(sphinx::Rejected { index, error }),
            }
        }
        let mut rng = shuffle_rng();
        sphinx::shuffle(&mut forward, &mut rng);
        sphinx::shuffle(&mut exits, &mut rng);
        let mut out = Vec::with_capacity(forward.len() * len);
        let mut hops = Vec::with_capacity(forward.len() * 16);
        for (hop, p) in &forward {
            hops.extend_from_slice(&hop.0);
            out.extend_from_slice(p.as_bytes());
        }
        let o = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&o, &JsValue::from_str(k), v);
        set("packets", &js_sys::Uint8Array::from(&out[..]).into())?;
        set("nextHops", &js_sys::Uint8Array::from(&hops[..]).into())?;
        set("status", &js_sys::Uint8Array::from(&status[..]).into())?;
        set("exits", &to_js(&exits)?)?;
        set("rejected", &to_js(&rejected_js(&rejected))?)?;
        Ok(o.into())
    }

    /// The replay cache's compact encoding, to persist between sessions.
    #[wasm_bindgen(js_name = saveCache)]
    pub fn save_cache(&self) -> Vec<u8> {
        self.cache.to_bytes()
    }
}

#[cfg(feature = "contributor")]
#[cfg(feature = "contributor")]
const STATUS_FORWARD: u8 = 0;
#[cfg(feature = "contributor")]
const STATUS_FINAL: u8 = 1;
#[cfg(feature = "contributor")]
const STATUS_REPLY: u8 = 2;
#[cfg(feature = "contributor")]
const STATUS_REJECTED: u8 = 3;

/// The generator a batch is shuffled with: ChaCha20 keyed once per batch from the
/// platform's CSPRNG, rather than one `crypto.getRandomValues` call per draw.
#[cfg(feature = "contributor")]
pub(crate) fn shuffle_rng() -> rand_chacha::ChaCha20Rng {
    use rand_core::SeedableRng;
    rand_chacha::ChaCha20Rng::from_rng(OsRng).unwrap_or_else(|_| {
        // from_rng fails only if the platform RNG does; OsRng panics the same way
        let mut seed = [0u8; 32];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut seed);
        rand_chacha::ChaCha20Rng::from_seed(seed)
    })
}

#[cfg(feature = "contributor")]
/// Process one batch with a fresh replay cache (one cycle's endpoint).
#[wasm_bindgen(js_name = sphinxProcessBatch)]
pub fn sphinx_process_batch(
    params: JsValue,
    secret: &str,
    texts: Vec<String>,
) -> std::result::Result<JsValue, JsValue> {
    SphinxMix::new(params, secret, None)?.process_batch(texts)
}
