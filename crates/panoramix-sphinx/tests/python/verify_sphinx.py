#!/usr/bin/env python3
"""Independent check of panoramix Sphinx packet processing (wire version 1).

Written from docs/sphinx.md alone (sections 1 to 3), not from the Rust code, as
a cross-implementation check of crates/panoramix-sphinx and of its
specification. Group operations (Ristretto255) and the ChaCha20 keystream come
from libsodium through the PyPI package pysodium (pinned in
scripts/python-requirements.txt, installed by scripts/ensure-python.sh); HKDF,
HMAC, the key schedule, LIONESS, header unwrapping, blinding, routing blocks and
the payload format are this file's own code.

Usage:
    verify_sphinx.py [--self-test] VECTORS.json

For every vector of tests/vectors/sphinx_v1.json it
  * rebuilds each mix's public key and node id from its secret;
  * processes the stored packet hop by hop (shared secret, HKDF key schedule,
    MAC check, routing block, next beta and gamma, blinded alpha, LIONESS
    layer) and compares each hop's replay tag and output (next hop and packet,
    or destination and message, or SURB id and payload) with the vector's;
  * for a SURB vector, checks the SURB's layout, that the reply packet is the
    SURB's header followed by the body encrypted under the reply key, that the
    opener's keys are the hops' pi, and opens the reply;
  * reproduces every negative vector's error code at its hop.
With --self-test it also flips every byte of every hop's input packet (xor 1)
and checks that the hop that reads a changed header refuses it (bad_mac or
malformed) and that a changed payload is refused at the exit (bad_payload_tag)
or by the SURB opener; and that a packet sent to the wrong mix fails its MAC.

Exit status: 0 all checks passed, 1 a check failed, 3 pysodium or libsodium
(>= 1.0.18) is missing.
"""

import hashlib
import hmac
import json
import sys
import time

try:
    import pysodium as na

    na.crypto_core_ristretto255_is_valid_point(bytes(32))
except Exception as e:  # ImportError, or ValueError/OSError without libsodium >= 1.0.18
    print(f"verify_sphinx.py: pysodium with libsodium >= 1.0.18 is needed "
          f"({type(e).__name__}: {e}); run scripts/ensure-python.sh")
    sys.exit(3)


class Invalid(Exception):
    """A check of the vectors failed."""


class Refused(Exception):
    """The mix refuses the packet; .code is the error code of docs/sphinx.md section 5."""

    def __init__(self, code, why):
        super().__init__(f"{code}: {why}")
        self.code = code


def check(cond, what):
    if not cond:
        raise Invalid(what)


# --------------------------------------------------------------------------
# Parameters and labels (docs/sphinx.md sections 1 to 3)

KAPPA = 16
GROUP_LEN = 32
HOP_LEN = 1 + KAPPA + KAPPA  # c: flag, address, next gamma
VERSION = 0x01
FLAG_FORWARD, FLAG_EXIT, FLAG_SURB = 0x01, 0x02, 0x03
L = 2**252 + 27742317777372353535851937790883648493  # order of Ristretto255

HOP_KDF_SALT = b"panoramix/sphinx/v1/hop-kdf-salt"
HOP_KDF_INFO = b"panoramix/sphinx/v1/hop-keys"
NODE_ID_LABEL = b"panoramix/sphinx/v1/node-id"
SURB_SALT = b"panoramix/sphinx/v1/surb-reply-salt"
SURB_INFO = b"panoramix/sphinx/v1/surb-reply-key"


class Params:
    def __init__(self, p):
        self.r = p["MAX_HOPS"]
        self.body_len = p["BODY_LEN"]
        check(1 <= self.r <= 32, "MAX_HOPS out of range")
        check(32 <= self.body_len <= 65535, "BODY_LEN out of range")
        check(p["HEADER_LEN"] == 49 + 33 * self.r, "HEADER_LEN is not 49 + 33 r")
        self.beta_len = self.r * HOP_LEN
        self.header_len = 1 + GROUP_LEN + KAPPA + self.beta_len
        self.payload_len = self.body_len + 19
        self.packet_len = self.header_len + self.payload_len


# --------------------------------------------------------------------------
# Primitives


def hkdf_sha256(salt, ikm, info, length):
    """RFC 5869."""
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([i]), hashlib.sha256).digest()
        out += block
        i += 1
    return out[:length]


