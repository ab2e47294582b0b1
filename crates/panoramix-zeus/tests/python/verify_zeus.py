#!/usr/bin/env python3
"""Independent verifier for panoramix ZEUS election transcripts.

Written from docs/zeus.md alone, as a cross-implementation check of the Rust
verifier and of the specification. It checks every equation plainly (no
batching, no multi-scalar tricks).

Two interchangeable Ristretto255 backends, chosen with --backend:
    sodium  (default) libsodium's crypto_core_ristretto255_* and
            crypto_scalarmult_ristretto255, through the PyPI package pysodium
            (pinned in requirements.txt; scripts/ensure-python.sh installs it).
            N = 10 takes 0.13 s of CPU time (AMD EPYC, 2026-12-06).
    pure    this file's own RFC 9496 arithmetic, standard library only: about
            25 times slower (N = 10 takes 3.5 s of CPU time). A fallback for
            machines without libsodium, and a check of the sodium backend
            (--backend both runs each file through both).
The transcript, the hashing and every equation are this file's own code in
either case; only the group operations differ.

Usage:
    verify_zeus.py [--backend sodium|pure|both] [--self-test] [--check-backends] FILE.json [...]
        verify each file, exit 1 on the first failure; with --self-test also
        check that mutated copies of each transcript are rejected (8 targeted
        mutations, and for N <= 3 one hex digit changed in each of 20 seeded
        random points, scalars and ciphertexts); with
        --check-backends first check that the two backends agree on decoding
        (canonical encodings only), hashing to the group and multiplication.
Exit status 3: the sodium backend was asked for but pysodium or libsodium is
missing (run scripts/ensure-python.sh).

A vector file (tests/vectors/zeus_n*.json) is checked further: the
generators, the TW challenges, the Sako-Kilian bits and the SHA-256 of the
canonical transcript must equal the recorded intermediates.
"""

import copy
import hashlib
import json
import random
import sys
import time

# --------------------------------------------------------------------------
# Ristretto255 (RFC 9496)

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = 19681161376707505956807079304988542015446066515923890162744021073123829784752
SQRT_AD_MINUS_ONE = 25063068953384623474111414158702152701244531502492656460079210482610430750235
INVSQRT_A_MINUS_D = 54469307008909316920995813868745141605393597292927456921205312896311721017578
ONE_MINUS_D_SQ = (1 - D * D) % P
D_MINUS_ONE_SQ = (D - 1) * (D - 1) % P

assert SQRT_M1 * SQRT_M1 % P == P - 1
assert SQRT_AD_MINUS_ONE * SQRT_AD_MINUS_ONE % P == (-D - 1) % P
assert INVSQRT_A_MINUS_D * INVSQRT_A_MINUS_D * (-1 - D) % P == 1


class Invalid(Exception):
    """A check failed."""


def is_neg(x):
    return (x % P) & 1


def ct_abs(x):
    x %= P
    return (P - x) % P if is_neg(x) else x