def chacha20(key, n):
    """The first n bytes of the ChaCha20 keystream (RFC 8439, nonce of zeros, counter 0)."""
    return na.crypto_stream_chacha20_ietf_xor(bytes(n), bytes(12), key)


def xor(a, b):
    return bytes(x ^ y for x, y in zip(a, b))


def lioness(key, block, decrypt):
    check(len(key) == 128 and len(block) > 32, "LIONESS key or block length")
    k = [key[32 * i:32 * i + 32] for i in range(4)]
    left, right = block[:32], block[32:]

    def s(i):
        nonlocal right
        right = xor(right, chacha20(xor(left, k[i]), len(right)))

    def h(i):
        nonlocal left
        left = xor(left, hmac.new(k[i], right, hashlib.sha256).digest())

    for step, i in ((h, 3), (s, 2), (h, 1), (s, 0)) if decrypt else ((s, 0), (h, 1), (s, 2), (h, 3)):
        step(i)
    return left + right


def decode_point(b):
    """Canonical Ristretto255 decoding, the identity excluded."""
    # libsodium 1.0.18 ignores the top bit of the last byte: refuse it here (RFC 9496)
    if len(b) != 32 or b[31] & 0x80 or b == bytes(32) or not na.crypto_core_ristretto255_is_valid_point(b):
        raise Refused("malformed", "invalid group element")
    return bytes(b)


def mul(k, p):
    k %= L
    check(k != 0, "zero scalar")
    return na.crypto_scalarmult_ristretto255(k.to_bytes(32, "little"), p)


def node_id(public):
    return hashlib.sha256(NODE_ID_LABEL + public).digest()[:KAPPA]


class HopKeys:
    def __init__(self, s):
        okm = hkdf_sha256(HOP_KDF_SALT, s, HOP_KDF_INFO, 272)
        self.rho = okm[0:32]
        self.mu = okm[32:64]
        self.pi = okm[64:192]
        self.b = int.from_bytes(okm[192:256], "little") % L
        self.tau = okm[256:272]


def reply_key(seed):
    return hkdf_sha256(SURB_SALT, seed, SURB_INFO, 128)


def encode_body(params, destination, message):
    check(len(destination) <= 255 and len(destination) + len(message) <= params.body_len, "too long")
    body = bytes(16) + bytes([len(destination)]) + len(message).to_bytes(2, "big") + destination + message
    return body + bytes(params.payload_len - len(body))


def decode_body(params, body, zero_padding=False):
    if body[:16] != bytes(16):
        raise Refused("bad_payload_tag", "zero tag")
    d = body[16]
    m = int.from_bytes(body[17:19], "big")
    if d + m > params.body_len:
        raise Refused("malformed", "payload lengths")
    if zero_padding:
        check(body[19 + d + m:] == bytes(len(body) - 19 - d - m), "payload padding is not zeros")
    return body[19:19 + d], body[19 + d:19 + d + m]


# --------------------------------------------------------------------------
# The mix (docs/sphinx.md section 3, "Mix")


def peel(x, params, packet):
    """One hop. Returns (tau, pi, result); result is ("forward", next node id, packet),
    ("final", destination, message) or ("reply", SURB id, payload). Raises Refused."""
    if len(packet) != params.packet_len or packet[0] != VERSION:
        raise Refused("malformed", "length or version")
    alpha = decode_point(packet[1:33])
    gamma = packet[33:49]
    beta = packet[49:params.header_len]
    delta = packet[params.header_len:]
    keys = HopKeys(mul(x, alpha))
    mac = hmac.new(keys.mu, bytes([VERSION]) + beta, hashlib.sha256).digest()[:KAPPA]
    if not hmac.compare_digest(mac, gamma):
        raise Refused("bad_mac", "gamma")
    opened = xor(beta + bytes(HOP_LEN), chacha20(keys.rho, (params.r + 1) * HOP_LEN))
    flag, address, next_gamma = opened[0], opened[1:17], opened[17:33]
    next_beta = opened[HOP_LEN:]
    body = lioness(keys.pi, delta, decrypt=True)
    if flag == FLAG_FORWARD:
        next_alpha = mul(keys.b, alpha)
        return keys.tau, keys.pi, ("forward", address,
                                   bytes([VERSION]) + next_alpha + next_gamma + next_beta + body)
    if flag not in (FLAG_EXIT, FLAG_SURB):
        raise Refused("malformed", f"routing flag {flag}")
    # what the sender writes in an exit block (section 2): next gamma zeros, address zeros
    # unless it is a SURB id
    check(next_gamma == bytes(KAPPA), "exit block: next gamma is not zeros")
    if flag == FLAG_SURB:
        return keys.tau, keys.pi, ("reply", address, body)
    check(address == bytes(KAPPA), "exit block: address is not zeros")
    d, m = decode_body(params, body)
    try:
        dest = d.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("malformed", "destination not UTF-8")
    return keys.tau, keys.pi, ("final", dest, m)


def route(xs, params, packet):
    """Run packet through the mixes with secrets xs; returns the hops' (tau, pi, result)
    up to the first non-forward result, or raises Refused with .hop set."""
    out = []
    for i, x in enumerate(xs):
        try:
            tau, pi, res = peel(x, params, packet)
        except Refused as e:
            e.hop = i
            raise
        out.append((tau, pi, res))
        if res[0] != "forward":
            break
        packet = res[2]
    return out


# --------------------------------------------------------------------------
# The vectors


def unhex(s, n=None):
    check(isinstance(s, str), "hex string expected")
    b = bytes.fromhex(s)
    check(n is None or len(b) == n, "hex length")
    return b


def secret(h):
    x = int.from_bytes(unhex(h, 32), "little")
    check(0 < x < L, "mix secret is not a canonical non-zero scalar")
    return x


def check_vector(v):
    name = v["name"]
    params = Params(v["params"])
    xs = [secret(h) for h in v["mix_secrets"]]
    publics = [na.crypto_scalarmult_ristretto255_base(x.to_bytes(32, "little")) for x in xs]
    ids = [node_id(p) for p in publics]
    check([p.hex() for p in publics] == v["mix_publics"], f"{name}: public keys")
    check([i.hex() for i in ids] == v["mix_node_ids"], f"{name}: node ids")
    packet = unhex(v["packet"], params.packet_len)
    try:
        hops = route(xs, params, packet)
    except Refused as e:
        raise Invalid(f"{name}: hop {e.hop} refuses the vector's packet ({e})")
    check(len(hops) == len(xs) == len(v["hops"]), f"{name}: number of hops")
    message = unhex(v["message"])
    for i, ((tau, _, res), want) in enumerate(zip(hops, v["hops"])):
        check(tau.hex() == want["replay_tag"], f"{name}: hop {i} replay tag")
        kind = res[0]
        check(set(want) == {"replay_tag", kind}, f"{name}: hop {i} is not a {kind} hop")
        if kind == "forward":
            check(i + 1 < len(xs) and res[1] == ids[i + 1], f"{name}: hop {i} next hop is not mix {i + 1}")
            check(want[kind] == {"next_hop": res[1].hex(), "packet": res[2].hex()}, f"{name}: hop {i} output")
        elif kind == "final":
            check(want[kind] == {"destination": res[1], "message": res[2].hex()}, f"{name}: exit output")
            check(res[1] == v["destination"] and res[2] == message, f"{name}: delivered message")
        else:
            check(want[kind] == {"surb_id": res[1].hex(), "payload": res[2].hex()}, f"{name}: reply output")
    if hops[-1][2][0] == "reply":
        check_surb(v, params, ids, hops, packet, message)
    else:
        # the sender's payload plaintext: zero tag, lengths, destination, message, zeros
        last_in = hops[-2][2][2] if len(hops) > 1 else packet
        decode_body(params, lioness(hops[-1][1], last_in[params.header_len:], decrypt=True), zero_padding=True)