def sqrt_ratio_m1(u, v):
    u %= P
    v %= P
    v3 = v * v % P * v % P
    v7 = v3 * v3 % P * v % P
    r = u * v3 % P * pow(u * v7 % P, (P - 5) // 8, P) % P
    check = v * r % P * r % P
    correct = check == u
    flipped = check == (-u) % P
    flipped_i = check == (-u * SQRT_M1) % P
    if flipped or flipped_i:
        r = r * SQRT_M1 % P
    return (correct or flipped), ct_abs(r)


IDENTITY = (0, 1, 1, 0)


def add(p1, p2):
    x1, y1, z1, t1 = p1
    x2, y2, z2, t2 = p2
    a = (y1 - x1) * (y2 - x2) % P
    b = (y1 + x1) * (y2 + x2) % P
    c = t1 * 2 * D % P * t2 % P
    d = z1 * 2 * z2 % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def neg(p):
    x, y, z, t = p
    return ((-x) % P, y, z, (-t) % P)


def mul(k, p):
    """k·p, plain double-and-add (public data only: this is a verifier)."""
    k %= L
    acc = IDENTITY
    for bit in bin(k)[2:]:
        acc = add(acc, acc)
        if bit == "1":
            acc = add(acc, p)
    return acc


def decode(b):
    """Canonical decoding; the identity is rejected (docs/zeus.md section 1)."""
    if len(b) != 32:
        raise Invalid("point length")
    s = int.from_bytes(b, "little")
    if s >= P or is_neg(s):
        raise Invalid("non-canonical point")
    ss = s * s % P
    u1 = (1 - ss) % P
    u2 = (1 + ss) % P
    u2_sqr = u2 * u2 % P
    v = (-(D * u1 % P * u1) - u2_sqr) % P
    was_square, invsqrt = sqrt_ratio_m1(1, v * u2_sqr)
    den_x = invsqrt * u2 % P
    den_y = invsqrt * den_x % P * v % P
    x = ct_abs(2 * s * den_x)
    y = u1 * den_y % P
    t = x * y % P
    if not was_square or is_neg(t) or y == 0:
        raise Invalid("invalid point encoding")
    if s == 0:
        raise Invalid("identity point")
    return (x, y, 1, t)


def encode(p):
    x0, y0, z0, t0 = p
    u1 = (z0 + y0) * (z0 - y0) % P
    u2 = x0 * y0 % P
    _, invsqrt = sqrt_ratio_m1(1, u1 * u2 % P * u2)
    den1 = invsqrt * u1 % P
    den2 = invsqrt * u2 % P
    z_inv = den1 * den2 % P * t0 % P
    ix0 = x0 * SQRT_M1 % P
    iy0 = y0 * SQRT_M1 % P
    enchanted = den1 * INVSQRT_A_MINUS_D % P
    rotate = is_neg(t0 * z_inv)
    x, y = (iy0, ix0) if rotate else (x0, y0)
    den_inv = enchanted if rotate else den2
    if is_neg(x * z_inv):
        y = (-y) % P
    s = ct_abs(den_inv * (z0 - y))
    return s.to_bytes(32, "little")


def eq(p1, p2):
    x1, y1, _, _ = p1
    x2, y2, _, _ = p2
    return (x1 * y2 - y1 * x2) % P == 0 or (y1 * y2 - x1 * x2) % P == 0


def is_identity(p):
    return eq(p, IDENTITY)


def elligator(t):
    r = SQRT_M1 * t % P * t % P
    u = (r + 1) * ONE_MINUS_D_SQ % P
    v = (-1 - r * D) * (r + D) % P
    was_square, s = sqrt_ratio_m1(u, v)
    s_prime = (-ct_abs(s * t)) % P
    if not was_square:
        s = s_prime
    c = P - 1 if was_square else r
    n = (c * (r - 1) % P * D_MINUS_ONE_SQ - v) % P
    w0 = 2 * s * v % P
    w1 = n * SQRT_AD_MINUS_ONE % P
    w2 = (1 - s * s) % P
    w3 = (1 + s * s) % P
    return (w0 * w3 % P, w2 * w1 % P, w1 * w3 % P, w0 * w2 % P)


def from_uniform_bytes(b):
    t1 = int.from_bytes(b[:32], "little") & ((1 << 255) - 1)
    t2 = int.from_bytes(b[32:], "little") & ((1 << 255) - 1)
    return add(elligator(t1 % P), elligator(t2 % P))


BASEPOINT = bytes.fromhex("e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76")
G = decode(BASEPOINT)
assert encode(add(G, G)).hex() == "6a493210f7499cd17fecb510ae0cea23a110e8d5b901f8acadd3095c73a3b919"

# The group operations the checks below use, by name: this file's own arithmetic
# above ("pure"), or libsodium's ("sodium"), installed by use_backend().
PURE = {
    "IDENTITY": IDENTITY, "G": G, "add": add, "neg": neg, "mul": mul, "eq": eq,
    "decode": decode, "encode": encode, "from_uniform_bytes": from_uniform_bytes,
}


class BackendMissing(Exception):
    """The sodium backend cannot be loaded."""


def sodium_ops():
    """Ristretto255 from libsodium. Points are their canonical 32-byte encodings
    (so equality is byte equality); the identity is the all-zero encoding."""
    try:
        import pysodium as na
        na.crypto_core_ristretto255_is_valid_point(BASEPOINT)
    except Exception as e:  # ImportError, or ValueError/OSError without libsodium >= 1.0.18
        raise BackendMissing(f"pysodium with libsodium >= 1.0.18 is needed ({type(e).__name__}: {e})")
    zero = bytes(32)

    def s_add(p, q):
        return na.crypto_core_ristretto255_add(p, q)

    def s_neg(p):
        return na.crypto_core_ristretto255_sub(zero, p)

    def s_mul(k, p):
        k %= L
        if k == 0 or p == zero:  # libsodium refuses an identity result
            return zero
        kb = k.to_bytes(32, "little")
        if p == BASEPOINT:
            return na.crypto_scalarmult_ristretto255_base(kb)
        return na.crypto_scalarmult_ristretto255(kb, p)

    def s_decode(b):
        """Canonical decoding; the identity is rejected (docs/zeus.md section 1)."""
        if len(b) != 32:
            raise Invalid("point length")
        b = bytes(b)
        if b[31] & 0x80:
            # libsodium 1.0.18 (Debian 12's) ignores the top bit; RFC 9496 requires it clear
            raise Invalid("non-canonical point")
        if b == zero:
            raise Invalid("identity point")
        if not na.crypto_core_ristretto255_is_valid_point(b):
            raise Invalid("invalid point encoding")
        return b

    return {
        "IDENTITY": zero, "G": BASEPOINT, "add": s_add, "neg": s_neg, "mul": s_mul,
        "eq": lambda p, q: p == q, "decode": s_decode, "encode": lambda p: p,
        "from_uniform_bytes": na.crypto_core_ristretto255_from_hash,
    }


def use_backend(name):
    globals().update(PURE if name == "pure" else sodium_ops())


def check_backends():
    """The two backends agree: decoding (accept or reject, and the re-encoding) of
    edge-case and seeded random encodings, the hash-to-group map and scalar
    multiplication. Deterministic (fixed seed)."""
    so = sodium_ops()
    rng = random.Random(20)
    cases = [v.to_bytes(32, "little") for v in (0, 1, 2, P - 2, P - 1, P, P + 1, 2**255 - 1)]
    cases += [(v | (1 << 255)).to_bytes(32, "little") for v in (0, 2, 4)]
    cases += [encode(mul(k, G)) for k in (1, 2, 3, L - 1)]
    cases += [bytes(b ^ (0x80 if i == 31 else 0) for i, b in enumerate(c)) for c in cases[-4:]]
    cases += [rng.getrandbits(256).to_bytes(32, "little") for _ in range(600)]
    cases += [encode(mul(rng.randrange(1, L), G)) for _ in range(40)]
    valid = 0
    for c in cases:
        got = []
        for ops in (PURE, so):
            try:
                got.append(ops["encode"](ops["decode"](c)))
            except Invalid:
                got.append(None)
        if got[0] != got[1]:
            raise Invalid(f"backends disagree on decoding {c.hex()}: pure {got[0]}, sodium {got[1]}")
        valid += got[0] is not None
    for _ in range(30):
        h = rng.getrandbits(512).to_bytes(64, "little")
        k = rng.randrange(L)
        p, q = from_uniform_bytes(h), so["from_uniform_bytes"](h)
        check(encode(p) == q, "backends disagree on from_uniform_bytes")
        check(encode(mul(k, p)) == so["mul"](k, q), "backends disagree on mul")
        check(encode(add(p, neg(G))) == so["add"](q, so["neg"](BASEPOINT)), "backends disagree on add")
    print(f"backends agree: {len(cases)} encodings ({valid} valid), 30 hashes, products and sums")

# --------------------------------------------------------------------------
# Encodings


def hexbytes(s, n):
    if not isinstance(s, str) or len(s) != 2 * n or any(c not in "0123456789abcdef" for c in s):
        raise Invalid("bad hex")
    return bytes.fromhex(s)


def point(s):
    return decode(hexbytes(s, 32))


def scalar(s):
    v = int.from_bytes(hexbytes(s, 32), "little")
    if v >= L:
        raise Invalid("non-canonical scalar")
    return v


def ct_bytes(s):
    return hexbytes(s, 64)


def ciphertext(s):
    b = ct_bytes(s)
    return decode(b[:32]), decode(b[32:])


def decode_plaintext(m):
    b = encode(m)
    n = b[1]
    if n > 29 or b[0] & 1 or any(b[2 + n:]):
        raise Invalid("not a plaintext")
    return b[2:2 + n]


# --------------------------------------------------------------------------
# Transcript (docs/zeus.md section 2)


def frame(label, data):
    return len(label).to_bytes(8, "little") + label + len(data).to_bytes(8, "little") + data


class Transcript:
    def __init__(self, protocol):
        self.h = hashlib.sha512()
        self.append("panoramix/zeus/v1/transcript", protocol.encode())

    def append(self, label, data):
        self.h.update(frame(label.encode(), data))

    def u64(self, label, v):
        self.append(label, v.to_bytes(8, "little"))

    def challenge(self, label):
        h = self.h.copy()
        h.update(frame(b"challenge", label.encode()))
        out = h.digest()
        self.append(label, out)
        return out

    def challenge_scalar(self, label):
        return int.from_bytes(self.challenge(label), "little") % L


def expand(domain, seed, i):
    return hashlib.sha512(frame(domain.encode(), seed) + i.to_bytes(8, "little")).digest()


def generator(sid, i):
    return from_uniform_bytes(expand("panoramix/zeus/v1/generator", sid.encode(), i))


# --------------------------------------------------------------------------
# Checks


def schnorr_ok(t, x_pub, proof):
    r = point(proof["commitment"])
    t.append("commitment", hexbytes(proof["commitment"], 32))
    c = t.challenge_scalar("challenge")
    s = scalar(proof["response"])
    return eq(add(mul(s, G), neg(mul(c, x_pub))), r)


def check(cond, what):
    if not cond:
        raise Invalid(what)


def tw_statement(sid, pkb, inp, out):
    t = Transcript("panoramix/zeus/v1/tw-shuffle")
    t.append("session_id", sid.encode())
    t.append("group", b"ristretto255")
    t.append("public_key", pkb)
    t.append("generators", b"panoramix/zeus/v1/generator")
    t.u64("n", len(inp))
    t.append("input", b"".join(ct_bytes(c) for c in inp))
    t.append("output", b"".join(ct_bytes(c) for c in out))
    return t


def verify_tw(k, sid, pkb, pk, gens, h0, inp, out, pr, info):
    n = len(inp)
    for name in ("u", "b", "b_prime", "k_b", "k_e"):
        check(len(pr[name]) == n, f"mix {k}: length of {name}")
    t = tw_statement(sid, pkb, inp, out)
    t.append("u", b"".join(hexbytes(x, 32) for x in pr["u"]))
    seed = t.challenge("e_seed")
    e = [int.from_bytes(expand("panoramix/zeus/v1/tw-e", seed, i), "little") % L for i in range(n)]
    t.append("b", b"".join(hexbytes(x, 32) for x in pr["b"]))
    t.append("a_prime", hexbytes(pr["a_prime"], 32))
    t.append("b_prime", b"".join(hexbytes(x, 32) for x in pr["b_prime"]))
    t.append("c_prime", hexbytes(pr["c_prime"], 32))
    t.append("d_prime", hexbytes(pr["d_prime"], 32))
    t.append("f_prime", ct_bytes(pr["f_prime"]))
    v = t.challenge_scalar("v")
    info["tw_e"] = e
    info["tw_v"] = v

    u = [point(x) for x in pr["u"]]
    bb = [point(x) for x in pr["b"]]
    bp = [point(x) for x in pr["b_prime"]]
    a_p, c_p, d_p = point(pr["a_prime"]), point(pr["c_prime"]), point(pr["d_prime"])
    f1, f2 = ciphertext(pr["f_prime"])
    ka, kc, kd, kf = (scalar(pr[x]) for x in ("k_a", "k_c", "k_d", "k_f"))
    kb = [scalar(x) for x in pr["k_b"]]
    ke = [scalar(x) for x in pr["k_e"]]
    w = [ciphertext(c) for c in inp]
    wo = [ciphertext(c) for c in out]
    g = gens[1:n + 1]

    def msum(pairs):
        acc = IDENTITY
        for s, p in pairs:
            acc = add(acc, mul(s, p))
        return acc

    a = msum(zip(e, u))
    check(eq(add(mul(v, a), a_p), msum([(ka, G)] + list(zip(ke, g)))), f"mix {k}: TW equation A")
    prev = h0
    for i in range(n):
        lhs = add(mul(v, bb[i]), bp[i])
        rhs = add(mul(kb[i], G), mul(ke[i], prev))
        check(eq(lhs, rhs), f"mix {k}: TW equation B_{i}")
        prev = bb[i]
    c = IDENTITY
    for i in range(n):
        c = add(c, add(u[i], neg(g[i])))
    check(eq(add(mul(v, c), c_p), mul(kc, G)), f"mix {k}: TW equation C")
    prod = 1
    for x in e:
        prod = prod * x % L
    dd = add(bb[n - 1], neg(mul(prod, h0)))
    check(eq(add(mul(v, dd), d_p), mul(kd, G)), f"mix {k}: TW equation D")
    for comp, fp, base in ((0, f1, G), (1, f2, pk)):
        f = msum([(e[i], w[i][comp]) for i in range(n)])
        rhs = add(msum([(ke[i], wo[i][comp]) for i in range(n)]), neg(mul(kf, base)))
        check(eq(add(mul(v, f), fp), rhs), f"mix {k}: TW equation F component {comp + 1}")


def verify_sk(k, sid, pkb, pk, inp, out, pr, info):
    n = len(inp)
    r = pr["rounds"]
    check(isinstance(r, int) and r >= 128, f"mix {k}: fewer than 128 rounds")
    for name in ("collections", "offsets", "randoms"):
        check(len(pr[name]) == r, f"mix {k}: number of {name}")
        for lst in pr[name]:
            check(len(lst) == n, f"mix {k}: length in {name}")
    for offs in pr["offsets"]:
        check(sorted(offs) == list(range(n)), f"mix {k}: offsets not a permutation")
    t = Transcript("panoramix/zeus/v1/sk-shuffle")
    t.append("session_id", sid.encode())
    t.append("group", b"ristretto255")
    t.append("public_key", pkb)
    t.u64("n", n)
    t.u64("rounds", r)
    t.append("input", b"".join(ct_bytes(c) for c in inp))
    t.append("output", b"".join(ct_bytes(c) for c in out))
    for coll in pr["collections"]:
        t.append("collection", b"".join(ct_bytes(c) for c in coll))
    seed = t.challenge("bits_seed")
    stream = b""
    j = 0
    while len(stream) * 8 < r:
        stream += expand("panoramix/zeus/v1/sk-bits", seed, j)
        j += 1
    bits = [(stream[i // 8] >> (i % 8)) & 1 for i in range(r)]
    info["sk_bits"] = "".join(str(b) for b in bits)
    w = [ciphertext(c) for c in inp]
    wo = [ciphertext(c) for c in out]
    for rnd in range(r):
        coll = [ciphertext(c) for c in pr["collections"][rnd]]
        x, y = (w, coll) if bits[rnd] == 0 else (coll, wo)
        for jj in range(n):
            rj = scalar(pr["randoms"][rnd][jj])
            yy = y[pr["offsets"][rnd][jj]]
            ok = eq(yy[0], add(x[jj][0], mul(rj, G))) and eq(yy[1], add(x[jj][1], mul(rj, pk)))
            check(ok, f"mix {k}: Sako-Kilian round {rnd} element {jj}")


def verify_transcript(t, info):
    check(t["version"] == "panoramix/zeus/v1/election", "version")
    check(t["group"] == "ristretto255", "group")
    sid = t["session_id"]
    total = IDENTITY
    seen = set()
    check(len(t["trustees"]) >= 1, "no trustees")
    for i, tr in enumerate(t["trustees"]):
        check(tr["public_key"] not in seen, f"duplicate trustee {i}")
        seen.add(tr["public_key"])
        pki = point(tr["public_key"])
        ts = Transcript("panoramix/zeus/v1/trustee-key")
        ts.append("session_id", sid.encode())
        ts.append("group", b"ristretto255")
        ts.append("public_key", hexbytes(tr["public_key"], 32))
        check(schnorr_ok(ts, pki, tr["proof"]), f"trustee {i}: key proof")
        total = add(total, pki)
    pkb = hexbytes(t["public_key"], 32)
    check(encode(total) == pkb, "joint key")
    pk = decode(pkb)

    ballots = t["ballots"]
    n = len(ballots)
    check(n >= 1, "no ballots")
    c1s = set()
    for i, b in enumerate(ballots):
        c1, _ = ciphertext(b["ciphertext"])
        tb = Transcript("panoramix/zeus/v1/ballot")
        tb.append("session_id", sid.encode())
        tb.append("group", b"ristretto255")
        tb.append("public_key", pkb)
        tb.append("ciphertext", ct_bytes(b["ciphertext"]))
        check(schnorr_ok(tb, c1, b["proof"]), f"ballot {i}: proof")
        check(b["ciphertext"][:64] not in c1s, f"ballot {i}: replay")
        c1s.add(b["ciphertext"][:64])

    check(len(t["mixes"]) >= 1, "no mixes")
    check(len({m["mixer"] for m in t["mixes"]}) == len(t["mixes"]), "duplicate mixer")
    gens = [generator(sid, i) for i in range(n + 1)]
    info["generators"] = [encode(g).hex() for g in gens[:11]]
    lst = [b["ciphertext"] for b in ballots]
    for k, m in enumerate(t["mixes"]):
        check(len(m["output"]) == n, f"mix {k}: output length")
        (kind, pr), = m["proof"].items()
        if kind == "tw":
            verify_tw(k, sid, pkb, pk, gens, gens[0], lst, m["output"], pr, info)
        elif kind == "sk":
            verify_sk(k, sid, pkb, pk, lst, m["output"], pr, info)
        else:
            raise Invalid("unknown proof type")
        lst = m["output"]

    pds = t["partial_decryptions"]
    check(len(pds) == len(t["trustees"]), "number of partial decryptions")
    check(sorted(pd["trustee"] for pd in pds) == list(range(len(pds))), "trustee indices")
    cts = [ciphertext(c) for c in lst]
    acc = [c[1] for c in cts]
    for pd in pds:
        ti = pd["trustee"]
        pkib = hexbytes(t["trustees"][ti]["public_key"], 32)
        pki = decode(pkib)
        check(len(pd["factors"]) == n and len(pd["proofs"]) == n, "partial decryption length")
        for j in range(n):
            d = point(pd["factors"][j])
            pr = pd["proofs"][j]
            a, b, s = point(pr["a"]), point(pr["b"]), scalar(pr["s"])
            tc = Transcript("panoramix/zeus/v1/decryption-share")
            tc.append("session_id", sid.encode())
            tc.append("group", b"ristretto255")
            tc.append("trustee_public_key", pkib)
            tc.append("ciphertext", ct_bytes(lst[j]))
            tc.append("factor", hexbytes(pd["factors"][j], 32))
            tc.append("a", hexbytes(pr["a"], 32))
            tc.append("b", hexbytes(pr["b"], 32))
            c = tc.challenge_scalar("challenge")
            ok = eq(mul(s, G), add(a, mul(c, pki))) and eq(mul(s, cts[j][0]), add(b, mul(c, d)))
            check(ok, f"trustee {ti}: decryption proof {j}")
            acc[j] = add(acc[j], neg(d))
    plain = [decode_plaintext(m).hex() for m in acc]
    check(plain == t["plaintexts"], "plaintexts")
    return n


# canonical field order (docs/zeus.md section 9: the Rust struct order)
ORDER = {
    "transcript": ["version", "group", "session_id", "trustees", "public_key", "ballots", "mixes",
                   "partial_decryptions", "plaintexts"],
    "trustee": ["public_key", "proof"],
    "schnorr": ["commitment", "response"],
    "ballot": ["ciphertext", "proof"],
    "mix": ["mixer", "output", "proof"],
    "tw": ["u", "b", "a_prime", "b_prime", "c_prime", "d_prime", "f_prime", "k_a", "k_b", "k_c",
           "k_d", "k_e", "k_f"],
    "sk": ["rounds", "collections", "offsets", "randoms"],
    "pd": ["trustee", "factors", "proofs"],
    "cp": ["a", "b", "s"],
}


def canonical(t):
    def o(d, key):
        return {k: d[k] for k in ORDER[key]}
    c = o(t, "transcript")
    c["trustees"] = [dict(o(x, "trustee"), proof=o(x["proof"], "schnorr")) for x in t["trustees"]]
    c["ballots"] = [dict(o(x, "ballot"), proof=o(x["proof"], "schnorr")) for x in t["ballots"]]
    mixes = []
    for m in t["mixes"]:
        (kind, pr), = m["proof"].items()
        mm = o(m, "mix")
        mm["proof"] = {kind: o(pr, kind)}
        mixes.append(mm)
    c["mixes"] = mixes
    c["partial_decryptions"] = [
        dict(o(x, "pd"), proofs=[o(p, "cp") for p in x["proofs"]]) for x in t["partial_decryptions"]
    ]
    return json.dumps(c, separators=(",", ":"))


def verify_file(path, doc=None):
    if doc is None:
        with open(path) as f:
            doc = json.load(f)
    t = doc.get("transcript", doc)
    info = {}
    n = verify_transcript(t, info)
    if "intermediates" in doc:
        im = doc["intermediates"]
        check(info["generators"] == im["generators"], "generators differ from the vector")
        check([hex_scalar(x) for x in info["tw_e"][:10]] == im["tw_e"], "TW e_i differ")
        check(hex_scalar(info["tw_v"]) == im["tw_v"], "TW v differs")
        check(info["sk_bits"] == im["sk_bits"], "Sako-Kilian bits differ")
        digest = hashlib.sha256(canonical(t).encode()).hexdigest()
        check(digest == doc["transcript_sha256"], "transcript digest differs")
    return n


def hex_scalar(v):
    return v.to_bytes(32, "little").hex()


def self_test(path):
    """Mutated copies must be rejected."""
    with open(path) as f:
        doc = json.load(f)
    t = doc["transcript"]

    def flip(h):
        return ("1" if h[0] == "0" else "0") + h[1:]

    def tw(x):
        return x["mixes"][0]["proof"]["tw"]

    def sk(x):
        return x["mixes"][1]["proof"]["sk"]

    mutations = {
        "swapped TW outputs (N=1: output = input)": lambda x: (
            x["mixes"][0]["output"].reverse()
            if len(x["mixes"][0]["output"]) > 1
            else x["mixes"][0]["output"].__setitem__(0, x["ballots"][0]["ciphertext"])
        ),
        "TW k_a": lambda x: tw(x).__setitem__("k_a", hex_scalar((int.from_bytes(bytes.fromhex(tw(x)["k_a"]), "little") + 1) % L)),
        "TW u[0]": lambda x: tw(x)["u"].__setitem__(0, tw(x)["u"][-1] if len(tw(x)["u"]) > 1 else flip(tw(x)["u"][0])),
        "SK randoms": lambda x: sk(x)["randoms"][3].__setitem__(0, hex_scalar(5)),
        "SK 127 rounds": lambda x: (sk(x).__setitem__("rounds", 127), sk(x)["collections"].pop(), sk(x)["offsets"].pop(), sk(x)["randoms"].pop()),
        "session id": lambda x: x.__setitem__("session_id", x["session_id"] + "!"),
        "plaintext": lambda x: x["plaintexts"].__setitem__(0, "00"),
        "appended output": lambda x: x["mixes"][0]["output"].append(x["mixes"][0]["output"][0]),
    }
    # and, for small transcripts, one hex digit changed in 20 seeded random points,
    # scalars and ciphertexts (each of them is bound by a proof or by the joint key)
    if len(t["ballots"]) <= 3:
        rng = random.Random(len(t["ballots"]))
        leaves = []

        def walk(x):
            for k, v in x.items() if isinstance(x, dict) else enumerate(x):
                if isinstance(v, str) and len(v) in (64, 128):
                    leaves.append((x, k))
                elif isinstance(v, (dict, list)):
                    walk(v)

        walk(t)
        for j in sorted(rng.sample(range(len(leaves)), 20)):
            x, k = leaves[j]
            i = rng.randrange(len(x[k]))
            digit = rng.choice([d for d in "0123456789abcdef" if d != x[k][i]])
            mutations[f"field {j}, hex digit {i}"] = (x, k, x[k][:i] + digit + x[k][i + 1:])
    for name, mutate in mutations.items():
        if isinstance(mutate, tuple):  # a field of t itself: change it, verify, restore
            x, k, value = mutate
            old, x[k] = x[k], value
            bad = t
        else:
            bad = copy.deepcopy(t)
            mutate(bad)
        try:
            verify_transcript(bad, {})
        except (Invalid, KeyError, IndexError, ValueError):
            continue
        finally:
            if isinstance(mutate, tuple):
                x[k] = old
        raise SystemExit(f"self-test: mutation '{name}' was accepted")
    print(f"{path}: {len(mutations)} mutations rejected")


def main(argv):
    args = argv[1:]
    selftest = "--self-test" in args
    args = [a for a in args if a != "--self-test"]
    backends = ["sodium"]
    if "--backend" in args:
        i = args.index("--backend")
        choice = args[i + 1] if i + 1 < len(args) else ""
        del args[i:i + 2]
        if choice not in ("sodium", "pure", "both"):
            print("--backend: sodium, pure or both")
            return 2
        backends = ["sodium", "pure"] if choice == "both" else [choice]
    check_both = "--check-backends" in args
    args = [a for a in args if a != "--check-backends"]
    if check_both:
        try:
            check_backends()
        except BackendMissing as e:
            print(f"verify_zeus.py: {e}; run scripts/ensure-python.sh")
            return 3
        except Invalid as e:
            print(f"BACKENDS DIFFER: {e}")
            return 1
    if not args:
        if check_both:
            return 0
        print(__doc__)
        return 2
    for backend in backends:
        try:
            use_backend(backend)
        except BackendMissing as e:
            print(f"verify_zeus.py: {e}; run scripts/ensure-python.sh (or use --backend pure)")
            return 3
        for path in args:
            start = time.perf_counter()
            try:
                n = verify_file(path)
            except Invalid as e:
                print(f"{path}: INVALID: {e}")
                return 1
            took = time.perf_counter() - start
            print(f"{path}: VALID ({n} ballots; generators, challenges, bits and digest match; "
                  f"{backend} backend, {took:.2f} s)")
            if selftest:
                self_test(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