def check_surb(v, params, ids, hops, packet, message):
    name = v["name"]
    surb = unhex(v["surb"], 1 + KAPPA + 32 + params.header_len)
    check(surb[0] == VERSION, f"{name}: SURB version")
    check(surb[1:17] == ids[0], f"{name}: SURB first hop is not mix 0")
    seed, header = surb[17:49], surb[49:]
    check(packet[:params.header_len] == header, f"{name}: reply header is not the SURB's")
    rk = reply_key(seed)
    check(packet[params.header_len:] == lioness(rk, encode_body(params, b"", message), decrypt=False),
          f"{name}: reply payload is not the body encrypted under the reply key")
    op = v["opener"]
    check(op["params"] == v["params"] and op["id"] == v["surb_id"], f"{name}: opener params or id")
    check(unhex(op["reply_seed"], 32) == seed, f"{name}: opener reply seed")
    check(op["hop_keys"] == [pi.hex() for _, pi, _ in hops], f"{name}: opener keys are not the hops' pi")
    surb_id, payload = hops[-1][2][1], hops[-1][2][2]
    check(surb_id.hex() == v["surb_id"], f"{name}: SURB id")
    check(open_reply(op, params, payload) == message, f"{name}: opened reply")


def open_reply(op, params, payload):
    """Section 3, SURB: re-encrypt with pi_i for i = nu-1 .. 0, decrypt with the reply key."""
    body = payload
    for k in reversed(op["hop_keys"]):
        body = lioness(unhex(k, 128), body, decrypt=False)
    body = lioness(reply_key(unhex(op["reply_seed"], 32)), body, decrypt=True)
    return decode_body(params, body)[1]


def check_negative(n, vectors):
    v = vectors[n["vector"]]
    params = Params(v["params"])
    xs = [secret(h) for h in v["mix_secrets"]]
    packet = bytearray(unhex(v["packet"]))
    packet[n["flip_byte"]] ^= 1
    try:
        route(xs, params, bytes(packet))
    except Refused as e:
        check((e.hop, e.code) == (n["hop"], n["error"]),
              f"negative {n}: refused at hop {e.hop} with {e.code}")
        return
    raise Invalid(f"negative {n}: accepted")


def self_test(v):
    """Every byte of every hop's input packet flipped. Returns the number of packets."""
    name = v["name"]
    params = Params(v["params"])
    xs = [secret(h) for h in v["mix_secrets"]]
    inputs = [unhex(v["packet"])] + [unhex(h["forward"]["packet"]) for h in v["hops"] if "forward" in h]
    count = 0
    for hop, packet in enumerate(inputs):
        # the payload only at the first hop: a changed delta travels to the exit
        end = params.packet_len if hop == 0 else params.header_len
        for i in range(end):
            bad = bytearray(packet)
            bad[i] ^= 1
            count += 1
            try:
                hops = route(xs[hop:], params, bytes(bad))
            except Refused as e:
                if i < params.header_len:
                    check(e.hop == 0 and e.code in ("bad_mac", "malformed"),
                          f"{name}: header byte {i} at hop {hop} refused at hop {hop + e.hop} with {e.code}")
                else:
                    check(e.hop == len(xs) - 1 and e.code == "bad_payload_tag",
                          f"{name}: payload byte {i} refused at hop {e.hop} with {e.code}")
                continue
            last = hops[-1][2]
            if i >= params.header_len and last[0] == "reply":
                try:
                    open_reply(v["opener"], params, last[2])
                except Refused as e:
                    check(e.code == "bad_payload_tag", f"{name}: changed reply byte {i}: {e.code}")
                    continue
            raise Invalid(f"{name}: byte {i} of hop {hop}'s packet flipped and accepted")
    # sent to the wrong mix
    if len(xs) > 1:
        try:
            peel(xs[1], params, inputs[0])
            raise Invalid(f"{name}: mix 1 accepts mix 0's packet")
        except Refused as e:
            check(e.code == "bad_mac", f"{name}: wrong mix: {e.code}")
    return count


def main(argv):
    args = argv[1:]
    selftest = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    if len(args) != 1:
        print(__doc__)
        return 2
    with open(args[0]) as f:
        doc = json.load(f)
    start = time.perf_counter()
    try:
        vectors = {}
        for v in doc["vectors"]:
            check_vector(v)
            vectors[v["name"]] = v
            print(f"{v['name']}: VALID ({len(v['hops'])} hops match)")
        for n in doc["negative"]:
            check_negative(n, vectors)
        print(f"{len(doc['negative'])} negative vectors refused at their hop with their error")
        if selftest:
            for v in doc["vectors"]:
                print(f"{v['name']}: {self_test(v)} flipped packets refused")
    except Invalid as e:
        print(f"INVALID: {e}")
        return 1
    print(f"({time.perf_counter() - start:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
